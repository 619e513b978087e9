"""A model's triangles in scene space: for measuring an import and drawing its thumbnail.

Reads the default scene of a parsed glTF (node transforms applied, quantised attributes
turned back into numbers) into ``Part``s: the triangles of one primitive with their
material and texture coordinates. Points and lines are not triangles and are skipped;
strips and fans are counted and unrolled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from world.gltf_reader import GltfDocument

NORMALISED_DIVISORS = {
    np.dtype(np.int8): 127.0,
    np.dtype(np.uint8): 255.0,
    np.dtype(np.int16): 32767.0,
    np.dtype(np.uint16): 65535.0,
}
TRIANGLES, STRIP, FAN = 4, 5, 6


@dataclass(frozen=True)
class Part:
    """One primitive's triangles: (n, 3, 3) corners, optional (n, 3, 2) UVs, its material."""

    corners: npt.NDArray[np.float64]
    uvs: npt.NDArray[np.float64] | None
    material: int | None


def attribute(doc: GltfDocument, index: int) -> npt.NDArray[np.float64]:
    """An accessor as float64, normalised integers mapped to [-1, 1] or [0, 1]."""
    raw = doc.accessor(index)
    accessor = doc.entry("accessors", index)
    values = raw.astype(np.float64)
    if accessor.get("normalized") and raw.dtype in NORMALISED_DIVISORS:
        values = np.maximum(values / NORMALISED_DIVISORS[raw.dtype], -1.0)
    return values


def _triangle_indices(
    doc: GltfDocument, prim: dict[str, object], count: int
) -> npt.NDArray[np.int64]:
    index = prim.get("indices")
    flat = (
        doc.accessor(index).astype(np.int64).ravel()
        if isinstance(index, int)
        else np.arange(count, dtype=np.int64)
    )
    mode = prim.get("mode", TRIANGLES)
    if mode == TRIANGLES:
        return flat[: len(flat) // 3 * 3].reshape(-1, 3)
    if mode in (STRIP, FAN) and len(flat) >= 3:
        k = np.arange(len(flat) - 2)
        if mode == STRIP:
            tris = np.stack([flat[k], flat[k + 1], flat[k + 2]], axis=1)
            tris[1::2] = tris[1::2][:, [1, 0, 2]]
            return tris
        return np.stack([np.full_like(k, flat[0]), flat[k + 1], flat[k + 2]], axis=1)
    return np.zeros((0, 3), dtype=np.int64)


def scene_parts(doc: GltfDocument) -> list[Part]:
    """Every triangle of the default scene, grouped by primitive, in scene coordinates."""
    parts = []
    for node_index, matrix in doc.scene_nodes():
        node = doc.entry("nodes", node_index)
        if "mesh" not in node:
            continue
        mesh = doc.entry("meshes", node["mesh"])
        for prim in mesh.get("primitives", []):
            attributes = prim.get("attributes", {})
            if "POSITION" not in attributes:
                continue
            positions = attribute(doc, attributes["POSITION"])
            tris = _triangle_indices(doc, prim, len(positions))
            if not len(tris):
                continue
            world = positions @ matrix[:3, :3].T + matrix[:3, 3]
            uvs = None
            if "TEXCOORD_0" in attributes:
                uvs = attribute(doc, attributes["TEXCOORD_0"])[tris]
            material = prim.get("material")
            parts.append(Part(world[tris], uvs, material if isinstance(material, int) else None))
    return parts


def bounds(parts: list[Part]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(min, max) corner of everything in ``parts``."""
    corners = np.concatenate([p.corners.reshape(-1, 3) for p in parts])
    return corners.min(axis=0), corners.max(axis=0)
