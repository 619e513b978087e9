"""What follows a new world version in the hub core (no sockets): the learning stations'
places, the rooms' screens and the workshops' stages, on the Dortmund hub's model with a
station moved, a screen swapped for another and the stage moved or taken out."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from realtime_harness import Harness

from server.app.world_follow import ScreensFollower, StagesFollower, StationsFollower
from server.base.settings import Settings
from server.core.hub import HubCore
from server.domain.workshops import WorkshopBook
from server.features.stations.catalogue import load_catalogue
from server.features.stations.desk import StationDesk
from server.features.stations.realtime import StationVisits
from server.features.talks.realtime import TalkScreens
from server.workshop.facilitation import Facilitation, stage_areas
from world.builder import build_world
from world.model import Anchor, World, load
from world.site import DEFAULT_SITE, PROJECT_ROOT, Site, load_site

BUILT = PROJECT_ROOT / "var" / "oekohub-dortmund" / "world" / "hub.glb"


@pytest.fixture(scope="module")
def site() -> Site:
    return load_site(DEFAULT_SITE)


@pytest.fixture(scope="module")
def world(site: Site, tmp_path_factory: pytest.TempPathFactory) -> World:
    path = BUILT
    if not path.is_file():
        path = tmp_path_factory.mktemp("world") / "hub.glb"
        build_world(site, path, quiet=True)
    return load(path)


def with_anchors(world: World, anchors: list[Anchor]) -> World:
    """The same hub with other anchors (as a published layout change would give)."""
    return World(
        world.rooms,
        world.spawns,
        anchors,
        world.doors,
        world.floor,
        digest="changed",
        source="test",
        meta=world.meta,
    )


class NoTalks:
    """A talk library with nothing in it."""

    def current(self, now: float) -> NoTalks:
        return self

    def get(self, talk_id: str) -> None:
        return None


def stand(h: Harness, conn: int, position: np.ndarray) -> None:
    session = h.core.session_of(conn)
    assert session is not None and session.instance is not None
    session.instance.poses.place(session.slot, position, 0.0, 0.0, h.core.tick_count, snap=True)


def test_stations_follow_their_anchors(site: Site, world: World) -> None:
    catalogue = load_catalogue(site, world)
    station = next(s for s in catalogue.stations if s.anchor == "foyer-1")
    visits, desk = StationVisits(catalogue), StationDesk(catalogue)
    h = Harness(HubCore(world, Settings(), seed=1, features=[visits]))
    old_spot = world.anchor("foyer-1").position + np.array([0.0, 0.0, 1.0])
    new_spot = old_spot + np.array([6.0, 0.0, 4.0])
    h.hello(1, "Ada", room="foyer")
    h.hello(2, "Ben", room="foyer")
    stand(h, 1, old_spot)
    stand(h, 2, new_spot)
    h.tick()
    assert [m["station"] for m in h.take(1, "station_near")] == [station.id]
    assert h.take(2, "station_near") == []

    moved = [
        dataclasses.replace(a, position=a.position + np.array([6.0, 0.0, 4.0]))
        if a.id == "foyer-1"
        else a
        for a in world.anchors
    ]
    new_world = with_anchors(world, moved)
    follower = StationsFollower(site, visits, desk)
    prepared = follower.prepare(new_world)
    fx = h.core.replace_world(new_world, h.now)
    follower.follow(prepared, h.core, fx, h.now)
    h.apply(fx)

    assert [m["station"] for m in h.take(1, "station_far")] == [station.id]
    assert [(m["station"], m["anchor"]) for m in h.take(2, "station_near")] == [
        (station.id, "foyer-1")
    ]
    placed = desk.catalogue.get(station.id)
    assert placed is not None and placed.place is not None
    assert placed.place.position == pytest.approx(tuple(new_world.anchor("foyer-1").position))
    assert visits.catalogue is desk.catalogue
    # From now on the watch is the new one: walking away is noticed as usual.
    stand(h, 2, old_spot + np.array([0.0, 0.0, 2.5]))
    h.tick(0.3)
    assert [m["station"] for m in h.take(2, "station_far")] == [station.id]


def test_screens_follow_kept_ones_go_on_new_ones_start_empty(world: World) -> None:
    screens = TalkScreens(world, NoTalks())
    h = Harness(HubCore(world, Settings(), seed=1, features=[screens]))
    joined = h.hello(1, "Ada", room="lounge")
    assert [m["screen"] for m in joined if m["t"] == "playback_state"] == ["lounge-screen"]
    session = h.core.session_of(1)
    assert session is not None and session.instance is not None
    held = screens.screens_of(session.instance)
    assert held is not None
    kept = held.screens["lounge-screen"]

    lounge = world.anchor("lounge-screen")
    auditorium = world.anchor("auditorium-screen")
    second = dataclasses.replace(
        lounge, id="lounge-screen-2", position=lounge.position + np.array([2.0, 0.0, 0.0])
    )
    anchors = [a for a in world.anchors if a is not auditorium] + [second]
    new_world = with_anchors(world, anchors)
    follower = ScreensFollower(screens)
    fx = h.core.replace_world(new_world, h.now)
    follower.follow(follower.prepare(new_world), h.core, fx, h.now)
    h.apply(fx)

    told = h.take(1, "playback_state")
    assert sorted(m["screen"] for m in told) == ["lounge-screen", "lounge-screen-2"]
    assert all(m["talk"] is None for m in told)
    assert list(held.screens) == ["lounge-screen", "lounge-screen-2"]
    assert held.screens["lounge-screen"] is kept
    assert "auditorium" not in screens.screen_ids
    assert screens.screen_ids["lounge"] == ["lounge-screen", "lounge-screen-2"]


def test_nothing_is_said_when_the_screens_stay(world: World) -> None:
    screens = TalkScreens(world, NoTalks())
    h = Harness(HubCore(world, Settings(), seed=1, features=[screens]))
    h.hello(1, "Ada", room="lounge")
    same = with_anchors(world, list(world.anchors))
    follower = ScreensFollower(screens)
    fx = h.core.replace_world(same, h.now)
    follower.follow(follower.prepare(same), h.core, fx, h.now)
    h.apply(fx)
    assert h.take(1, "playback_state") == []


def test_stages_follow_their_anchors_and_a_removed_stage_clears(world: World) -> None:
    lead = Facilitation(WorkshopBook(()), stages=stage_areas(world.anchors_of("stage")))
    h = Harness(HubCore(world, Settings(), seed=1, features=[lead]))
    lead.attach(h.core)
    stage = world.anchor("auditorium-stage")
    h.hello(1, "Ada", room="auditorium")
    h.hello(2, "Ben", room="auditorium")
    stand(h, 1, np.asarray(stage.position, dtype=np.float64))
    h.tick(0.3)
    assert h.take(2, "stage")[-1]["sessions"] == [h.session(1)]

    # the stage moves 6 m east: Ada is no longer on it, and the room is told at the next look
    moved = dataclasses.replace(stage, position=stage.position + np.array([6.0, 0.0, 0.0]))
    anchors = [moved if a is stage else a for a in world.anchors]
    follower = StagesFollower(lead)
    new_world = with_anchors(world, anchors)
    fx = h.core.replace_world(new_world, h.now)
    follower.follow(follower.prepare(new_world), h.core, fx, h.now)
    h.apply(fx)
    h.tick(0.3)
    assert h.take(2, "stage")[-1]["sessions"] == []
    stand(h, 1, np.asarray(moved.position, dtype=np.float64))
    h.tick(0.3)
    assert h.take(2, "stage")[-1]["sessions"] == [h.session(1)]

    # no stage at all any more: the room hears at once that nobody stands on one
    bare = with_anchors(world, [a for a in world.anchors if a.kind != "stage"])
    fx = h.core.replace_world(bare, h.now)
    follower.follow(follower.prepare(bare), h.core, fx, h.now)
    h.apply(fx)
    assert h.take(2, "stage")[-1]["sessions"] == []
    h.tick(0.3)
    assert h.take(2, "stage") == []
