"""Stairs and ramps between floors: steps or a slope, balustrades, walkable surfaces, openings.

A flight stands in its lower room and climbs to the floor of its upper room. Stairs are solid
steps (one box per tread, its top in the lower room's floor material); a ramp is one sloped
wedge. Glass balustrades run along both sides; where the flight rises through the upper
floor, that floor has an opening (``slab_holes``, also cut from the lower room's ceiling)
with a balustrade on its three open sides. Every tread (or the ramp) is a raised
``Surface``, so the walkable floor climbs with it; the balustrades are obstacles, so avatars
keep their distance from the edges and never step off the side of a flight.
"""

from __future__ import annotations

import math

import numpy as np

from world.building import BuildingPlan, RoomPlan, StairsPlan
from world.geometry import Mesh, Placement, box_faces
from world.pieces import Footprint, Obstacle, Pieces, Surface

GROUP = "architecture"
SIDE_MATERIAL = "slab"
RAIL_MATERIAL = "steel-dark"
PANEL_MATERIAL = "glass"
RAIL_THICKNESS = 0.06
PANEL_THICKNESS = 0.02
RAMP_SECTION = 0.5  # metres of ramp per balustrade panel

Rect = tuple[float, float, float, float]  # x0, x1, z0, z1


def add_stairs(plan: BuildingPlan, pieces: Pieces) -> None:
    """Every flight of the plan: visible parts, walkable surfaces and balustrades."""
    for stairs in plan.stairs:
        low = plan.room(stairs.rooms[0])
        rail = plan.settings.railing_height
        if stairs.kind == "stairs":
            _add_steps(stairs, low, pieces, rail)
        else:
            _add_ramp(stairs, low, pieces, rail)
        for side in (-1.0, 1.0):
            x, z = stairs.point(stairs.length / 2, side * stairs.width / 2)
            pieces.obstacles.append(
                Obstacle(
                    Footprint(x, z, RAIL_THICKNESS / 2, stairs.length / 2, stairs.yaw),
                    stairs.bottom,
                    stairs.top + rail,
                )
            )
        if _rises_through_floor(plan, stairs):
            _add_opening_balustrade(stairs, pieces, rail)


def _tread(stairs: StairsPlan, a0: float, a1: float) -> Placement:
    x, z = stairs.point((a0 + a1) / 2)
    return Placement(x, stairs.bottom, z, stairs.yaw)


def _add_steps(stairs: StairsPlan, low: RoomPlan, pieces: Pieces, rail: float) -> None:
    risers = stairs.steps
    rise = (stairs.top - stairs.bottom) / risers
    going = stairs.length / (risers - 1)
    for k in range(1, risers):
        a0, a1 = (k - 1) * going, k * going
        at = _tread(stairs, a0, a1)
        height = k * rise
        size = (stairs.width, height, going)
        for face, mesh in _box_faces_at(size, (0.0, height / 2, 0.0), at).items():
            if face != "-y":
                pieces.add(GROUP, low.floor_material if face == "+y" else SIDE_MATERIAL, mesh)
        pieces.surfaces.append(
            Surface(
                Footprint(at.x, at.z, stairs.width / 2, going / 2, stairs.yaw),
                stairs.bottom + height,
                name="stairs",
            )
        )
        _add_balustrade_section(stairs, pieces, a0, a1, height, rail)


def _add_ramp(stairs: StairsPlan, low: RoomPlan, pieces: Pieces, rail: float) -> None:
    rise = stairs.top - stairs.bottom
    at = _tread(stairs, 0.0, stairs.length)
    half_w, half_l = stairs.width / 2, stairs.length / 2
    pieces.add(GROUP, low.floor_material, _ramp_top(half_w, half_l, rise), at)
    for side in (-1.0, 1.0):
        pieces.add(GROUP, SIDE_MATERIAL, _ramp_side(side * half_w, half_l, rise), at)
    pieces.add(
        GROUP,
        SIDE_MATERIAL,
        _quad_mesh(
            [
                (-half_w, 0, half_l),
                (half_w, 0, half_l),
                (half_w, rise, half_l),
                (-half_w, rise, half_l),
            ]
        ),
        at,
    )
    pieces.surfaces.append(
        Surface(
            Footprint(at.x, at.z, half_w, half_l, stairs.yaw),
            stairs.bottom + rise / 2,
            slope_z=rise / stairs.length,
            name="ramp",
        )
    )
    sections = max(1, math.ceil(stairs.length / RAMP_SECTION))
    part = stairs.length / sections
    for k in range(sections):
        a0, a1 = k * part, (k + 1) * part
        _add_balustrade_section(stairs, pieces, a0, a1, rise * a1 / stairs.length, rail)


def _add_balustrade_section(
    stairs: StairsPlan, pieces: Pieces, a0: float, a1: float, floor: float, rail: float
) -> None:
    """Glass and a handrail on both sides of ``a0..a1`` up the flight, above ``floor``."""
    at = _tread(stairs, a0, a1)
    length = a1 - a0
    for side in (-1.0, 1.0):
        x = side * (stairs.width / 2 - RAIL_THICKNESS / 2)
        pieces.add_box(
            GROUP,
            PANEL_MATERIAL,
            (PANEL_THICKNESS, rail - 0.1, length),
            (x, floor + 0.05 + (rail - 0.1) / 2, 0.0),
            at,
            skip=(),
        )
        pieces.add_box(
            GROUP, RAIL_MATERIAL, (RAIL_THICKNESS, 0.05, length), (x, floor + rail - 0.025, 0.0), at
        )


def _rises_through_floor(plan: BuildingPlan, stairs: StairsPlan) -> bool:
    top_floor = plan.room(stairs.rooms[1]).floor
    return any(
        _overlap(stairs.extent(), _rect(room)) is not None
        for room in plan.rooms
        if room.floor == top_floor
    )


def _add_opening_balustrade(stairs: StairsPlan, pieces: Pieces, rail: float) -> None:
    """A balustrade on the upper floor along the opening's sides and its lower end."""
    top = stairs.top
    half_w = stairs.width / 2
    parts = [
        ((-half_w, half_w), (0.0, 0.0)),  # across the lower end
        ((-half_w, -half_w), (0.0, stairs.length)),
        ((half_w, half_w), (0.0, stairs.length)),
    ]
    for (b0, b1), (a0, a1) in parts:
        x0, z0 = stairs.point(a0, b0)
        x1, z1 = stairs.point(a1, b1)
        length = math.hypot(x1 - x0, z1 - z0)
        yaw = math.atan2(x1 - x0, z1 - z0)
        at = Placement((x0 + x1) / 2, top, (z0 + z1) / 2, yaw)
        pieces.add_box(
            GROUP,
            PANEL_MATERIAL,
            (PANEL_THICKNESS, rail - 0.1, length),
            (0, rail / 2, 0),
            at,
            skip=(),
        )
        pieces.add_box(
            GROUP, RAIL_MATERIAL, (RAIL_THICKNESS, 0.05, length + 0.06), (0, rail - 0.025, 0), at
        )
        pieces.obstacles.append(
            Obstacle(Footprint(at.x, at.z, RAIL_THICKNESS / 2, length / 2, yaw), top, top + rail)
        )


def _rect(room: RoomPlan) -> Rect:
    return (room.x0, room.x1, room.z0, room.z1)


def _overlap(a: Rect, b: Rect) -> Rect | None:
    x0, x1, z0, z1 = max(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), min(a[3], b[3])
    return (x0, x1, z0, z1) if x1 - x0 > 1e-6 and z1 - z0 > 1e-6 else None


def slab_holes(plan: BuildingPlan, room: RoomPlan, ceiling: bool = False) -> list[Rect]:
    """Where flights rise through ``room``'s floor (or, with ``ceiling``, its ceiling)."""
    holes = []
    for stairs in plan.stairs:
        low, high = plan.room(stairs.rooms[0]), plan.room(stairs.rooms[1])
        if ceiling:
            if room.floor != low.floor or room.elevation + room.height > stairs.top + 1e-6:
                continue
        elif room.floor != high.floor:
            continue
        hole = _overlap(stairs.extent(), _rect(room))
        if hole is not None:
            holes.append(hole)
    return holes


def rect_without(rect: Rect, holes: list[Rect]) -> list[Rect]:
    """``rect`` less the ``holes``, as non-overlapping rectangles."""
    pieces = [rect]
    for hole in holes:
        kept: list[Rect] = []
        for r in pieces:
            cut = _overlap(r, hole)
            if cut is None:
                kept.append(r)
                continue
            x0, x1, z0, z1 = r
            cx0, cx1, cz0, cz1 = cut
            candidates = [
                (x0, x1, z0, cz0),
                (x0, x1, cz1, z1),
                (x0, cx0, cz0, cz1),
                (cx1, x1, cz0, cz1),
            ]
            kept.extend(c for c in candidates if c[1] - c[0] > 1e-6 and c[3] - c[2] > 1e-6)
        pieces = kept
    return pieces


def _box_faces_at(
    size: tuple[float, float, float], centre: tuple[float, float, float], at: Placement
) -> dict[str, Mesh]:
    return {face: at.apply(mesh) for face, mesh in box_faces(size, centre).items()}


def _quad_mesh(corners: list[tuple[float, float, float]]) -> Mesh:
    """One flat quad, corners counter-clockwise seen from the side it faces."""
    p = np.array(corners, dtype=np.float64)
    normal = np.cross(p[1] - p[0], p[2] - p[0])
    normal /= np.linalg.norm(normal)
    return Mesh(p, np.tile(normal, (4, 1)), np.array([[0, 1, 2], [0, 2, 3]], dtype=np.int64))


def _ramp_top(half_w: float, half_l: float, rise: float) -> Mesh:
    return _quad_mesh(
        [
            (-half_w, 0.0, -half_l),
            (-half_w, rise, half_l),
            (half_w, rise, half_l),
            (half_w, 0.0, -half_l),
        ]
    )


def _ramp_side(x: float, half_l: float, rise: float) -> Mesh:
    corners = [(x, 0.0, -half_l), (x, 0.0, half_l), (x, rise, half_l)]
    p = np.array(corners if x < 0 else corners[::-1], dtype=np.float64)
    normal = np.cross(p[1] - p[0], p[2] - p[0])
    normal /= np.linalg.norm(normal)
    return Mesh(p, np.tile(normal, (3, 1)), np.array([[0, 1, 2]], dtype=np.int64))
