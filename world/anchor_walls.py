"""Anchors and the walls they hang on: a warning when one is inside a wall or floats off it.

A wall stands on its room's edge, centred on it: its inner face is half the wall's
thickness into the room (exterior walls 0.35 m thick: 0.175 m; interior walls 0.2 m: 0.1 m;
``[building]`` exterior_wall_thickness and wall_thickness). A board or screen hangs
with its back on the inner face of the wall behind it (the one opposite its facing); a
station's stand needs ``STATION_CLEARANCE`` from every wall. Anything else builds, but is
hidden in the wall or hangs in the air, so ``anchor_warnings`` names each such anchor with
its file, line and the ``at`` that fixes it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from world.building import AnchorPlan, BuildingPlan, RoomPlan
from world.walls import WallRun, wall_runs

WALL_MOUNTED = frozenset({"board", "screen"})
#: how far a station's stand reaches from its centre (base 0.56 × 0.4 m, display 0.72 m wide)
STATION_CLEARANCE = 0.36
#: closer than this to the inner face counts as on it (metres)
TOLERANCE = 0.02
#: a wall-mounted anchor further than this in front of its wall floats (metres)
FLOAT_LIMIT = 0.1
#: the facing must point along an axis within this to have a wall behind it (radians)
SQUARE = math.radians(2.0)


@dataclass(frozen=True)
class _Side:
    """One side of a room: which wall line, and how to measure into the room from it."""

    name: str  # north, south, west, east
    axis: str  # the wall run's axis
    into: float  # +1: the room lies on the + side of the line


def _sides(room: RoomPlan) -> list[tuple[_Side, float]]:
    return [
        (_Side("north", "x", 1.0), room.z0),
        (_Side("south", "x", -1.0), room.z1),
        (_Side("west", "z", 1.0), room.x0),
        (_Side("east", "z", -1.0), room.x1),
    ]


def _run_at(
    runs: list[WallRun], room: RoomPlan, side: _Side, line: float, along: float
) -> WallRun | None:
    for run in runs:
        inside = run.pos if side.into > 0 else run.neg
        if (
            run.axis == side.axis
            and abs(run.fixed - line) < 1e-6
            and inside is room
            and run.start - 1e-6 <= along <= run.end + 1e-6
        ):
            return run
    return None


def _fix(room: RoomPlan, anchor: AnchorPlan, side: _Side, face: float) -> str:
    ax, az = anchor.x - room.x0, anchor.z - room.z0
    if side.axis == "x":
        az = face - room.z0
    else:
        ax = face - room.x0
    return f"at = [{ax:g}, {az:g}]"


def _where(plan: BuildingPlan, anchor: AnchorPlan) -> str:
    return anchor.where or f"{plan.path}: anchor {anchor.id}"


def anchor_warnings(plan: BuildingPlan) -> list[str]:
    """One line per anchor that is inside a wall or floats off the wall it hangs on."""
    runs = wall_runs(plan)
    rooms = {room.id: room for room in plan.rooms}
    warnings: list[str] = []
    for anchor in plan.anchors:
        room = rooms.get(anchor.room)
        if room is None or room.outdoor:
            continue
        if anchor.kind in WALL_MOUNTED:
            warning = _mounted(plan, runs, room, anchor)
        elif anchor.kind == "station":
            warning = _standing(plan, runs, room, anchor)
        else:
            warning = None
        if warning:
            warnings.append(warning)
    return warnings


def _offset(
    room: RoomPlan, anchor: AnchorPlan, side: _Side, line: float, run: WallRun
) -> tuple[float, float]:
    """The inner face's coordinate, and how far in front of it the anchor is (negative:
    inside the wall)."""
    face = line + side.into * run.thickness / 2
    position = anchor.z if side.axis == "x" else anchor.x
    return face, (position - face) * side.into


def _mounted(
    plan: BuildingPlan, runs: list[WallRun], room: RoomPlan, anchor: AnchorPlan
) -> str | None:
    fx, fz = math.sin(anchor.yaw), math.cos(anchor.yaw)
    for side, line in _sides(room):
        # the wall behind: the room lies on its +side when the anchor faces + along the normal
        normal = fz if side.axis == "x" else fx
        if abs(normal - side.into) > 1 - math.cos(SQUARE):
            continue
        along = anchor.x if side.axis == "x" else anchor.z
        run = _run_at(runs, room, side, line, along)
        if run is None:
            return None
        face, ahead = _offset(room, anchor, side, line, run)
        fix = _fix(room, anchor, side, face)
        inner = f"its inner face is {run.thickness / 2:g} m from the room's edge"
        if ahead < -TOLERANCE:
            return (
                f"{_where(plan, anchor)}: the {anchor.kind} {anchor.id} is {-ahead:.2f} m inside "
                f"the {side.name} wall of room {room.id} ({inner}), so it cannot be seen: "
                f"write {fix}"
            )
        if ahead > FLOAT_LIMIT:
            return (
                f"{_where(plan, anchor)}: the {anchor.kind} {anchor.id} floats {ahead:.2f} m in "
                f"front of the {side.name} wall of room {room.id} ({inner}): write {fix} to "
                "hang it on the wall"
            )
        return None
    return None


def _standing(
    plan: BuildingPlan, runs: list[WallRun], room: RoomPlan, anchor: AnchorPlan
) -> str | None:
    for side, line in _sides(room):
        along = anchor.x if side.axis == "x" else anchor.z
        run = _run_at(runs, room, side, line, along)
        if run is None:
            continue
        face, ahead = _offset(room, anchor, side, line, run)
        if ahead < STATION_CLEARANCE - TOLERANCE:
            fix = _fix(room, anchor, side, face + side.into * STATION_CLEARANCE)
            return (
                f"{_where(plan, anchor)}: the station {anchor.id} stands in the {side.name} "
                f"wall of room {room.id} (the wall's inner face is {run.thickness / 2:g} m from "
                f"the room's edge, the stand needs {STATION_CLEARANCE:g} m in front of it): "
                f"write {fix}"
            )
    return None


@dataclass(frozen=True)
class WallSpot:
    """Where a wall-mounted thing hangs on a wall of its room: the side, the point on the
    wall's inner face (world x, z) and the facing into the room (degrees, 0 = south)."""

    side: str
    x: float
    z: float
    facing: float
    distance: float  # how far the given point was from that inner face


_FACING_INTO = {"north": 0.0, "south": 180.0, "west": 90.0, "east": 270.0}


def wall_spots(plan: BuildingPlan, room: RoomPlan, x: float, z: float) -> list[WallSpot]:
    """The walls of ``room`` that (x, z) lies in front of, nearest first: for each, the point
    on its inner face straight behind (x, z). Sides without a wall there (a room open to
    the next, outdoors) are left out."""
    runs = wall_runs(plan)
    spots = []
    for side, line in _sides(room):
        along = x if side.axis == "x" else z
        run = _run_at(runs, room, side, line, along)
        if run is None or run.kind == "railing":
            continue
        face = line + side.into * run.thickness / 2
        position = z if side.axis == "x" else x
        distance = abs(position - face)
        sx, sz = (x, face) if side.axis == "x" else (face, z)
        spots.append(WallSpot(side.name, sx, sz, _FACING_INTO[side.name], distance))
    return sorted(spots, key=lambda s: s.distance)


def mounted_offset(plan: BuildingPlan, anchor: AnchorPlan) -> tuple[str, float] | None:
    """For a wall-mounted anchor: the wall behind it and how far in front of its inner face
    it hangs (negative: inside the wall); None when no wall of its room is behind it (its
    facing is not square to a wall, or that side has no wall there)."""
    room = plan.room(anchor.room)
    runs = wall_runs(plan)
    fx, fz = math.sin(anchor.yaw), math.cos(anchor.yaw)
    for side, line in _sides(room):
        normal = fz if side.axis == "x" else fx
        if abs(normal - side.into) > 1 - math.cos(SQUARE):
            continue
        along = anchor.x if side.axis == "x" else anchor.z
        run = _run_at(runs, room, side, line, along)
        if run is None:
            return None
        _, ahead = _offset(room, anchor, side, line, run)
        return side.name, ahead
    return None
