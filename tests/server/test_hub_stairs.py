"""The hub core on a building of two storeys (tests/fixtures/two-storey-hub): the server lets
a visitor climb the stairs to the floor above, keeps y on the surface walked on, and refuses
a jump from one floor to the other anywhere else."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from realtime_harness import Harness

from server.base.settings import Settings
from server.core.hub import HubCore
from server.protocol.table import encode_pose
from world.builder import build_site
from world.model import World, load

TWO_STOREYS = Path(__file__).parents[1] / "fixtures" / "two-storey-hub"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    target = tmp_path_factory.mktemp("two-storeys") / "hub.glb"
    build_site(TWO_STOREYS, target, force=True, quiet=True)
    return load(target)


def _in_hall_at(world: World, start: list[float]) -> tuple[Harness, np.ndarray]:
    h = Harness(HubCore(world, Settings(), seed=5))
    h.hello(1, "Ada", room="hall")
    session = h.core.session_of(1)
    assert session is not None and session.instance is not None
    session.instance.poses.place(session.slot, np.array(start), 0.0, 0.0, 0, snap=True)
    h.take(1)
    return h, session.instance.poses.pos


def _position(h: Harness) -> np.ndarray:
    session = h.core.session_of(1)
    assert session is not None and session.instance is not None
    return session.instance.poses.pos[session.slot].copy()


def test_climbing_the_stairs_takes_the_visitor_upstairs(world: World) -> None:
    h, _ = _in_hall_at(world, [14.0, 0.0, 8.6])
    x, y, z = 14.0, 0.0, 8.6
    heights = []
    for seq in range(1, 90):
        # the client predicts the height it climbs to (on the same floor grid); the server
        # checks the move against the steps
        ahead = world.floor.clamp_step([[x, y, z]], [[x, y, max(z - 0.097, 1.5)]])[0]
        y, z = float(ahead[1]), float(ahead[2])
        h.core.pose(1, encode_pose(seq, x, y, z, 0.0, 0.0))
        h.tick()
        heights.append(float(_position(h)[1]))
    position = _position(h)
    assert position[1] == pytest.approx(3.2, abs=0.01) and position[2] == pytest.approx(1.5)
    assert all(b >= a - 1e-6 for a, b in itertools.pairwise(heights))
    joined = h.take(1, "joined")
    assert [j["room"] for j in joined] == ["studio"]
    assert h.take(1, "pose_fix") == []


def test_a_jump_to_the_floor_above_is_refused(world: World) -> None:
    h, _ = _in_hall_at(world, [7.0, 0.0, 5.0])
    h.core.pose(1, encode_pose(1, 7.0, 3.2, 5.1, 0.0, 0.0))
    h.tick()
    position = _position(h)
    assert position[1] == 0.0
    fixes = h.take(1, "pose_fix")
    assert fixes, "the server puts the visitor back on the floor it stands on"
    assert h.take(1, "joined") == []
    # nor beside the stairs, where the floor above is only a step's height further up
    h2, _ = _in_hall_at(world, [12.6, 0.0, 5.0])
    for seq in range(1, 12):
        h2.core.pose(1, encode_pose(seq, 12.6 + seq * 0.1, 3.2, 5.0, 0.0, 0.0))
        h2.tick()
    assert _position(h2)[1] == 0.0
    assert h2.take(1, "joined") == []


def test_walking_off_the_upper_floor_into_the_opening_is_stopped(world: World) -> None:
    h = Harness(HubCore(world, Settings(), seed=5))
    h.hello(1, "Ada", room="studio")
    session = h.core.session_of(1)
    assert session is not None and session.instance is not None
    session.instance.poses.place(session.slot, np.array([11.5, 3.2, 7.0]), 0.0, 0.0, 0, snap=True)
    for seq in range(1, 40):
        h.core.pose(1, encode_pose(seq, 11.5 + seq * 0.1, 3.2 - seq * 0.1, 7.0, 0.0, 0.0))
        h.tick()
    position = _position(h)
    assert position[1] == pytest.approx(3.2) and position[0] < 13.2
    assert h.take(1, "pose_fix")
