"""The consulting corners follow a world version published while the hub runs, in the hub
core (no sockets), on the Dortmund hub's model and its consulting file: a corner moved is
where the next conversation is held, a corner taken out closes its desk (the queue is
told) and leaves the overview, a corner added is one an advisor opens a desk at; a new
world the file cannot be used with leaves the corners as they were."""

from __future__ import annotations

import dataclasses
from typing import Any

import msgpack
import numpy as np
import pytest
from realtime_harness import Harness, person
from test_world_follow import with_anchors

from server.base.identity import Role
from server.base.settings import Settings
from server.core.hub import HubCore
from server.domain.consulting import CONSULTING_FILE
from server.features.consulting.follow import ConsultingFollower
from server.features.consulting.realtime import ConsultingDesks
from server.protocol.table import decode_client
from world.builder import build_world
from world.model import World, load
from world.site import DEFAULT_SITE, PROJECT_ROOT, Site, load_site

BUILT = PROJECT_ROOT / "var" / "oekohub-dortmund" / "world" / "hub.glb"
SHIFT = np.array([0.0, 0.0, 1.0])


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


def msg(**fields: Any) -> Any:
    return decode_client(msgpack.packb(fields))


class Scene:
    """The hub before the change: a world without the booth of consulting-3."""

    def __init__(self, site: Site, world: World) -> None:
        before = with_anchors(world, [a for a in world.anchors if a.id != "consulting-3"])
        self.desks = ConsultingDesks({}, advisors={"id-Beratung"})
        self.follower = ConsultingFollower(site.file(CONSULTING_FILE), site.languages, self.desks)
        prepared = self.follower.prepare(before)
        assert prepared is not None
        self.desks.file, self.desks.corner_places = prepared
        core = HubCore(before, Settings(), seed=3, features=[self.desks], rules=[self.desks])
        self.desks.attach(core)
        self.h = Harness(core)
        self.h.hello(
            1, "Beratung", identity=person("Beratung", Role.FACILITATOR), room="consulting"
        )
        self.h.hello(2, "Ada", room="consulting")
        self.h.tick()

    def send(self, conn: int, **fields: Any) -> list[dict[str, Any]]:
        before = len(self.h.inbox[conn])
        self.h.apply(self.h.core.handle(conn, msg(**fields), self.h.now))
        return list(self.h.inbox[conn][before:])

    def publish(self, world: World) -> None:
        prepared = self.follower.prepare(world)
        fx = self.h.core.replace_world(world, self.h.now)
        self.follower.follow(prepared, self.h.core, fx, self.h.now)
        self.h.apply(fx)

    def state(self, conn: int) -> dict[str, Any]:
        states = self.h.take(conn, "consult_state")
        assert states, f"no consult_state for {conn}"
        return states[-1]


def test_corners_moved_taken_out_and_added_follow_the_published_world(
    site: Site, world: World
) -> None:
    s = Scene(site, world)
    assert sorted(s.desks.file.corners) == ["consulting-1", "consulting-2"]
    assert {h.corner for h in s.desks.file.hours} == {"consulting-1", "consulting-2"}
    refused = s.send(1, t="consult_desk", open=True, corner="consulting-3")
    assert [r["code"] for r in refused if r["t"] == "error"] == ["corner_unknown"]
    s.send(1, t="consult_desk", open=True, corner="consulting-2")
    s.send(2, t="consult_queue", advisor=s.h.session(1), topic="Förderung")
    assert s.state(2)["queued"]["position"] == 1

    # the new version: consulting-1 a metre further, consulting-2 gone, consulting-3 there
    anchors = [
        dataclasses.replace(a, position=a.position + SHIFT) if a.id == "consulting-1" else a
        for a in world.anchors
        if a.id != "consulting-2"
    ]
    moved = with_anchors(world, anchors)
    s.publish(moved)
    assert sorted(s.desks.file.corners) == ["consulting-1", "consulting-3"]
    assert {h.corner for h in s.desks.file.hours} == {"consulting-1", "consulting-3"}
    assert s.state(1)["desk"] is None, "the desk at the corner taken out closed"
    assert s.state(2)["queued"] is None, "and Ada's queue with it"
    assert s.desks.open_desks() == []

    # the added corner takes a desk; at the moved one the conversation is at its new spot
    s.send(1, t="consult_desk", open=True, corner="consulting-3")
    assert s.state(1)["desk"]["corner"] == "consulting-3"
    s.send(1, t="consult_desk", open=True, corner="consulting-1")
    s.send(2, t="consult_queue", advisor=s.h.session(1), topic="Förderung")
    s.send(1, t="consult_call")
    advisor = s.h.core.session_of(1)
    assert advisor is not None and advisor.instance is not None
    assert advisor.instance.number != 0, "in the booth"
    seat = np.asarray(advisor.instance.poses.pose_of(advisor.slot)[0])
    spot = np.asarray(moved.anchor("consulting-1").position)
    assert np.allclose(seat[[0, 2]], spot[[0, 2]], atol=0.05)
    assert not np.allclose(seat[[0, 2]], (spot - SHIFT)[[0, 2]], atol=0.5)


def test_a_world_the_file_cannot_use_leaves_the_corners_as_they_were(
    site: Site, world: World
) -> None:
    s = Scene(site, world)
    s.send(1, t="consult_desk", open=True, corner="consulting-1")
    before = dict(s.desks.corner_places)
    entrance = world.entrance
    spot = next(a for a in world.anchors if a.room_id == entrance)
    anchors = [
        dataclasses.replace(a, room_id=entrance, position=spot.position)
        if a.id == "consulting-1"
        else a
        for a in world.anchors
    ]
    s.publish(with_anchors(world, anchors))
    assert s.desks.corner_places.keys() == before.keys()
    assert s.desks.open_desks()[0]["corner"] == "consulting-1", "the desk stays open"
