"""Whether something can stand where staff want it: the checks behind place, add and move.

A ``DraftScene`` looks at a draft (``world.staff_layout.StaffLayout``) the way the builder
will build it: the walls with their openings, the doors, the raised floors (a stage), and
every item's footprint. ``check(item_id)`` refuses, with one sentence and a reason code,
anything that would stand outside its room, in a wall, in front of a door, in the air or
half over the edge of a stage, or through the ceiling; a spawn point must be on walkable
floor, and a screen, board or sign must hang on a wall of its room. Overlapping other furniture is
only a warning: staff may mean it.

A refusal names the room the thing stands in and the wall it meets as seen from there: a
thing pushed from one room into the wall it shares with the next (its middle just past the
line between them) is still in the room it came from, and that room's wall is named.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from tools.refusals import PlacementRefused
from world.anchor_pieces import add_station_stand, anchor_placement
from world.anchor_walls import FLOAT_LIMIT, mounted_offset
from world.building import AnchorPlan, RoomPlan
from world.floor_plan import FloorRaster, rasterise
from world.furniture import place_furniture
from world.geometry import Placement
from world.pieces import Collider, Footprint, Obstacle, Pieces, Surface
from world.staff_layout import PlacedSign, StaffLayout
from world.walls import add_floors, add_walls

DOOR_CLEARANCE = 0.9  # metres kept free on each side of a door
# Things hung on a wall (a screen, a whiteboard) may touch its plaster: how far into a wall
# something may reach before it counts as standing in it.
WALL_TOLERANCE = 0.06
OVERLAP_TOLERANCE = 0.02  # overlaps smaller than this are contact, not collision
LEVEL_TOLERANCE = 0.03
POINT = 0.05  # half size of things that are only a point (a booth or stage anchor)
MOUNTED_KINDS = ("screen", "board")
OWN_KEYS = ("asset", "furniture", "spawn", "sign")  # other kinds are anchors (one id space)
SIGN_PLATE_DEPTH = 0.03  # a wall_sign's plate, its back at the sign's origin


@dataclass(frozen=True)
class Body:
    """Something in a room as the checks see it: footprints with heights, in world terms."""

    id: str
    kind: str
    label: str  # how a sentence names it: "station lab-1", "asset sofa-1 (sofa)"
    room: RoomPlan
    x: float
    z: float
    base: float  # world height of its underside (for a mounted screen: its bottom edge)
    parts: list[Obstacle]
    surfaces: list[Surface] = field(default_factory=list)  # raised floors it makes itself
    mounted: bool = False
    walk_over: bool = False  # a rug: no door check
    anchor: AnchorPlan | None = None  # for stations, screens, boards: as the draft has it


@dataclass
class CheckOutcome:
    item: str
    warnings: list[str] = field(default_factory=list)


def _corners(fp: Footprint) -> np.ndarray:
    c, s = math.cos(fp.yaw), math.sin(fp.yaw)
    local = np.array(
        [
            [-fp.half_x, -fp.half_z],
            [fp.half_x, -fp.half_z],
            [fp.half_x, fp.half_z],
            [-fp.half_x, fp.half_z],
        ]
    )
    # the inverse of Footprint.to_local: local (lx, lz) -> world
    x = c * local[:, 0] + s * local[:, 1]
    z = -s * local[:, 0] + c * local[:, 1]
    return np.stack([fp.x + x, fp.z + z], axis=1)


def _axes(fp: Footprint) -> np.ndarray:
    c, s = math.cos(fp.yaw), math.sin(fp.yaw)
    return np.array([[c, -s], [s, c]])


def overlap_depth(a: Footprint, b: Footprint) -> float:
    """How far two rotated rectangles overlap (separating axes); 0 or less: apart."""
    ca, cb = _corners(a), _corners(b)
    depth = math.inf
    for axis in (*_axes(a), *_axes(b)):
        pa, pb = ca @ axis, cb @ axis
        depth = min(depth, min(pa.max(), pb.max()) - max(pa.min(), pb.min()))
    return float(depth)


def _collider_footprint(c: Collider) -> tuple[Footprint, float, float]:
    fp = Footprint(c.centre[0], c.centre[2], c.size[0] / 2, c.size[2] / 2, c.yaw)
    return fp, c.centre[1] - c.size[1] / 2, c.centre[1] + c.size[1] / 2


def _side(body: Body, wall: Footprint) -> str:
    """Which wall of the body's room ``wall`` is, seen from the body: a wall running along
    x is north or south of it, one running along z west or east."""
    along_x = abs(math.cos(wall.yaw)) >= abs(math.sin(wall.yaw))
    runs_x = (wall.half_x >= wall.half_z) == along_x
    if runs_x:
        return "north" if wall.z < body.z else "south"
    return "west" if wall.x < body.x else "east"


class DraftScene:
    """A draft's walls, doors, raised floors and bodies, ready to check placements against."""

    def __init__(self, staff: StaffLayout) -> None:
        self.staff = staff
        plan = staff.plan
        walls = Pieces()
        add_floors(plan, walls)
        add_walls(plan, walls)
        self.walls = [_collider_footprint(c) for c in walls.colliders]
        self.rooms = {r.id: r for r in plan.rooms}
        self.bodies: dict[tuple[str, str], Body] = {}
        self._surfaces: list[tuple[str, Surface]] | None = None
        materials = set(plan.materials)
        for piece in staff.furniture:
            if piece.item.room is None:
                continue  # landscaping outside every room: nothing to check it against
            scratch = Pieces()
            place_furniture(piece.item, scratch, materials)
            room = self.rooms[piece.item.room]
            parts = scratch.obstacles or [self._point(piece.x, piece.z, piece.item.elevation)]
            self._add(
                Body(
                    piece.id,
                    "furniture",
                    f"{piece.item.type.replace('_', ' ')} {piece.id}",
                    room,
                    piece.x,
                    piece.z,
                    piece.item.elevation,
                    parts,
                    surfaces=scratch.surfaces,
                    walk_over=all(p.soft for p in scratch.obstacles),
                )
            )
        for anchor in plan.anchors:
            self._add(self._anchor_body(anchor))
        for placed in staff.placements:
            width, height, depth = placed.asset.size
            self._add(
                Body(
                    placed.id,
                    "asset",
                    f"{placed.asset.name} {placed.id} ({width:.2f} x {depth:.2f} m)",
                    self.rooms[placed.room],
                    placed.x,
                    placed.z,
                    placed.y,
                    [
                        Obstacle(
                            Footprint(placed.x, placed.z, width / 2, depth / 2, placed.yaw),
                            placed.y,
                            placed.y + height,
                        )
                    ],
                    walk_over=not placed.asset.solid,
                )
            )
        radius = plan.settings.avatar_radius
        for spawn in staff.spawns:
            room = self.rooms[spawn.room]
            base = self.floor_height(spawn.x, spawn.z, room)
            self._add(
                Body(
                    spawn.id,
                    "spawn",
                    f"spawn point {spawn.id}",
                    room,
                    spawn.x,
                    spawn.z,
                    base,
                    [Obstacle(Footprint(spawn.x, spawn.z, radius, radius), base, base + 1.8)],
                )
            )
        for sign in staff.signs:
            self._add(self._sign_body(sign))
        self._raster: FloorRaster | None = None

    @property
    def surfaces(self) -> list[tuple[str, Surface]]:
        """Every raised floor and the id of what makes it."""
        if self._surfaces is None:
            self._surfaces = [(b.id, s) for b in self.bodies.values() for s in b.surfaces]
        return self._surfaces

    # --- building the bodies ---------------------------------------------------------------

    def _add(self, body: Body) -> None:
        self.bodies[(body.kind if body.kind in OWN_KEYS else "anchor", body.id)] = body

    def _sign_body(self, sign: PlacedSign) -> Body:
        """The sign's plate as ``wall_sign`` builds it; its wall found as for a screen's."""
        room = self.rooms[sign.room]
        at = Placement(sign.x, room.elevation, sign.z, sign.yaw)
        centre = at.point((0.0, 0.0, SIGN_PLATE_DEPTH / 2))
        middle = room.elevation + sign.bottom + sign.width / 8
        half_height = (sign.height + 0.08) / 2
        part = Obstacle(
            Footprint(
                float(centre[0]),
                float(centre[2]),
                (sign.width + 0.08) / 2,
                SIGN_PLATE_DEPTH / 2,
                sign.yaw,
            ),
            middle - half_height,
            middle + half_height,
        )
        wall = AnchorPlan(sign.id, "sign", room.id, sign.x, sign.z, sign.bottom, sign.yaw, None, {})
        return Body(
            sign.id,
            "sign",
            f"sign {sign.id}",
            room,
            sign.x,
            sign.z,
            middle - half_height,
            [part],
            mounted=True,
            anchor=wall,
        )

    @staticmethod
    def _point(x: float, z: float, y: float) -> Obstacle:
        return Obstacle(Footprint(x, z, POINT, POINT), y, y + 2 * POINT)

    def _anchor_body(self, anchor: AnchorPlan) -> Body:
        plan = self.staff.plan
        room = self.rooms[anchor.room]
        at = anchor_placement(plan, anchor)
        label = f"{anchor.kind} {anchor.id}"
        if anchor.kind == "station":
            scratch = Pieces()
            add_station_stand(anchor, at, scratch)
            return Body(
                anchor.id,
                anchor.kind,
                label,
                room,
                at.x,
                at.z,
                at.y,
                scratch.obstacles,
                anchor=anchor,
            )
        if anchor.kind in MOUNTED_KINDS and anchor.size is not None:
            width, height = anchor.size
            if anchor.kind == "screen":
                half_x, half_z, local_z, below, above = width / 2 + 0.06, 0.03, -0.03, 0.06, 0.06
            else:
                header = min(2.4, width) / 8 + 0.35
                half_x, half_z, local_z, below, above = width / 2 + 0.05, 0.02, -0.02, 0.05, header
            centre = at.point((0.0, 0.0, local_z))
            bottom = at.y - height / 2 - below
            part = Obstacle(
                Footprint(float(centre[0]), float(centre[2]), half_x, half_z, at.yaw),
                bottom,
                at.y + height / 2 + above,
            )
            return Body(
                anchor.id,
                anchor.kind,
                label,
                room,
                at.x,
                at.z,
                bottom,
                [part],
                mounted=True,
                anchor=anchor,
            )
        return Body(
            anchor.id, anchor.kind, label, room, at.x, at.z, at.y, [self._point(at.x, at.z, at.y)]
        )

    # --- floor -------------------------------------------------------------------------------

    def floor_height(self, x: float, z: float, room: RoomPlan, skip: str | None = None) -> float:
        """Height of the floor one stands on at (x, z): the room's or a stage's, step's, ramp's."""
        height = room.elevation
        for owner, surface in self.surfaces:
            if owner != skip:
                fp = surface.footprint
                lx, lz = fp.to_local(x, z)
                if abs(lx) <= fp.half_x and abs(lz) <= fp.half_z:
                    height = max(
                        height, surface.height + surface.slope_x * lx + surface.slope_z * lz
                    )
        return height

    def raster(self) -> FloorRaster:
        """The walkable floor the builder will compute for this draft (for spawn points)."""
        if self._raster is None:
            plan = self.staff.plan
            pieces = Pieces()
            add_floors(plan, pieces)
            add_walls(plan, pieces)
            materials = set(plan.materials)
            for item in plan.furniture:
                place_furniture(item, pieces, materials)
            self.staff.add_pieces(pieces)
            for anchor in plan.anchors:
                at = anchor_placement(plan, anchor)
                if anchor.kind == "station":
                    add_station_stand(anchor, at, pieces)
            self._raster = rasterise(plan, pieces)
        return self._raster

    # --- the checks --------------------------------------------------------------------------

    def body(self, kind: str, item_id: str) -> Body:
        key = (kind if kind in OWN_KEYS else "anchor", item_id)
        return self.bodies[key]

    def check(self, kind: str, item_id: str, came_from: str | None = None) -> CheckOutcome:
        """Refuse (``PlacementRefused``) or pass with warnings: the item as the draft has it.

        ``came_from``: the room it stood in before this edit (a move)."""
        body = self._at_home(self.body(kind, item_id), came_from)
        outcome = CheckOutcome(item_id)
        self._check_room(body)
        self._check_height(body)
        self._check_walls(body)
        if not body.walk_over:
            self._check_doors(body)
        if body.mounted:
            self._check_on_wall(body)
        else:
            self._check_floor(body)
        if body.kind == "spawn":
            self._check_walkable(body)
        outcome.warnings += self._overlaps(body)
        return outcome

    def _at_home(self, body: Body, came_from: str | None) -> Body:
        """The body in the room it really stands in. Its middle inside the wall between the
        room it came from and the one the edit names (pushed into that wall, not through a
        door) leaves it in the room it came from: that is the room and wall to name."""
        home = self.rooms.get(came_from) if came_from else None
        room = body.room
        if home is None or home.id == room.id or home.floor != room.floor:
            return body
        reach = self.staff.plan.settings.exterior_wall_thickness
        if home.contains(body.x, body.z, margin=-reach) and not room.contains(
            body.x, body.z, margin=reach
        ):
            return replace(body, room=home)
        return body

    def _refuse(self, body: Body, what: str, reason: str) -> PlacementRefused:
        return PlacementRefused(f"{body.label} in {body.room.id}: {what}", reason=reason)

    def _check_room(self, body: Body) -> None:
        room = body.room
        for part in body.parts:
            corners = _corners(part.footprint)
            past = {
                "west": room.x0 - corners[:, 0].min(),
                "east": corners[:, 0].max() - room.x1,
                "north": room.z0 - corners[:, 1].min(),
                "south": corners[:, 1].max() - room.z1,
            }
            side = max(past, key=lambda k: past[k])
            if past[side] > WALL_TOLERANCE:
                raise self._refuse(
                    body,
                    f"reaches {past[side]:.2f} m past the {side} wall "
                    f"(the room is {room.x1 - room.x0:g} x {room.z1 - room.z0:g} m)",
                    "outside-room",
                )

    def _check_height(self, body: Body) -> None:
        room = body.room
        top = max(p.y1 for p in body.parts)
        ceiling = room.elevation + room.height
        if body.mounted and body.base < room.elevation - 1e-6:
            raise self._refuse(
                body,
                f"its bottom edge would be {room.elevation - body.base:.2f} m below the floor",
                "floor",
            )
        if top > ceiling + 1e-6 and body.kind != "spawn" and not room.outdoor:
            raise self._refuse(
                body,
                f"reaches {top - room.elevation:.2f} m high; the room is {room.height:g} m high",
                "ceiling",
            )

    def _check_walls(self, body: Body) -> None:
        for part in body.parts:
            for wall, y0, y1 in self.walls:
                if min(part.y1, y1) - max(part.y0, y0) <= OVERLAP_TOLERANCE:
                    continue
                depth = overlap_depth(part.footprint, wall)
                if depth > WALL_TOLERANCE:
                    side = _side(body, wall)
                    raise self._refuse(body, f"stands {depth:.2f} m into the {side} wall", "wall")

    def _check_doors(self, body: Body) -> None:
        plan = self.staff.plan
        for door in plan.doors:
            if body.room.id not in door.rooms:
                continue
            room = plan.room(door.rooms[0])
            across = plan.settings.exterior_wall_thickness / 2 + DOOR_CLEARANCE
            if door.axis == "x":
                zone = Footprint(door.x, door.z, door.width / 2, across)
            else:
                zone = Footprint(door.x, door.z, across, door.width / 2)
            bottom, top = room.elevation, room.elevation + door.height
            for part in body.parts:
                if min(part.y1, top) - max(part.y0, bottom) <= 0:
                    continue
                if overlap_depth(part.footprint, zone) > 0:
                    raise self._refuse(
                        body,
                        f"blocks door {door.id} "
                        f"(keep {DOOR_CLEARANCE:g} m in front of a door free)",
                        "door",
                    )

    def _check_on_wall(self, body: Body) -> None:
        """A screen, board or sign hangs with its back on the inner face of a wall of its
        room."""
        if body.anchor is None or body.room.outdoor:
            return
        anchor = replace(body.anchor, room=body.room.id)
        found = mounted_offset(self.staff.plan, anchor)
        if found is None:
            raise self._refuse(
                body,
                "hangs on no wall: turn its back to a wall of the room "
                "(facing 0 south, 90 east, 180 north, 270 west) and put it on that wall",
                "not-on-wall",
            )
        side, ahead = found
        if ahead > FLOAT_LIMIT:
            raise self._refuse(
                body,
                f"floats {ahead:.2f} m in front of the {side} wall; hang it on the wall",
                "not-on-wall",
            )

    def _check_floor(self, body: Body) -> None:
        expected = self.floor_height(body.x, body.z, body.room, skip=body.id)
        if abs(body.base - expected) > LEVEL_TOLERANCE:
            if body.base > expected:
                what = f"floats {body.base - expected:.2f} m above the floor"
            else:
                what = f"sinks {expected - body.base:.2f} m into the floor"
            level = expected - body.room.elevation
            raise self._refuse(
                body,
                f"{what}; leave y out to stand it on the floor (here {level:.2f} m)",
                "floor",
            )
        for part in body.parts:
            for cx, cz in _corners(part.footprint):
                under = self.floor_height(float(cx), float(cz), body.room, skip=body.id)
                if abs(under - body.base) > LEVEL_TOLERANCE:
                    raise self._refuse(
                        body,
                        "does not stand level: part of it is over a step or the edge of a stage",
                        "floor",
                    )

    def _check_walkable(self, body: Body) -> None:
        raster = self.raster()
        col = int((body.x - raster.origin_x) // raster.cell)
        row = int((body.z - raster.origin_z) // raster.cell)
        rows, cols = raster.heights.shape
        if not (0 <= row < rows and 0 <= col < cols) or np.isnan(raster.heights[row, col]):
            raise self._refuse(
                body,
                "is not on walkable floor (too close to a wall or in furniture)",
                "not-walkable",
            )

    def _overlaps(self, body: Body) -> list[str]:
        found = []
        for other in self.bodies.values():
            if other is body or other.room.id != body.room.id or other.kind == "spawn":
                continue
            if body.kind == "spawn" or other.walk_over or body.walk_over:
                continue
            for a in body.parts:
                if a.soft:
                    continue
                hit = any(
                    not b.soft
                    and min(a.y1, b.y1) - max(a.y0, b.y0) > OVERLAP_TOLERANCE
                    and overlap_depth(a.footprint, b.footprint) > OVERLAP_TOLERANCE
                    for b in other.parts
                )
                if hit:
                    found.append(f"{body.label} overlaps {other.label}")
                    break
        return found
