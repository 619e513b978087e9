"""HubCore.replace_world without sockets: a new world version while people are inside."""

from __future__ import annotations

import math

import numpy as np
import pytest
from realtime_harness import Harness

from server.base.settings import Settings
from server.core.hub import HubCore
from server.features.world.updates import WorldNotice, WorldUpdates
from server.protocol.table import ENTRY_SNAP
from world.floor import WalkableFloor
from world.model import Room, SpawnPoint, World


# One hall, x 0..10, z 0..8; the new version puts a 2 x 2 m cabinet in its middle.
def vec(x: float, y: float, z: float) -> np.ndarray:
    return np.array([x, y, z], dtype=np.float64)


HALL = Room("hall", {"de": "Halle", "en": "Hall"}, "foyer", 20, vec(0, 0, 0), vec(10, 3, 8))
CABINET_CENTRE = (5.0, 0.6, 4.0)


def hall_world(*, cabinet: bool, digest: str) -> World:
    floor = WalkableFloor.from_rectangles([(0, 10, 0, 8, 0)])
    if cabinet:
        floor.subtract_boxes([CABINET_CENTRE], [(1.0, 0.6, 1.0)], [np.eye(3)])
    spawns = [SpawnPoint("hall-1", "hall", vec(2.0, 0.0, 2.0))]
    return World([HALL], spawns, floor=floor, digest=digest)


def stand(harness: Harness, conn: int, x: float, z: float) -> None:
    """Put a person somewhere (as if they had walked there)."""
    session = harness.core.session_of(conn)
    assert session is not None and session.instance is not None
    session.instance.poses.place(
        session.slot, np.array([x, 0.0, z]), 0.0, 0.0, harness.core.tick_count, snap=False
    )


def position_of(harness: Harness, conn: int) -> list[float]:
    session = harness.core.session_of(conn)
    assert session is not None and session.instance is not None
    return session.instance.poses.pose_of(session.slot)[0]


@pytest.fixture
def harness() -> Harness:
    old = hall_world(cabinet=False, digest="old")
    return Harness(HubCore(old, Settings(), seed=3, features=[WorldUpdates()]))


def test_someone_where_new_furniture_stands_is_moved_to_free_floor(harness: Harness) -> None:
    harness.hello(1, "Ada")
    harness.hello(2, "Bea")
    stand(harness, 1, 5.0, 4.0)  # where the cabinet will be
    stand(harness, 2, 8.5, 1.5)  # well clear of it
    new = hall_world(cabinet=True, digest="new")
    assert not new.is_walkable([[5.0, 0.0, 4.0]])[0]

    fx = harness.apply(harness.core.replace_world(new, harness.now))

    fixes = harness.take(1, "pose_fix")
    assert [f["reason"] for f in fixes] == ["world"]
    moved = position_of(harness, 1)
    assert list(fixes[0]["pos"]) == pytest.approx(moved)
    assert new.is_walkable([moved])[0]
    assert new.room_at([moved])[0] == 0
    # The nearest free spot: just beside the cabinet, not back at the spawn point.
    assert 1.0 <= math.dist((moved[0], moved[2]), (5.0, 4.0)) < 1.8
    assert harness.take(2, "pose_fix") == []
    assert position_of(harness, 2) == pytest.approx([8.5, 0.0, 1.5])
    assert fx.errors == []
    assert harness.core.world is new


def test_the_move_reaches_the_others_as_a_jump(harness: Harness) -> None:
    harness.hello(1, "Ada")
    harness.hello(2, "Bea")
    stand(harness, 1, 5.0, 4.0)
    harness.tick()
    harness.snapshots[2].clear()
    harness.apply(harness.core.replace_world(hall_world(cabinet=True, digest="new"), harness.now))
    harness.tick()
    ada = harness.core.session_of(1)
    assert ada is not None
    grid = harness.core.grid
    rows = [e for snap in harness.snapshots[2] for e in snap.entries if e["net"] == ada.slot]
    assert rows and rows[-1]["flags"] & ENTRY_SNAP
    x, _, z = grid.dequantise(np.array([rows[-1]["x"], rows[-1]["y"], rows[-1]["z"]]))
    assert math.dist((x, z), (5.0, 4.0)) >= 1.0


def test_a_world_with_other_rooms_is_refused_and_nothing_changes(harness: Harness) -> None:
    harness.hello(1, "Ada")
    old = harness.core.world
    other = World(
        [Room("annex", {"de": "Anbau", "en": "Annex"}, "lab", 5, vec(0, 0, 0), vec(10, 3, 8))],
        [SpawnPoint("annex-1", "annex", vec(2.0, 0.0, 2.0))],
    )
    with pytest.raises(ValueError, match="other rooms"):
        harness.core.replace_world(other, harness.now)
    bigger = World([Room("hall", HALL.names, "foyer", 20, vec(0, 0, 0), vec(30, 3, 8))])
    with pytest.raises(ValueError, match="other bounds"):
        harness.core.replace_world(bigger, harness.now)
    assert harness.core.world is old


def test_world_changed_reaches_everyone_now_and_latecomers_on_joining(harness: Harness) -> None:
    updates = harness.core.features[0]
    assert isinstance(updates, WorldUpdates)
    harness.hello(1, "Ada")
    [welcome] = [m for m in harness.hello(2, "Bea") if m["t"] == "welcome"]
    harness.drop(2)  # away (reconnecting) while the world changes
    fx = harness.core.replace_world(hall_world(cabinet=True, digest="new"), harness.now)
    updates.announce(WorldNotice(4, "d" * 64, "/world/hub.glb", 1234, "Schrank"), fx)
    harness.apply(fx)
    [told] = harness.take(1, "world_changed")
    assert told == {
        "t": "world_changed",
        "version": 4,
        "digest": "d" * 64,
        "url": "/world/hub.glb",
        "bytes": 1234,
        "message": "Schrank",
    }
    back = harness.hello(3, "Bea", resume=welcome["resume"])
    assert [m["digest"] for m in back if m["t"] == "world_changed"] == ["d" * 64]
    late = harness.hello(4, "Cem")
    assert [m["digest"] for m in late if m["t"] == "world_changed"] == ["d" * 64]
    # Whoever was told is not told again (a room change, a tick).
    harness.tick()
    assert harness.take(1, "world_changed") == []
    assert harness.take(3, "world_changed") == []
