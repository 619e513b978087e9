"""Spatial queries on the hub: rooms, walkable floor, clamped steps, nearest anchors.

Coordinates below are the Dortmund hub's (building.toml): the lab spans x -3..9, z -13..1;
the auditorium x -21..-3 with its stage along the north wall; the foyer x -13..5, z 1..13.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from world.model import World

LAB = (3.0, 0.0, -7.6)
AUDITORIUM = (-12.0, 0.0, -4.0)
FOYER = (-4.0, 0.0, 7.0)
IN_LAB_AUDITORIUM_WALL = (-3.0, 0.0, -7.6)
ON_THE_LAWN = (0.0, 0.0, 40.0)


def test_room_at_answers_for_many_points_at_once(hub: World) -> None:
    points = np.array([LAB, AUDITORIUM, FOYER, ON_THE_LAWN, (2.0, 30.0, -6.0)])
    rooms = hub.room_at(points)
    assert rooms.shape == (5,)
    assert [hub.rooms[i].id for i in rooms[:3]] == ["lab", "auditorium", "foyer"]
    assert rooms[3] == -1 and rooms[4] == -1, "outside the building and high above it"
    rng = np.random.default_rng(1)
    many = rng.uniform([-25, 0, -15], [25, 3, 25], size=(1000, 3))
    answer = hub.room_at(many)
    assert answer.shape == (1000,) and answer.dtype.kind == "i"
    for i in rng.choice(1000, 50, replace=False):
        expected = [
            k
            for k, r in enumerate(hub.rooms)
            if (many[i] >= r.bounds_min).all() and (many[i] <= r.bounds_max).all()
        ]
        assert answer[i] == (expected[0] if expected else -1)


def test_where_one_may_stand(hub: World) -> None:
    spawns = np.stack([s.position for s in hub.spawns])
    assert hub.is_walkable(spawns).all()
    assert not hub.is_walkable([IN_LAB_AUDITORIUM_WALL, ON_THE_LAWN]).any()
    # under a lab bench, under the reception desk
    assert not hub.is_walkable([(0.6, 0.0, -6.0), (0.8, 0.0, 9.5)]).any()
    # every door can be walked through at its middle
    assert hub.is_walkable(np.stack([d.position for d in hub.doors])).all()
    # the stage is a floor of its own, 45 cm up
    assert hub.floor_height([(-12.0, 0.45, -11.0)])[0] == pytest.approx(0.45)
    assert not hub.is_walkable([(-12.0, 2.0, -11.0)])[0], "too far above the stage"


def test_a_wall_stops_a_step(hub: World) -> None:
    end = hub.clamp_step([LAB], [(-8.0, 0.0, -7.6)])[0]
    assert hub.rooms[hub.room_at(end)[0]].id == "lab"
    assert -3.0 < end[0] < -2.5, "stops at the wall, not before it"
    assert end[2] == pytest.approx(-7.6)


def test_a_door_lets_a_step_through(hub: World) -> None:
    start, end = (1.0, 0.0, 6.0), (1.0, 0.0, -4.0)  # foyer to lab through their door at x = 1
    moved = hub.clamp_step([start], [end])[0]
    assert np.allclose(moved, end)


def test_no_tunnelling_even_for_very_long_steps(hub: World) -> None:
    moved = hub.clamp_step([(1.0, 0.0, 6.0)], [(1.0, 0.0, -300.0)])[0]
    # from the foyer through the door into the lab, where the first bench stops it
    assert hub.rooms[hub.room_at(moved)[0]].id == "lab"
    assert -5.4 < moved[2] < -4.5
    moved = hub.clamp_step([LAB], [(3.0, 0.0, 300.0)])[0]
    assert hub.rooms[hub.room_at(moved)[0]].id == "lab", "the lab's south wall holds"


def test_stairs_and_ramp_lead_up_the_stage_but_its_edge_does_not(hub: World) -> None:
    starts = np.array([(-12.0, 0.0, -7.5), (-7.9, 0.0, -7.5), (-20.4, 0.0, -10.3)])
    ends = np.array([(-12.0, 0.0, -11.5), (-7.9, 0.0, -11.5), (-14.0, 0.0, -10.3)])
    moved = hub.clamp_step(starts, ends)
    assert moved[0, 1] == 0.0 and moved[0, 2] > -9.6, "climbed the stage's front edge"
    assert moved[1, 1] == pytest.approx(0.45) and moved[1, 2] == pytest.approx(-11.5), "the steps"
    assert moved[2, 1] == pytest.approx(0.45) and moved[2, 0] == pytest.approx(-14.0), "the ramp"


def test_each_step_is_clamped_on_its_own(hub: World) -> None:
    starts = np.array([LAB, (1.0, 0.0, 6.0), LAB, (-7.9, 0.0, -7.5)])
    ends = np.array([(-8.0, 0.0, -7.6), (1.0, 0.0, -4.0), (3.5, 0.0, -7.9), (-7.9, 0.0, -11.5)])
    together = hub.clamp_step(starts, ends)
    one_by_one = np.concatenate(
        [hub.clamp_step(s[None], e[None]) for s, e in zip(starts, ends, strict=True)]
    )
    assert np.allclose(together, one_by_one)
    assert np.allclose(together[2], (3.5, 0.0, -7.9)), "a short free step arrives"


def test_someone_inside_a_wall_is_moved_out(hub: World) -> None:
    points = np.array([IN_LAB_AUDITORIUM_WALL, LAB, (0.6, 0.0, -6.0), (200.0, 0.0, 0.0)])
    out = hub.nearest_walkable(points)
    assert hub.is_walkable(out).all()
    assert np.linalg.norm(out[0] - points[0]) < 0.8
    assert np.allclose(out[1], LAB), "a free spot stays where it is"
    assert np.linalg.norm(out[2] - points[2]) < 1.5
    # once out, the wall still holds
    assert hub.rooms[hub.room_at(hub.clamp_step(out[:1], [(-12.0, 0.0, -6.0)]))[0]].id in (
        "lab",
        "auditorium",
    )


def test_anchors_near_a_point(hub: World) -> None:
    lab_1 = hub.anchor("lab-1").position
    near = hub.anchors_near(lab_1, 5.0)
    assert near[0].id == "lab-1"
    distances = [np.linalg.norm(a.position - lab_1) for a in near]
    assert distances == sorted(distances) and max(distances) <= 5.0
    assert {a.id for a in hub.anchors_near(lab_1, 5.0, kind="station")} >= {"lab-1", "lab-2"}
    assert hub.anchors_near(lab_1, 5.0, kind="screen") == []
    assert [a.id for a in hub.anchors_near((-12.0, 0.0, -8.0), 6.0, kind="screen")] == [
        "auditorium-screen"
    ]


@settings(max_examples=60, deadline=None)
@given(start=st.integers(0, 10_000), dx=st.floats(-40, 40), dz=st.floats(-40, 40))
def test_steps_never_leave_the_floor_or_cross_a_gap(
    hub: World, start: int, dx: float, dz: float
) -> None:
    spawn = hub.spawns[start % len(hub.spawns)].position
    moved = hub.clamp_step(spawn[None], (spawn + np.array([dx, 0.0, dz]))[None])[0]
    assert hub.is_walkable(moved[None])[0]
    # every cell on the way, sampled far finer than the step did, is floor
    length = float(np.hypot(*(moved - spawn)[[0, 2]]))
    samples = max(2, int(length / 0.005))
    path = spawn[None] + (moved - spawn)[None] * np.linspace(0, 1, samples)[:, None]
    floor = hub.floor
    rows = np.floor((path[:, 2] - floor.origin_z) / floor.cell).astype(int)
    cols = np.floor((path[:, 0] - floor.origin_x) / floor.cell).astype(int)
    assert floor.walkable_mask()[rows, cols].all(), "the step crossed a gap in the floor"
