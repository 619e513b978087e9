"""The hub core on the real hub model (built from the Dortmund site into a temporary folder):
spawns, doors, walls and the cost of the world checks."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pytest
from realtime_harness import Harness

from server.base.settings import Settings
from server.core.hub import HubCore, world_yaw_to_wire
from server.core.sync import PoseBuffer, apply_poses, refill_budgets
from server.protocol.table import Go, encode_pose
from world.builder import build_site
from world.model import World, load


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    target: Path = tmp_path_factory.mktemp("world") / "hub.glb"
    build_site(None, target)
    return load(target)


def test_every_room_has_walkable_spawns_with_protocol_yaw(world: World) -> None:
    core = HubCore(world, Settings(), seed=11)
    assert core.entrance == world.rooms[0].id
    for room in world.rooms:
        spawns = world.spawns_for(room.id)
        for _ in range(8):
            position, yaw = core._spawn_pose(room.id)
            assert world.is_walkable(position[None])[0], (room.id, position)
            assert world.room_at(position[None])[0] == world.room_index(room.id)
            assert -math.pi <= yaw <= math.pi
            assert (
                any(math.isclose(yaw, world_yaw_to_wire(s.yaw), abs_tol=1e-9) for s in spawns)
                or not spawns
            )


def test_grid_covers_the_whole_world(world: World) -> None:
    core = HubCore(world, Settings())
    corners = np.array([r.bounds_min for r in world.rooms] + [r.bounds_max for r in world.rooms])
    back = core.grid.dequantise(core.grid.quantise(corners))
    assert np.all(np.abs(back - corners) <= core.grid.step / 2 + 1e-9)
    assert core.grid.step == 0.01


def _door_walk(world: World, door_index: int) -> tuple[str, str, np.ndarray, np.ndarray]:
    """A straight walk across a door: from walkable floor in one room to the other."""
    door = world.doors[door_index]
    a, b = world.room_index(door.room_a), world.room_index(door.room_b)
    reaches = (0.6, 0.9, 1.2, 1.6, 2.0)
    for axis in (0, 2):
        for sign in (1.0, -1.0):
            for back in reaches:
                for ahead in reaches:
                    start = door.position.copy()
                    end = door.position.copy()
                    start[axis] -= sign * back
                    end[axis] += sign * ahead
                    both = np.stack([start, end])
                    if (
                        world.room_at(both).tolist() == [a, b]
                        and world.is_walkable(both).all()
                        and np.allclose(world.clamp_step(start[None], end[None])[0], end)
                    ):
                        return door.room_a, door.room_b, start, end
    raise AssertionError(f"door {door.id} has no straight walk across it")


def test_walking_through_each_door_changes_room(world: World) -> None:
    checked = 0
    for index in range(len(world.doors)):
        here, there, start, end = _door_walk(world, index)
        h = Harness(HubCore(world, Settings(), seed=5))
        h.hello(1, "Ada", room=here)
        session = h.core.session_of(1)
        assert session is not None and session.instance is not None
        session.instance.poses.place(session.slot, start, 0.0, 0.0, 0, snap=True)
        steps = 12
        for i in range(1, steps + 1):
            p = start + (end - start) * i / steps
            h.core.pose(1, encode_pose(i, p[0], p[1], p[2], 0.0, 0.0))
            h.tick()
        joined = h.take(1, "joined")
        assert [j["room"] for j in joined] == [there], (here, there, h.take(1, "pose_fix"))
        assert joined[0]["via"] == "door"
        checked += 1
    assert checked == len(world.doors) >= 1


def test_walls_hold_on_the_real_model(world: World) -> None:
    h = Harness(HubCore(world, Settings(), seed=5))
    h.hello(1, "Ada", room="foyer")
    session = h.core.session_of(1)
    assert session is not None and session.instance is not None
    room = world.room("foyer")
    start = np.array([room.centre[0], 0.0, room.centre[2]])
    session.instance.poses.place(session.slot, start, 0.0, 0.0, 0, snap=True)
    outside = start.copy()
    far_side = room.bounds_max[0] + 30.0
    for i in range(1, 200):
        outside[0] = min(start[0] + 0.25 * i, far_side)
        h.core.pose(1, encode_pose(i, outside[0], 0.0, outside[2], 0.0, 0.0))
        h.tick()
    position = session.instance.poses.pos[session.slot] if session.instance else None
    assert position is not None
    assert world.is_walkable(position[None])[0]
    assert h.take(1, "pose_fix"), "the walk should have been stopped somewhere"
    h.send(1, Go("foyer"))


def test_world_checks_for_400_moving_avatars_are_cheap(world: World) -> None:
    room = world.room("foyer")
    index = world.room_index("foyer")
    linked = np.array([world.room_index(r) for r in room.links])
    buffer = PoseBuffer(400)
    rng = np.random.default_rng(3)
    starts = world.nearest_walkable(
        np.column_stack(
            [
                rng.uniform(room.bounds_min[0] + 1, room.bounds_max[0] - 1, 400),
                np.zeros(400),
                rng.uniform(room.bounds_min[2] + 1, room.bounds_max[2] - 1, 400),
            ]
        )
    )
    for slot in range(400):
        buffer.place(slot, starts[slot], 0.0, 0.0, 0, snap=False)
    started = time.perf_counter()
    for tick in range(1, 21):
        refill_budgets(buffer, 0.05, 6.0)
        step = rng.normal(0, 0.1, (400, 3)) * [1, 0, 1]
        for slot in range(400):
            p = buffer.pos[slot] + step[slot]
            buffer.offer(slot, encode_pose(tick, p[0], p[1], p[2], 0.0, 0.0))
        apply_poses(buffer, world, room_index=index, linked=linked, tick=tick)
    per_tick_ms = (time.perf_counter() - started) / 20 * 1000
    print(f"\n400 avatars on the real model: {per_tick_ms:.2f} ms per tick (incl. packing poses)")
    assert world.is_walkable(buffer.pos).all()
