"""Where a group stands when a facilitator gathers it or leads it on a tour (no I/O).

``ring_spots`` finds places in rings around a point: each on the walkable floor, in the same
room, reachable from the centre in a straight line (no wall or furniture between), and at
least ``MIN_GAP_M`` from the others and from the centre. ``column_spots`` puts followers in
rows behind a walking leader. ``assign`` gives each person the free spot nearest to them, so
nobody crosses the whole circle. Yaws follow the protocol (0 looks along -Z).

>>> yaw_towards(np.array([0.0, 0.0, 0.0]), np.array([0.0, 0.0, -1.0]))
0.0
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from numpy.typing import NDArray

from server.core.worldview import WorldView

#: No two spots closer than this (an avatar is 0.25 m in radius).
MIN_GAP_M: Final = 0.75
#: The first ring's radius and the distance between rings and between neighbours on a ring.
FIRST_RING_M: Final = 1.3
RING_STEP_M: Final = 0.9
#: Rings stop here; beyond, people are spread over the room's floor.
MAX_RING_M: Final = 14.0
#: A spot the straight line from the centre does not reach within this is out of sight.
REACH_TOLERANCE_M: Final = 0.05
#: Followers walk in rows of this many, this far apart, the first row this far behind.
ROW_WIDTH: Final = 3
ROW_GAP_M: Final = 1.0
FIRST_ROW_M: Final = 1.5
SIDE_GAP_M: Final = 0.9

Points = NDArray[np.float64]


def yaw_towards(origin: NDArray[np.floating], target: NDArray[np.floating]) -> float:
    """The protocol yaw (0 looks along -Z) of someone at ``origin`` looking at ``target``."""
    dx = float(target[0] - origin[0])
    dz = float(target[2] - origin[2])
    if abs(dx) < 1e-9 and abs(dz) < 1e-9:
        return 0.0
    return math.atan2(-dx, -dz) + 0.0


def _reachable(world: WorldView, centre: Points, candidates: Points, room_index: int) -> Points:
    """The candidates one can walk to from ``centre`` in a straight line, on the floor of the
    room, each moved onto the floor (its height)."""
    if len(candidates) == 0:
        return candidates
    starts = np.repeat(centre[None, :], len(candidates), axis=0)
    ends = np.asarray(world.clamp_step(starts, candidates), dtype=np.float64)
    flat = np.hypot(ends[:, 0] - candidates[:, 0], ends[:, 2] - candidates[:, 2])
    ok = flat <= REACH_TOLERANCE_M
    ok &= np.asarray(world.is_walkable(ends), dtype=bool)
    ok &= np.asarray(world.room_at(ends)) == room_index
    return ends[ok]


def _spaced(chosen: list[NDArray[np.float64]], candidates: Points, count: int) -> None:
    """Add candidates in order, each at least ``MIN_GAP_M`` from all chosen, up to ``count``."""
    for point in candidates:
        if len(chosen) >= count:
            return
        if chosen:
            taken = np.asarray(chosen)
            gaps = np.hypot(taken[:, 0] - point[0], taken[:, 2] - point[2])
            if float(gaps.min()) < MIN_GAP_M:
                continue
        chosen.append(point)


def ring_spots(
    world: WorldView, centre: NDArray[np.floating], count: int, room_index: int
) -> Points:
    """``count`` spots around ``centre`` (fewer only when the room has no more floor)."""
    middle = np.asarray(centre, dtype=np.float64)
    chosen: list[NDArray[np.float64]] = [middle]  # nobody stands on the centre itself
    radius = FIRST_RING_M
    while len(chosen) <= count and radius <= MAX_RING_M:
        steps = max(6, int(2 * math.pi * radius / RING_STEP_M))
        angles = np.linspace(0.0, 2 * math.pi, steps, endpoint=False) + radius  # stagger rings
        ring = np.repeat(middle[None, :], steps, axis=0)
        ring[:, 0] += radius * np.sin(angles)
        ring[:, 2] += radius * np.cos(angles)
        _spaced(chosen, _reachable(world, middle, ring, room_index), count + 1)
        radius += RING_STEP_M
    if len(chosen) <= count:
        _spaced(chosen, _room_floor(world, room_index), count + 1)
    return np.asarray(chosen[1:], dtype=np.float64).reshape(-1, 3)


def _room_floor(world: WorldView, room_index: int) -> Points:
    """A grid of walkable points over the room (the last resort of a crowded gathering)."""
    room = world.rooms[room_index]
    low = np.asarray(room.bounds_min, dtype=np.float64)
    high = np.asarray(room.bounds_max, dtype=np.float64)
    xs = np.arange(low[0] + 0.5, high[0] - 0.4, MIN_GAP_M)
    zs = np.arange(low[2] + 0.5, high[2] - 0.4, MIN_GAP_M)
    grid = np.array([[x, low[1], z] for x in xs for z in zs], dtype=np.float64).reshape(-1, 3)
    if len(grid) == 0:
        return grid
    snapped = np.asarray(world.nearest_walkable(grid), dtype=np.float64)
    keep = np.asarray(world.is_walkable(snapped), dtype=bool)
    keep &= np.asarray(world.room_at(snapped)) == room_index
    return snapped[keep]


def column_spots(
    world: WorldView,
    leader: NDArray[np.floating],
    heading: float,
    count: int,
    room_index: int,
) -> Points:
    """Where ``count`` followers walk behind a leader heading ``heading`` (protocol yaw): in
    rows of ``ROW_WIDTH``. A spot behind a wall or off the floor is pulled in along the
    line from the leader."""
    origin = np.asarray(leader, dtype=np.float64)
    forward = np.array([-math.sin(heading), 0.0, -math.cos(heading)])
    right = np.array([math.cos(heading), 0.0, -math.sin(heading)])
    spots = np.empty((count, 3), dtype=np.float64)
    for i in range(count):
        row, place = divmod(i, ROW_WIDTH)
        in_row = min(ROW_WIDTH, count - row * ROW_WIDTH)
        side = (place - (in_row - 1) / 2) * SIDE_GAP_M
        spots[i] = origin - forward * (FIRST_ROW_M + row * ROW_GAP_M) + right * side
    if count == 0:
        return spots
    starts = np.repeat(origin[None, :], count, axis=0)
    pulled = np.asarray(world.clamp_step(starts, spots), dtype=np.float64)
    foreign = np.asarray(world.room_at(pulled)) != room_index
    pulled[foreign] = origin
    return pulled


def assign(people: Points, spots: Points) -> list[int]:
    """For each person (row of ``people``), the index of their spot: the nearest ones first
    choose the spot nearest to them. Needs at least as many spots as people."""
    if len(spots) < len(people):
        raise ValueError("fewer spots than people")
    if len(people) == 0:
        return []
    distance = np.hypot(
        people[:, None, 0] - spots[None, :, 0], people[:, None, 2] - spots[None, :, 2]
    )
    taken = np.zeros(len(spots), dtype=bool)
    out = [0] * len(people)
    for person in np.argsort(distance.min(axis=1), kind="stable").tolist():
        row = np.where(taken, np.inf, distance[person])
        spot = int(np.argmin(row))
        taken[spot] = True
        out[person] = spot
    return out
