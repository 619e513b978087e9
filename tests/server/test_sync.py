"""Pose arrays, quantisation, interest management and snapshot packing."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from realtime_world import box_world

from server.core.sync import (
    Grid,
    PoseBuffer,
    SnapshotPlan,
    apply_poses,
    build_snapshots,
    nearest,
    quantise_pitch,
    quantise_yaw,
    refill_budgets,
)
from server.protocol import table as protocol
from server.protocol.table import SNAPSHOT_FAR, SNAPSHOT_FULL, decode_snapshot, encode_pose

GRID = Grid((30.0, 1.5, 14.0), 0.01)
within_grid = st.floats(-327.6, 327.6, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.float64, (20, 3), elements=within_grid))
def test_position_error_is_at_most_half_a_step(offsets: np.ndarray) -> None:
    points = offsets + np.asarray(GRID.origin)
    back = GRID.dequantise(GRID.quantise(points))
    assert np.all(np.abs(back - points) <= GRID.step / 2 + 1e-9)


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.float64, 50, elements=st.floats(-10, 10, allow_nan=False)))
def test_yaw_error_is_bounded_and_wraps(yaw: np.ndarray) -> None:
    back = quantise_yaw(yaw).astype(np.float64) * math.pi / 32768
    difference = (back - yaw + math.pi) % (2 * math.pi) - math.pi
    assert np.all(np.abs(difference) <= math.pi / 65536 + 1e-9)


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.float64, 50, elements=st.floats(-math.pi / 2, math.pi / 2)))
def test_pitch_error_is_bounded(pitch: np.ndarray) -> None:
    back = quantise_pitch(pitch).astype(np.float64) * (math.pi / 2) / 127
    assert np.all(np.abs(back - pitch) <= (math.pi / 2) / 254 + 1e-9)


def test_grid_covers_big_worlds_with_coarser_steps() -> None:
    small = Grid.covering(np.array([0, 0, 0]), np.array([100, 10, 60]))
    assert small.step == 0.01 and small.origin == (50.0, 5.0, 30.0)
    big = Grid.covering(np.array([-1000, 0, 0]), np.array([1000, 10, 10]))
    assert big.step > 0.01
    corners = np.array([[-1000, 0, 0], [1000, 10, 10]], dtype=np.float64)
    assert np.all(np.abs(big.dequantise(big.quantise(corners)) - corners) <= big.step / 2 + 1e-9)


@settings(max_examples=100, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        st.tuples(st.integers(2, 120), st.just(3)),
        elements=st.floats(-50, 50, allow_nan=False),
        unique=True,
    ),
    st.integers(1, 40),
)
def test_nearest_matches_brute_force(points: np.ndarray, k: int) -> None:
    k = min(k, len(points) - 1)
    queries = np.arange(len(points))
    found = nearest(points, queries, k)
    plane = points[:, [0, 2]]
    distance = np.linalg.norm(plane[:, None] - plane[None], axis=2)
    np.fill_diagonal(distance, np.inf)
    for q in queries:
        assert q not in found[q]
        assert len(set(found[q].tolist())) == k
        got = np.sort(distance[q, found[q]])
        want = np.sort(distance[q])[:k]
        assert np.allclose(got, want)


def test_nearest_drops_self_even_when_others_share_its_spot() -> None:
    points = np.zeros((6, 3))
    found = nearest(points, np.arange(6), 3)
    for q in range(6):
        assert q not in found[q]


def test_entries_are_twelve_bytes() -> None:
    buffer = PoseBuffer(4)
    buffer.place(2, (31.0, 1.5, 15.0), math.pi, -math.pi / 2, tick=1, snap=True)
    buffer.away[2] = True
    entry = buffer.entries(GRID)[2]
    assert buffer.entries(GRID).itemsize == 12
    assert (entry["net"], entry["x"], entry["y"], entry["z"]) == (2, 100, 0, 100)
    assert entry["yaw"] == -32768 and entry["pitch"] == -127
    assert entry["flags"] == protocol.ENTRY_SNAP | protocol.ENTRY_AWAY


def test_pending_poses_are_batched_newest_wins() -> None:
    world = box_world()
    buffer = PoseBuffer(2)
    buffer.place(0, (5.0, 0.0, 5.0), 0.0, 0.0, tick=0, snap=False)
    buffer.budget[0] = 10.0
    buffer.offer(0, encode_pose(1, 5.1, 0.0, 5.0, 0.5, 0.0))
    buffer.offer(0, encode_pose(2, 5.2, 0.0, 5.0, 0.7, 0.1))
    report = apply_poses(buffer, world, room_index=0, linked=np.array([1, 2]), tick=1)
    assert report.applied == 1 and report.fixes == []
    assert np.allclose(buffer.pos[0], [5.2, 0.0, 5.0], atol=1e-6)
    assert buffer.seq[0] == 2 and math.isclose(buffer.yaw[0], 0.7, abs_tol=1e-6)
    assert buffer.changed[0] == 1
    again = apply_poses(buffer, world, room_index=0, linked=np.array([1, 2]), tick=2)
    assert again.applied == 0


def test_speed_budget_refills_over_time_and_is_capped() -> None:
    buffer = PoseBuffer(1)
    buffer.place(0, (5.0, 0.0, 5.0), 0.0, 0.0, tick=0, snap=False)
    refill_budgets(buffer, 0.05, 6.0)
    assert math.isclose(buffer.budget[0], 6.0 * 1.25 * 0.05)
    refill_budgets(buffer, 10.0, 6.0)
    assert math.isclose(buffer.budget[0], 3.0)


def test_invalid_rows_do_not_spoil_valid_ones() -> None:
    world = box_world()
    buffer = PoseBuffer(3)
    for slot in range(3):
        buffer.place(slot, (5.0 + slot, 0.0, 5.0), 0.0, 0.0, tick=0, snap=False)
        buffer.budget[slot] = 1.0
    buffer.offer(0, encode_pose(1, math.nan, 0.0, 5.0, 0.0, 0.0))
    buffer.offer(1, encode_pose(1, 6.5, 0.0, 5.0, 0.0, math.inf))
    buffer.offer(2, encode_pose(1, 7.5, 0.0, 5.0, 0.0, 0.0))
    report = apply_poses(buffer, world, room_index=0, linked=np.array([1]), tick=1)
    assert report.invalid == [0, 1]
    assert [slot for slot, _ in report.fixes] == [0, 1]
    assert np.allclose(buffer.pos[0], [5.0, 0.0, 5.0]) and np.allclose(buffer.pos[2], [7.5, 0, 5])


def _simulate(
    count: int, recipients: int, ticks: int, near: int, far_every: int, seed: int
) -> tuple[dict[int, dict[int, tuple]], PoseBuffer, list[int]]:
    """Run the packer over random motion; return what each client believes at the end."""
    rng = np.random.default_rng(seed)
    buffer = PoseBuffer(count)
    for slot in range(count):
        buffer.place(slot, rng.uniform([0, 0, 0], [40, 0, 40]), 0.0, 0.0, tick=0, snap=False)
    slots = np.arange(recipients)
    seen: dict[int, dict[int, tuple]] = {r: {} for r in range(recipients)}
    force = np.ones(recipients, dtype=bool)
    for tick in range(1, ticks + 1):
        movers = rng.random(count) < 0.3
        buffer.pos[movers] += rng.normal(0, 0.3, (int(movers.sum()), 3)) * [1, 0, 1]
        buffer.yaw[movers] = rng.uniform(-3, 3, int(movers.sum()))
        buffer.changed[movers] = tick
        plan = SnapshotPlan(tick, float(tick), 7, near, far_every, full_every=10_000)
        frames = build_snapshots(buffer, GRID, slots, force, plan)
        force[:] = False
        got = np.zeros(recipients, dtype=int)
        for frame, who in frames:
            snap = decode_snapshot(frame)
            assert snap.serial == 7 and snap.tick == tick
            for r in who.tolist():
                got[r] += 1
                for entry in snap.entries:
                    seen[r][int(entry["net"])] = tuple(entry.tolist())
        assert got.max() <= 1, "a client got two snapshots in one tick"
    return seen, buffer, list(range(recipients))


@settings(max_examples=25, deadline=None)
@given(
    st.integers(2, 90),
    st.integers(1, 12),
    st.integers(1, 6),
    st.integers(0, 10_000),
)
def test_every_change_reaches_every_client_within_far_every_ticks(
    count: int, near: int, far_every: int, seed: int
) -> None:
    recipients = min(count, 10)
    ticks = 3 * far_every + 4
    seen, buffer, _ = _simulate(count, recipients, ticks, near, far_every, seed)
    truth = buffer.entries(GRID)
    settled = buffer.changed <= ticks - far_every
    for r in range(recipients):
        for slot in np.flatnonzero(settled):
            if slot == r:
                continue
            assert seen[r][int(slot)] == tuple(truth[slot].tolist()), (r, slot)


def test_near_movers_arrive_the_same_tick() -> None:
    buffer = PoseBuffer(100)
    rng = np.random.default_rng(4)
    for slot in range(100):
        buffer.place(slot, rng.uniform([0, 0, 0], [50, 0, 50]), 0.0, 0.0, tick=0, snap=False)
    recipients = np.arange(100)
    buffer.changed[:] = -100
    movers = np.arange(0, 100, 3)
    buffer.pos[movers] += [0.2, 0, 0]
    buffer.changed[movers] = 50
    plan = SnapshotPlan(50, 50.0, 1, 8, 5, 10_000)
    frames = build_snapshots(buffer, GRID, recipients, np.zeros(100, dtype=bool), plan)
    got: dict[int, set[int]] = {}
    for frame, who in frames:
        if frame[1] == 0:
            (r,) = who.tolist()
            got[r] = set(decode_snapshot(frame).entries["net"].tolist())
    positions = GRID.dequantise(GRID.quantise(buffer.pos))
    wanted = nearest(positions, recipients, 8, among=movers)
    near_now = [r for r in range(100) if (r + 50) % 5 != 0]
    assert sorted(got) == near_now
    for r in near_now:
        assert got[r] == set(wanted[r].tolist()), r


def _crowd_and_walker(idle: int) -> tuple[PoseBuffer, int, int]:
    """An observer (slot 0) with ``idle`` people standing within 3 m of it and one walker
    (the last slot) 15 m away: the walker is farther than every idle one. All arrived
    long before tick 0."""
    buffer = PoseBuffer(idle + 2)
    buffer.place(0, (10.0, 0.0, 10.0), 0.0, 0.0, tick=-100, snap=False)
    rng = np.random.default_rng(11)
    for slot in range(1, idle + 1):
        spot = (10.0 + rng.uniform(-3, 3), 0.0, 10.0 + rng.uniform(-3, 3))
        buffer.place(slot, spot, 0.0, 0.0, tick=-100, snap=False)
    walker = idle + 1
    buffer.place(walker, (25.0, 0.0, 10.0), 0.0, 0.0, tick=-100, snap=False)
    return buffer, 0, walker


def test_idle_people_nearby_take_no_near_place_from_a_walker() -> None:
    buffer, observer, walker = _crowd_and_walker(40)
    recipients = np.arange(buffer.size)
    force = np.zeros(buffer.size, dtype=bool)
    ticks = 400
    with_walker = 0
    refreshed: set[int] = set()
    for tick in range(1, ticks + 1):
        buffer.pos[walker, 2] += 0.05
        buffer.changed[walker] = tick
        plan = SnapshotPlan(tick, tick / 20, 1, 32, 5, full_every=200)
        for frame, who in build_snapshots(buffer, GRID, recipients, force, plan):
            if observer in who.tolist():
                nets = decode_snapshot(frame).entries["net"].tolist()
                with_walker += walker in nets
                refreshed |= set(nets)
    assert with_walker == ticks
    assert refreshed == set(range(buffer.size)), "idle people are refreshed by full snapshots"


def test_the_near_places_go_to_the_nearest_movers_not_the_nearest_people() -> None:
    buffer, observer, _ = _crowd_and_walker(40)
    buffer._grow(buffer.size + 40)
    for i in range(40):
        buffer.place(42 + i, (30.0 + i, 0.0, 30.0), 0.0, 0.0, tick=-100, snap=False)
    movers = np.arange(41, 82)
    tick = 9
    buffer.changed[movers] = tick
    recipients = np.arange(buffer.size)
    plan = SnapshotPlan(tick, 1.0, 1, 32, 5, full_every=10**6)
    frames = build_snapshots(buffer, GRID, recipients, np.zeros(buffer.size, bool), plan)
    ((frame, _),) = [(f, who) for f, who in frames if who.tolist() == [observer]]
    assert frame[1] == 0
    sent = decode_snapshot(frame).entries["net"].tolist()
    assert len(sent) == 32 and set(sent) == set(range(41, 73)), "the 32 nearest movers"


def test_a_repeated_pose_is_no_change() -> None:
    world = box_world()
    buffer = PoseBuffer(2)
    for slot in range(2):
        buffer.place(slot, (5.0 + slot, 0.0, 5.0), 0.0, 0.0, tick=0, snap=False)
        buffer.budget[slot] = 1.0
    buffer.offer(0, encode_pose(1, 5.25, 0.0, 5.0, 0.5, 0.1))
    buffer.offer(1, encode_pose(1, 6.25, 0.0, 5.0, 0.5, 0.1))
    apply_poses(buffer, world, room_index=0, linked=np.array([1]), tick=1)
    assert buffer.changed.tolist() == [1, 1]
    buffer.offer(0, encode_pose(2, 5.25, 0.0, 5.0, 0.5, 0.1))
    buffer.offer(1, encode_pose(2, 6.25, 0.0, 5.0, 0.75, 0.1))
    report = apply_poses(buffer, world, room_index=0, linked=np.array([1]), tick=2)
    assert report.applied == 2 and buffer.seq.tolist() == [2, 2]
    assert buffer.changed.tolist() == [1, 2]


def test_shared_frames_are_built_once_per_tick() -> None:
    buffer = PoseBuffer(300)
    rng = np.random.default_rng(5)
    for slot in range(300):
        buffer.place(slot, rng.uniform([0, 0, 0], [60, 0, 60]), 0.0, 0.0, tick=9, snap=False)
    recipients = np.arange(300)
    force = np.zeros(300, dtype=bool)
    force[:3] = True
    frames = build_snapshots(
        buffer, GRID, recipients, force, SnapshotPlan(10, 1.0, 1, 32, 5, 10**6)
    )
    flags = [frame[1] for frame, _ in frames]
    assert flags.count(SNAPSHOT_FULL | SNAPSHOT_FAR) == 1
    assert flags.count(SNAPSHOT_FAR) == 1
    full_who = next(who for frame, who in frames if frame[1] & SNAPSHOT_FULL)
    assert full_who.tolist() == [0, 1, 2]
    per_client = [who for frame, who in frames if frame[1] == 0]
    assert all(len(who) == 1 for who in per_client)
    assert all(len(frame) <= 16 + 32 * 12 for frame, _ in frames if frame[1] == 0)


def test_quiet_rooms_send_only_on_the_far_tick() -> None:
    buffer = PoseBuffer(4)
    for slot in range(4):
        buffer.place(slot, (slot, 0.0, 0.0), 0.0, 0.0, tick=0, snap=False)
    recipients = np.arange(4)
    frames = build_snapshots(
        buffer, GRID, recipients, np.zeros(4, dtype=bool), SnapshotPlan(100, 1.0, 1, 32, 5, 10**6)
    )
    ((frame, who),) = frames
    assert frame[1] == SNAPSHOT_FAR and len(frame) == 16 and who.tolist() == [0]


def test_downstream_per_client_at_800_moving_stays_under_64_kb_per_second() -> None:
    count, hz = 800, 20
    buffer = PoseBuffer(count)
    rng = np.random.default_rng(6)
    side = math.sqrt(count * 10)
    for slot in range(count):
        buffer.place(slot, rng.uniform([0, 0, 0], [side, 0, side]), 0.0, 0.0, tick=0, snap=False)
    recipients = np.arange(count)
    received = np.zeros(count)
    for tick in range(1, hz + 1):
        buffer.pos += rng.normal(0, 0.2, (count, 3)) * [1, 0, 1]
        buffer.changed[:] = tick
        plan = SnapshotPlan(tick, float(tick), 1, 32, 5, 200)
        for frame, who in build_snapshots(
            buffer, GRID, recipients, np.zeros(count, dtype=bool), plan
        ):
            received[who] += len(frame)
    assert received.max() < 64 * 1024, f"{received.max() / 1024:.1f} KB/s"
    assert received.mean() > 30 * 1024


def test_cached_neighbourhoods_never_name_avatars_who_left() -> None:
    buffer = PoseBuffer(60)
    rng = np.random.default_rng(8)
    for slot in range(60):
        buffer.place(slot, rng.uniform([0, 0, 0], [30, 0, 30]), 0.0, 0.0, tick=1, snap=False)
    recipients = np.arange(30)
    none = np.zeros(30, dtype=bool)
    build_snapshots(buffer, GRID, recipients, none, SnapshotPlan(1, 1.0, 1, 8, 5, 10**6))
    gone = list(range(30, 60, 2))
    for slot in gone:
        buffer.clear(slot)
    buffer.changed[:] = 2
    frames = build_snapshots(buffer, GRID, recipients, none, SnapshotPlan(2, 1.0, 1, 8, 5, 10**6))
    assert sum(1 for frame, _ in frames if frame[1] == 0) > 10
    for frame, _ in frames:
        assert not set(decode_snapshot(frame).entries["net"].tolist()) & set(gone)
    near_group = recipients[(recipients + 2) % 5 != 0]
    assert buffer.active[buffer.near[near_group]].all()
