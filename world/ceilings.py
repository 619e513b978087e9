"""Ceilings with light fittings over every indoor room; outdoor rooms stay open to the sky.

A ceiling is one downward-facing surface at the room's height. It is single-sided, so a
camera above the building looks straight through it into the rooms (and a ray cast from
above passes it). The fittings are flat luminous panels in a regular grid, their long side
along the room's longer side; they hang 4 cm below the ceiling in a slim white frame.
Where stairs rise through the floor above, the ceiling has the same opening and no fitting
hangs near it. Everything goes into the ``ceiling`` group, which the builder writes as a
node of its own (``extras.hubtwin.type = "ceiling"``) so that clients can leave it out of
click targets.
"""

from __future__ import annotations

import math

from world.building import BuildingPlan, RoomPlan
from world.geometry import Mesh, Placement, box_faces, quad
from world.pieces import Pieces
from world.stairs import rect_without, slab_holes

GROUP = "ceiling"
CEILING_MATERIAL = "ceiling"
PANEL_MATERIAL = "light-panel"
TRIM_MATERIAL = "laminate-white"
SPACING = 3.0  # metres between fittings
INSET = 1.4  # no fitting closer than this to a wall
PANEL = (1.2, 0.3)  # length, width in metres
PANEL_DROP = 0.04  # how far a fitting hangs below the ceiling


def _centres(lo: float, hi: float) -> list[float]:
    span = hi - lo - 2 * INSET
    count = max(1, math.floor(span / SPACING + 1e-9) + 1) if span > 0 else 1
    middle = (lo + hi) / 2
    return [middle + (k - (count - 1) / 2) * SPACING for k in range(count)]


def ceiling_mesh(room: RoomPlan, part: tuple[float, float, float, float] | None = None) -> Mesh:
    """The room's ceiling (or the ``part`` x0, x1, z0, z1 of it) at its height, seen from below."""
    top = room.elevation + room.height
    x0, x1, z0, z1 = part or (room.x0, room.x1, room.z0, room.z1)
    x, z = (x0 + x1) / 2, (z0 + z1) / 2
    flat = quad(x1 - x0, z1 - z0)
    positions = flat.positions[:, [0, 2, 1]].copy()  # the XY rectangle laid into XZ: the
    # swap mirrors it, which turns its winding to face -Y, the way its normals now point
    positions[:, 0] += x
    positions[:, 1] = top
    positions[:, 2] += z
    normals = flat.normals[:, [0, 2, 1]] * -1.0  # facing down
    return Mesh(positions, normals, flat.triangles.copy())


def add_ceilings(plan: BuildingPlan, pieces: Pieces) -> int:
    """A ceiling and its fittings for every indoor room; returns the number of fittings."""
    fittings = 0
    for room in plan.rooms:
        if room.outdoor:
            continue
        holes = slab_holes(plan, room, ceiling=True)
        if holes:
            whole = (room.x0, room.x1, room.z0, room.z1)
            for part in rect_without(whole, holes):
                pieces.add(GROUP, CEILING_MATERIAL, ceiling_mesh(room, part))
        else:
            pieces.add(GROUP, CEILING_MATERIAL, ceiling_mesh(room))
        top = room.elevation + room.height
        along_x = (room.x1 - room.x0) >= (room.z1 - room.z0)
        length, width = PANEL if along_x else PANEL[::-1]
        for cx in _centres(room.x0, room.x1):
            for cz in _centres(room.z0, room.z1):
                if _in_holes(cx, cz, holes):
                    continue
                at = Placement(cx, top - PANEL_DROP / 2, cz)
                faces = box_faces((length, PANEL_DROP, width))
                for name, face in faces.items():
                    if name == "+y":
                        continue  # against the ceiling: never seen
                    material = PANEL_MATERIAL if name == "-y" else TRIM_MATERIAL
                    pieces.add(GROUP, material, face, at)
                fittings += 1
    return fittings


def _in_holes(x: float, z: float, holes: list[tuple[float, float, float, float]]) -> bool:
    """Whether a fitting at x, z would hang over (or within 0.8 m of) an opening."""
    m = 0.8
    return any(x0 - m <= x <= x1 + m and z0 - m <= z <= z1 + m for x0, x1, z0, z1 in holes)


def fitting_positions(plan: BuildingPlan) -> list[tuple[str, float, float, float]]:
    """Where the fittings hang: (room id, x, y, z) of each panel's luminous face."""
    out = []
    for room in plan.rooms:
        if room.outdoor:
            continue
        top = room.elevation + room.height - PANEL_DROP
        holes = slab_holes(plan, room, ceiling=True)
        for cx in _centres(room.x0, room.x1):
            for cz in _centres(room.z0, room.z1):
                if not _in_holes(cx, cz, holes):
                    out.append((room.id, cx, top, cz))
    return out
