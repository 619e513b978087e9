"""Checking a model against the hub conventions: every problem, not just the first.

``check_model`` reads a file the way the loader does, then looks further: spawn points on
the floor and in their rooms, doors one can walk through, every room reachable on foot (on
a floor of several storeys: up and down only along stairs and ramps),
the budget (triangles, file size, texture sizes), and the Khronos validator's verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from world import conventions as cv
from world.conventions import MAX_STEP_UP
from world.floor import WalkableFloor
from world.gltf_reader import ModelFileError, read_gltf_file
from world.khronos import KhronosReport, validate_file
from world.model import World
from world.venue import read_venue

MAX_TRIANGLES = 150_000
MAX_BYTES = 10 * 1024 * 1024


@dataclass
class CheckResult:
    path: Path
    problems: list[str] = field(default_factory=list)
    world: World | None = None
    khronos: KhronosReport | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def _is_pow2(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def check_model(path: Path | str, run_khronos: bool = True) -> CheckResult:
    """All convention, budget and validator problems of one model file."""
    result = CheckResult(Path(path))
    doc, data = read_gltf_file(path)
    venue = read_venue(doc)
    result.problems += [f"error: {p}" for p in venue.errors]
    result.problems += [f"warning: {p}" for p in venue.warnings]
    if len(data) > MAX_BYTES:
        result.problems.append(
            f"budget: the file has {len(data) / 1e6:.1f} MB (limit {MAX_BYTES / 1e6:.0f} MB)"
        )
    if run_khronos:
        report = validate_file(path)
        result.khronos = report
        for message in report.messages:
            if message.severity in ("error", "warning"):
                result.problems.append(f"khronos {message.severity}: {message}")
        triangles = int(report.info.get("totalTriangleCount", 0))
        if triangles > MAX_TRIANGLES:
            result.problems.append(f"budget: {triangles} triangles (limit {MAX_TRIANGLES})")
        for resource in report.info.get("resources", []):
            image = resource.get("image")
            if image and not (
                _is_pow2(int(image.get("width", 0))) and _is_pow2(int(image.get("height", 0)))
            ):
                size = f"{image.get('width')}x{image.get('height')}"
                pointer = resource.get("pointer")
                result.problems.append(f"texture {pointer}: {size} is not a power of two")
    if venue.errors:
        return result
    try:
        floor = venue.walkable_floor()
    except ModelFileError as exc:
        result.problems.append(f"error: {exc}")
        return result
    world = World(venue.rooms, venue.spawns, venue.anchors, venue.doors, floor, source=doc.source)
    result.world = world
    result.problems += [f"warning: {p}" for p in _check_places(world)]
    return result


def _check_places(world: World) -> list[str]:
    problems: list[str] = []
    if world.spawns:
        positions = np.stack([s.position for s in world.spawns])
        walkable = world.is_walkable(positions)
        rooms = world.room_at(positions)
        for spawn, ok, room in zip(world.spawns, walkable, rooms, strict=True):
            if not ok:
                problems.append(f"spawn point {spawn.id} is not on the walkable floor")
            if room != world.room_index(spawn.room_id):
                problems.append(f"spawn point {spawn.id} is outside its room {spawn.room_id}")
        per_room = {r.id: len(world.spawns_for(r.id)) for r in world.rooms}
        for room_id, count in per_room.items():
            if 0 < count < 2:
                problems.append(
                    f"room {room_id} has only {count} spawn point; newcomers will stack"
                )
    for anchor in world.anchors:
        index = world.room_index(anchor.room_id)
        room = world.rooms[index]
        if not (
            np.all(anchor.position >= room.bounds_min - 0.5)
            and np.all(anchor.position <= room.bounds_max + 0.5)
        ):
            problems.append(f"anchor {anchor.id} lies outside its room {anchor.room_id}")
    for door in world.doors:
        if not world.is_walkable(door.position)[0]:
            problems.append(
                f"door {door.id}: one cannot walk through it (no walkable floor at its centre; "
                f"narrower than {2 * cv.AVATAR_RADIUS:.1f} m plus clearance?)"
            )
    problems += _check_reachable(world)
    return problems


def _floor_regions(floor: WalkableFloor) -> npt.NDArray[np.intp]:
    """Label each walkable cell of each layer by the part of the floor one reaches on foot.

    Neighbouring cells (sharing a side) join where their surfaces differ by at most a stair
    step, whatever layer each is in: storeys above one another join only along stairs and
    ramps. Returns ``(layers, rows, cols)``, 0 where there is no floor, else 1, 2, …
    """
    heights = floor.heights.astype(np.float64)
    layers = heights.shape[0]
    walkable = ~np.isnan(heights)
    ids = np.full(heights.shape, -1, dtype=np.intp)
    ids[walkable] = np.arange(int(walkable.sum()))
    starts, ends = [], []
    for a_slice, b_slice in (
        ((slice(None), slice(None, -1)), (slice(None), slice(1, None))),
        ((slice(None, -1), slice(None)), (slice(1, None), slice(None))),
    ):
        for la in range(layers):
            for lb in range(layers):
                ha, hb = heights[la][a_slice], heights[lb][b_slice]
                with np.errstate(invalid="ignore"):
                    joined = np.abs(ha - hb) <= MAX_STEP_UP
                starts.append(ids[la][a_slice][joined])
                ends.append(ids[lb][b_slice][joined])
    count = int(walkable.sum())
    edges = np.concatenate(starts), np.concatenate(ends)
    graph = coo_matrix((np.ones(len(edges[0])), edges), shape=(count, count))
    _, labels = connected_components(graph, directed=False)
    out = np.zeros(heights.shape, dtype=np.intp)
    out[walkable] = labels + 1
    return out


def _check_reachable(world: World) -> list[str]:
    """Every room with spawn points can be reached on foot from every other."""
    if not world.spawns:
        return []
    labels = _floor_regions(world.floor)
    positions = np.stack([s.position for s in world.spawns])
    row = np.floor((positions[:, 2] - world.floor.origin_z) / world.floor.cell).astype(int)
    col = np.floor((positions[:, 0] - world.floor.origin_x) / world.floor.cell).astype(int)
    _, rows, cols = labels.shape
    inside = (row >= 0) & (row < rows) & (col >= 0) & (col < cols)
    row, col = np.clip(row, 0, rows - 1), np.clip(col, 0, cols - 1)
    column = world.floor.heights[:, row, col].astype(np.float64)  # (layers, spawns)
    gap = np.where(np.isnan(column), np.inf, np.abs(column - positions[:, 1][None, :]))
    layer = np.argmin(gap, axis=0)
    region = np.where(inside, labels[layer, row, col], 0)
    main = np.bincount(region[region > 0]).argmax() if (region > 0).any() else 0
    cut_off = sorted(
        {s.room_id for s, r in zip(world.spawns, region, strict=True) if r != main and r > 0}
    )
    return [f"room {room_id} cannot be reached on foot from the others" for room_id in cut_off]
