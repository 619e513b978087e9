"""Several ``Cluster`` members (one per simulated process) on a real redis-server: who owns
a room instance and where clients are sent, exact capacity under joins spread over
processes, the room list and sessions across processes, takeover when a process dies,
a lease taken while cut off, and Redis restarting under running processes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import numpy as np
import pytest
from redis_process import RedisProcess, free_port

from server.base.identity import Identity, Role
from server.base.redis_link import ClusterUnavailable
from server.cluster.cluster import (
    Cluster,
    ClusterTimings,
    Elsewhere,
    Here,
    LocalView,
    NotYet,
    choose_host,
    placement_of,
)
from server.cluster.grace_state import GraceState, resume_digest
from server.cluster.leases import InstanceKey, Owner
from server.cluster.occupancy import InstanceLoad, merge_rooms_summary
from server.cluster.process_registry import ProcessInfo
from server.core.chat import ChatLimits
from server.core.room import RoomInstance, Session
from server.protocol.table import Appearance

FAST = ClusterTimings(
    lease_ttl_s=1.2,
    round_every_s=0.1,
    process_ttl_s=1.5,
    stale_after_s=0.8,
    grace_write_every_s=0.1,
    grace_refresh_s=1.0,
    flush_every_s=0.02,
    session_ttl_s=5.0,
)
FOYER = InstanceKey("foyer", 0)
LAB = InstanceKey("lab", 0)
SITE = "cluster-test"


def member(url: str, name: str) -> Cluster:
    return Cluster(
        url,
        site=SITE,
        ws_url=f"ws://127.0.0.1/ws/{name}",
        timings=FAST,
        process_id=f"test.{name}",
    )


async def abandon(cluster: Cluster) -> None:
    """What SIGKILL leaves behind: the loops stop, nothing is released or said. (A bare
    cancel is not enough: Python 3.11 can lose a cancellation inside redis-py's waits, so
    the loops are also told to stop, as ``Cluster.close`` does.)"""
    cluster._stopping = True
    cluster.bus.stop()
    for task in cluster._tasks:
        task.cancel()
    await asyncio.wait(cluster._tasks, timeout=3.0)
    assert all(task.done() for task in cluster._tasks)
    await cluster.link.close()


async def until(check: Callable[[], bool], timeout_s: float = 5.0) -> float:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout_s:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
    return time.monotonic() - started


@pytest.fixture
async def trio(redis_url: str) -> AsyncIterator[list[Cluster]]:
    made = [member(redis_url, name) for name in ("a", "b", "c")]
    for cluster in made:
        await cluster.start()
        await cluster.wait_subscribed()
    yield made
    for cluster in made:
        with contextlib.suppress(Exception):
            await cluster.close()


def grace(session: str, key: InstanceKey | None, x: float) -> GraceState:
    return GraceState(
        session_id=session,
        resume_digest=resume_digest(f"resume-{session}"),
        identity=Identity(f"g-{session}", f"Gast {session}", Role.VISITOR, True),
        appearance={"color": "#aa3300", "shape": "capsule"},
        lang="de",
        key=key,
        position=(x, 0.0, 1.0),
        yaw=0.5,
        pitch=0.0,
        process_id="",
        saved_at=time.time(),
    )


# --- no I/O -----------------------------------------------------------------------------


def test_what_an_acquire_answer_means() -> None:
    stale = ClusterTimings().stale_heartbeat_s
    assert stale == 2.0
    assert placement_of(FOYER, None, stale) == Here(FOYER)
    live = Owner("pb", "pb/1", "wss://hub/ws/pb", 4.0, 4.5)
    assert placement_of(FOYER, live, stale) == Elsewhere(FOYER, live)
    gone = Owner("pb", "pb/1", None, 2.5, 0.0)
    assert placement_of(FOYER, gone, stale) == NotYet(FOYER, "owner_stopped", 2.5)
    silent = Owner("pb", "pb/1", "wss://hub/ws/pb", 3.0, 1.9)  # silent for over 3 s
    assert placement_of(FOYER, silent, stale) == NotYet(FOYER, "owner_stopped", 3.0)


def test_new_instances_go_to_a_clearly_less_busy_process() -> None:
    def info(pid: str, sessions: int, url: str = "ws://x") -> ProcessInfo:
        return ProcessInfo(pid, url, started_at=1.0, sessions=sessions)

    assert choose_host([info("a", 5)], "a") == info("a", 5)
    assert choose_host([info("b", 5)], "a") is None  # not registered yet
    assert choose_host([info("a", 30), info("b", 21)], "a") == info("a", 30)  # within slack
    assert choose_host([info("a", 30), info("b", 19), info("c", 12)], "a") == info("c", 12)
    assert choose_host([info("a", 200), info("b", 160)], "a") == info("a", 200)  # a quarter
    assert choose_host([info("a", 200), info("b", 140)], "a") == info("b", 140)
    assert choose_host([info("a", 40), info("b", 0, url="")], "a") == info("a", 40)


def test_timings_that_cannot_work_are_refused() -> None:
    with pytest.raises(ValueError, match="two maintenance rounds"):
        ClusterTimings(lease_ttl_s=1.0, round_every_s=0.5)
    with pytest.raises(ValueError, match="presumed stopped"):
        ClusterTimings(lease_ttl_s=5.0, round_every_s=1.0, process_ttl_s=2.0)
    with pytest.raises(ValueError, match="presumed stopped"):
        ClusterTimings(lease_ttl_s=5.0, round_every_s=1.0, stale_after_s=1.5)


# --- ownership and placement ---------------------------------------------------------------


@pytest.mark.scale
async def test_the_first_process_owns_the_room_and_the_others_send_clients_there(
    trio: list[Cluster],
) -> None:
    a, b, c = trio
    assert await a.place(FOYER) == Here(FOYER)
    assert a.owns(FOYER) and a.owned() == [FOYER]
    elsewhere = await b.place(FOYER)
    assert isinstance(elsewhere, Elsewhere)
    assert (elsewhere.owner.process_id, elsewhere.owner.ws_url) == ("test.a", "ws://127.0.0.1/ws/a")
    assert await a.place(FOYER) == Here(FOYER)  # asking again is free
    await until(lambda: len(c.processes()) == 3)
    info = {p.id: p for p in c.processes()}
    await until(lambda: "foyer#0" in {p.id: p for p in c.processes()}["test.a"].instances)
    assert info["test.b"].ws_url == "ws://127.0.0.1/ws/b"
    health = a.health()
    assert health["ok"] and health["redis"] == "ok" and health["leases"] == 1
    assert health["processes"] == 3 and health["bus"]["subscribed"]


@pytest.mark.scale
async def test_capacity_stays_exact_under_joins_spread_over_processes(
    trio: list[Cluster],
) -> None:
    """A hundred people ask three processes for a 24-place room at once; each process
    asks the cluster where the room lives and the owner alone admits (as the realtime
    side will, through a redirect): exactly 24 get in."""
    rooms: dict[str, RoomInstance] = {
        c.process_id: RoomInstance("foyer", 0, 0, 1, capacity=24, chat_history=0, now=0.0)
        for c in trio
    }

    def session(n: int) -> Session:
        return Session(
            id=f"s{n}",
            identity=Identity(f"g-{n}", f"Gast {n}", Role.VISITOR, True),
            appearance=Appearance("#336699", "capsule"),
            lang="de",
            resume_key=f"r{n}",
            limits=ChatLimits(0.0),
        )

    async def join(n: int) -> bool:
        first = trio[n % 3]
        placement = await first.place(FOYER, patience_s=5.0)
        owner = first.process_id if isinstance(placement, Here) else None
        if isinstance(placement, Elsewhere):
            owner = placement.owner.process_id
            redirected = next(c for c in trio if c.process_id == owner)
            assert isinstance(await redirected.place(FOYER), Here)
        assert owner is not None, placement
        return rooms[owner].admit(session(n), np.zeros(3), 0.0, 0.0, 0, snap=True)

    admitted = await asyncio.gather(*(join(n) for n in range(100)))
    assert sum(admitted) == 24
    assert sorted(r.occupancy for r in rooms.values()) == [0, 0, 24]


@pytest.mark.scale
async def test_overflow_instances_get_distinct_numbers_across_processes(
    trio: list[Cluster],
) -> None:
    keys = await asyncio.gather(*(trio[n % 3].open_overflow("foyer") for n in range(9)))
    assert sorted(k.instance for k in keys if k is not None) == list(range(1, 10))
    for cluster in trio:
        for key in cluster.owned():
            assert all(key not in other.owned() for other in trio if other is not cluster)
    a = trio[0]
    first = a.owned()[0]
    await a.release(first)
    assert not a.owns(first)
    assert await trio[1].open_overflow("foyer") == first


# --- what the processes see of each other ---------------------------------------------


@pytest.mark.scale
async def test_the_room_list_shows_every_process_s_rooms(trio: list[Cluster]) -> None:
    a, b, _ = trio
    await a.place(FOYER)
    await b.place(LAB)
    a.view = lambda: LocalView(
        [InstanceLoad(FOYER, 20, 3, 24), InstanceLoad(LAB, 99, 0, 12)], clients=20, sessions=23
    )
    b.view = lambda: LocalView([InstanceLoad(LAB, 5, 0, 12)], clients=5, sessions=5)
    await until(lambda: any(load.key == FOYER for load in b.remote_loads()))
    assert [load for load in b.remote_loads() if load.key == FOYER] == [
        InstanceLoad(FOYER, 20, 3, 24, "test.a")
    ]
    await until(lambda: [load.key for load in a.remote_loads()] == [LAB])
    assert a.remote_loads()[0].occupancy == 5  # a's claim about lab (not its own) was dropped
    local = [
        {"id": "foyer", "instances": [{"instance": 0, "occupancy": 0, "waiting": 0}]},
        {"id": "lab", "instances": [{"instance": 0, "occupancy": 5, "waiting": 0}]},
    ]
    merged = merge_rooms_summary(local, b.remote_loads(), b.owned())
    assert merged[0]["instances"] == [{"instance": 0, "occupancy": 20, "waiting": 3}]
    assert merged[1]["instances"] == [{"instance": 0, "occupancy": 5, "waiting": 0}]
    await until(lambda: {p.id: p.sessions for p in b.processes()}.get("test.a") == 23)


@pytest.mark.scale
async def test_a_session_can_be_resumed_and_found_from_another_process(
    trio: list[Cluster],
) -> None:
    a, b, _ = trio
    await a.place(FOYER)
    a.note_session(grace("s1", FOYER, 2.0))
    await until(lambda: a.health()["graces_pending"] == 0)
    await asyncio.sleep(FAST.round_every_s * 2)
    found = await b.resume("resume-s1")
    assert found is not None and found.position == (2.0, 0.0, 1.0)
    assert found.process_id == "test.a" and found.key == FOYER
    assert await b.locate("s1") == "test.a"
    now: list[GraceState] = []
    a.view = lambda: LocalView(states=now[-1:])  # the realtime side's view, each round
    for x in (3.0, 4.0, 5.0):
        now.append(grace("s1", FOYER, x))
        await asyncio.sleep(0.05)
    await asyncio.sleep(FAST.round_every_s * 3)
    found = await b.resume("resume-s1")
    assert found is not None and found.position == (5.0, 0.0, 1.0)
    now.clear()
    a.session_ended("s1", "resume-s1")
    await asyncio.sleep(FAST.round_every_s * 3)
    assert await b.resume("resume-s1") is None
    assert await b.locate("s1") is None


@pytest.mark.scale
async def test_direct_and_hub_wide_events_cross_processes(trio: list[Cluster]) -> None:
    a, b, c = trio
    got: dict[str, list[Any]] = {"b": [], "c": []}
    b.bus.on("chat", lambda sender, payload: got["b"].append((sender, payload)))
    c.bus.on("chat", lambda sender, payload: got["c"].append((sender, payload)))
    b.bus.on("kick", lambda sender, payload: got["b"].append(("kick", payload)))
    c.bus.on("kick", lambda sender, payload: got["c"].append(("kick", payload)))
    a.bus.post("chat", {"to": "s7", "text": "hallo"}, to="test.c")
    a.bus.post("kick", "g-troll")
    await until(lambda: len(got["c"]) == 2 and len(got["b"]) == 1)
    assert got["c"] == [("test.a", {"to": "s7", "text": "hallo"}), ("kick", "g-troll")]
    assert got["b"] == [("kick", "g-troll")]


# --- failures -------------------------------------------------------------------------------


@pytest.mark.scale
async def test_a_dead_process_s_rooms_are_taken_over_within_the_lease_time(
    trio: list[Cluster],
) -> None:
    a, b, _ = trio
    await a.place(FOYER)
    a.note_session(grace("s1", FOYER, 7.5))
    await until(lambda: a.health()["graces_pending"] == 0)
    await asyncio.sleep(FAST.round_every_s * 2)
    await abandon(a)
    died = time.monotonic()
    placement = await b.place(FOYER)
    assert isinstance(placement, Elsewhere | NotYet)  # the lease still runs
    await asyncio.sleep(FAST.stale_after_s + 0.02)  # silent too long: not sent there
    stopped = await b.place(FOYER)
    if isinstance(stopped, Here):  # a loaded machine slept past the lease: taken already
        assert time.monotonic() - died >= FAST.lease_ttl_s - FAST.round_every_s
    else:
        assert isinstance(stopped, NotYet) and stopped.reason == "owner_stopped"
        assert 0 < stopped.retry_after_s < FAST.lease_ttl_s
    placement = await b.place(FOYER, patience_s=3.0)
    took = time.monotonic() - died
    assert placement == Here(FOYER)
    assert took <= FAST.lease_ttl_s + 1.0
    state = await b.resume("resume-s1")
    assert state is not None and state.position == (7.5, 0.0, 1.0)
    await until(lambda: "test.a" not in {p.id for p in b.processes()}, 3.0)


@pytest.mark.scale
async def test_a_lease_taken_while_cut_off_is_reported_lost(trio: list[Cluster]) -> None:
    a, b, _ = trio
    lost: list[list[InstanceKey]] = []
    a.on_lost = lost.append
    await a.place(FOYER)
    a.note_session(grace("s1", FOYER, 1.0))
    await until(lambda: a.health()["graces_pending"] == 0)
    # as if a had been cut off longer than the lease: it ran out and b took the room
    await a.link.client.delete(a.leases.key(FOYER))
    assert await b.place(FOYER) == Here(FOYER)
    b.note_session(grace("s1", FOYER, 9.0))
    a.note_session(grace("s1", FOYER, 2.0))
    await until(lambda: lost == [[FOYER]])
    assert not a.owns(FOYER) and b.owns(FOYER)
    await asyncio.sleep(FAST.round_every_s * 3)
    state = await a.resume("resume-s1")
    assert state is not None and state.position == (9.0, 0.0, 1.0)  # a's write was fenced


@pytest.mark.scale
async def test_closing_gives_the_rooms_back_at_once(trio: list[Cluster]) -> None:
    a, b, _ = trio
    await a.place(FOYER)
    await a.close()
    assert await b.place(FOYER) == Here(FOYER)
    assert "test.a" not in {p.id for p in await b.registry.live()}


@pytest.mark.scale
async def test_processes_keep_their_rooms_through_a_redis_restart(
    private_redis: Callable[[], RedisProcess], caplog: pytest.LogCaptureFixture
) -> None:
    server = private_redis()
    a, b = member(server.url, "a"), member(server.url, "b")
    caplog.set_level(logging.INFO, logger="hubtwin.cluster")
    try:
        for cluster in (a, b):
            await cluster.start()
            await cluster.wait_subscribed()
        await a.place(FOYER)
        await b.place(LAB)
        server.stop()
        await until(lambda: a.health()["redis"] == "unreachable" and not a.health()["ok"])
        assert a.owns(FOYER) and b.owns(LAB)  # still serving
        assert await a.place(FOYER) == Here(FOYER)
        assert await a.place(LAB) == NotYet(LAB, "redis_unreachable", FAST.round_every_s)
        assert "redis unreachable" in caplog.text
        await asyncio.sleep(FAST.lease_ttl_s)
        assert a.health()["leases_unconfirmed"] == 1
        server.start()  # empty: this test server keeps nothing
        await until(lambda: a.health()["ok"] and b.health()["ok"], 10.0)
        # each holder restores its own lease at its first round after the restart
        await until(
            lambda: a.health()["leases_unconfirmed"] == 0 and b.health()["leases_unconfirmed"] == 0
        )
        assert "redis reachable again" in caplog.text
        owner = await b.leases.owner(FOYER)
        assert owner is not None and owner.process_id == "test.a"  # restored by its holder
        assert isinstance(await b.place(FOYER), Elsewhere)
        assert isinstance(await a.place(LAB), Elsewhere)
        await until(lambda: {p.id for p in a.processes()} == {"test.a", "test.b"})
        got: list[Any] = []
        b.bus.on("announce", lambda sender, payload: got.append(payload))
        a.bus.post("announce", "wieder da")
        await until(lambda: got == ["wieder da"])
        assert a.health()["outages"] == 1
    finally:
        for cluster in (a, b):
            with contextlib.suppress(Exception):
                await cluster.close()


async def test_a_process_does_not_join_a_hub_whose_redis_is_down() -> None:
    cluster = member(f"redis://:geheim@127.0.0.1:{free_port()}/0", "a")
    with pytest.raises(ClusterUnavailable, match="Redis is not answering") as refused:
        await cluster.start()
    assert "geheim" not in str(refused.value)
