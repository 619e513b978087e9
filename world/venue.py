"""Reading the venue layer of a glTF model: rooms, spawns, anchors, doors, floor, colliders.

Works on any model that follows docs/world-format.md, whoever made it. Problems are
collected, not raised one by one, so ``hubtwin world validate`` can list them all;
``raise_if_unusable`` turns the serious ones into one ``ModelFileError`` for the loader.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from world import conventions as cv
from world.floor import WalkableFloor
from world.gltf_reader import GltfDocument, ModelFileError
from world.places import Anchor, Door, Room, SpawnPoint

TRIANGLES, TRIANGLE_STRIP, TRIANGLE_FAN = 4, 5, 6


@dataclass
class VenueReading:
    """What a model says about its venue, and what is wrong with it."""

    source: str
    rooms: list[Room] = field(default_factory=list)
    spawns: list[SpawnPoint] = field(default_factory=list)
    anchors: list[Anchor] = field(default_factory=list)
    doors: list[Door] = field(default_factory=list)
    walkable: list[npt.NDArray[np.float64]] = field(default_factory=list)  # (M, 3, 3) each
    colliders: list[
        tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]
    ] = field(default_factory=list)  # (centre, half sizes, rotation)
    meta: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # the loader refuses the model
    warnings: list[str] = field(default_factory=list)  # the loader copes; validate reports

    def raise_if_unusable(self) -> None:
        if self.errors:
            more = (
                f" (and {len(self.errors) - 1} more problems; see `hubtwin world validate`)"
                if len(self.errors) > 1
                else ""
            )
            raise ModelFileError(f"{self.source}: {self.errors[0]}{more}")

    def walkable_floor(self) -> WalkableFloor:
        triangles = np.concatenate(self.walkable)
        if not np.isfinite(triangles).all():
            raise ModelFileError(
                f"{self.source}: the walkable floor has coordinates that are not finite"
            )
        try:
            floor = WalkableFloor.from_triangles(triangles)
        except ValueError as exc:
            raise ModelFileError(f"{self.source}: {exc}") from None
        if self.colliders:
            centres, halves, rotations = (
                np.stack(parts) for parts in zip(*self.colliders, strict=True)
            )
            floor.subtract_boxes(centres, halves, rotations)
        return floor


def _yaw(matrix: npt.NDArray[np.float64]) -> float:
    forward = matrix[:3, :3] @ np.array([0.0, 0.0, 1.0])
    if math.hypot(forward[0], forward[2]) < 1e-9:
        return 0.0
    return float(math.atan2(forward[0], forward[2]))


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _label(node: dict[str, Any], index: int) -> str:
    name = node.get("name")
    return f"node {index} ({name})" if isinstance(name, str) and name else f"node {index}"


MALFORMED = (TypeError, ValueError, AttributeError, KeyError, IndexError)


def read_venue(doc: GltfDocument) -> VenueReading:
    """Collect the venue layer of ``doc`` (default scene only).

    Whatever the file holds, this returns or raises ``ModelFileError``: a value of a kind
    the checks below did not foresee still ends as one line naming the file.
    """
    try:
        return _read_venue(doc)
    except MALFORMED as exc:
        raise ModelFileError(
            f"{doc.source}: malformed glTF ({type(exc).__name__}: {exc})"
        ) from None


def _read_venue(doc: GltfDocument) -> VenueReading:
    out = VenueReading(doc.source)
    nodes = doc.entries("nodes")
    placed = doc.scene_nodes()
    room_nodes, spawn_nodes, anchor_nodes, door_nodes = [], [], [], []
    for index, matrix in placed:
        node = nodes[index]
        where = _label(node, index)
        extensions = node.get("extensions") if isinstance(node.get("extensions"), dict) else {}
        extras = node.get("extras")
        meta = extras.get(cv.EXTRAS_KEY) if isinstance(extras, dict) else None
        if meta is not None and not isinstance(meta, dict):
            out.errors.append(f"{where}: extras.{cv.EXTRAS_KEY} must be an object")
            meta = None
        kind = meta.get("type") if meta else None
        if meta is not None and kind not in cv.NODE_TYPES:
            allowed = ", ".join(cv.NODE_TYPES)
            out.errors.append(
                f"{where}: extras.{cv.EXTRAS_KEY}.type {kind!r} is not one of {allowed}"
            )
        if kind == cv.TYPE_VENUE and meta:
            out.meta = {k: v for k, v in meta.items() if k != "type"}
        elif kind == cv.TYPE_ROOM and meta:
            room_nodes.append((where, matrix, meta))
        elif kind == cv.TYPE_ANCHOR and meta:
            anchor_nodes.append((where, matrix, meta))
        elif kind == cv.TYPE_DOOR and meta:
            door_nodes.append((where, matrix, meta))
        if kind == cv.TYPE_SPAWN or cv.SPAWN_POINT_EXT in extensions:
            spawn_nodes.append(
                (where, matrix, meta or {}, extensions.get(cv.SPAWN_POINT_EXT) or {})
            )
        hubs = extensions.get("MOZ_hubs_components")
        if kind == cv.TYPE_WALKABLE or (isinstance(hubs, dict) and "nav-mesh" in hubs):
            _read_walkable(doc, out, node, where, matrix)
            visibility = extensions.get(cv.NODE_VISIBILITY_EXT)
            if not (isinstance(visibility, dict) and visibility.get("visible") is False):
                out.warnings.append(
                    f"{where}: hide the walkable floor ({cv.NODE_VISIBILITY_EXT} visible: false)"
                )
        body = extensions.get(cv.PHYSICS_BODY_EXT)
        if isinstance(body, dict) and isinstance(body.get("collider"), dict):
            _read_collider(doc, out, body["collider"], where, matrix)

    for where, matrix, meta in room_nodes:
        _read_room(out, where, matrix, meta)
    if not out.rooms:
        out.errors.append(
            f'no rooms: the model needs nodes with extras.{cv.EXTRAS_KEY}.type = "room"'
        )
    ids = [r.id for r in out.rooms]
    for duplicate in sorted({i for i in ids if ids.count(i) > 1}):
        out.errors.append(f"two rooms have the id {duplicate!r}")
    boxes = (
        (np.stack([r.bounds_min for r in out.rooms]), np.stack([r.bounds_max for r in out.rooms]))
        if out.rooms
        else None
    )
    known = set(ids)

    def room_of(point: npt.NDArray[np.float64]) -> str | None:
        if boxes is None:
            return None
        inside = np.all((point >= boxes[0]) & (point <= boxes[1]), axis=1)
        return out.rooms[int(np.argmax(inside))].id if inside.any() else None

    for where, matrix, meta in door_nodes:
        _read_door(out, where, matrix, meta, known)
    _link_rooms(out, known)
    for where, matrix, meta, omi in spawn_nodes:
        _read_spawn(out, where, matrix, meta, omi, known, room_of)
    if not out.spawns:
        out.errors.append(
            f"no spawn points: the model needs nodes with the {cv.SPAWN_POINT_EXT} extension"
        )
    for room in out.rooms:
        if out.spawns and not any(s.room_id == room.id for s in out.spawns):
            out.warnings.append(f"room {room.id} has no spawn point")
    for where, matrix, meta in anchor_nodes:
        _read_anchor(out, where, matrix, meta, known, room_of)
    anchor_ids = [a.id for a in out.anchors]
    for duplicate in sorted({i for i in anchor_ids if anchor_ids.count(i) > 1}):
        out.errors.append(f"two anchors have the id {duplicate!r}")
    if not out.walkable:
        out.errors.append(
            f"no walkable floor: the model needs a mesh node with "
            f'extras.{cv.EXTRAS_KEY}.type = "walkable"'
        )
    return out


def _read_room(
    out: VenueReading, where: str, matrix: npt.NDArray[np.float64], meta: dict[str, Any]
) -> None:
    room_id = meta.get("id")
    if not isinstance(room_id, str) or not room_id:
        out.errors.append(f"{where}: a room needs an id (text)")
        return
    where = f"room {room_id}"
    size = meta.get("size")
    if not isinstance(size, list) or len(size) != 3 or not all(_number(v) and v > 0 for v in size):
        out.errors.append(f"{where}: size must be three positive numbers [x, y, z] in metres")
        return
    names = meta.get("names")
    if (
        not isinstance(names, dict)
        or not names
        or not all(isinstance(v, str) and v for v in names.values())
    ):
        out.errors.append(
            f'{where}: names must be an object of texts per language, e.g. {{"de": …, "en": …}}'
        )
        return
    for lang in ("de", "en"):
        if lang not in names:
            out.warnings.append(f"{where}: no {lang!r} name")
    capacity = meta.get("capacity")
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
        out.errors.append(f"{where}: capacity must be a whole number of at least 1")
        return
    kind = meta.get("kind", "room")
    if not isinstance(kind, str) or not kind:
        out.errors.append(f"{where}: kind must be a text")
        return
    links = meta.get("links", [])
    if not isinstance(links, list) or not all(isinstance(v, str) for v in links):
        out.errors.append(f"{where}: links must be a list of room ids")
        return
    for flag in ("moderated", "outdoor"):
        if not isinstance(meta.get(flag, False), bool):
            out.errors.append(f"{where}: {flag} must be true or false")
            return
    rotation = matrix[:3, :3] / np.linalg.norm(matrix[:3, :3], axis=0)
    if not np.allclose(rotation, np.eye(3), atol=1e-4):
        out.warnings.append(
            f"{where}: room volumes are axis-aligned; the node's rotation is ignored"
        )
    centre = matrix[:3, 3]
    half = np.asarray(size, dtype=np.float64) / 2
    floor = meta.get("floor")
    out.rooms.append(
        Room(
            id=room_id,
            names={str(k): v for k, v in names.items()},
            kind=kind,
            capacity=capacity,
            bounds_min=centre - half,
            bounds_max=centre + half,
            links=tuple(links),
            moderated=bool(meta.get("moderated", False)),
            outdoor=bool(meta.get("outdoor", False)),
            floor=floor if isinstance(floor, str) else None,
        )
    )


def _read_door(
    out: VenueReading,
    where: str,
    matrix: npt.NDArray[np.float64],
    meta: dict[str, Any],
    known: set[str],
) -> None:
    rooms = meta.get("rooms")
    if not isinstance(rooms, list) or len(rooms) != 2 or not all(isinstance(r, str) for r in rooms):
        out.errors.append(f"{where}: a door needs rooms: [two room ids]")
        return
    unknown = [r for r in rooms if r not in known]
    if unknown:
        out.errors.append(f"{where}: door between unknown room(s) {', '.join(unknown)}")
        return
    width = meta.get("width", 1.0)
    if not _number(width) or width <= 0:
        out.errors.append(f"{where}: door width must be a positive number")
        return
    door_id = meta.get("id", f"{rooms[0]}-{rooms[1]}")
    out.doors.append(Door(str(door_id), rooms[0], rooms[1], matrix[:3, 3].copy(), float(width)))


def _link_rooms(out: VenueReading, known: set[str]) -> None:
    """A room's links: those it lists, plus every room a door leads to."""
    extra: dict[str, list[str]] = {r.id: [] for r in out.rooms}
    for door in out.doors:
        extra[door.room_a].append(door.room_b)
        extra[door.room_b].append(door.room_a)
    for room in out.rooms:
        listed = [link for link in room.links if link in known and link != room.id]
        for link in room.links:
            if link not in known:
                out.warnings.append(f"room {room.id}: links to unknown room {link!r}")
        merged: list[str] = []
        for link in listed + extra.get(room.id, []):
            if link not in merged:
                merged.append(link)
        room.links = tuple(merged)


def _read_spawn(
    out: VenueReading,
    where: str,
    matrix: npt.NDArray[np.float64],
    meta: dict[str, Any],
    omi: dict[str, Any],
    known: set[str],
    room_of: Any,
) -> None:
    position = matrix[:3, 3].copy()
    room_id = meta.get("room")
    if room_id is not None and (not isinstance(room_id, str) or room_id not in known):
        out.warnings.append(f"{where}: spawn point names unknown room {room_id!r}")
        room_id = None
    group = omi.get("group") if isinstance(omi, dict) else None
    if room_id is None and isinstance(group, str) and group in known:
        room_id = group
    if room_id is None:
        room_id = room_of(position)
    if room_id is None:
        out.warnings.append(f"{where}: spawn point lies in no room; it is ignored")
        return
    spawn_id = meta.get("id")
    if not isinstance(spawn_id, str) or not spawn_id:
        spawn_id = f"{room_id}-{sum(1 for s in out.spawns if s.room_id == room_id) + 1}"
    out.spawns.append(SpawnPoint(spawn_id, str(room_id), position, _yaw(matrix)))


def _read_anchor(
    out: VenueReading,
    where: str,
    matrix: npt.NDArray[np.float64],
    meta: dict[str, Any],
    known: set[str],
    room_of: Any,
) -> None:
    anchor_id, kind = meta.get("id"), meta.get("kind")
    if not isinstance(anchor_id, str) or not anchor_id:
        out.errors.append(f"{where}: an anchor needs an id (text)")
        return
    where = f"anchor {anchor_id}"
    if kind not in cv.ANCHOR_KINDS:
        out.errors.append(f"{where}: kind {kind!r} is not one of {', '.join(cv.ANCHOR_KINDS)}")
        return
    size = meta.get("size")
    parsed_size: tuple[float, float] | None = None
    if size is not None:
        if (
            not isinstance(size, list)
            or len(size) != 2
            or not all(_number(v) and v > 0 for v in size)
        ):
            out.errors.append(f"{where}: size must be [width, height] in metres")
            return
        parsed_size = (float(size[0]), float(size[1]))
    elif kind in cv.SIZED_ANCHOR_KINDS:
        out.errors.append(f"{where}: a {kind} needs size: [width, height]")
        return
    position = matrix[:3, 3].copy()
    room_id = meta.get("room")
    if room_id is not None and (not isinstance(room_id, str) or room_id not in known):
        out.errors.append(f"{where}: unknown room {room_id!r}")
        return
    if room_id is None:
        room_id = room_of(position)
        if room_id is None:
            out.errors.append(f"{where}: lies in no room and names none")
            return
    extras = {k: v for k, v in meta.items() if k not in ("type", "kind", "id", "room", "size")}
    out.anchors.append(
        Anchor(anchor_id, kind, str(room_id), position, _yaw(matrix), parsed_size, extras)
    )


def _read_walkable(
    doc: GltfDocument,
    out: VenueReading,
    node: dict[str, Any],
    where: str,
    matrix: npt.NDArray[np.float64],
) -> None:
    if "mesh" not in node:
        out.errors.append(f"{where}: the walkable floor node has no mesh")
        return
    try:
        mesh = doc.entry("meshes", node["mesh"])
    except ModelFileError as exc:
        out.errors.append(f"{where}: {str(exc).removeprefix(f'{doc.source}: ')}")
        return
    primitives = mesh.get("primitives")
    if not isinstance(primitives, list):
        out.errors.append(f"{where}: the walkable floor's mesh has no primitives")
        return
    for p, prim in enumerate(primitives):
        attributes = prim.get("attributes") if isinstance(prim, dict) else None
        if not isinstance(attributes, dict) or "POSITION" not in attributes:
            out.errors.append(f"{where}: walkable primitive {p} has no POSITION")
            continue
        mode = prim.get("mode", TRIANGLES)
        position = attributes["POSITION"]
        try:
            vertices = doc.accessor(position).astype(np.float64)
            if vertices.shape[1] != 3:
                out.errors.append(f"{where}: walkable primitive {p}: POSITION must be VEC3")
                continue
            indices = (
                doc.accessor(prim["indices"]).ravel().astype(np.int64)
                if "indices" in prim
                else np.arange(len(vertices))
            )
        except ModelFileError as exc:
            out.errors.append(str(exc).removeprefix(f"{doc.source}: "))
            continue
        if len(indices) and (indices.max() >= len(vertices) or indices.min() < 0):
            out.errors.append(f"{where}: walkable primitive {p} has indices past its vertices")
            continue
        if mode == TRIANGLES:
            tris = indices[: len(indices) // 3 * 3].reshape(-1, 3)
        elif mode == TRIANGLE_STRIP and len(indices) >= 3:
            tris = np.stack([indices[:-2], indices[1:-1], indices[2:]], axis=1)
        elif mode == TRIANGLE_FAN and len(indices) >= 3:
            tris = np.stack(
                [np.full(len(indices) - 2, indices[0]), indices[1:-1], indices[2:]], axis=1
            )
        else:
            out.warnings.append(
                f"{where}: walkable primitive {p} is not made of triangles; ignored"
            )
            continue
        world = vertices @ matrix[:3, :3].T + matrix[:3, 3]
        out.walkable.append(world[tris])


def _read_collider(
    doc: GltfDocument,
    out: VenueReading,
    collider: dict[str, Any],
    where: str,
    matrix: npt.NDArray[np.float64],
) -> None:
    shape_index = collider.get("shape", -1)
    if shape_index == -1:
        return
    root = doc.json.get("extensions")
    ext = root.get(cv.PHYSICS_SHAPE_EXT) if isinstance(root, dict) else None
    shapes = ext.get("shapes") if isinstance(ext, dict) else None
    if not isinstance(shapes, list):
        shapes = []
    if (
        isinstance(shape_index, bool)
        or not isinstance(shape_index, int)
        or not 0 <= shape_index < len(shapes)
    ):
        out.errors.append(
            f"{where}: collider shape {shape_index} is not in {cv.PHYSICS_SHAPE_EXT}.shapes"
        )
        return
    shape = shapes[shape_index]
    if not isinstance(shape, dict) or shape.get("type") != "box":
        return  # only boxes shape the walkable floor; other shapes are for physics engines
    box = shape.get("box")
    size = box.get("size", [1.0, 1.0, 1.0]) if isinstance(box, dict) else None
    if not isinstance(size, list) or len(size) != 3 or not all(_number(v) and v >= 0 for v in size):
        out.errors.append(f"{where}: box collider size must be three numbers")
        return
    scale = np.linalg.norm(matrix[:3, :3], axis=0)
    rotation = matrix[:3, :3] / np.where(scale > 0, scale, 1.0)
    out.colliders.append(
        (matrix[:3, 3].copy(), np.asarray(size, dtype=np.float64) / 2 * scale, rotation)
    )
