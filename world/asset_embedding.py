"""Copying library models into the hub model, one node tree per placement.

Each asset used is copied into the hub's glTF once (buffer views, accessors, images,
textures, materials, meshes: quantised positions and WebP textures stay as they are); every
placement gets a node carrying its position and yaw whose children are copies of the
asset's scene nodes, all pointing at the shared meshes. The placement node says what it is
in ``extras.hubtwin_placed = {id, asset, room}``, which a client reads to pick and move it.

What an asset must not bring into the hub is left out of the copies: anything the hub
loader would read as venue metadata (``extras.hubtwin``, spawn points, physics bodies whose
shape indices point into the asset's own list, a nav-mesh), cameras, skins and lights.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

from world.errors import InputFileError
from world.geometry import Placement
from world.gltf_reader import GltfDocument, read_gltf_file
from world.gltf_writer import GlbWriter
from world.library import LibraryAsset


@dataclass(frozen=True)
class PlacedAsset:
    """A library asset standing in a room (world coordinates; yaw in radians)."""

    id: str
    asset: LibraryAsset
    room: str
    x: float
    y: float
    z: float
    elevation: float  # above the room's floor
    yaw: float

    @property
    def placement(self) -> Placement:
        return Placement(self.x, self.y, self.z, self.yaw)


PLACED_EXTRAS_KEY = "hubtwin_placed"
# Node extensions the hub loader would mistake for the hub's own venue layer.
DROPPED_NODE_EXTENSIONS = frozenset(
    {
        "OMI_spawn_point",
        "OMI_physics_body",
        "OMI_physics_shape",
        "KHR_lights_punctual",
        "MOZ_hubs_components",
    }
)
DROPPED_NODE_KEYS = frozenset({"camera", "skin", "weights"})
VENUE_EXTRAS_KEY = "hubtwin"


def _quat_y(yaw: float) -> list[float]:
    return [0.0, round(math.sin(yaw / 2), 7), 0.0, round(math.cos(yaw / 2), 7)]


def _extension_names(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "extensions" and isinstance(inner, dict):
                found.update(inner)
            _extension_names(inner, found)
    elif isinstance(value, list):
        for inner in value:
            _extension_names(inner, found)


def _remap_texture_infos(value: Any, offset: int) -> None:
    """Add ``offset`` to every texture reference (``{"index": n}`` under a ``...Texture`` key)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key.endswith("Texture") and isinstance(inner, dict) and "index" in inner:
                inner["index"] += offset
            _remap_texture_infos(inner, offset)
    elif isinstance(value, list):
        for inner in value:
            _remap_texture_infos(inner, offset)


class _CopiedAsset:
    """One asset's resources inside the hub document, and how to copy its nodes."""

    def __init__(self, writer: GlbWriter, doc: GltfDocument, label: str) -> None:
        self.doc = doc
        self.writer = writer
        json = doc.json
        out = writer.doc
        self.used: set[str] = set()
        views = self._copy_views(json.get("bufferViews", []))

        accessor_base = len(out["accessors"])
        for acc in json.get("accessors", []):
            acc = copy.deepcopy(acc)
            if "bufferView" in acc:
                acc["bufferView"] = views[acc["bufferView"]]
            sparse = acc.get("sparse")
            if isinstance(sparse, dict):
                for part in ("indices", "values"):
                    sparse[part]["bufferView"] = views[sparse[part]["bufferView"]]
            out["accessors"].append(acc)

        image_base = len(out.setdefault("images", []))
        for image in json.get("images", []):
            if "bufferView" not in image:
                raise doc.fail("images must be stored inside the file (re-import the asset)")
            image = dict(image, bufferView=views[image["bufferView"]])
            out["images"].append(image)
        sampler_base = len(out.setdefault("samplers", []))
        out["samplers"].extend(copy.deepcopy(json.get("samplers", [])))
        texture_base = len(out.setdefault("textures", []))
        for texture in json.get("textures", []):
            texture = copy.deepcopy(texture)
            if "source" in texture:
                texture["source"] += image_base
            if "sampler" in texture:
                texture["sampler"] += sampler_base
            for ext in texture.get("extensions", {}).values():
                if isinstance(ext, dict) and "source" in ext:
                    ext["source"] += image_base
            out["textures"].append(texture)

        material_base = len(out["materials"])
        for number, material in enumerate(json.get("materials", [])):
            material = copy.deepcopy(material)
            _remap_texture_infos(material, texture_base)
            material["name"] = f"{label}: {material.get('name') or f'material {number}'}"
            out["materials"].append(material)

        self.mesh_base = len(out["meshes"])
        self.mesh_triangles: list[int] = []
        for mesh in json.get("meshes", []):
            mesh = copy.deepcopy(mesh)
            triangles = 0
            for prim in mesh.get("primitives", []):
                prim["attributes"] = {
                    k: v + accessor_base for k, v in prim.get("attributes", {}).items()
                }
                if "indices" in prim:
                    prim["indices"] += accessor_base
                    count = json["accessors"][prim["indices"] - accessor_base]["count"]
                else:
                    count = json["accessors"][prim["attributes"]["POSITION"] - accessor_base][
                        "count"
                    ]
                if prim.get("mode", 4) == 4:
                    triangles += int(count) // 3
                if "material" in prim:
                    prim["material"] += material_base
                for target in prim.get("targets", []):
                    for key in target:
                        target[key] += accessor_base
            mesh["name"] = f"{label}: {mesh.get('name', 'mesh')}"
            out["meshes"].append(mesh)
            self.mesh_triangles.append(triangles)

        for key in ("accessors", "images", "samplers", "textures", "materials", "meshes"):
            _extension_names(json.get(key, []), self.used)
        for name in json.get("extensionsUsed", []):
            if name == "KHR_mesh_quantization":
                self.used.add(name)
        self.required = set(json.get("extensionsRequired", []))

    def _copy_views(self, views: list[dict[str, Any]]) -> list[int]:
        out = self.writer.doc["bufferViews"]
        blob = self.writer.blob
        mapping = []
        for index, view in enumerate(views):
            buffer = view.get("buffer", 0)
            if not 0 <= buffer < len(self.doc.buffers):
                raise self.doc.fail(f"bufferView {index} points at a missing buffer")
            start = view.get("byteOffset", 0)
            data = self.doc.buffers[buffer][start : start + view["byteLength"]]
            while len(blob) % 4:
                blob.append(0)
            copied = {"buffer": 0, "byteOffset": len(blob), "byteLength": len(data)}
            for key in ("byteStride", "target"):
                if key in view:
                    copied[key] = view[key]
            blob.extend(data)
            out.append(copied)
            mapping.append(len(out) - 1)
        return mapping

    def copy_scene(self) -> tuple[list[int], int]:
        """Fresh copies of the asset's scene nodes: (root node indices, triangles shown)."""
        json = self.doc.json
        scenes = json.get("scenes", [])
        roots = scenes[json.get("scene", 0)].get("nodes", []) if scenes else []
        triangles = 0
        nodes = json.get("nodes", [])
        out = self.writer.doc["nodes"]

        def copy_node(index: int) -> int:
            nonlocal triangles
            node = {k: copy.deepcopy(v) for k, v in nodes[index].items()}
            for key in DROPPED_NODE_KEYS:
                node.pop(key, None)
            if "mesh" in node:
                triangles += self.mesh_triangles[node["mesh"]]
                node["mesh"] += self.mesh_base
            extensions = {
                k: v
                for k, v in node.pop("extensions", {}).items()
                if k not in DROPPED_NODE_EXTENSIONS
            }
            if extensions:
                node["extensions"] = extensions
                self.used.update(extensions)
            extras = node.get("extras")
            if isinstance(extras, dict) and VENUE_EXTRAS_KEY in extras:
                extras.pop(VENUE_EXTRAS_KEY)
                if not extras:
                    node.pop("extras")
            children = [copy_node(c) for c in node.pop("children", [])]
            if children:
                node["children"] = children
            out.append(node)
            return len(out) - 1

        return [copy_node(r) for r in roots], triangles


def embed_assets(writer: GlbWriter, placements: list[PlacedAsset]) -> tuple[int | None, int]:
    """Put every placement's model into ``writer``: (the "Placed assets" node, triangles)."""
    if not placements:
        return None, 0
    copied: dict[str, _CopiedAsset] = {}
    children = []
    triangles = 0
    for placed in placements:
        name = placed.asset.name
        try:
            if name not in copied:
                doc, _ = read_gltf_file(placed.asset.model)
                if len(doc.buffers) != 1:
                    raise InputFileError(f"{placed.asset.model}: expected one binary buffer")
                copied[name] = _CopiedAsset(writer, doc, name)
            roots, shown = copied[name].copy_scene()
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            raise InputFileError(
                f"{placed.asset.model}: not a model as `hubtwin assets import` writes it "
                f"({type(exc).__name__}: {exc}); import it again"
            ) from None
        triangles += shown
        children.append(
            writer.add_node(
                {
                    "name": f"Placed {placed.id}",
                    "translation": [round(v, 4) for v in (placed.x, placed.y, placed.z)],
                    "rotation": _quat_y(placed.yaw),
                    "children": roots,
                    "extras": {
                        PLACED_EXTRAS_KEY: {
                            "id": placed.id,
                            "asset": name,
                            "room": placed.room,
                        }
                    },
                }
            )
        )
    required = set(writer.doc.get("extensionsRequired", []))
    for asset in copied.values():
        for extension in sorted(asset.used):
            writer.use_extension(extension)
        required |= asset.required & asset.used
    if required:
        writer.doc["extensionsRequired"] = sorted(required)
    return writer.add_node({"name": "Placed assets", "children": children}), triangles
