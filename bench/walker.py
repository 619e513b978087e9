"""Where the load generator's avatars walk: paths on walkable floor, inside their room.

Each avatar gets a polyline from where the server placed it, through random points of its
room; every leg is checked against the same world model the server uses (the floor is
flat along the whole leg, ``clamp_step`` lets it and two lines beside it through, both ends
are in the room), so the server has no reason to correct a pose. The avatar walks the
polyline to its end and back, forever, at its own speed; ``Path.at(t)`` is where it is
``t`` seconds after it started.
"""

from __future__ import annotations

import bisect
import itertools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from world.model import World

#: Candidate points tried per avatar for each leg.
CANDIDATES = 24
#: Legs are kept this far from the room's walls (metres).
WALL_MARGIN = 0.6
#: How often a leg is sampled when checking that its floor is flat (metres).
SAMPLE_STEP = 0.25
#: Shortest and longest leg (metres).
LEG_MIN, LEG_MAX = 2.0, 12.0
#: Legs keep this much clear floor on either side (metres), so that the server, which may
#: get two poses of one avatar in one tick and checks the straight step between them, never
#: sees a step that grazes furniture where the path turns.
CLEARANCE = 0.2


@dataclass(frozen=True)
class Path:
    """A walk along ``points`` (metres, (n, 3)) and back, at ``speed`` m/s."""

    points: tuple[tuple[float, float, float], ...]
    cumulative: tuple[float, ...]
    speed: float

    @property
    def length(self) -> float:
        return self.cumulative[-1]

    def at(self, t: float) -> tuple[float, float, float, float]:
        """Position x, y, z and protocol yaw (0 looks along -Z) ``t`` seconds in."""
        total = self.length
        if total <= 0.0:
            x, y, z = self.points[0]
            return x, y, z, (t * 0.5) % (2 * math.pi) - math.pi  # turning on the spot
        s = (t * self.speed) % (2 * total)
        backwards = s > total
        if backwards:
            s = 2 * total - s
        leg = min(bisect.bisect_right(self.cumulative, s), len(self.points) - 1)
        ax, ay, az = self.points[leg - 1]
        bx, _, bz = self.points[leg]
        span = self.cumulative[leg] - self.cumulative[leg - 1]
        f = (s - self.cumulative[leg - 1]) / span if span > 0 else 0.0
        dx, dz = bx - ax, bz - az
        if backwards:
            dx, dz = -dx, -dz
        return ax + (bx - ax) * f, ay, az + (bz - az) * f, math.atan2(-dx, -dz)


def plan_paths(
    world: World,
    starts: NDArray[np.floating],
    room_indices: NDArray[np.integer],
    rng: np.random.Generator,
    *,
    legs: int = 6,
    speed: tuple[float, float] = (1.1, 1.7),
) -> list[Path]:
    """A path for each start (metres, (n, 3)) in its room, all legs checked at once."""
    starts = np.asarray(starts, dtype=np.float64).reshape(-1, 3)
    count = len(starts)
    rooms = np.asarray(room_indices, dtype=np.intp)
    lows = np.array([world.rooms[i].bounds_min for i in rooms], dtype=np.float64).reshape(-1, 3)
    highs = np.array([world.rooms[i].bounds_max for i in rooms], dtype=np.float64).reshape(-1, 3)
    current = starts.copy()
    points = [starts.copy()]
    for _ in range(legs):
        nxt = _next_points(world, current, rooms, lows, highs, rng)
        points.append(nxt)
        current = nxt
    stacked = np.stack(points, axis=1)  # (count, legs + 1, 3)
    speeds = rng.uniform(speed[0], speed[1], size=count)
    paths = []
    for i in range(count):
        row = stacked[i]
        keep = [row[0]]
        for point in row[1:]:
            if np.hypot(point[0] - keep[-1][0], point[2] - keep[-1][2]) > 1e-6:
                keep.append(point)
        steps = [float(np.hypot(b[0] - a[0], b[2] - a[2])) for a, b in itertools.pairwise(keep)]
        cumulative = tuple(np.concatenate([[0.0], np.cumsum(steps)]).tolist())
        paths.append(
            Path(
                tuple((float(p[0]), float(p[1]), float(p[2])) for p in keep),
                cumulative,
                float(speeds[i]),
            )
        )
    return paths


def _next_points(
    world: World,
    current: NDArray[np.float64],
    rooms: NDArray[np.intp],
    lows: NDArray[np.float64],
    highs: NDArray[np.float64],
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """For each avatar a reachable point of its room (or where it is, if none was found)."""
    count = len(current)
    k = CANDIDATES
    angle = rng.uniform(0, 2 * math.pi, size=(count, k))
    reach = rng.uniform(LEG_MIN, LEG_MAX, size=(count, k))
    cand = np.repeat(current[:, None, :], k, axis=1)
    cand[:, :, 0] += reach * np.cos(angle)
    cand[:, :, 2] += reach * np.sin(angle)
    lo = lows[:, None, :] + WALL_MARGIN
    hi = highs[:, None, :] - WALL_MARGIN
    inside = (cand[:, :, 0] > lo[:, :, 0]) & (cand[:, :, 0] < hi[:, :, 0])
    inside &= (cand[:, :, 2] > lo[:, :, 2]) & (cand[:, :, 2] < hi[:, :, 2])
    flat_cand = cand.reshape(-1, 3)
    start = np.repeat(current, k, axis=0)
    ok = inside.reshape(-1) & (np.asarray(world.room_at(flat_cand)) == np.repeat(rooms, k))
    ok[ok] = _flat_leg(world, start[ok], flat_cand[ok])
    # clamp_step is the expensive check: only for a few legs per avatar that passed the others
    rows = ok.reshape(count, k)
    rows &= np.cumsum(rows, axis=1) <= 4
    left = np.flatnonzero(ok)
    a, b = start[left], flat_cand[left]
    direction = b - a
    length = np.maximum(np.hypot(direction[:, 0], direction[:, 2]), 1e-9)
    side = np.zeros_like(a)
    side[:, 0] = -direction[:, 2] / length * CLEARANCE
    side[:, 2] = direction[:, 0] / length * CLEARANCE
    clear = np.ones(len(left), dtype=bool)
    # the leg and two lines beside it: a tick's step that cuts a corner stays on clear floor
    for offset in (0.0, 1.0, -1.0):
        ends = b + side * offset
        stepped = np.asarray(world.clamp_step(a + side * offset, ends), dtype=np.float64)
        clear &= np.hypot(stepped[:, 0] - ends[:, 0], stepped[:, 2] - ends[:, 2]) < 1e-3
    ok[left] = clear
    valid = ok.reshape(count, k)
    first = np.argmax(valid, axis=1)
    found = valid[np.arange(count), first]
    chosen = cand[np.arange(count), first]
    chosen[:, 1] = current[:, 1]
    return np.where(found[:, None], chosen, current)


def _flat_leg(
    world: World, start: NDArray[np.float64], end: NDArray[np.float64]
) -> NDArray[np.bool_]:
    """Whether the floor under each leg is walkable and at the start's height all along."""
    samples = math.ceil(LEG_MAX / SAMPLE_STEP) + 1
    f = np.linspace(0.0, 1.0, samples)
    along = start[:, None, :] + (end - start)[:, None, :] * f[None, :, None]
    heights = np.asarray(world.floor_height(along.reshape(-1, 3)), dtype=np.float64)
    heights = heights.reshape(len(start), samples)
    return np.all(np.abs(heights - start[:, 1:2]) < 1e-3, axis=1)
