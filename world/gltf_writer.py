"""Writing a binary glTF (GLB): buffers, accessors, materials, textures, meshes, nodes.

Only what the hub model needs, done the way the Khronos validator and three.js like it:
every bufferView that holds vertices or indices has its ``target``; every POSITION accessor
has ``min``/``max``; images are PNG in the binary chunk; output is byte-for-byte repeatable.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

ARRAY_BUFFER = 34962
ELEMENT_ARRAY_BUFFER = 34963
FLOAT = 5126
UNSIGNED_BYTE = 5121
UNSIGNED_SHORT = 5123
UNSIGNED_INT = 5125
TRIANGLES = 4
REPEAT = 10497
CLAMP_TO_EDGE = 33071
LINEAR = 9729
LINEAR_MIPMAP_LINEAR = 9987


@dataclass
class Primitive:
    """One draw: triangles of one material."""

    positions: npt.NDArray[np.float64]
    normals: npt.NDArray[np.float64]
    indices: npt.NDArray[np.int64]
    material: int
    uvs: npt.NDArray[np.float64] | None = None
    # baked light per vertex (ambient occlusion), 0..1, written as COLOR_0
    shade: npt.NDArray[np.float64] | None = None


class GlbWriter:
    """Collects a glTF document and its binary chunk, then writes them as one GLB."""

    def __init__(self, generator: str) -> None:
        self.doc: dict[str, Any] = {
            "asset": {"version": "2.0", "generator": generator},
            "scene": 0,
            "scenes": [],
            "nodes": [],
            "meshes": [],
            "materials": [],
            "accessors": [],
            "bufferViews": [],
            "buffers": [],
        }
        self.blob = bytearray()
        self._extensions: set[str] = set()

    def use_extension(self, name: str) -> None:
        self._extensions.add(name)

    def _view(self, data: bytes, target: int | None) -> int:
        while len(self.blob) % 4:
            self.blob.append(0)
        view: dict[str, Any] = {"buffer": 0, "byteOffset": len(self.blob), "byteLength": len(data)}
        if target is not None:
            view["target"] = target
        self.blob.extend(data)
        self.doc["bufferViews"].append(view)
        return len(self.doc["bufferViews"]) - 1

    def _accessor(self, array: npt.NDArray[Any], kind: str, bounds: bool = False) -> int:
        if kind == "SCALAR":
            big = int(array.max(initial=0)) > 65535
            dtype, component = (np.uint32, UNSIGNED_INT) if big else (np.uint16, UNSIGNED_SHORT)
            data = array.astype(dtype).ravel()
            target = ELEMENT_ARRAY_BUFFER
        else:
            data = array.astype(np.float32)
            component = FLOAT
            target = ARRAY_BUFFER
        accessor: dict[str, Any] = {
            "bufferView": self._view(data.tobytes(), target),
            "componentType": component,
            "count": int(len(array) if kind != "SCALAR" else data.size),
            "type": kind,
        }
        if bounds:
            accessor["min"] = [float(v) for v in data.min(axis=0)]
            accessor["max"] = [float(v) for v in data.max(axis=0)]
        self.doc["accessors"].append(accessor)
        return len(self.doc["accessors"]) - 1

    def _colour_accessor(self, shade: npt.NDArray[Any]) -> int:
        """Grey vertex colours from 0..1 values: normalised RGBA bytes (4-byte aligned)."""
        grey = np.clip(np.round(np.asarray(shade, dtype=np.float64) * 255.0), 0, 255)
        rgba = np.repeat(grey.astype(np.uint8)[:, None], 4, axis=1)
        rgba[:, 3] = 255
        accessor = {
            "bufferView": self._view(rgba.tobytes(), ARRAY_BUFFER),
            "componentType": UNSIGNED_BYTE,
            "normalized": True,
            "count": len(rgba),
            "type": "VEC4",
        }
        self.doc["accessors"].append(accessor)
        return len(self.doc["accessors"]) - 1

    def add_sampler(self, repeat: bool) -> int:
        wrap = REPEAT if repeat else CLAMP_TO_EDGE
        sampler = {
            "magFilter": LINEAR,
            "minFilter": LINEAR_MIPMAP_LINEAR,
            "wrapS": wrap,
            "wrapT": wrap,
        }
        self.doc.setdefault("samplers", []).append(sampler)
        return len(self.doc["samplers"]) - 1

    def add_png_texture(
        self, png: bytes, name: str, sampler: int, mime_type: str = "image/png"
    ) -> int:
        """A texture from image bytes in the binary chunk (PNG, or JPEG with its mime type)."""
        image = {"name": name, "mimeType": mime_type, "bufferView": self._view(png, None)}
        self.doc.setdefault("images", []).append(image)
        texture = {"sampler": sampler, "source": len(self.doc["images"]) - 1}
        self.doc.setdefault("textures", []).append(texture)
        return len(self.doc["textures"]) - 1

    def add_material(self, material: dict[str, Any]) -> int:
        for name in material.get("extensions", {}):
            self.use_extension(name)
        self.doc["materials"].append(material)
        return len(self.doc["materials"]) - 1

    def add_mesh(self, name: str, primitives: list[Primitive]) -> int:
        out = []
        for prim in primitives:
            attributes = {
                "POSITION": self._accessor(prim.positions, "VEC3", bounds=True),
                "NORMAL": self._accessor(prim.normals, "VEC3"),
            }
            if prim.uvs is not None:
                attributes["TEXCOORD_0"] = self._accessor(prim.uvs, "VEC2")
            if prim.shade is not None:
                attributes["COLOR_0"] = self._colour_accessor(prim.shade)
            out.append(
                {
                    "attributes": attributes,
                    "indices": self._accessor(prim.indices, "SCALAR"),
                    "material": prim.material,
                    "mode": TRIANGLES,
                }
            )
        self.doc["meshes"].append({"name": name, "primitives": out})
        return len(self.doc["meshes"]) - 1

    def add_node(self, node: dict[str, Any]) -> int:
        for name in node.get("extensions", {}):
            self.use_extension(name)
        self.doc["nodes"].append(node)
        return len(self.doc["nodes"]) - 1

    def add_scene(self, name: str, roots: list[int]) -> None:
        self.doc["scenes"].append({"name": name, "nodes": roots})

    def set_root_extension(self, name: str, value: dict[str, Any]) -> None:
        self.doc.setdefault("extensions", {})[name] = value
        self.use_extension(name)

    def to_glb(self) -> bytes:
        doc = dict(self.doc)
        for key in ("meshes", "materials", "accessors", "bufferViews"):
            if not doc[key]:
                del doc[key]
        while len(self.blob) % 4:
            self.blob.append(0)
        doc["buffers"] = [{"byteLength": len(self.blob)}]
        if self._extensions:
            doc["extensionsUsed"] = sorted(self._extensions)
        json_chunk = orjson.dumps(doc)
        json_chunk += b" " * (-len(json_chunk) % 4)
        total = 12 + 8 + len(json_chunk) + 8 + len(self.blob)
        return b"".join(
            [
                struct.pack("<4sII", b"glTF", 2, total),
                struct.pack("<I4s", len(json_chunk), b"JSON"),
                json_chunk,
                struct.pack("<I4s", len(self.blob), b"BIN\x00"),
                bytes(self.blob),
            ]
        )
