"""The pure parts of server/cluster/realtime.py, without sockets: the address other
processes redirect to, where a returning session is put, how overflow numbers and the
room list take the other processes' instances into account, and the health rule."""

from __future__ import annotations

from typing import cast

import pytest

from server.base.identity import Identity, Role
from server.base.settings import Settings
from server.cluster.cluster import Cluster
from server.cluster.grace_state import GraceState
from server.cluster.leases import InstanceKey
from server.cluster.occupancy import InstanceLoad
from server.cluster.realtime import ClusterPlacement, ClusterRealtime, public_ws_url, returning_of
from server.core.hub import HubCore
from server.protocol.table import Appearance


@pytest.mark.parametrize(
    ("public_url", "public_ws_url_set", "host", "expected"),
    [
        (None, None, "127.0.0.1", "ws://127.0.0.1:8181/ws"),
        (None, None, "0.0.0.0", "ws://127.0.0.1:8181/ws"),
        (None, "wss://hub.example.org/ws/2", "0.0.0.0", "wss://hub.example.org/ws/2"),
        ("https://hub.example.org/", "/ws/2", "0.0.0.0", "wss://hub.example.org/ws/2"),
        ("http://10.0.0.5:8080/", "/ws/3", "0.0.0.0", "ws://10.0.0.5:8080/ws/3"),
        (None, "/ws/2", "0.0.0.0", "/ws/2"),
    ],
)
def test_the_address_others_redirect_to(
    public_url: str | None, public_ws_url_set: str | None, host: str, expected: str
) -> None:
    settings = Settings(host=host, public_url=public_url, public_ws_url=public_ws_url_set)
    assert public_ws_url(settings, 8181) == expected


def _state(key: InstanceKey | None, position: tuple[float, float, float] | None) -> GraceState:
    return GraceState(
        session_id="s1",
        resume_digest="d",
        identity=Identity("id-ada", "Ada", Role.VISITOR, True),
        appearance={"color": "#aa0000", "shape": "cone"},
        lang="de",
        key=key,
        position=position,
        yaw=1.5,
        pitch=0.2,
        process_id="p1",
        saved_at=0.0,
    )


def test_a_returning_session_stands_where_it_stood_only_in_the_same_instance() -> None:
    fallback = Appearance("#336699", "capsule")
    hall = InstanceKey("hall", 0)
    same = returning_of(_state(hall, (1.0, 0.0, 2.0)), hall, fallback)
    assert (same.session_id, same.room, same.instance) == ("s1", "hall", 0)
    assert (same.position, same.yaw, same.pitch) == ((1.0, 0.0, 2.0), 1.5, 0.2)
    # the kept shape of before bodies comes back as the average build
    assert same.appearance == Appearance("#aa0000", "average")
    elsewhere = returning_of(_state(hall, (1.0, 0.0, 2.0)), InstanceKey("entrance", 0), fallback)
    assert (elsewhere.room, elsewhere.position, elsewhere.yaw) == ("entrance", None, 0.0)
    nowhere = returning_of(_state(None, None), hall, fallback)
    assert nowhere.position is None


@pytest.fixture
def cluster() -> Cluster:
    """A cluster object that is never started (no Redis needed for its books)."""
    return Cluster("redis://127.0.0.1:1/0", site="units", ws_url="ws://me/ws", process_id="me")


def test_overflow_numbers_skip_other_processes_instances(cluster: Cluster) -> None:
    placement = ClusterPlacement(cluster)
    cluster._remote = [  # what the last round read
        InstanceLoad(InstanceKey("hall", 1), 3, 0, 10, "p2"),
        InstanceLoad(InstanceKey("hall", 3), 1, 0, 10, "p3"),
        InstanceLoad(InstanceKey("lab", 1), 1, 0, 10, "p3"),
    ]
    assert placement.overflow_number("hall", {0, 2}) == 4
    assert placement.overflow_number("lab", {0}) == 2
    assert placement.overflow_number("foyer", {0}) == 1
    local = [{"id": "hall", "instances": [{"instance": 0, "occupancy": 0, "waiting": 0}]}]
    merged = placement.rooms_summary(local)
    assert [i["instance"] for i in merged[0]["instances"]] == [0, 1, 3]
    assert not placement.is_here("hall", 0)
    cluster.book.took(InstanceKey("hall", 0), cluster.book.next_token(), 0.0)
    assert placement.is_here("hall", 0)


def test_not_ready_until_a_round_after_an_outage(cluster: Cluster) -> None:
    glue = ClusterRealtime(cluster, cast(HubCore, object()), Settings(), None)
    link = cluster.link
    link.succeeded()
    cluster.bus.subscribed.set()
    cluster._last_round = cluster._clock()
    cluster.rounds = 3
    assert glue.health()["ok"] is True
    link.failed(ConnectionError("gone"))
    assert glue.health()["ok"] is False
    link.succeeded()
    assert glue.health()["ok"] is False  # back, but no round has rewritten the leases yet
    cluster.rounds += 1
    cluster._last_round = cluster._clock()
    assert glue.health()["ok"] is True
