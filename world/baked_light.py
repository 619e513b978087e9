"""Baked light for the hub model: ambient occlusion, and the sun's shadow outdoors, per vertex.

The builder hands over every visible mesh; this module

- subdivides large faces (``subdivide``) so floors, walls and ceilings have vertices every
  half metre or so to carry the light,
- voxelises what blocks light into a grid of 10 cm cells (``Occluders``; everything below the
  ground is solid), and
- marches a fixed set of rays from every vertex through that grid (``shade``): the share of
  the hemisphere above the surface that is blocked within 2 m darkens it (corners, under
  tables, behind sofas); surfaces outside, in the open, are darkened further where a ray
  towards the sun (``SUN``) is blocked within 30 m (the building's and the trees' shadows).

The result is a grey factor per vertex, written as ``COLOR_0`` (three.js multiplies it into
the base colour). Rays and directions are fixed, so the same input bakes the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from world.geometry import Mesh

FloatArray = npt.NDArray[np.float64]
Inside = Callable[[FloatArray], npt.NDArray[np.bool_]]

CELL = 0.1  # voxel size in metres
AO_RADIUS = 2.0  # occluders farther away than this do not darken
AO_RAYS = 16
AO_STRENGTH = 0.75  # a fully enclosed surface keeps 1 - this of its light
SUN = tuple(float(v) for v in np.array([-0.5, 1.2, 0.7]) / np.linalg.norm([-0.5, 1.2, 0.7]))
SUN_RANGE = 30.0
SUN_SHADOW = 0.62  # what is left of a surface's light in the sun's shadow
NARROW = 0.3  # triangles thinner than this (metres, across the longest edge) stay whole
FAR_STEP = 0.25  # the longest step a ray takes through the grid
START = CELL * 1.5  # rays start this far off their surface, outside its own cells
CHUNK = 4096  # vertices marched at once (memory: CHUNK x AO_RAYS points per step)


def _samples(n: int) -> FloatArray:
    """Barycentric weights of points every 1/n along a triangle's edges, covering it."""
    i, j = np.mgrid[0 : n + 1, 0 : n + 1]
    keep = (i + j) <= n
    i, j = i[keep] / n, j[keep] / n
    return np.stack([1.0 - i - j, i, j], axis=1)


def _splits(corners: FloatArray, max_edge: float) -> npt.NDArray[np.int64]:
    """How many times each triangle's edges are split so no edge is longer than max_edge."""
    a, b, c = corners[:, 0], corners[:, 1], corners[:, 2]
    longest = np.max(
        np.stack(
            [
                np.linalg.norm(b - a, axis=1),
                np.linalg.norm(c - b, axis=1),
                np.linalg.norm(a - c, axis=1),
            ]
        ),
        axis=0,
    )
    return np.maximum(1, np.ceil(longest / max_edge - 1e-9)).astype(np.int64)


def subdivide(mesh: Mesh, max_edge: float) -> Mesh:
    """The same surface with no triangle edge longer than ``max_edge`` (normals, UVs kept).

    Triangles are halved across their longest edge until every edge is short enough; strips
    narrower than ``NARROW`` (a coping, a frame, a rail) are left whole, since light hardly
    varies across them and cutting them would cost many triangles. Equal corners are shared
    again afterwards.
    """
    if len(mesh.triangles) == 0:
        return mesh
    parts = [mesh.positions, mesh.normals] + ([mesh.uvs] if mesh.uvs is not None else [])
    corners = np.concatenate(parts, axis=1)[mesh.triangles]  # (T, 3, attributes)
    p = corners[:, :, :3]
    area = np.linalg.norm(np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]), axis=1) / 2
    longest_edge = np.max(np.linalg.norm(p - np.roll(p, 1, axis=1), axis=2), axis=1)
    narrow = 2 * area / np.maximum(longest_edge, 1e-12) < NARROW
    done = [corners[narrow]]
    corners = corners[~narrow]
    while len(corners):
        p = corners[:, :, :3]
        edges = np.stack(
            [
                np.linalg.norm(p[:, 1] - p[:, 0], axis=1),
                np.linalg.norm(p[:, 2] - p[:, 1], axis=1),
                np.linalg.norm(p[:, 0] - p[:, 2], axis=1),
            ],
            axis=1,
        )
        longest = edges.argmax(axis=1)
        small = edges.max(axis=1) <= max_edge
        done.append(corners[small])
        big, longest = corners[~small], longest[~small]
        # rotate each triangle so its longest edge runs from corner 0 to corner 1
        order = (np.arange(3)[None, :] + longest[:, None]) % 3
        big = np.take_along_axis(big, order[:, :, None], axis=1)
        middle = (big[:, 0] + big[:, 1]) / 2
        first = np.stack([big[:, 0], middle, big[:, 2]], axis=1)
        second = np.stack([middle, big[:, 1], big[:, 2]], axis=1)
        corners = np.concatenate([first, second])
    soup = np.concatenate(done).reshape(-1, corners.shape[2])
    keys = np.round(soup * 1e5).astype(np.int64)
    _, first_of, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    keep = np.sort(first_of)
    renumber = np.empty(len(first_of), dtype=np.int64)
    renumber[np.argsort(first_of)] = np.arange(len(first_of))
    vertices = soup[keep]
    normals = vertices[:, 3:6] / np.maximum(
        np.linalg.norm(vertices[:, 3:6], axis=1, keepdims=True), 1e-12
    )
    return Mesh(
        vertices[:, :3],
        normals,
        renumber[inverse.ravel()].reshape(-1, 3),
        vertices[:, 6:8] if mesh.uvs is not None else None,
    )


def _fibonacci_hemisphere(count: int) -> FloatArray:
    """Cosine-weighted directions about +Z, spread evenly (a fixed Fibonacci spiral)."""
    k = np.arange(count) + 0.5
    r = np.sqrt(k / count)
    phi = k * math.pi * (3.0 - math.sqrt(5.0))
    return np.stack([r * np.cos(phi), r * np.sin(phi), np.sqrt(1.0 - r * r)], axis=1)


HEMISPHERE = _fibonacci_hemisphere(AO_RAYS)


@dataclass
class Occluders:
    """What blocks light, as solid 10 cm cells; below ``base`` everything is solid."""

    origin: FloatArray
    shape: tuple[int, int, int]
    solid: npt.NDArray[np.bool_]  # flat, with one extra open cell for points off the grid
    base: float

    @classmethod
    def from_meshes(cls, meshes: list[Mesh], base: float) -> Occluders:
        """Cells that any of the triangles passes through (surfaces sampled at half a cell)."""
        corners = [m.positions[m.triangles] for m in meshes if len(m.triangles)]
        tri = np.concatenate(corners) if corners else np.zeros((0, 3, 3))
        tri = tri[tri[:, :, 1].max(axis=1) > base + 1e-3]  # the ground is solid anyway
        if len(tri) == 0:
            return cls(np.array([0.0, base, 0.0]), (1, 1, 1), np.zeros(2, dtype=bool), base)
        lo = tri.reshape(-1, 3).min(axis=0) - CELL
        hi = tri.reshape(-1, 3).max(axis=0) + CELL
        lo[1] = base
        dims = np.ceil((hi - lo) / CELL).astype(np.int64) + 1
        shape = (int(dims[0]), int(dims[1]), int(dims[2]))
        solid = np.zeros(int(np.prod(dims)) + 1, dtype=bool)
        splits = _splits(tri, CELL * 0.7)
        for n in np.unique(splits):
            weights = _samples(int(n)).astype(np.float32)
            chosen = tri[splits == n]
            step = max(1, 3_000_000 // len(weights))
            for start in range(0, len(chosen), step):
                part = chosen[start : start + step].astype(np.float32)
                points = np.einsum("kc,tcd->tkd", weights, part)
                cells = np.floor((points.reshape(-1, 3) - lo) / CELL).astype(np.int64)
                np.clip(cells, 0, dims - 1, out=cells)
                solid[(cells[:, 0] * dims[1] + cells[:, 1]) * dims[2] + cells[:, 2]] = True
        return cls(lo, shape, solid, base)

    def blocked(self, points: FloatArray) -> npt.NDArray[np.bool_]:
        """Whether each point lies in a solid cell (outside the grid: only below the base)."""
        dims = np.array(self.shape)
        cells = np.floor((points - self.origin) / CELL).astype(np.int64)
        off = np.any((cells < 0) | (cells >= dims), axis=-1)
        flat = (cells[..., 0] * dims[1] + cells[..., 1]) * dims[2] + cells[..., 2]
        flat[off] = len(self.solid) - 1
        return self.solid[flat] | (points[..., 1] < self.base)

    def first_hit(self, starts: FloatArray, directions: FloatArray, reach: float) -> FloatArray:
        """Distance to the first solid cell along each ray (``inf``: none within reach).

        Steps are one cell long near the start and grow to ``FAR_STEP`` farther out.
        """
        hit = np.full(starts.shape[:-1], np.inf)
        d = 0.0
        while d < reach - 1e-9:
            d = min(reach, d + min(FAR_STEP, max(CELL, d * 0.25)))
            found = self.blocked(starts + directions * d)
            np.minimum(hit, np.where(found, d, np.inf), out=hit)
        return hit


def _frames(normals: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Two unit tangents perpendicular to each normal (any, but always the same)."""
    helper = np.where(
        (np.abs(normals[:, 1]) < 0.9)[:, None], np.array([0.0, 1.0, 0.0]), np.array([1.0, 0, 0])
    )
    t = np.cross(helper, normals)
    t /= np.maximum(np.linalg.norm(t, axis=1, keepdims=True), 1e-12)
    return t, np.cross(normals, t)


def shade(
    occluders: Occluders, positions: FloatArray, normals: FloatArray, indoors: Inside
) -> FloatArray:
    """The baked light factor (0..1) of each vertex: occlusion, and the sun's shadow outside."""
    if len(positions) == 0:
        return np.zeros(0)
    keys = np.round(np.concatenate([positions * 1000.0, normals * 100.0], axis=1)).astype(np.int64)
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    first = np.zeros(len(unique), dtype=np.int64)
    first[inverse.ravel()[::-1]] = np.arange(len(keys))[::-1]
    p, n = positions[first], normals[first]
    n = n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
    out = np.ones(len(p))
    sun = np.array(SUN)
    for start in range(0, len(p), CHUNK):
        pc, nc = p[start : start + CHUNK], n[start : start + CHUNK]
        t, b = _frames(nc)
        dirs = (
            HEMISPHERE[None, :, 0:1] * t[:, None, :]
            + HEMISPHERE[None, :, 1:2] * b[:, None, :]
            + HEMISPHERE[None, :, 2:3] * nc[:, None, :]
        )
        origin = pc + nc * START  # clear of the surface's own cells
        starts = np.repeat(origin[:, None, :], AO_RAYS, axis=1)
        dist = occluders.first_hit(starts, dirs, AO_RADIUS)
        blocked = np.where(
            np.isinf(dist), 0.0, 1.0 - (np.minimum(dist, AO_RADIUS) / AO_RADIUS) ** 2
        )
        ao = 1.0 - AO_STRENGTH * blocked.mean(axis=1)
        outside = ~indoors(pc + nc * 0.2)
        facing = (nc @ sun) > 0.05
        lit = np.ones(len(pc))
        ask = outside & facing
        if ask.any():
            hit = occluders.first_hit(
                origin[ask] + sun * CELL, np.tile(sun, (ask.sum(), 1)), SUN_RANGE
            )
            lit[ask] = np.where(np.isinf(hit), 1.0, SUN_SHADOW)
        out[start : start + CHUNK] = ao * lit
    return out[inverse.ravel()]
