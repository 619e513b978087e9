"""The edit operations on a site's draft layout: place, add, move, remove, list.

This is the one implementation behind ``hubtwin world place | add | move | remove | list``
and the (staff-only) edit endpoint of the server: a ``LayoutEditor`` reads the site's
``building.toml`` and ``layout.toml``, applies one edit to a copy, checks the result the way
the builder will build it (tools/placement_checks.py), and writes ``layout.toml`` in one
rename, or refuses with a ``HubError`` and writes nothing. Edits hold a lock on the site
folder while they read and write, so two editors cannot lose each other's changes.

Positions are as in building.toml: ``at`` = (x, z) in metres from the room's north-west
corner, ``elevation`` above the room's floor (None: stand it on whatever floor is there,
e.g. a stage), ``facing`` in degrees (0 = south, 90 = east, 180 = north, 270 = west).

A screen or board hangs on a wall: one given within ``SNAP_TO_WALL_M`` of a wall of its room
(but not on it, or turned away from it) is hung on that wall, facing into the room, with a
warning saying so; further away the checks refuse it. A sign (lettering on a wall, what
``building.toml`` writes as a ``wall_sign``) hangs the same way. ``move(..., to_wall=True)``
puts anything with its back to the nearest wall.
"""

from __future__ import annotations

import contextlib
import copy
import fcntl
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from server.api import toml_document
from tools.placement_checks import DraftScene, _corners
from tools.refusals import PlacementRefused
from world.anchor_walls import FLOAT_LIMIT, WallSpot, wall_spots
from world.building import BuildingPlan, RoomPlan, load_building
from world.conventions import ANCHOR_KINDS
from world.errors import InputFileError, UsageError
from world.layout_file import (
    LAYOUT_HEADER,
    AnchorEntry,
    FurnitureEntry,
    Layout,
    PlacementEntry,
    SignEntry,
    SpawnEntry,
    layout_path,
    read_layout,
)
from world.library import get_asset
from world.site import Site
from world.staff_layout import StaffLayout, staff_layout
from world.walls import wall_runs

ITEM_KINDS = ("asset", "furniture", *ANCHOR_KINDS, "spawn", "sign")
ADDABLE_KINDS = ("station", "screen", "board", "spawn", "sign")
MOUNTED_BOTTOM = 1.0  # where a new screen's or board's lower edge goes unless told
MAX_MOUNTED_SIZE = 12.0
MOUNTED = ("screen", "board", "sign")
MAX_SIGN_WIDTH = 8.0
SNAP_TO_WALL_M = 1.0  # a screen or board this close to a wall is hung on it
WALL_GAP = 0.02  # what stands with its back to a wall keeps this from it
MOUNT_GAP = 0.01  # a screen's frame (6 cm deep) hangs this in front of the wall's face


@dataclass(frozen=True)
class LayoutItem:
    """One thing standing in the draft, as ``list`` and ``diff`` show it."""

    id: str
    kind: str  # asset, furniture, station, screen, board, booth, stage, spawn, sign
    room: str
    at: tuple[float, float]  # metres from the room's north-west corner
    elevation: float  # above the room's floor
    facing: float  # degrees, 0 = south
    source: str  # "building" (building.toml) or "layout" (added by staff)
    state: str  # "", "added" or "moved"
    name: str  # the asset, the furniture type, or the title
    size: tuple[float, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "room": self.room,
            "at": [round(v, 3) for v in self.at],
            "elevation": round(self.elevation, 3),
            "facing": round(self.facing, 1),
            "source": self.source,
            "state": self.state,
            "name": self.name,
            "size": list(self.size) if self.size is not None else None,
        }


@dataclass
class EditResult:
    action: str  # placed, added, moved, removed
    item: LayoutItem | None  # after the edit (None once removed)
    before: LayoutItem | None  # before it (None when new)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "item": self.item.to_json() if self.item else None,
            "before": self.before.to_json() if self.before else None,
            "warnings": self.warnings,
        }


def _degrees(yaw: float) -> float:
    return round(math.degrees(yaw) % 360.0, 3) % 360.0


def _title_text(value: Any, language: str) -> str:
    if isinstance(value, dict):
        return str(value.get(language) or next(iter(value.values()), ""))
    return str(value or "")


def items_of(staff: StaffLayout, language: str = "de") -> list[LayoutItem]:
    """Everything standing in a draft, room by room as the building lists them."""
    plan = staff.plan
    layout = staff.layout
    out: list[LayoutItem] = []

    def relative(room_id: str | None, x: float, z: float) -> tuple[str, tuple[float, float]]:
        if room_id is None:
            return "outside", (round(x, 3), round(z, 3))
        room = plan.room(room_id)
        return room_id, (round(x - room.x0, 3), round(z - room.z0, 3))

    moved_anchors = {a.id for a in layout.anchors}
    for anchor in plan.anchors:
        room_id, at = relative(anchor.room, anchor.x, anchor.z)
        added = anchor.id not in staff.base_anchor_ids
        out.append(
            LayoutItem(
                anchor.id,
                anchor.kind,
                room_id,
                at,
                anchor.elevation,
                _degrees(anchor.yaw),
                "layout" if added else "building",
                "added" if added else ("moved" if anchor.id in moved_anchors else ""),
                _title_text(anchor.extras.get("title"), language),
                anchor.size,
            )
        )
    for piece in staff.furniture:
        room_id, at = relative(piece.item.room, piece.x, piece.z)
        base = plan.room(piece.item.room).elevation if piece.item.room else 0.0
        out.append(
            LayoutItem(
                piece.id,
                "furniture",
                room_id,
                at,
                round(piece.item.elevation - base, 3),
                _degrees(piece.item.yaw),
                "building",
                "moved" if piece.moved else "",
                piece.item.type,
            )
        )
    for placed in staff.placements:
        room_id, at = relative(placed.room, placed.x, placed.z)
        out.append(
            LayoutItem(
                placed.id,
                "asset",
                room_id,
                at,
                placed.elevation,
                _degrees(placed.yaw),
                "layout",
                "added",
                placed.asset.name,
                placed.asset.size,
            )
        )
    for spawn in staff.spawns:
        room_id, at = relative(spawn.room, spawn.x, spawn.z)
        out.append(
            LayoutItem(
                spawn.id, "spawn", room_id, at, 0.0, _degrees(spawn.yaw), "layout", "added", ""
            )
        )
    for sign in staff.signs:
        room_id, at = relative(sign.room, sign.x, sign.z)
        out.append(
            LayoutItem(
                sign.id,
                "sign",
                room_id,
                at,
                sign.bottom,
                _degrees(sign.yaw),
                "layout",
                "added",
                _title_text(sign.title, language),
                (sign.width, sign.height),
            )
        )
    return out


def wall_faces(plan: BuildingPlan) -> list[dict[str, Any]]:
    """The inner face of every wall, per room it bounds (railings left out): what the
    browser's edit mode snaps things to while dragging. ``from`` and ``to`` are the face's
    ends in metres from the room's north-west corner, ``facing`` points into the room
    (degrees, 0 = south); openings are part of the face (the checks refuse a door blocked)."""
    faces = []
    for run in wall_runs(plan):
        if run.kind == "railing":
            continue
        for room, into in ((run.pos, 1.0), (run.neg, -1.0)):
            if room is None:
                continue
            face = run.fixed + into * run.thickness / 2
            if run.axis == "x":  # along x at z = fixed: a north (into +z) or south wall
                ends = [(run.start, face), (run.end, face)]
                facing, side = (0.0, "north") if into > 0 else (180.0, "south")
            else:
                ends = [(face, run.start), (face, run.end)]
                facing, side = (90.0, "west") if into > 0 else (270.0, "east")
            faces.append(
                {
                    "room": room.id,
                    "side": side,
                    "facing": facing,
                    "from": [round(ends[0][0] - room.x0, 3), round(ends[0][1] - room.z0, 3)],
                    "to": [round(ends[1][0] - room.x0, 3), round(ends[1][1] - room.z0, 3)],
                }
            )
    return faces


def _check_id(value: str) -> str:
    if (
        not value
        or len(value) > 64
        or not value.isascii()
        or not value.replace("-", "").replace("_", "").isalnum()
    ):
        raise UsageError(f"id {value!r}: use letters, digits, - and _ (at most 64)")
    return value


def save_layout(layout: Layout) -> None:
    """Write ``layout`` to its file in one rename (an empty layout removes the file)."""
    path = layout.path
    if layout.is_empty():
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return
    text = toml_document(layout.to_data(), header=LAYOUT_HEADER)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise InputFileError(f"{path}: cannot write the layout: {exc.strerror or exc}") from None


@contextlib.contextmanager
def site_lock(site: Site) -> Iterator[None]:
    """Hold the site folder's edit lock (one editor at a time: CLI, server, publish)."""
    fd = os.open(site.path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


class LayoutEditor:
    """Checked edits on the draft layout of one site."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.plan: BuildingPlan = load_building(site.building_file, site.languages)
        self._load()

    def _load(self) -> None:
        self.layout = read_layout(layout_path(self.site.path))
        self.staff = staff_layout(self.site, self.plan, self.layout)

    # --- reading -----------------------------------------------------------------------------

    def items(self, room: str | None = None, kind: str | None = None) -> list[LayoutItem]:
        if room is not None:
            self._room(room)
        if kind is not None and kind not in ITEM_KINDS:
            raise UsageError(f"kind must be one of {', '.join(ITEM_KINDS)}")
        return [
            i
            for i in items_of(self.staff, self.site.default_language)
            if (room is None or i.room == room) and (kind is None or i.kind == kind)
        ]

    def item(self, item_id: str, kind: str | None = None) -> LayoutItem:
        found = [i for i in self.items() if i.id == item_id and (kind is None or i.kind == kind)]
        if not found:
            raise UsageError(f"nothing with the id {item_id!r} in the draft (`hubtwin world list`)")
        if len(found) > 1:
            kinds = " and ".join(i.kind for i in found)
            raise UsageError(f"{item_id!r} is a {kinds}: say which with --kind")
        return found[0]

    def automatic_spawn_rooms(self) -> dict[str, int]:
        """Rooms without staff spawn points, with how many the builder will place."""
        set_by_staff = {s.room for s in self.staff.spawns}
        return {r.id: r.spawns for r in self.plan.rooms if r.id not in set_by_staff}

    # --- editing -----------------------------------------------------------------------------

    def place(
        self,
        asset: str,
        room: str,
        at: tuple[float, float],
        *,
        elevation: float | None = None,
        facing: float = 0.0,
        item_id: str | None = None,
    ) -> EditResult:
        """Put a library asset in a room."""
        with site_lock(self.site):
            self._load()
            get_asset(self.site, asset)
            item_id = _check_id(item_id) if item_id else self._free_id(f"{asset}-")
            self._id_unused(item_id)
            target = self._inside(room, at)
            layout = self._copy()
            layout.placements.append(
                PlacementEntry(
                    item_id,
                    asset,
                    target.id,
                    at,
                    self._elevation(target, at, elevation, item_id),
                    facing % 360.0,
                )
            )
            return self._commit(layout, "placed", "asset", item_id, None)

    def add(
        self,
        kind: str,
        room: str,
        at: tuple[float, float],
        *,
        elevation: float | None = None,
        facing: float = 0.0,
        item_id: str | None = None,
        size: tuple[float, float] | None = None,
        title: dict[str, str] | None = None,
        width: float | None = None,
    ) -> EditResult:
        """Add a station, screen, board, spawn point or sign. A sign's ``title`` is its
        lettering (the site's first language the big line, the second the line below),
        ``width`` its width (its height a quarter of that), ``elevation`` its lower edge."""
        if kind not in ADDABLE_KINDS:
            raise UsageError(f"one can add {', '.join(ADDABLE_KINDS)}, not {kind!r}")
        with site_lock(self.site):
            self._load()
            target = self._inside(room, at)
            prefix = f"{target.id}-" if kind == "station" else f"{target.id}-{kind}-"
            item_id = _check_id(item_id) if item_id else self._free_id(prefix)
            self._id_unused(item_id)
            if kind == "spawn" and item_id in self._automatic_spawn_ids():
                raise UsageError(
                    f"the id {item_id!r} is an automatic spawn point's; choose another"
                )
            layout = self._copy()
            if kind == "spawn":
                layout.spawns.append(SpawnEntry(item_id, target.id, at, facing % 360.0))
                result = self._commit(layout, "added", "spawn", item_id, None)
                count = sum(1 for s in layout.spawns if s.room == target.id)
                if count < 2:
                    result.warnings.append(
                        f"{target.id} now has {count} spawn point instead of "
                        f"{target.spawns} automatic ones; add more, a metre apart, so people "
                        "arriving together do not stand in one another"
                    )
                return result
            if kind == "sign":
                return self._add_sign(layout, target, at, elevation, facing, item_id, title, width)
            if width is not None:
                raise UsageError(f"a {kind} takes no --width (only a sign)")
            hung: str | None = None
            if kind in MOUNTED:
                if size is None:
                    raise UsageError(f"a {kind} needs --size WIDTH,HEIGHT in metres")
                if not all(0 < v <= MAX_MOUNTED_SIZE for v in size):
                    raise UsageError(f"--size: each side between 0 and {MAX_MOUNTED_SIZE:g} m")
                height = MOUNTED_BOTTOM + size[1] / 2 if elevation is None else elevation
                at, facing, hung = self._hang(target, at, facing)
            else:
                size = None
                height = self._elevation(target, at, elevation, item_id)
            if kind in ("station", "board") and not title:
                raise UsageError(f"a {kind} needs a --title (it is printed on its sign)")
            layout.anchors.append(
                AnchorEntry(
                    item_id,
                    kind=kind,
                    room=target.id,
                    at=at,
                    elevation=height,
                    facing=facing % 360.0,
                    size=size,
                    title=self._titles(title) if title else None,
                )
            )
            result = self._commit(layout, "added", kind, item_id, None)
            if hung:
                result.warnings.insert(0, hung)
            return result

    def _add_sign(
        self,
        layout: Layout,
        room: RoomPlan,
        at: tuple[float, float],
        bottom: float | None,
        facing: float,
        item_id: str,
        title: dict[str, str] | None,
        width: float | None,
    ) -> EditResult:
        if not title:
            raise UsageError(
                "a sign needs a --title: its lettering, e.g. --title 'de=Werkstatt' "
                "--title 'en=Workshop'"
            )
        title = self._titles(title)
        if self.site.languages[0] not in title:
            raise UsageError(
                f"a sign's --title needs the {self.site.languages[0]!r} text (its big line)"
            )
        width = SignEntry.width if width is None else width
        if not 0 < width <= MAX_SIGN_WIDTH:
            raise UsageError(f"--width: between 0 and {MAX_SIGN_WIDTH:g} m")
        at, facing, hung = self._hang(room, at, facing)
        layout.signs.append(
            SignEntry(
                item_id,
                room.id,
                at,
                facing % 360.0,
                title,
                width,
                SignEntry.bottom if bottom is None else bottom,
            )
        )
        result = self._commit(layout, "added", "sign", item_id, None)
        if hung:
            result.warnings.insert(0, hung)
        return result

    def move(
        self,
        item_id: str,
        *,
        at: tuple[float, float] | None = None,
        elevation: float | None = None,
        facing: float | None = None,
        room: str | None = None,
        kind: str | None = None,
        to_wall: bool = False,
    ) -> EditResult:
        """Move or turn anything in the draft (a new room needs a new ``at``); ``to_wall``:
        then put it with its back to the nearest wall of its room, facing into the room."""
        with site_lock(self.site):
            self._load()
            before = self.item(item_id, kind)
            if before.room == "outside" and room is None:
                raise UsageError(f"{item_id} stands outside the rooms; give --room and --at")
            target = self._room(room or before.room)
            if target.id != before.room and at is None:
                raise UsageError(f"moving {item_id} to room {target.id} needs --at")
            if at is None and facing is None and elevation is None and not to_wall:
                raise UsageError("say where to: --at, --facing, --room or --to-wall")
            new_at = at if at is not None else before.at
            self._inside(target.id, new_at)
            new_facing = (facing % 360.0) if facing is not None else before.facing
            hung: str | None = None
            if to_wall:
                new_at, new_facing, hung = self._to_wall(before, target, new_at)
                at = new_at
            elif before.kind in MOUNTED and (at is not None or facing is not None):
                new_at, new_facing, hung = self._hang(target, new_at, new_facing)
            layout = self._copy()
            if before.kind in MOUNTED:
                height = elevation if elevation is not None else before.elevation
            elif before.kind == "spawn":
                height = 0.0
            elif elevation is not None or at is not None or target.id != before.room:
                height = self._elevation(target, new_at, elevation, item_id)
            else:
                height = before.elevation
            if before.kind == "asset":
                layout.placements = [
                    replace(p, room=target.id, at=new_at, elevation=height, facing=new_facing)
                    if p.id == item_id
                    else p
                    for p in layout.placements
                ]
            elif before.kind == "spawn":
                layout.spawns = [
                    replace(s, room=target.id, at=new_at, facing=new_facing)
                    if s.id == item_id
                    else s
                    for s in layout.spawns
                ]
            elif before.kind == "sign":
                layout.signs = [
                    replace(s, room=target.id, at=new_at, facing=new_facing, bottom=height)
                    if s.id == item_id
                    else s
                    for s in layout.signs
                ]
            elif before.kind == "furniture":
                layout.furniture = [f for f in layout.furniture if f.id != item_id]
                layout.furniture.append(
                    FurnitureEntry(item_id, target.id, new_at, new_facing, height)
                )
            else:
                old = next((a for a in layout.anchors if a.id == item_id), None)
                entry = replace(
                    old or AnchorEntry(item_id),
                    room=target.id,
                    at=new_at,
                    elevation=height,
                    facing=new_facing,
                )
                layout.anchors = [a for a in layout.anchors if a.id != item_id] + [entry]
            result = self._commit(
                layout, "moved", before.kind, item_id, before, came_from=before.room
            )
            if hung:
                result.warnings.insert(0, hung)
            return result

    def remove(self, item_id: str, kind: str | None = None) -> EditResult:
        """Take anything out of the draft (building.toml items are marked removed)."""
        with site_lock(self.site):
            self._load()
            before = self.item(item_id, kind)
            layout = self._copy()
            if before.kind == "asset":
                layout.placements = [p for p in layout.placements if p.id != item_id]
            elif before.kind == "spawn":
                layout.spawns = [s for s in layout.spawns if s.id != item_id]
            elif before.kind == "sign":
                layout.signs = [s for s in layout.signs if s.id != item_id]
            elif before.kind == "furniture":
                layout.furniture = [f for f in layout.furniture if f.id != item_id]
                layout.removed_furniture.append(item_id)
            else:
                layout.anchors = [a for a in layout.anchors if a.id != item_id]
                if before.source == "building":
                    layout.removed_anchors.append(item_id)
            self._apply(layout)
            save_layout(layout)
            self._load()
            return EditResult("removed", None, before)

    def replace_layout(self, layout: Layout) -> None:
        """Make ``layout`` the draft (after checking it builds), e.g. when reverting."""
        with site_lock(self.site):
            layout.path = layout_path(self.site.path)
            self._apply(layout)
            save_layout(layout)
            self._load()

    # --- the machinery -----------------------------------------------------------------------

    def _copy(self) -> Layout:
        return copy.deepcopy(self.layout)

    def _apply(self, layout: Layout) -> StaffLayout:
        try:
            return staff_layout(self.site, self.plan, layout)
        except InputFileError as exc:
            message = str(exc).removeprefix(f"{layout.path}: ")
            raise PlacementRefused(message, reason="invalid") from None

    def _commit(
        self,
        layout: Layout,
        action: str,
        kind: str,
        item_id: str,
        before: LayoutItem | None,
        came_from: str | None = None,
    ) -> EditResult:
        candidate = self._apply(layout)
        outcome = DraftScene(candidate).check(kind, item_id, came_from)
        save_layout(layout)
        self._load()
        return EditResult(action, self.item(item_id, kind), before, outcome.warnings)

    def _hang(
        self, room: RoomPlan, at: tuple[float, float], facing: float
    ) -> tuple[tuple[float, float], float, str | None]:
        """A screen or board at ``at``: on its wall already (unchanged), hung on the nearest
        wall within ``SNAP_TO_WALL_M`` (and a note saying so), or unchanged for the checks
        to refuse."""
        spots = wall_spots(self.plan, room, room.x0 + at[0], room.z0 + at[1])
        for spot in spots:
            turned = abs((facing - spot.facing + 180.0) % 360.0 - 180.0)
            if turned < 2.0 and spot.distance <= FLOAT_LIMIT:
                return at, facing, None
        near = [s for s in spots if s.distance <= SNAP_TO_WALL_M]
        if not near:
            return at, facing, None
        return self._spot_at(room, near[0], MOUNT_GAP)

    def _to_wall(
        self, before: LayoutItem, room: RoomPlan, at: tuple[float, float]
    ) -> tuple[tuple[float, float], float, str]:
        spots = wall_spots(self.plan, room, room.x0 + at[0], room.z0 + at[1])
        if not spots:
            raise PlacementRefused(
                f"{before.id}: room {room.id} has no wall there to put it against",
                reason="not-on-wall",
            )
        if before.kind in MOUNTED:
            return self._spot_at(room, spots[0], MOUNT_GAP)
        body = DraftScene(self.staff).body(before.kind, before.id)
        facing = math.radians(before.facing)
        ahead = (math.sin(facing), math.cos(facing))
        back = 0.0
        for part in body.parts:
            for cx, cz in _corners(part.footprint):
                back = max(back, -float((cx - body.x) * ahead[0] + (cz - body.z) * ahead[1]))
        return self._spot_at(room, spots[0], back + WALL_GAP)

    @staticmethod
    def _spot_at(
        room: RoomPlan, spot: WallSpot, off: float
    ) -> tuple[tuple[float, float], float, str]:
        """``off`` metres into the room from a point on a wall's face, facing into the room."""
        into = math.radians(spot.facing)
        x = spot.x + math.sin(into) * off - room.x0
        z = spot.z + math.cos(into) * off - room.z0
        at = (round(float(x), 3), round(float(z), 3))
        note = (
            f"put on the {spot.side} wall of {room.id}: at {at[0]:g}, {at[1]:g}, "
            f"facing {spot.facing:g}"
        )
        return at, spot.facing, note

    def _room(self, room_id: str) -> RoomPlan:
        try:
            return self.plan.room(room_id)
        except KeyError:
            known = ", ".join(r.id for r in self.plan.rooms)
            raise UsageError(f"no room {room_id!r} (rooms: {known})") from None

    def _inside(self, room_id: str, at: tuple[float, float]) -> RoomPlan:
        room = self._room(room_id)
        if not all(math.isfinite(v) for v in at):
            raise UsageError("--at: numbers only")
        if not room.contains(room.x0 + at[0], room.z0 + at[1]):
            width, depth = room.x1 - room.x0, room.z1 - room.z0
            past = {"west": -at[0], "east": at[0] - width, "north": -at[1], "south": at[1] - depth}
            side = max(past, key=lambda k: past[k])
            raise PlacementRefused(
                f"{at[0]:g}, {at[1]:g} lies outside room {room.id}, {past[side]:.2f} m past "
                f"its {side} wall: measured from its "
                f"north-west corner it spans 0..{room.x1 - room.x0:g} (x) and "
                f"0..{room.z1 - room.z0:g} (z)",
                reason="outside-room",
            )
        return room

    def _elevation(
        self, room: RoomPlan, at: tuple[float, float], given: float | None, item_id: str
    ) -> float:
        """The given height above the room's floor, or the floor there (a stage's top)."""
        if given is not None:
            if not math.isfinite(given):
                raise UsageError("--at: numbers only")
            return given
        scene = DraftScene(self.staff)
        floor = scene.floor_height(room.x0 + at[0], room.z0 + at[1], room, skip=item_id)
        return round(floor - room.elevation, 3)

    def _titles(self, title: dict[str, str]) -> dict[str, str]:
        if "" in title:
            text = title.pop("")
            title = {**{lang: text for lang in self.site.languages}, **title}
        unknown = sorted(set(title) - set(self.site.languages))
        if unknown:
            raise UsageError(
                f"--title: language {unknown[0]!r} is not one of the site's "
                f"({', '.join(self.site.languages)})"
            )
        return title

    def _id_unused(self, item_id: str) -> None:
        taken = [i for i in self.items() if i.id == item_id]
        if taken:
            raise UsageError(f"the id {item_id!r} is taken by {taken[0].kind} {item_id}")
        removed = set(self.layout.removed_anchors) | set(self.layout.removed_furniture)
        if item_id in removed:
            raise UsageError(f"the id {item_id!r} belongs to a removed building item")

    def _automatic_spawn_ids(self) -> set[str]:
        return {f"{r.id}-{k}" for r in self.plan.rooms for k in range(1, r.spawns + 1)}

    def _free_id(self, prefix: str) -> str:
        taken = {i.id for i in self.items()}
        taken |= set(self.layout.removed_anchors) | set(self.layout.removed_furniture)
        number = 1
        while f"{prefix}{number}" in taken:
            number += 1
        return f"{prefix}{number}"
