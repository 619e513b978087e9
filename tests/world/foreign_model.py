"""A hub model made without our builder: raw pygltflib, following docs/world-format.md only.

Two rooms side by side (a workshop "werk" and a "cafe") under a parent node moved to
(100, 0, 50), split by a 10 cm thin wall with a door gap. The walkable floor is one plain
quad under both rooms, walls included, the way a quick Blender export would have it: the
loader must take the wall away itself, from the box colliders.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pygltflib

OFFSET = np.array([100.0, 0.0, 50.0])
# the wall between the rooms runs along Z at x = 6 (local), with a door from z = 2 to 3.2
WALL_X = 6.0
DOOR = (2.0, 3.2)


def _quad_floor(x0: float, x1: float, z0: float, z1: float) -> tuple[bytes, bytes]:
    positions = np.array([[x0, 0, z0], [x1, 0, z0], [x1, 0, z1], [x0, 0, z1]], dtype=np.float32)
    indices = np.array([0, 2, 1, 0, 3, 2], dtype=np.uint16)
    return positions.tobytes(), indices.tobytes()


def _yaw_quaternion(yaw: float) -> list[float]:
    return [0.0, math.sin(yaw / 2), 0.0, math.cos(yaw / 2)]


def foreign_gltf(*, visible_floor: bool = False) -> tuple[pygltflib.GLTF2, bytes]:
    pos_bytes, idx_bytes = _quad_floor(0.0, 10.0, 0.0, 5.0)
    blob = pos_bytes + idx_bytes
    venue: dict[str, Any] = {"hubtwin": {"type": "venue", "format": 1, "site": "elsewhere"}}
    nodes = [
        pygltflib.Node(
            name="Region hub",
            translation=OFFSET.tolist(),
            children=list(range(1, 11)),
            extras=venue,
        ),
        pygltflib.Node(
            name="Workshop volume",
            translation=[3.0, 1.5, 2.5],
            extras={
                "hubtwin": {
                    "type": "room",
                    "id": "werk",
                    "names": {"de": "Werkraum", "en": "Workroom"},
                    "kind": "workshop",
                    "capacity": 12,
                    "size": [6.0, 3.0, 5.0],
                    "moderated": True,
                }
            },
        ),
        pygltflib.Node(
            name="Cafe volume",
            translation=[8.0, 1.5, 2.5],
            extras={
                "hubtwin": {
                    "type": "room",
                    "id": "cafe",
                    "names": {"de": "Café", "en": "Café"},
                    "kind": "lounge",
                    "capacity": 8,
                    "size": [4.0, 3.0, 5.0],
                }
            },
        ),
        # spawn points: one names its room only through the OMI group, one only by where it is
        pygltflib.Node(
            name="spawn west",
            translation=[2.0, 0.0, 2.5],
            rotation=_yaw_quaternion(math.pi / 2),
            extensions={"OMI_spawn_point": {"title": "Werkraum", "group": "werk"}},
        ),
        pygltflib.Node(
            name="spawn east",
            translation=[8.5, 0.0, 1.5],
            rotation=_yaw_quaternion(-math.pi / 2),
            extensions={"OMI_spawn_point": {}},
        ),
        pygltflib.Node(
            name="Cafe screen",
            translation=[9.9, 1.6, 2.5],
            rotation=_yaw_quaternion(-math.pi / 2),
            extras={
                "hubtwin": {
                    "type": "anchor",
                    "kind": "screen",
                    "id": "cafe-screen",
                    "size": [1.6, 0.9],
                    "title": {"de": "Bildschirm", "en": "Screen"},
                }
            },
        ),
        pygltflib.Node(
            name="Station",
            translation=[1.0, 0.0, 0.8],
            extras={
                "hubtwin": {"type": "anchor", "kind": "station", "id": "werk-1", "room": "werk"}
            },
        ),
        pygltflib.Node(
            name="Door",
            translation=[WALL_X, 0.0, sum(DOOR) / 2],
            extras={
                "hubtwin": {
                    "type": "door",
                    "id": "werk-cafe",
                    "rooms": ["werk", "cafe"],
                    "width": 1.2,
                }
            },
        ),
        pygltflib.Node(
            name="Wall north part",
            translation=[WALL_X, 1.5, DOOR[0] / 2],
            extensions={"OMI_physics_body": {"collider": {"shape": 0}}},
        ),
        pygltflib.Node(
            name="Wall south part",
            translation=[WALL_X, 1.5, (DOOR[1] + 5.0) / 2],
            extensions={"OMI_physics_body": {"collider": {"shape": 1}}},
        ),
        pygltflib.Node(
            name="navmesh",
            mesh=0,
            extensions={} if visible_floor else {"KHR_node_visibility": {"visible": False}},
            extras={"hubtwin": {"type": "walkable"}},
        ),
    ]
    return pygltflib.GLTF2(
        asset=pygltflib.Asset(version="2.0", generator="a regional team's exporter"),
        scene=0,
        scenes=[pygltflib.Scene(nodes=[0])],
        nodes=nodes,
        meshes=[
            pygltflib.Mesh(
                primitives=[
                    pygltflib.Primitive(attributes=pygltflib.Attributes(POSITION=0), indices=1)
                ]
            )
        ],
        accessors=[
            pygltflib.Accessor(
                bufferView=0,
                componentType=pygltflib.FLOAT,
                count=4,
                type="VEC3",
                min=[0.0, 0.0, 0.0],
                max=[10.0, 0.0, 5.0],
            ),
            pygltflib.Accessor(
                bufferView=1, componentType=pygltflib.UNSIGNED_SHORT, count=6, type="SCALAR"
            ),
        ],
        bufferViews=[
            pygltflib.BufferView(
                buffer=0, byteOffset=0, byteLength=len(pos_bytes), target=pygltflib.ARRAY_BUFFER
            ),
            pygltflib.BufferView(
                buffer=0,
                byteOffset=len(pos_bytes),
                byteLength=len(idx_bytes),
                target=pygltflib.ELEMENT_ARRAY_BUFFER,
            ),
        ],
        buffers=[pygltflib.Buffer(byteLength=len(blob))],
        extensions={
            "OMI_physics_shape": {
                "shapes": [
                    {"type": "box", "box": {"size": [0.1, 3.0, DOOR[0]]}},
                    {"type": "box", "box": {"size": [0.1, 3.0, 5.0 - DOOR[1]]}},
                ]
            }
        },
        extensionsUsed=[
            "OMI_spawn_point",
            "OMI_physics_body",
            "OMI_physics_shape",
            "KHR_node_visibility",
        ],
    ), blob


def write_glb(path: Path, **options: bool) -> Path:
    gltf, blob = foreign_gltf(**options)
    gltf.set_binary_blob(blob)
    gltf.save_binary(str(path))
    return path


def write_gltf_with_bin(folder: Path) -> Path:
    """The same model as .gltf JSON with its buffer in a separate .bin file."""
    gltf, blob = foreign_gltf()
    (folder / "region.bin").write_bytes(blob)
    gltf.buffers[0].uri = "region.bin"
    path = folder / "region.gltf"
    gltf.save_json(str(path))
    return path


def glb_header(length: int) -> bytes:
    return struct.pack("<4sII", b"glTF", 2, length)
