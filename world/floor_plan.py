"""The builder's view of the floor: which cells one may stand on, the walkable mesh, spawns.

Room rectangles give the floor; raised surfaces (a stage, its steps, a ramp, a flight of
stairs) replace it where they stand; walls and furniture cut it away, widened by the avatar
radius. Each floor of the building is rasterised on its own (one grid, the same cells), so a
room above another does not hide it; where stairs rise through a floor, that floor has an
opening. The result is written into the model as one hidden mesh of rectangles on the same
10 cm grid the loader reads it back into (stacked into layers there), and spawn points are
spread over each room where there is room to stand.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from world.building import BuildingPlan, RoomPlan
from world.conventions import AVATAR_HEIGHT, GRID_CELL
from world.floor import WalkableFloor
from world.pieces import Footprint, Obstacle, Pieces, Surface

SPAWN_CLEARANCE = 0.45  # metres from anything one cannot walk through
SPAWN_SOFT_MARGIN = 0.35  # and this far from chairs and stools
AUDIENCE_DISTANCE = 2.5  # spawn points stand at least this far in front of a stage or screen


@dataclass(frozen=True)
class SpawnSpot:
    id: str
    room: str
    x: float
    y: float
    z: float
    yaw: float


@dataclass
class FloorRaster:
    """One layer of walkable heights and which surface each cell belongs to."""

    heights: npt.NDArray[np.float64]  # (rows, cols), NaN = not walkable
    surface: npt.NDArray[np.int64]  # (rows, cols), -1 = none
    origin_x: float
    origin_z: float
    cell: float
    planes: list[tuple[Footprint | None, float, float, float]]  # per surface id
    floor: str = ""  # the floor's id

    def centres(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        rows, cols = self.heights.shape
        x = self.origin_x + (np.arange(cols) + 0.5) * self.cell
        z = self.origin_z + (np.arange(rows) + 0.5) * self.cell
        return np.meshgrid(x, z)


def _footprint_mask(
    fp: Footprint, px: npt.NDArray[np.float64], pz: npt.NDArray[np.float64], grow: float
) -> npt.NDArray[np.bool_]:
    c, s = math.cos(fp.yaw), math.sin(fp.yaw)
    dx, dz = px - fp.x, pz - fp.z
    lx, lz = c * dx - s * dz, s * dx + c * dz
    return (np.abs(lx) <= fp.half_x + grow) & (np.abs(lz) <= fp.half_z + grow)


def _window(raster: FloorRaster, fp: Footprint, grow: float) -> tuple[slice, slice]:
    reach = math.hypot(fp.half_x, fp.half_z) + grow + raster.cell
    rows, cols = raster.heights.shape
    c0 = max(int((fp.x - reach - raster.origin_x) // raster.cell), 0)
    c1 = min(int((fp.x + reach - raster.origin_x) // raster.cell) + 1, cols)
    r0 = max(int((fp.z - reach - raster.origin_z) // raster.cell), 0)
    r1 = min(int((fp.z + reach - raster.origin_z) // raster.cell) + 1, rows)
    return slice(r0, max(r0, r1)), slice(c0, max(c0, c1))


def surface_floor(plan: BuildingPlan, surface: Surface) -> str:
    """The floor a raised surface stands on: the highest floor at or below it, there."""
    fp, floors = surface.footprint, plan.floors
    below = [r for r in plan.rooms if r.contains(fp.x, fp.z) and r.elevation <= surface.height]
    if below:
        return max(below, key=lambda r: r.elevation).floor
    under = [f for f in floors if f.elevation <= surface.height] or floors[:1]
    return max(under, key=lambda f: f.elevation).id


def rasterise_floors(
    plan: BuildingPlan, pieces: Pieces, cell: float = GRID_CELL
) -> list[FloorRaster]:
    """One raster per floor that has rooms, all on the same grid, lowest floor first."""
    used = {r.floor for r in plan.rooms}
    floors = sorted((f for f in plan.floors if f.id in used), key=lambda f: f.elevation)
    return [rasterise(plan, pieces, cell, f.id) for f in floors]


def rasterise(
    plan: BuildingPlan, pieces: Pieces, cell: float = GRID_CELL, floor: str | None = None
) -> FloorRaster:
    """Walkable heights of one floor (the first without ``floor``) of the building.

    The grid is aligned to multiples of ``cell`` and spans every room of every floor.
    Surface ids are room indices in ``plan.rooms``, then the raised surfaces.
    """
    lowest = min(plan.rooms, key=lambda r: r.elevation).floor
    floor_id = floor if floor is not None else lowest
    single = len({r.floor for r in plan.rooms}) == 1
    x0 = math.floor(min(r.x0 for r in plan.rooms) / cell) - 2
    x1 = math.ceil(max(r.x1 for r in plan.rooms) / cell) + 2
    z0 = math.floor(min(r.z0 for r in plan.rooms) / cell) - 2
    z1 = math.ceil(max(r.z1 for r in plan.rooms) / cell) + 2
    rows, cols = z1 - z0, x1 - x0
    raster = FloorRaster(
        heights=np.full((rows, cols), np.nan),
        surface=np.full((rows, cols), -1, dtype=np.int64),
        origin_x=x0 * cell,
        origin_z=z0 * cell,
        cell=cell,
        planes=[],
        floor=floor_id,
    )
    px, pz = raster.centres()
    for index, room in enumerate(plan.rooms):
        if room.floor == floor_id:
            inside = (px > room.x0) & (px < room.x1) & (pz > room.z0) & (pz < room.z1)
            raster.heights[inside] = room.elevation
            raster.surface[inside] = index
        raster.planes.append((None, room.elevation, 0.0, 0.0))
    for stairs in plan.stairs:
        if plan.room(stairs.rooms[1]).floor == floor_id:
            sx0, sx1, sz0, sz1 = stairs.extent()
            hole = (px > sx0) & (px < sx1) & (pz > sz0) & (pz < sz1)
            raster.heights[hole] = np.nan
            raster.surface[hole] = -1
    for surface in pieces.surfaces:
        if single or surface_floor(plan, surface) == floor_id:
            _raise_surface(raster, surface, len(raster.planes))
        raster.planes.append((surface.footprint, surface.height, surface.slope_x, surface.slope_z))
    radius = plan.settings.avatar_radius
    for obstacle in pieces.obstacles:
        if not obstacle.soft:
            _cut(raster, obstacle, radius)
    _cut_colliders(raster, pieces)
    return raster


def _cut_colliders(raster: FloorRaster, pieces: Pieces) -> None:
    """Take away what the loader will take away under colliders, so both agree cell by cell."""
    if not pieces.colliders:
        return
    floor = WalkableFloor(
        raster.heights[None].astype(np.float32), raster.origin_x, raster.origin_z, raster.cell
    )
    rotations = []
    for c in pieces.colliders:
        cos, sin = math.cos(c.yaw), math.sin(c.yaw)
        rotations.append([[cos, 0.0, sin], [0.0, 1.0, 0.0], [-sin, 0.0, cos]])
    floor.subtract_boxes(
        [c.centre for c in pieces.colliders],
        [[v / 2 for v in c.size] for c in pieces.colliders],
        rotations,
    )
    gone = np.isnan(floor.heights[0]) & ~np.isnan(raster.heights)
    raster.heights[gone] = np.nan
    raster.surface[gone] = -1


def _raise_surface(raster: FloorRaster, surface: Surface, sid: int) -> None:
    fp = surface.footprint
    rs, cs = _window(raster, fp, 0.0)
    px, pz = (a[rs, cs] for a in raster.centres())
    inside = _footprint_mask(fp, px, pz, 1e-6)
    c, s = math.cos(fp.yaw), math.sin(fp.yaw)
    lx = c * (px - fp.x) - s * (pz - fp.z)
    lz = s * (px - fp.x) + c * (pz - fp.z)
    h = surface.height + surface.slope_x * lx + surface.slope_z * lz
    raster.heights[rs, cs] = np.where(inside, h, raster.heights[rs, cs])
    raster.surface[rs, cs] = np.where(inside, sid, raster.surface[rs, cs])


def _cut(raster: FloorRaster, obstacle: Obstacle, radius: float) -> None:
    rs, cs = _window(raster, obstacle.footprint, radius)
    px, pz = (a[rs, cs] for a in raster.centres())
    inside = _footprint_mask(obstacle.footprint, px, pz, radius)
    h = raster.heights[rs, cs]
    reaches = (obstacle.y1 > h + 0.05) & (obstacle.y0 < h + AVATAR_HEIGHT)
    hit = inside & reaches
    raster.heights[rs, cs] = np.where(hit, np.nan, h)
    raster.surface[rs, cs] = np.where(hit, -1, raster.surface[rs, cs])


def _plane_height(plane: tuple[Footprint | None, float, float, float], x: float, z: float) -> float:
    fp, h, slope_x, slope_z = plane
    if fp is None:
        return h
    c, s = math.cos(fp.yaw), math.sin(fp.yaw)
    lx = c * (x - fp.x) - s * (z - fp.z)
    lz = s * (x - fp.x) + c * (z - fp.z)
    return h + slope_x * lx + slope_z * lz


def rectangles(raster: FloorRaster) -> list[tuple[int, int, int, int, int]]:
    """Cover the walkable cells with few rectangles: (row0, row1, col0, col1, surface id)."""
    rows, _ = raster.surface.shape
    open_runs: dict[tuple[int, int, int], int] = {}  # (c0, c1, sid) -> starting row
    out: list[tuple[int, int, int, int, int]] = []
    for r in range(rows + 1):
        runs: set[tuple[int, int, int]] = set()
        if r < rows:
            line = raster.surface[r]
            change = np.nonzero(np.diff(line) != 0)[0] + 1
            starts = np.concatenate([[0], change])
            ends = np.concatenate([change, [len(line)]])
            for a, b in zip(starts, ends, strict=True):
                sid = int(line[a])
                if sid >= 0:
                    runs.add((int(a), int(b), sid))
        for key in [k for k in open_runs if k not in runs]:
            c0, c1, sid = key
            out.append((open_runs.pop(key), r, c0, c1, sid))
        for key in runs:
            open_runs.setdefault(key, r)
    return sorted(out)


def walkable_mesh(
    rasters: FloorRaster | Sequence[FloorRaster],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """The walkable floor of one or more floors as triangles (positions, indices)."""
    positions: list[tuple[float, float, float]] = []
    triangles: list[tuple[int, int, int]] = []
    for raster in [rasters] if isinstance(rasters, FloorRaster) else rasters:
        _add_rectangles(raster, positions, triangles)
    return np.array(positions, dtype=np.float64), np.array(triangles, dtype=np.int64)


def _add_rectangles(
    raster: FloorRaster,
    positions: list[tuple[float, float, float]],
    triangles: list[tuple[int, int, int]],
) -> None:
    """Two triangles per rectangle of one floor's walkable cells."""
    for r0, r1, c0, c1, sid in rectangles(raster):
        xa = raster.origin_x + c0 * raster.cell
        xb = raster.origin_x + c1 * raster.cell
        za = raster.origin_z + r0 * raster.cell
        zb = raster.origin_z + r1 * raster.cell
        plane = raster.planes[sid]
        base = len(positions)
        for x, z in ((xa, za), (xb, za), (xb, zb), (xa, zb)):
            positions.append((x, round(_plane_height(plane, x, z), 5), z))
        triangles.append((base, base + 2, base + 1))
        triangles.append((base, base + 3, base + 2))


def place_spawns(
    plan: BuildingPlan,
    raster: FloorRaster,
    pieces: Pieces,
    focus: dict[str, tuple[float, float, float]],
) -> list[SpawnSpot]:
    """``room.spawns`` points per room, spread out, clear of furniture.

    ``focus`` gives a room's stage or main screen as (x, z, yaw): its spawn points stand in
    front of it, where an audience would, and look at it; elsewhere they look at the middle.
    """
    walkable = ~np.isnan(raster.heights)
    clearance = ndimage.distance_transform_edt(walkable) * raster.cell
    px, pz = raster.centres()
    soft = np.zeros_like(walkable)
    for obstacle in pieces.obstacles:
        if obstacle.soft:
            rs, cs = _window(raster, obstacle.footprint, SPAWN_SOFT_MARGIN)
            soft[rs, cs] |= _footprint_mask(
                obstacle.footprint, px[rs, cs], pz[rs, cs], SPAWN_SOFT_MARGIN
            )
    spots: list[SpawnSpot] = []
    for index, room in enumerate(plan.rooms):
        ok = (raster.surface == index) & (clearance >= SPAWN_CLEARANCE) & ~soft
        cand = np.nonzero(ok)[0], np.nonzero(ok)[1]
        if len(cand[0]) == 0:
            ok = (raster.surface == index) & (clearance >= raster.cell * 1.5)
            cand = np.nonzero(ok)[0], np.nonzero(ok)[1]
        if len(cand[0]) == 0:
            continue
        xs, zs = px[cand], pz[cand]
        # prefer the inner part of the room, so nobody arrives squeezed into a corner
        inner = (np.abs(xs - room.centre[0]) <= (room.x1 - room.x0) * 0.35) & (
            np.abs(zs - room.centre[1]) <= (room.z1 - room.z0) * 0.35
        )
        if room.id in focus:
            fx, fz, fyaw = focus[room.id]
            ahead = (xs - fx) * math.sin(fyaw) + (zs - fz) * math.cos(fyaw)
            inner &= ahead >= AUDIENCE_DISTANCE
        else:
            fx, fz = room.centre
        if inner.sum() >= room.spawns * 20:
            cand = (cand[0][inner], cand[1][inner])
            xs, zs = xs[inner], zs[inner]
        chosen = _spread(room, xs, zs, clearance[cand], room.spawns)
        for k, i in enumerate(chosen):
            x, z = float(xs[i]), float(zs[i])
            yaw = math.atan2(fx - x, fz - z) if math.hypot(fx - x, fz - z) > 0.5 else 0.0
            spots.append(
                SpawnSpot(
                    f"{room.id}-{k + 1}",
                    room.id,
                    round(x, 3),
                    float(raster.heights[cand[0][i], cand[1][i]]),
                    round(z, 3),
                    round(yaw, 4),
                )
            )
    return spots


def _spread(
    room: RoomPlan,
    xs: npt.NDArray[np.float64],
    zs: npt.NDArray[np.float64],
    clearance: npt.NDArray[np.float64],
    count: int,
) -> list[int]:
    """Farthest-point sampling, starting from a roomy spot near the room's middle."""
    cx, cz = room.centre
    first = int(np.argmax(np.minimum(clearance, 1.5) - 0.05 * np.hypot(xs - cx, zs - cz)))
    chosen = [first]
    dist = np.hypot(xs - xs[first], zs - zs[first])
    for _ in range(min(count, len(xs)) - 1):
        nxt = int(np.argmax(dist))
        if dist[nxt] <= 0:
            break
        chosen.append(nxt)
        dist = np.minimum(dist, np.hypot(xs - xs[nxt], zs - zs[nxt]))
    return chosen
