"""Triangle meshes for the builder: boxes with hard edges, cylinders, spheres, quads, placement.

A ``Mesh`` is a small triangle soup with per-vertex normals (and UVs where they matter, e.g.
signs). Boxes never share vertices between faces, so they render with crisp edges. Everything
is in metres, Y up; a piece's front looks along +Z in its own frame.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

BOX_FACES = ("+x", "-x", "+y", "-y", "+z", "-z")


@dataclass
class Mesh:
    """Vertices, normals, optional UVs and triangles (counter-clockwise seen from outside)."""

    positions: FloatArray
    normals: FloatArray
    triangles: IntArray
    uvs: FloatArray | None = None


@dataclass(frozen=True)
class Placement:
    """A rotation about +Y by ``yaw`` radians, then a translation: where a piece stands."""

    x: float = 0.0
    y: float = 0.0
    z: float = 0.0
    yaw: float = 0.0

    def rotation(self) -> FloatArray:
        c, s = math.cos(self.yaw), math.sin(self.yaw)
        # Maps local +Z to (sin yaw, 0, cos yaw): yaw 0 faces +Z, pi/2 faces +X.
        return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])

    def apply(self, mesh: Mesh) -> Mesh:
        rot = self.rotation()
        return Mesh(
            positions=mesh.positions @ rot.T + np.array([self.x, self.y, self.z]),
            normals=mesh.normals @ rot.T,
            triangles=mesh.triangles,
            uvs=mesh.uvs,
        )

    def point(self, local: Iterable[float]) -> FloatArray:
        return np.asarray(list(local), dtype=float) @ self.rotation().T + np.array(
            [self.x, self.y, self.z]
        )

    def then(self, inner: Placement) -> Placement:
        """The placement of something placed by ``inner`` inside a piece placed by self."""
        p = self.point((inner.x, inner.y, inner.z))
        return Placement(float(p[0]), float(p[1]), float(p[2]), self.yaw + inner.yaw)


def merge(meshes: Iterable[Mesh]) -> Mesh:
    """One mesh holding all the given ones (UVs kept only if every part has them)."""
    parts = list(meshes)
    if not parts:
        return Mesh(np.zeros((0, 3)), np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64))
    offsets = np.cumsum([0] + [len(m.positions) for m in parts[:-1]])
    with_uv = all(m.uvs is not None for m in parts)
    return Mesh(
        positions=np.concatenate([m.positions for m in parts]),
        normals=np.concatenate([m.normals for m in parts]),
        triangles=np.concatenate([m.triangles + o for m, o in zip(parts, offsets, strict=True)]),
        uvs=np.concatenate([m.uvs for m in parts if m.uvs is not None]) if with_uv else None,
    )


def box_faces(size: Iterable[float], center: Iterable[float] = (0.0, 0.0, 0.0)) -> dict[str, Mesh]:
    """The six faces of an axis-aligned box as separate quads, keyed "+x", "-x", ... ."""
    sx, sy, sz = (float(v) / 2 for v in size)
    cx, cy, cz = (float(v) for v in center)
    faces: dict[str, Mesh] = {}
    corners = {
        # face: four corners counter-clockwise seen from outside, outward normal
        "+x": ([(1, -1, 1), (1, -1, -1), (1, 1, -1), (1, 1, 1)], (1, 0, 0)),
        "-x": ([(-1, -1, -1), (-1, -1, 1), (-1, 1, 1), (-1, 1, -1)], (-1, 0, 0)),
        "+y": ([(-1, 1, 1), (1, 1, 1), (1, 1, -1), (-1, 1, -1)], (0, 1, 0)),
        "-y": ([(-1, -1, -1), (1, -1, -1), (1, -1, 1), (-1, -1, 1)], (0, -1, 0)),
        "+z": ([(-1, -1, 1), (1, -1, 1), (1, 1, 1), (-1, 1, 1)], (0, 0, 1)),
        "-z": ([(1, -1, -1), (-1, -1, -1), (-1, 1, -1), (1, 1, -1)], (0, 0, -1)),
    }
    for name, (quad_corners, normal) in corners.items():
        pos = np.array(
            [(cx + a * sx, cy + b * sy, cz + c * sz) for a, b, c in quad_corners], dtype=float
        )
        faces[name] = Mesh(
            positions=pos,
            normals=np.tile(np.array(normal, dtype=float), (4, 1)),
            triangles=np.array([[0, 1, 2], [0, 2, 3]], dtype=np.int64),
        )
    return faces


def box(
    size: Iterable[float],
    center: Iterable[float] = (0.0, 0.0, 0.0),
    skip: Iterable[str] = (),
) -> Mesh:
    """A box with hard edges; ``skip`` leaves out faces nobody sees (e.g. "-y" on a floor)."""
    left_out = set(skip)
    return merge(m for name, m in box_faces(size, center).items() if name not in left_out)


def cylinder(
    radius: float,
    height: float,
    segments: int = 16,
    base: Iterable[float] = (0.0, 0.0, 0.0),
    caps: bool = True,
    top_radius: float | None = None,
) -> Mesh:
    """An upright cylinder (or frustum) standing on ``base``: smooth sides, flat caps."""
    bx, by, bz = (float(v) for v in base)
    r_top = radius if top_radius is None else top_radius
    angles = np.linspace(0.0, 2 * math.pi, segments + 1)
    cos, sin = np.cos(angles), np.sin(angles)
    slope = (radius - r_top) / height if height else 0.0
    side_normal = np.stack([cos, np.full_like(cos, slope), sin], axis=1)
    side_normal /= np.linalg.norm(side_normal, axis=1, keepdims=True)
    bottom = np.stack([bx + radius * cos, np.full_like(cos, by), bz + radius * sin], axis=1)
    top = np.stack([bx + r_top * cos, np.full_like(cos, by + height), bz + r_top * sin], axis=1)
    positions = [np.concatenate([bottom, top])]
    normals = [np.concatenate([side_normal, side_normal])]
    n = segments + 1
    tris = []
    for i in range(segments):
        tris.append((i, n + i + 1, i + 1))
        tris.append((i, n + i, n + i + 1))
    triangles = [np.array(tris, dtype=np.int64)]
    offset = 2 * n
    if caps:
        for y, r, up in ((by + height, r_top, 1.0), (by, radius, -1.0)):
            if r <= 0:
                continue
            ring = np.stack([bx + r * cos[:-1], np.full(segments, y), bz + r * sin[:-1]], axis=1)
            centre = np.array([[bx, y, bz]])
            positions.append(np.concatenate([centre, ring]))
            normals.append(np.tile([0.0, up, 0.0], (segments + 1, 1)))
            fan = []
            for i in range(segments):
                a, b = 1 + i, 1 + (i + 1) % segments
                fan.append(
                    (offset, b + offset, a + offset) if up > 0 else (offset, a + offset, b + offset)
                )
            triangles.append(np.array(fan, dtype=np.int64))
            offset += segments + 1
    return Mesh(np.concatenate(positions), np.concatenate(normals), np.concatenate(triangles))


def sphere(
    radius: float,
    center: Iterable[float] = (0.0, 0.0, 0.0),
    rings: int = 6,
    segments: int = 10,
    squash: float = 1.0,
) -> Mesh:
    """A smooth low-poly sphere (``squash`` < 1 flattens it: foliage, cushions)."""
    cx, cy, cz = (float(v) for v in center)
    theta = np.linspace(0.0, math.pi, rings + 1)
    phi = np.linspace(0.0, 2 * math.pi, segments + 1)
    t, p = np.meshgrid(theta, phi, indexing="ij")
    unit = np.stack([np.sin(t) * np.cos(p), np.cos(t), np.sin(t) * np.sin(p)], axis=-1).reshape(
        -1, 3
    )
    positions = unit * np.array([radius, radius * squash, radius]) + np.array([cx, cy, cz])
    normals = unit / np.array([1.0, squash, 1.0])
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    tris = []
    cols = segments + 1
    for i in range(rings):
        for j in range(segments):
            a, b = i * cols + j, i * cols + j + 1
            c, d = (i + 1) * cols + j, (i + 1) * cols + j + 1
            if i != 0:
                tris.append((a, b, c))
            if i != rings - 1:
                tris.append((b, d, c))
    return Mesh(positions, normals, np.array(tris, dtype=np.int64))


def quad(width: float, height: float, center: Iterable[float] = (0.0, 0.0, 0.0)) -> Mesh:
    """A rectangle in the local XY plane facing +Z, UVs covering the whole image."""
    cx, cy, cz = (float(v) for v in center)
    w, h = width / 2, height / 2
    return Mesh(
        positions=np.array(
            [[cx - w, cy - h, cz], [cx + w, cy - h, cz], [cx + w, cy + h, cz], [cx - w, cy + h, cz]]
        ),
        normals=np.tile([0.0, 0.0, 1.0], (4, 1)),
        triangles=np.array([[0, 1, 2], [0, 2, 3]], dtype=np.int64),
        uvs=np.array([[0.0, 1.0], [1.0, 1.0], [1.0, 0.0], [0.0, 0.0]]),
    )


def wedge(length: float, width: float, height: float) -> Mesh:
    """A ramp: ``height`` tall at x = 0, falling to nothing at x = ``length``, ``width`` deep."""
    w = width / 2
    slope = np.array([height, length, 0.0]) / math.hypot(height, length)
    faces: list[tuple[list[tuple[float, float, float]], tuple[float, float, float]]] = [
        # sloped top, counter-clockwise seen from above
        (
            [(0, height, -w), (0, height, w), (length, 0, w), (length, 0, -w)],
            (float(slope[0]), float(slope[1]), 0.0),
        ),
        # the tall end against the stage
        ([(0, 0, -w), (0, 0, w), (0, height, w), (0, height, -w)], (-1.0, 0.0, 0.0)),
        # the two triangular sides
        ([(0, 0, w), (length, 0, w), (0, height, w)], (0.0, 0.0, 1.0)),
        ([(0, 0, -w), (0, height, -w), (length, 0, -w)], (0.0, 0.0, -1.0)),
    ]
    parts = []
    for corners, normal in faces:
        pos = np.array(corners, dtype=float)
        tris = [[0, 1, 2]] if len(corners) == 3 else [[0, 1, 2], [0, 2, 3]]
        parts.append(
            Mesh(pos, np.tile(np.array(normal), (len(corners), 1)), np.array(tris, dtype=np.int64))
        )
    return merge(parts)


def planar_uvs(mesh: Mesh, tile: tuple[float, float]) -> FloatArray:
    """World-scale UVs: each vertex projected on the plane its normal faces most.

    One texture repeat covers ``tile`` = (along U, along V) metres. Walls get U along the
    wall and V up, so bricks and planks lie the right way; floors get U along X.
    """
    p, n = mesh.positions, np.abs(mesh.normals)
    axis = np.argmax(n, axis=1)
    u = np.where(axis == 0, p[:, 2], p[:, 0])
    v = np.where(axis == 1, p[:, 2], -p[:, 1])
    return np.stack([u / tile[0], v / tile[1]], axis=1)
