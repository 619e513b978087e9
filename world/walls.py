"""Walls, floors and railings from the room rectangles, with door and window openings.

Where two indoor rooms meet there is an interior wall (each face in its room's colour);
where an indoor room meets the outside, an exterior wall with brick outside; where an
outdoor room (a terrace) meets nothing, a glass railing; so does a gallery (a room on a higher
floor inside a taller one) where it is open to the hall, and where stairs arrive at it the
railing has a gap. Doors and windows cut openings.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import cast

from world.building import BuildingPlan, RoomPlan, is_gallery
from world.geometry import Placement
from world.pieces import Collider, Footprint, Obstacle, Pieces, SignPlate
from world.stairs import rect_without, slab_holes

EPS = 1e-6


@dataclass(frozen=True)
class Opening:
    centre: float
    width: float
    bottom: float
    top: float
    kind: str  # "door" or "window"
    style: str = "opening"


@dataclass
class WallRun:
    """A straight stretch of wall between the same two rooms (``None``: outside).

    ``axis`` "x": the wall runs along X at z = ``fixed``; "neg" is the room on the -Z side.
    ``axis`` "z": the wall runs along Z at x = ``fixed``; "neg" is the room on the -X side.
    """

    axis: str
    fixed: float
    start: float
    end: float
    neg: RoomPlan | None
    pos: RoomPlan | None
    kind: str  # "interior", "exterior" or "railing"
    thickness: float
    height: float
    base: float
    openings: list[Opening] = field(default_factory=list)
    extend_start: float = 0.0
    extend_end: float = 0.0


def _edges(
    rooms: list[RoomPlan],
) -> dict[tuple[str, float], list[tuple[float, float, RoomPlan, str]]]:
    """Room edges grouped by line: (axis, fixed) -> [(start, end, room, side of line)]."""
    lines: dict[tuple[str, float], list[tuple[float, float, RoomPlan, str]]] = defaultdict(list)
    for room in rooms:
        lines[("x", room.z0)].append((room.x0, room.x1, room, "pos"))
        lines[("x", room.z1)].append((room.x0, room.x1, room, "neg"))
        lines[("z", room.x0)].append((room.z0, room.z1, room, "pos"))
        lines[("z", room.x1)].append((room.z0, room.z1, room, "neg"))
    return lines


def wall_runs(plan: BuildingPlan) -> list[WallRun]:
    """Every wall and railing of the building, with its openings."""
    s = plan.settings
    runs: list[WallRun] = []
    by_floor: dict[str, list[RoomPlan]] = defaultdict(list)
    for room in plan.rooms:
        by_floor[room.floor].append(room)
    for rooms in by_floor.values():
        for (axis, fixed), edges in sorted(
            _edges(rooms).items(), key=lambda kv: (kv[0][0], kv[0][1])
        ):
            cuts = sorted({v for a, b, _, _ in edges for v in (a, b)})
            line_runs: list[WallRun] = []
            for lo, hi in itertools.pairwise(cuts):
                mid = (lo + hi) / 2
                neg = next((r for a, b, r, side in edges if side == "neg" and a < mid < b), None)
                pos = next((r for a, b, r, side in edges if side == "pos" and a < mid < b), None)
                indoor = [r for r in (neg, pos) if r is not None and not r.outdoor]
                outdoor = [r for r in (neg, pos) if r is not None and r.outdoor]
                hall = _gallery_hall(plan, neg, pos)
                if hall is not None:
                    # a gallery's edge: open to the hall (a railing) or on the hall's own wall
                    side = 0.05 if pos is None else -0.05
                    px, pz = (mid, fixed + side) if axis == "x" else (fixed + side, mid)
                    if not hall.contains(px, pz):
                        continue
                    indoor, outdoor = [], [r for r in (neg, pos) if r is not None]
                if len(indoor) == 2:
                    kind, thick = "interior", s.wall_thickness
                elif indoor:
                    kind, thick = "exterior", s.exterior_wall_thickness
                elif len(outdoor) == 1:
                    kind, thick = "railing", 0.08
                else:
                    continue
                sides = indoor or outdoor
                height = s.railing_height if kind == "railing" else max(r.height for r in indoor)
                previous = line_runs[-1] if line_runs else None
                if (
                    previous is not None
                    and abs(previous.end - lo) < EPS
                    and previous.neg is neg
                    and previous.pos is pos
                ):
                    previous.end = hi
                    continue
                line_runs.append(
                    WallRun(axis, fixed, lo, hi, neg, pos, kind, thick, height, sides[0].elevation)
                )
            # Close the corners: a run extends by half its thickness where nothing continues it.
            for i, run in enumerate(line_runs):
                joined_before = i > 0 and abs(line_runs[i - 1].end - run.start) < EPS
                joined_after = (
                    i + 1 < len(line_runs) and abs(line_runs[i + 1].start - run.end) < EPS
                )
                if run.kind != "railing":
                    run.extend_start = 0.0 if joined_before else run.thickness / 2
                    run.extend_end = 0.0 if joined_after else run.thickness / 2
            runs.extend(line_runs)
    _add_openings(plan, runs)
    return runs


def _gallery_hall(
    plan: BuildingPlan, neg: RoomPlan | None, pos: RoomPlan | None
) -> RoomPlan | None:
    """For the edge of a gallery with nothing beside it on its floor: the hall it is in."""
    if (neg is None) == (pos is None):
        return None
    room = cast(RoomPlan, neg or pos)
    if room.outdoor:
        return None
    return next((hall for hall in plan.rooms if is_gallery(room, hall)), None)


def _run_for(
    runs: list[WallRun], axis: str, fixed: float, centre: float, room_ids: set[str]
) -> WallRun | None:
    for run in runs:
        ids = {r.id for r in (run.neg, run.pos) if r is not None}
        if (
            run.axis == axis
            and abs(run.fixed - fixed) < EPS
            and run.start - EPS <= centre <= run.end + EPS
            and room_ids <= ids
        ):
            return run
    return None


def _add_openings(plan: BuildingPlan, runs: list[WallRun]) -> None:
    for door in plan.doors:
        fixed = door.z if door.axis == "x" else door.x
        centre = door.x if door.axis == "x" else door.z
        run = _run_for(runs, door.axis, fixed, centre, set(door.rooms))
        if run is not None:
            run.openings.append(Opening(centre, door.width, 0.0, door.height, "door", door.style))
    for stairs in plan.stairs:
        # Stairs arriving at the edge of their upper room pass through its wall there, and
        # through the lower room's wall on the same line, above the height they reach.
        low, high = plan.room(stairs.rooms[0]), plan.room(stairs.rooms[1])
        tx, tz = stairs.point(stairs.length)
        axis, fixed, centre = ("z", tx, tz) if abs(stairs.direction[0]) > 0.5 else ("x", tz, tx)
        door_height = plan.settings.door_height
        run = _run_for(runs, axis, fixed, centre, {high.id})
        if run is not None:
            top = min(door_height, high.height - 0.2)
            at_top = [
                d
                for d in plan.doors
                if set(d.rooms) == set(stairs.rooms)
                and math.isclose(d.z if axis == "x" else d.x, fixed)
            ]
            if not at_top:
                run.openings.append(Opening(centre, stairs.width, 0.0, top, "door", "opening"))
            for d in at_top:
                middle = d.x if axis == "x" else d.z
                run.openings.append(Opening(middle, d.width, 0.0, top, "door", d.style))
        run = _run_for(runs, axis, fixed, centre, {low.id})
        rise = stairs.top - stairs.bottom
        if run is not None and run.kind != "railing" and rise < low.height - 0.2:
            top = min(rise + door_height, low.height - 0.2)
            run.openings.append(Opening(centre, stairs.width, rise, top, "door", "opening"))
    for window in plan.windows:
        room = plan.room(window.room)
        axis, fixed = {
            "north": ("x", room.z0),
            "south": ("x", room.z1),
            "west": ("z", room.x0),
            "east": ("z", room.x1),
        }[window.side]
        for centre in window.centres:
            run = _run_for(runs, axis, fixed, centre, {room.id})
            if run is None or run.kind == "railing":
                continue
            run.openings.append(
                Opening(centre, window.width, window.sill, window.sill + window.height, "window")
            )
    for run in runs:
        run.openings.sort(key=lambda o: o.centre)


def _box_on_run(
    run: WallRun, a: float, b: float, y0: float, y1: float, thickness: float, offset: float = 0.0
) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """Size and centre of a box covering ``a..b`` along the run, ``y0..y1`` up."""
    length, mid = b - a, (a + b) / 2
    base = run.base
    if run.axis == "x":
        return (length, y1 - y0, thickness), (mid, base + (y0 + y1) / 2, run.fixed + offset)
    return (thickness, y1 - y0, length), (run.fixed + offset, base + (y0 + y1) / 2, mid)


def _face_materials(run: WallRun) -> dict[str, str]:
    neg_face, pos_face = ("-z", "+z") if run.axis == "x" else ("-x", "+x")
    # which side of a room this wall is, seen from the room on each side of it
    neg_side, pos_side = ("south", "north") if run.axis == "x" else ("east", "west")
    out = {}
    for face, room, side in ((neg_face, run.neg, neg_side), (pos_face, run.pos, pos_side)):
        if room is None or room.outdoor:
            out[face] = "brick"
        elif room.accent_wall == side and room.accent_material:
            out[face] = room.accent_material
        else:
            out[face] = room.wall_material
    return out


def add_walls(plan: BuildingPlan, pieces: Pieces) -> list[WallRun]:
    """Put every wall, railing and opening of the plan into ``pieces``."""
    runs = wall_runs(plan)
    for index, run in enumerate(runs):
        if run.kind == "railing":
            _add_railing(run, pieces, f"railing-{index}")
        else:
            _add_wall(plan, run, pieces, f"wall-{index}")
    return runs


def _solid(
    run: WallRun, pieces: Pieces, name: str, a: float, b: float, y0: float, y1: float
) -> None:
    if b - a < 0.01 or y1 - y0 < 0.01:
        return
    size, centre = _box_on_run(run, a, b, y0, y1, run.thickness)
    faces = _face_materials(run)
    skip = ("-y",) if y0 <= 0.0 else ()
    pieces.add_box_faces("architecture", faces, "plaster-white", size, centre, skip=skip)
    pieces.colliders.append(_collider(name, size, centre))
    if y0 < 1.8:
        _block_box(pieces, run, size, centre, y0, y1)


def _collider(
    name: str, size: tuple[float, float, float], centre: tuple[float, float, float]
) -> Collider:
    return Collider(name, centre, size)


def _block_box(
    pieces: Pieces,
    run: WallRun,
    size: tuple[float, float, float],
    centre: tuple[float, float, float],
    y0: float,
    y1: float,
) -> None:
    pieces.obstacles.append(
        Obstacle(
            Footprint(centre[0], centre[2], size[0] / 2, size[2] / 2), run.base + y0, run.base + y1
        )
    )


def _add_wall(plan: BuildingPlan, run: WallRun, pieces: Pieces, name: str) -> None:
    start, end = run.start - run.extend_start, run.end + run.extend_end
    cursor = start
    part = 0
    for opening in run.openings:
        lo, hi = opening.centre - opening.width / 2, opening.centre + opening.width / 2
        _solid(run, pieces, f"{name}-{part}", cursor, lo, 0.0, run.height)
        part += 1
        if opening.kind == "window":
            _solid(run, pieces, f"{name}-{part}", lo, hi, 0.0, opening.bottom)
            part += 1
            _add_window(run, pieces, f"{name}-{part}", opening)
            part += 1
        else:
            if opening.bottom > 0.0:  # a door up the stairs: wall below it
                _solid(run, pieces, f"{name}-{part}", lo, hi, 0.0, opening.bottom)
                part += 1
            _add_door_frame(run, pieces, opening)
            _add_door_signs(plan, run, pieces, opening)
        _solid(run, pieces, f"{name}-{part}", lo, hi, opening.top, run.height)
        part += 1
        cursor = hi
    _solid(run, pieces, f"{name}-{part}", cursor, end, 0.0, run.height)
    # coping: a slim cap so the open top reads as a finished wall from above
    size, centre = _box_on_run(run, start, end, run.height, run.height + 0.04, run.thickness + 0.02)
    pieces.add_box("architecture", "coping", size, centre, skip=("-y",))


def _add_window(run: WallRun, pieces: Pieces, name: str, opening: Opening) -> None:
    lo, hi = opening.centre - opening.width / 2, opening.centre + opening.width / 2
    frame = 0.06
    t = run.thickness
    for a, b, y0, y1 in (
        (lo, hi, opening.bottom, opening.bottom + frame),  # sill frame
        (lo, hi, opening.top - frame, opening.top),  # head frame
        (lo, lo + frame, opening.bottom, opening.top),  # jambs
        (hi - frame, hi, opening.bottom, opening.top),
    ):
        size, centre = _box_on_run(run, a, b, y0, y1, t * 0.5)
        pieces.add_box("architecture", "frame", size, centre, skip=())
    panes = max(1, round(opening.width / 1.2))
    pane_w = opening.width / panes
    for k in range(1, panes):
        m = lo + k * pane_w
        size, centre = _box_on_run(run, m - 0.03, m + 0.03, opening.bottom, opening.top, t * 0.45)
        pieces.add_box("architecture", "frame", size, centre, skip=())
    # a transom bar a little above door height, as in the hub's industrial windows
    if opening.top - opening.bottom > 2.4:
        y = opening.bottom + (opening.top - opening.bottom) * 0.72
        size, centre = _box_on_run(run, lo, hi, y - 0.03, y + 0.03, t * 0.45)
        pieces.add_box("architecture", "frame", size, centre, skip=())
    size, centre = _box_on_run(
        run, lo + frame, hi - frame, opening.bottom + frame, opening.top - frame, 0.02
    )
    pieces.add_box("architecture", "glass", size, centre, skip=())
    size, centre = _box_on_run(run, lo, hi, opening.bottom, opening.top, t)
    pieces.colliders.append(_collider(name, size, centre))
    if opening.bottom < 1.8:
        _block_box(pieces, run, size, centre, opening.bottom, opening.top)


def _add_door_frame(run: WallRun, pieces: Pieces, opening: Opening) -> None:
    if opening.style == "opening":
        return
    material = "wood-light" if opening.style == "wood" else "frame"
    lo, hi = opening.centre - opening.width / 2, opening.centre + opening.width / 2
    w = 0.07
    depth = run.thickness + 0.04
    for a, b, y0, y1 in (
        (lo, lo + w, 0.0, opening.top),
        (hi - w, hi, 0.0, opening.top),
        (lo, hi, opening.top - w, opening.top),
    ):
        size, centre = _box_on_run(run, a, b, y0, y1, depth)
        pieces.add_box("architecture", material, size, centre)
    if opening.style == "glass":
        # two sliding glass leaves parked open in front of the wall, on the neg side
        leaf = opening.width / 2
        for a in (lo - leaf + 0.05, hi - 0.05):
            size, centre = _box_on_run(
                run, a, a + leaf, 0.02, opening.top - 0.05, 0.03, offset=-(run.thickness / 2 + 0.05)
            )
            pieces.add_box("architecture", "glass", size, centre, skip=())
            frame_size, frame_centre = _box_on_run(
                run,
                a,
                a + leaf,
                opening.top - 0.11,
                opening.top - 0.05,
                0.05,
                offset=-(run.thickness / 2 + 0.05),
            )
            pieces.add_box("architecture", "frame", frame_size, frame_centre, skip=())


def _add_door_signs(plan: BuildingPlan, run: WallRun, pieces: Pieces, opening: Opening) -> None:
    """Above each door, on each side, a sign naming the room you walk into."""
    # large enough to read across a room: 2 m or more wide, 4:1
    width = min(2.4, max(2.0, opening.width))
    y = run.base + opening.top + 0.12 + width / 8
    if y + width / 8 + 0.05 > run.base + run.height:
        width = 1.4
        y = run.base + opening.top + 0.1 + width / 8
        if y + width / 8 + 0.05 > run.base + run.height:
            return
    for facing_room, other, sign in ((run.neg, run.pos, -1.0), (run.pos, run.neg, 1.0)):
        if facing_room is None or other is None or not other.sign:
            continue
        offset = sign * (run.thickness / 2 + 0.025)
        if run.axis == "x":
            x, z = opening.centre, run.fixed + offset
            yaw = 0.0 if sign > 0 else math.pi
        else:
            x, z = run.fixed + offset, opening.centre
            yaw = math.pi / 2 if sign > 0 else -math.pi / 2
        at = Placement(x, y, z, yaw)
        pieces.add_box(
            "signage",
            "frame",
            (width + 0.06, width / 4 + 0.06, 0.03),
            (0.0, 0.0, -0.005),
            at,
            skip=(),
        )
        pieces.signs.append(
            SignPlate(
                f"room:{other.id}",
                Placement(x, y, z, yaw).then(Placement(0, 0, 0.016)),
                width,
                width / 4,
            )
        )


def _add_railing(run: WallRun, pieces: Pieces, name: str) -> None:
    if run.openings:  # where stairs arrive at a gallery's edge: a gap in the railing
        cursor = run.start
        for k, opening in enumerate([*run.openings, None]):
            lo = run.end if opening is None else opening.centre - opening.width / 2
            if lo - cursor > 0.05:
                part = replace(run, start=cursor, end=lo, openings=[])
                _add_railing(part, pieces, f"{name}-{k}")
            if opening is not None:
                cursor = opening.centre + opening.width / 2
        return
    h = run.height
    length = run.end - run.start
    posts = max(2, math.ceil(length / 1.6) + 1)
    for k in range(posts):
        p = run.start + length * k / (posts - 1)
        size, centre = _box_on_run(run, p - 0.03, p + 0.03, 0.0, h, 0.06)
        pieces.add_box("architecture", "steel-dark", size, centre)
    size, centre = _box_on_run(run, run.start, run.end, h - 0.05, h, 0.08)
    pieces.add_box("architecture", "steel-dark", size, centre, skip=())
    size, centre = _box_on_run(run, run.start, run.end, 0.08, h - 0.1, 0.02)
    pieces.add_box("architecture", "glass", size, centre, skip=())
    size, centre = _box_on_run(run, run.start, run.end, 0.0, h, 0.1)
    pieces.colliders.append(_collider(name, size, centre))
    _block_box(pieces, run, size, centre, 0.0, h)


def add_floors(plan: BuildingPlan, pieces: Pieces) -> None:
    """A slab per room, its top at the room's floor level, open where stairs rise through;
    above the lowest floor its underside shows."""
    lowest = min(room.elevation for room in plan.rooms)
    for room in plan.rooms:
        depth = 0.3 if room.outdoor else 0.15
        holes = slab_holes(plan, room)
        parts = rect_without((room.x0, room.x1, room.z0, room.z1), holes) if holes else None
        for x0, x1, z0, z1 in parts or [(room.x0, room.x1, room.z0, room.z1)]:
            pieces.add_box_faces(
                "architecture",
                {"+y": room.floor_material},
                "slab",
                (x1 - x0, depth, z1 - z0),
                ((x0 + x1) / 2, room.elevation - depth / 2, (z0 + z1) / 2),
                skip=("-y",) if parts is None and room.elevation <= lowest else (),
            )
