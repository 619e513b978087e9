"""Avatar sync for one room instance: pose arrays, validation, quantisation, interest, snapshots.

Everything here is numpy and works on all avatars of an instance at once; there is no
Python loop over avatars, let alone over pairs of them. No I/O.

* ``PoseBuffer`` holds the instance's poses in arrays indexed by slot (the avatar's ``net``
  number). Client pose frames are copied, unparsed, into a pending byte buffer as they
  arrive; the tick reads them all with one ``frombuffer``.
* ``apply_poses`` checks the pending poses against the world (finite, speed, walls,
  walkable floor, which room) and reports corrections and door crossings.
* ``build_snapshots`` packs the tick's snapshot frames: the entries of all avatars are
  quantised once; the frames shared by many clients (full, far, small rooms) are built once;
  only the near part is per recipient, gathered from the shared entries in one fancy index.
  The near part is a client's nearest *moving* avatars: someone standing still (or away)
  takes no place in it and is refreshed by the far and full snapshots instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from server.core.worldview import WorldView
from server.protocol.table import (
    ENTRY_AWAY,
    ENTRY_SNAP,
    PITCH_STEPS_PER_RADIAN,
    POSE_BODY,
    SNAPSHOT_ENTRY,
    SNAPSHOT_FAR,
    SNAPSHOT_FULL,
    SNAPSHOT_HEADER,
    SNAPSHOT_TAG,
    YAW_STEPS_PER_RADIAN,
)

#: Speed tolerance over ``max_speed`` for network jitter.
SPEED_SLACK = 1.25
#: How much movement an avatar may save up while standing still, in seconds of max speed.
BUDGET_WINDOW_S = 0.5
#: A pose the server moved by more than this (metres) is answered with a correction.
FIX_TOLERANCE_M = 0.01
#: Each client's nearest moving avatars are looked up again every this many ticks
#: (staggered), and at once when one of them left. The lookup was the tick's biggest cost
#: (1.4 ms of 5.8 at 800 avatars when renewed every 2 ticks); in 200 ms two walkers close
#: in by at most about 0.6 m, little against the 5 m or so to the 32nd nearest in a crowd,
#: and someone who starts walking waits at most this many ticks for a near place.
NEAR_REFRESH_TICKS = 4
_NEVER = np.iinfo(np.int64).min // 2
_BODY = POSE_BODY.itemsize
_ENTRY = SNAPSHOT_ENTRY.itemsize


@dataclass(frozen=True)
class Grid:
    """How positions are quantised to int16: ``pos = origin + q * step``."""

    origin: tuple[float, float, float]
    step: float

    @classmethod
    def covering(cls, low: NDArray[np.floating], high: NDArray[np.floating]) -> Grid:
        """A grid centred on a box, 1 cm steps unless the box is wider than ±327 m."""
        low = np.asarray(low, dtype=np.float64)
        high = np.asarray(high, dtype=np.float64)
        centre = (low + high) / 2
        half = float(np.max(high - low)) / 2 + 1.0
        step = max(0.01, math.ceil(half / 32000 * 1000) / 1000)
        return cls((float(centre[0]), float(centre[1]), float(centre[2])), step)

    def quantise(self, positions: NDArray[np.floating]) -> NDArray[np.int16]:
        q = np.rint((positions - np.asarray(self.origin)) / self.step)
        return np.clip(q, -32768, 32767).astype(np.int16)

    def dequantise(self, q: NDArray[np.integer]) -> NDArray[np.float64]:
        return np.asarray(self.origin) + q.astype(np.float64) * self.step

    def as_dict(self) -> dict[str, object]:
        return {"origin": list(self.origin), "step": self.step}


def quantise_yaw(yaw: NDArray[np.floating]) -> NDArray[np.int16]:
    q = np.rint(np.asarray(yaw, dtype=np.float64) * YAW_STEPS_PER_RADIAN).astype(np.int64)
    return (((q + 32768) % 65536) - 32768).astype(np.int16)


def quantise_pitch(pitch: NDArray[np.floating]) -> NDArray[np.int8]:
    q = np.rint(np.asarray(pitch, dtype=np.float64) * PITCH_STEPS_PER_RADIAN)
    return np.clip(q, -127, 127).astype(np.int8)


def wrap_yaw(yaw: NDArray[np.floating]) -> NDArray[np.float64]:
    return (np.asarray(yaw, dtype=np.float64) + math.pi) % (2 * math.pi) - math.pi


class PoseBuffer:
    """The poses of one room instance, one row per slot; rows grow as slots are used."""

    def __init__(self, size: int = 16) -> None:
        self.size = 0
        self.active = np.zeros(0, dtype=bool)
        self.pos = np.zeros((0, 3))
        self.yaw = np.zeros(0)
        self.pitch = np.zeros(0)
        self.changed = np.zeros(0, dtype=np.int64)
        self.snap = np.zeros(0, dtype=bool)
        self.away = np.zeros(0, dtype=bool)
        self.budget = np.zeros(0)
        self.seq = np.zeros(0, dtype=np.uint16)
        self.has_pending = np.zeros(0, dtype=bool)
        self.pending = bytearray()
        #: per recipient slot: its nearest avatars' slots, and the tick they were found
        self.near = np.zeros((0, 0), dtype=np.intp)
        self.near_tick = np.zeros(0, dtype=np.int64)
        self._grow(size)

    def _grow(self, size: int) -> None:
        extra = size - self.size
        if extra <= 0:
            return
        self.active = np.concatenate([self.active, np.zeros(extra, dtype=bool)])
        self.pos = np.concatenate([self.pos, np.zeros((extra, 3))])
        self.yaw = np.concatenate([self.yaw, np.zeros(extra)])
        self.pitch = np.concatenate([self.pitch, np.zeros(extra)])
        self.changed = np.concatenate([self.changed, np.full(extra, _NEVER, dtype=np.int64)])
        self.snap = np.concatenate([self.snap, np.zeros(extra, dtype=bool)])
        self.away = np.concatenate([self.away, np.zeros(extra, dtype=bool)])
        self.budget = np.concatenate([self.budget, np.zeros(extra)])
        self.seq = np.concatenate([self.seq, np.zeros(extra, dtype=np.uint16)])
        self.has_pending = np.concatenate([self.has_pending, np.zeros(extra, dtype=bool)])
        self.pending.extend(bytes(extra * _BODY))
        self.near = np.concatenate([self.near, np.zeros((extra, self.near.shape[1]), np.intp)])
        self.near_tick = np.concatenate([self.near_tick, np.full(extra, _NEVER, np.int64)])
        self.size = size

    def place(
        self,
        slot: int,
        position: NDArray[np.floating] | tuple[float, float, float],
        yaw: float,
        pitch: float,
        tick: int,
        *,
        snap: bool,
    ) -> None:
        """Put an avatar at a pose (arrival, spawn, correction); ``snap`` means teleported."""
        if slot >= self.size:
            self._grow(max(slot + 1, self.size * 2))
        self.active[slot] = True
        self.pos[slot] = position
        self.yaw[slot] = float(wrap_yaw(np.array(yaw)))
        self.pitch[slot] = min(max(pitch, -math.pi / 2), math.pi / 2)
        self.changed[slot] = tick
        self.snap[slot] = snap
        self.has_pending[slot] = False

    def clear(self, slot: int) -> None:
        self.active[slot] = False
        self.near_tick[slot] = _NEVER
        self.away[slot] = False
        self.has_pending[slot] = False
        self.changed[slot] = _NEVER
        self.budget[slot] = 0.0

    def offer(self, slot: int, frame: bytes) -> None:
        """Keep a client's pose frame (tag byte first) until the tick; newer ones replace it."""
        start = slot * _BODY
        self.pending[start : start + _BODY] = frame[1:]
        self.has_pending[slot] = True

    def set_away(self, slot: int, away: bool, tick: int) -> None:
        self.away[slot] = away
        self.changed[slot] = tick

    def pose_of(self, slot: int) -> tuple[list[float], float, float]:
        return [float(v) for v in self.pos[slot]], float(self.yaw[slot]), float(self.pitch[slot])

    def entries(self, grid: Grid) -> NDArray[np.void]:
        """Every slot as a 12-byte snapshot entry (inactive rows are never sent)."""
        (out,) = entries_together([self], grid)
        return out


def entries_together(buffers: Sequence[PoseBuffer], grid: Grid) -> list[NDArray[np.void]]:
    """``PoseBuffer.entries`` of many buffers, quantised in one go (the numpy calls cost
    more than the rows when a hub has many small instances); each result is a view."""
    sizes = [buffer.size for buffer in buffers]
    total = sum(sizes)
    out = np.empty(total, dtype=SNAPSHOT_ENTRY)
    if total == 0:
        return [out[:0] for _ in buffers]
    if len(buffers) == 1:
        (b,) = buffers
        pos, yaw, pitch, snap, away = b.pos, b.yaw, b.pitch, b.snap, b.away
        out["net"] = np.arange(total, dtype=np.uint16)
    else:
        pos = np.concatenate([b.pos for b in buffers])
        yaw = np.concatenate([b.yaw for b in buffers])
        pitch = np.concatenate([b.pitch for b in buffers])
        snap = np.concatenate([b.snap for b in buffers])
        away = np.concatenate([b.away for b in buffers])
        starts = np.cumsum(sizes) - sizes
        out["net"] = np.arange(total) - np.repeat(starts, sizes)
    q = grid.quantise(pos)
    out["x"] = q[:, 0]
    out["y"] = q[:, 1]
    out["z"] = q[:, 2]
    out["yaw"] = quantise_yaw(yaw)
    out["pitch"] = quantise_pitch(pitch)
    out["flags"] = np.where(snap, ENTRY_SNAP, 0) | np.where(away, ENTRY_AWAY, 0)
    views = []
    start = 0
    for size in sizes:
        views.append(out[start : start + size])
        start += size
    return views


@dataclass
class MoveReport:
    """What the tick's poses of one instance came to."""

    #: slots whose pose had NaN or infinite numbers
    invalid: list[int] = field(default_factory=list)
    #: (slot, reason) for every pose the server changed: speed, wall, outside, invalid
    fixes: list[tuple[int, str]] = field(default_factory=list)
    #: (slot, room index, position before the move) for poses that entered a linked room
    crossings: list[tuple[int, int, NDArray[np.float64]]] = field(default_factory=list)
    #: how many poses were applied
    applied: int = 0


def refill_budgets(buffer: PoseBuffer, dt: float, max_speed: float) -> None:
    """Let every avatar save up movement for the time since the last tick."""
    cap = max_speed * BUDGET_WINDOW_S
    np.minimum(buffer.budget + max_speed * SPEED_SLACK * dt, cap, out=buffer.budget)


def apply_poses(
    buffer: PoseBuffer,
    world: WorldView,
    *,
    room_index: int,
    linked: NDArray[np.integer],
    tick: int,
) -> MoveReport:
    """Apply the pending poses, each checked against the world; report what was changed."""
    links = np.zeros((len(world.rooms), len(world.rooms)), dtype=bool)
    links[room_index, np.asarray(linked, dtype=np.intp)] = True
    (report,) = apply_poses_together(
        [buffer], world, room_indices=[room_index], links=links, tick=tick
    )
    return report


def apply_poses_together(
    buffers: Sequence[PoseBuffer],
    world: WorldView,
    *,
    room_indices: Sequence[int],
    links: NDArray[np.bool_],
    tick: int,
) -> list[MoveReport]:
    """``apply_poses`` for many instances at once: one report per buffer.

    The world checks cost about the same for ten poses as for a thousand, so the poses of
    all instances are checked in one batch (a hub with fifty small instances spent over
    20 ms a tick checking them one instance at a time). ``links[a, b]`` says whether room
    ``b`` is linked to room ``a``."""
    reports = [MoveReport() for _ in buffers]
    owners: list[int] = []
    picked: list[NDArray[np.intp]] = []
    bodies: list[NDArray[np.void]] = []
    for number, buffer in enumerate(buffers):
        if not buffer.has_pending.any():
            continue
        slots = np.flatnonzero(buffer.has_pending & buffer.active)
        buffer.has_pending[:] = False
        if slots.size == 0:
            continue
        body = np.frombuffer(buffer.pending, dtype=POSE_BODY, count=buffer.size)[slots]
        buffer.seq[slots] = body["seq"]
        owners.append(number)
        picked.append(slots)
        bodies.append(body)
    if not owners:
        return reports
    counts = [len(slots) for slots in picked]
    body = np.concatenate(bodies)
    owner = np.repeat(np.asarray(owners, dtype=np.intp), counts)
    slot = np.concatenate(picked)
    requested = np.column_stack([body["x"], body["y"], body["z"]]).astype(np.float64)
    yaw = body["yaw"].astype(np.float64)
    pitch = body["pitch"].astype(np.float64)
    finite = np.isfinite(requested).all(axis=1) & np.isfinite(yaw) & np.isfinite(pitch)
    if not finite.all():
        for row in np.flatnonzero(~finite).tolist():
            report = reports[int(owner[row])]
            report.invalid.append(int(slot[row]))
            report.fixes.append((int(slot[row]), "invalid"))
    old = np.concatenate([buffers[o].pos[s] for o, s in zip(owners, picked, strict=True)])
    allowed = np.concatenate([buffers[o].budget[s] for o, s in zip(owners, picked, strict=True)])
    home = np.repeat(np.asarray([room_indices[o] for o in owners], dtype=np.intp), counts)
    requested[~finite] = old[~finite]  # checked like standing still, then left alone

    delta = requested - old
    distance = np.linalg.norm(delta, axis=1)
    too_fast = distance > allowed + 1e-9
    scale = np.where(too_fast, allowed / np.maximum(distance, 1e-12), 1.0)
    target = old + delta * scale[:, None]
    budget = allowed - distance * scale

    stepped = np.asarray(world.clamp_step(old, target), dtype=np.float64)
    hit_wall = np.linalg.norm(stepped - target, axis=1) > FIX_TOLERANCE_M
    walkable = np.asarray(world.is_walkable(stepped), dtype=bool)
    if not walkable.all():
        stepped[~walkable] = world.nearest_walkable(stepped[~walkable])
    rooms = np.asarray(world.room_at(stepped), dtype=np.intp)
    foreign = (rooms >= 0) & (rooms != home)
    into_linked = foreign & links[home, np.maximum(rooms, 0)]
    blocked = foreign & ~into_linked
    stepped[blocked] = old[blocked]

    moved_off = finite & (np.linalg.norm(stepped - requested, axis=1) > FIX_TOLERANCE_M)
    for row in np.flatnonzero(moved_off).tolist():
        reason = (
            "outside" if not walkable[row] else "wall" if hit_wall[row] or blocked[row] else "speed"
        )
        reports[int(owner[row])].fixes.append((int(slot[row]), reason))
    for row in np.flatnonzero(into_linked & finite).tolist():
        reports[int(owner[row])].crossings.append(
            (int(slot[row]), int(rooms[row]), old[row].copy())
        )

    yaw = wrap_yaw(yaw)
    pitch = np.clip(pitch, -math.pi / 2, math.pi / 2)
    # a pose that repeats the last one is not a change: the avatar stays idle (no near place)
    old_yaw = np.concatenate([buffers[o].yaw[s] for o, s in zip(owners, picked, strict=True)])
    old_pitch = np.concatenate([buffers[o].pitch[s] for o, s in zip(owners, picked, strict=True)])
    moved = (stepped != old).any(axis=1) | (yaw != old_yaw) | (pitch != old_pitch)
    start = 0
    all_finite = bool(finite.all())
    for o, slots, count in zip(owners, picked, counts, strict=True):
        rows: slice | NDArray[np.intp] = slice(start, start + count)
        if not all_finite:
            keep = np.flatnonzero(finite[rows])
            rows, slots = keep + start, slots[keep]
        start += count
        buffer = buffers[o]
        buffer.pos[slots] = stepped[rows]
        buffer.yaw[slots] = yaw[rows]
        buffer.pitch[slots] = pitch[rows]
        buffer.budget[slots] = budget[rows]
        buffer.changed[slots[moved[rows]]] = tick
        buffer.snap[slots] = False
        reports[o].applied = int(slots.size)
    return reports


def nearest(
    positions: NDArray[np.floating],
    queries: NDArray[np.integer],
    k: int,
    *,
    among: NDArray[np.integer] | None = None,
) -> NDArray[np.intp]:
    """For each query row (an index into ``positions``), the indices of its ``k`` nearest
    other rows on the floor plane (x, z), chosen from the rows ``among`` (all rows if None);
    there must be more than ``k`` of those. A query need not be among them."""
    plane = positions[:, [0, 2]]
    queries = np.asarray(queries, dtype=np.intp)
    candidates = np.arange(len(plane)) if among is None else np.asarray(among, dtype=np.intp)
    tree = cKDTree(plane[candidates])
    _, found = tree.query(plane[queries], k=k + 1)
    found = candidates[np.asarray(found, dtype=np.intp).reshape(len(queries), k + 1)]
    is_self = found == queries[:, None]
    missing_self = ~is_self.any(axis=1)
    is_self[missing_self, k] = True  # not a candidate, or a tie hid it: drop the farthest
    return found[~is_self].reshape(len(queries), k)


@dataclass(frozen=True)
class SnapshotPlan:
    """The knobs of interest management for one tick."""

    tick: int
    time: float
    serial: int
    near: int
    far_every: int
    full_every: int


def build_snapshots(
    buffer: PoseBuffer,
    grid: Grid,
    recipients: NDArray[np.integer],
    force_full: NDArray[np.bool_],
    plan: SnapshotPlan,
    *,
    entries: NDArray[np.void] | None = None,
) -> list[tuple[bytes, NDArray[np.intp]]]:
    """This tick's snapshot frames for an instance, each with the positions (in
    ``recipients``) of the clients that get it. A client gets at most one frame.

    ``recipients`` are the slots of connected members; ``force_full`` marks those that must
    get every avatar (newcomers, resumed, behind). ``entries`` are the buffer's entries
    when the caller quantised them already (``entries_together``)."""
    out: list[tuple[bytes, NDArray[np.intp]]] = []
    if recipients.size == 0:
        return out
    tick = plan.tick
    if entries is None:
        entries = buffer.entries(grid)
    active = buffer.active
    window = active & (buffer.changed > tick - plan.far_every)

    def header(flags: int) -> bytes:
        return SNAPSHOT_HEADER.pack(
            SNAPSHOT_TAG, flags, plan.serial & 0xFFFF, tick & 0xFFFFFFFF, plan.time
        )

    phase = recipients + tick
    full = force_full | (phase % plan.full_every == 0)
    far = ~full & (phase % plan.far_every == 0)
    rest = ~full & ~far
    rows = entries.view(np.uint8).reshape(-1, _ENTRY)  # masks on plain bytes: much faster
    if full.any():
        frame = header(SNAPSHOT_FULL | SNAPSHOT_FAR) + rows[active].tobytes()
        out.append((frame, np.flatnonzero(full)))
    window_bytes = rows[window].tobytes() if window.any() else b""
    if far.any():
        out.append((header(SNAPSHOT_FAR) + window_bytes, np.flatnonzero(far)))
    if not rest.any() or not window_bytes:
        return out
    movers = np.flatnonzero(window)
    if movers.size <= plan.near:
        out.append((header(0) + window_bytes, np.flatnonzero(rest)))
        return out
    out.extend(_near_frames(buffer, entries, window, movers, recipients, rest, header(0), plan))
    return out


def _near_sets(
    buffer: PoseBuffer,
    entries: NDArray[np.void],
    movers: NDArray[np.intp],
    slots: NDArray[np.integer],
    plan: SnapshotPlan,
) -> NDArray[np.intp]:
    """The ``near`` nearest moving avatars (slots) of each recipient slot, from the cache
    where it is fresh enough and still names avatars who are here. ``movers`` are the
    slots that changed within the window; there are more than ``near`` of them."""
    k = plan.near
    tick = plan.tick
    if buffer.near.shape[1] != k:
        buffer.near = np.zeros((buffer.size, k), dtype=np.intp)
        buffer.near_tick[:] = _NEVER
    cached = buffer.near[slots]
    stale = (
        (buffer.near_tick[slots] <= tick - NEAR_REFRESH_TICKS)
        | ((slots + tick) % NEAR_REFRESH_TICKS == 0)
        | ~buffer.active[cached].all(axis=1)
    )
    if stale.any():
        renew = np.asarray(slots)[stale]
        found = nearest(_grid_positions(entries), renew, k, among=movers)
        buffer.near[renew] = found
        buffer.near_tick[renew] = tick
        cached[stale] = found
    return cached


def _near_frames(
    buffer: PoseBuffer,
    entries: NDArray[np.void],
    window: NDArray[np.bool_],
    movers: NDArray[np.intp],
    recipients: NDArray[np.integer],
    rest: NDArray[np.bool_],
    header: bytes,
    plan: SnapshotPlan,
) -> list[tuple[bytes, NDArray[np.intp]]]:
    """One frame per recipient: the changed ones among its ``near`` nearest movers.

    All recipients' entries are gathered in one fancy index into one byte string, in
    recipient order; each frame is then the shared header and one slice of it."""
    who = np.flatnonzero(rest)
    near_slots = _near_sets(buffer, entries, movers, recipients[who], plan)
    send = window[near_slots]
    counts = send.sum(axis=1)
    body = entries.view(np.uint8).reshape(-1, _ENTRY)[near_slots[send]].tobytes()
    stops = np.cumsum(counts) * _ENTRY
    starts = stops - counts * _ENTRY
    rows = np.flatnonzero(counts)
    single = who[:, None]
    return [
        (header + body[start:stop], single[i])
        for i, start, stop in zip(
            rows.tolist(), starts[rows].tolist(), stops[rows].tolist(), strict=True
        )
    ]


def _grid_positions(entries: NDArray[np.void]) -> NDArray[np.float64]:
    """Quantised x, y, z of every slot (what the clients see) as floats."""
    return np.column_stack([entries["x"], entries["y"], entries["z"]]).astype(np.float64)
