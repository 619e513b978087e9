"""The venue layer written into the model: rooms, spawn points, anchors, doors, colliders.

These are the nodes docs/world-format.md describes; ``world/venue.py`` reads them back.
"""

from __future__ import annotations

import math
from typing import Any

from world import conventions as cv
from world.anchor_pieces import anchor_placement, screen_meshes
from world.building import BuildingPlan
from world.floor_plan import SpawnSpot
from world.gltf_writer import GlbWriter
from world.model_materials import ModelMaterials, primitive
from world.pieces import Pieces


def _quat_y(yaw: float) -> list[float]:
    return [0.0, round(math.sin(yaw / 2), 7), 0.0, round(math.cos(yaw / 2), 7)]


def _v(values: Any) -> list[float]:
    return [round(float(v), 4) for v in values]


def _links(plan: BuildingPlan) -> dict[str, list[str]]:
    """Rooms one may walk between: through a door, or up and down stairs and ramps."""
    links: dict[str, list[str]] = {r.id: [] for r in plan.rooms}
    for a, b in [door.rooms for door in plan.doors] + [s.rooms for s in plan.stairs]:
        if b not in links[a]:
            links[a].append(b)
        if a not in links[b]:
            links[b].append(a)
    return links


def rooms_node(writer: GlbWriter, plan: BuildingPlan) -> int:
    links = _links(plan)
    children = []
    for room in plan.rooms:
        cx, cz = room.centre
        size = (room.x1 - room.x0, room.height, room.z1 - room.z0)
        children.append(
            writer.add_node(
                {
                    "name": f"Room {room.id}",
                    "translation": _v((cx, room.elevation + room.height / 2, cz)),
                    "extras": {
                        cv.EXTRAS_KEY: {
                            "type": cv.TYPE_ROOM,
                            "id": room.id,
                            "names": room.names,
                            "kind": room.kind,
                            "capacity": room.capacity,
                            "size": _v(size),
                            "moderated": room.moderated,
                            "outdoor": room.outdoor,
                            "floor": room.floor,
                            "links": links[room.id],
                        }
                    },
                }
            )
        )
    return writer.add_node({"name": "Rooms", "children": children})


def spawns_node(writer: GlbWriter, plan: BuildingPlan, spawns: list[SpawnSpot]) -> int:
    """The spawn points, the entrance's first (a client starts at the first one)."""
    children = []
    for spot in sorted(spawns, key=lambda s: s.room != plan.entrance):
        title = plan.room(spot.room).names
        children.append(
            writer.add_node(
                {
                    "name": f"Spawn {spot.id}",
                    "translation": _v((spot.x, spot.y, spot.z)),
                    "rotation": _quat_y(spot.yaw),
                    "extensions": {
                        cv.SPAWN_POINT_EXT: {
                            "title": next(iter(title.values())),
                            "group": spot.room,
                        }
                    },
                    "extras": {
                        cv.EXTRAS_KEY: {"type": cv.TYPE_SPAWN, "id": spot.id, "room": spot.room}
                    },
                }
            )
        )
    return writer.add_node({"name": "Spawn points", "children": children})


def anchors_node(
    writer: GlbWriter, materials: ModelMaterials, plan: BuildingPlan, screens: list[Any]
) -> tuple[int, int]:
    children = []
    triangles = 0
    for anchor in plan.anchors:
        at = anchor_placement(plan, anchor)
        meta: dict[str, Any] = {
            "type": cv.TYPE_ANCHOR,
            "kind": anchor.kind,
            "id": anchor.id,
            "room": anchor.room,
        }
        if anchor.size is not None:
            meta["size"] = _v(anchor.size)
        meta.update(anchor.extras)
        node: dict[str, Any] = {
            "name": f"{anchor.kind.capitalize()} {anchor.id}",
            "translation": _v((at.x, at.y, at.z)),
            "rotation": _quat_y(at.yaw),
            "extras": {cv.EXTRAS_KEY: meta},
        }
        if anchor in screens and anchor.size is not None:
            prims = [
                primitive(materials, material, [mesh])
                for material, mesh in screen_meshes(*anchor.size)
            ]
            triangles += sum(len(p.indices) for p in prims)
            node["mesh"] = writer.add_mesh(f"Screen {anchor.id}", prims)
        children.append(writer.add_node(node))
    return writer.add_node({"name": "Anchors", "children": children}), triangles


def doors_node(writer: GlbWriter, plan: BuildingPlan) -> int:
    children = []
    for door in plan.doors:
        # one walks through a door between floors at the upper one (the top of the stairs)
        level = max(plan.room(room_id).elevation for room_id in door.rooms)
        children.append(
            writer.add_node(
                {
                    "name": f"Door {door.id}",
                    "translation": _v((door.x, level, door.z)),
                    "rotation": _quat_y(0.0 if door.axis == "x" else math.pi / 2),
                    "extras": {
                        cv.EXTRAS_KEY: {
                            "type": cv.TYPE_DOOR,
                            "id": door.id,
                            "rooms": list(door.rooms),
                            "width": door.width,
                            "height": door.height,
                        }
                    },
                }
            )
        )
    return writer.add_node({"name": "Doors", "children": children})


def colliders_node(writer: GlbWriter, pieces: Pieces) -> int:
    shapes: list[dict[str, Any]] = []
    shape_index: dict[tuple[float, ...], int] = {}
    children = []
    for number, collider in enumerate(pieces.colliders):
        size = tuple(round(v, 4) for v in collider.size)
        if size not in shape_index:
            shape_index[size] = len(shapes)
            shapes.append({"type": "box", "box": {"size": list(size)}})
        node: dict[str, Any] = {
            "name": f"Collider {number} {collider.name}",
            "translation": _v(collider.centre),
            "extensions": {cv.PHYSICS_BODY_EXT: {"collider": {"shape": shape_index[size]}}},
        }
        if collider.yaw:
            node["rotation"] = _quat_y(collider.yaw)
        children.append(writer.add_node(node))
    writer.set_root_extension(cv.PHYSICS_SHAPE_EXT, {"shapes": shapes})
    return writer.add_node({"name": "Colliders", "children": children})


# --- building a site, incrementally ------------------------------------------------------
