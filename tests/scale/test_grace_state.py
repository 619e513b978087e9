"""Grace states: the record and its checks, the modest write rate, and fenced writes to a
real redis-server (a process that lost the room's lease cannot overwrite the new owner)."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import msgpack
import pytest

from server.base.identity import Identity, Role
from server.base.redis_link import RedisLink
from server.base.redis_names import RedisNames
from server.cluster.grace_state import (
    GraceState,
    GraceStateError,
    GraceStates,
    GraceWriter,
    resume_digest,
)
from server.cluster.leases import InstanceKey, LeaseStore

FOYER = InstanceKey("foyer", 0)
RESUME = "resume-key-secret"


def state(session: str = "s1", *, key: InstanceKey | None = FOYER, x: float = 1.5) -> GraceState:
    return GraceState(
        session_id=session,
        resume_digest=resume_digest(RESUME + session),
        identity=Identity("g-ada", "Ada ✓", Role.VISITOR, guest=True),
        appearance={"color": "#336699", "shape": "capsule"},
        lang="de",
        key=key,
        position=(x, 0.0, -2.25) if key is not None else None,
        yaw=1.25,
        pitch=-0.1,
        process_id="pa",
        saved_at=1000.0,
    )


def test_a_state_packs_and_unpacks_to_itself() -> None:
    for original in (state(), state(key=None)):
        assert GraceState.unpack(original.pack()) == original


def test_the_resume_key_itself_is_never_in_the_record() -> None:
    packed = state().pack()
    assert RESUME.encode() not in packed
    assert resume_digest(RESUME) != resume_digest(RESUME + "x")


@pytest.mark.parametrize(
    "data",
    [
        b"\xc1",
        msgpack.packb([1, 2]),
        msgpack.packb({"v": 2}),
        msgpack.packb({"v": 1}),
    ],
)
def test_bytes_that_are_not_a_state_are_refused(data: bytes) -> None:
    with pytest.raises(GraceStateError):
        GraceState.unpack(data)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("pos", [1.0, float("nan"), 0.0]),
        ("pos", [1.0, 2.0]),
        ("yaw", "north"),
        ("instance", -1),
        ("instance", True),
        ("session", 7),
        ("appearance", ["red"]),
    ],
)
def test_a_state_with_a_bad_field_is_refused(field: str, value: object) -> None:
    raw = msgpack.unpackb(state().pack())
    raw[field] = value
    with pytest.raises(GraceStateError):
        GraceState.unpack(msgpack.packb(raw))


def test_the_writer_writes_moves_at_a_modest_rate_and_room_changes_at_once() -> None:
    writer = GraceWriter(every_s=1.0, refresh_s=10.0)
    writer.note(state(x=1.0), now=0.0)
    assert [s.position for s in writer.due(0.0)] == [(1.0, 0.0, -2.25)]  # new: at once
    writer.note(state(x=2.0), now=0.1)
    writer.note(state(x=3.0), now=0.2)
    assert writer.due(0.5) == []
    assert [s.position for s in writer.due(1.0)] == [(3.0, 0.0, -2.25)]  # newest only
    writer.note(state(x=4.0, key=InstanceKey("lab", 0)), now=1.1)
    assert len(writer.due(1.2)) == 1  # a room change does not wait
    writer.note(state(x=5.0, key=InstanceKey("lab", 0)), now=1.3, urgent=True)
    assert len(writer.due(1.3)) == 1  # nor does a disconnect
    assert writer.due(5.0) == []  # nothing new


def test_a_session_standing_still_is_refreshed_rarely() -> None:
    writer = GraceWriter(every_s=1.0, refresh_s=10.0)
    writer.note(state(x=1.0), now=0.0)
    assert len(writer.due(0.0)) == 1
    for tick in range(1, 10):
        writer.note(replace(state(x=1.0), saved_at=2000.0 + tick), now=float(tick))
        assert writer.due(float(tick)) == [], "an unchanged state is not written every second"
    writer.note(state(x=1.0), now=10.0)
    assert len(writer.due(10.0)) == 1


def test_failed_writes_are_retried_and_forgotten_sessions_dropped() -> None:
    writer = GraceWriter(every_s=1.0, refresh_s=10.0)
    writer.note(state(x=6.0), now=5.0)
    failed = writer.due(5.0)
    writer.retry(failed)
    assert writer.due(5.0) == failed
    writer.note(state(x=7.0), now=5.1)
    writer.retry(failed)  # a newer state is kept over the failed one
    assert [s.position for s in writer.due(5.1)] == [(7.0, 0.0, -2.25)]
    writer.note(state(x=8.0), now=5.2)
    writer.forget("s1")
    assert len(writer) == 0 and writer.due(9.0) == []


@pytest.mark.scale
async def test_states_are_found_by_resume_key_and_expire(
    link: RedisLink, names: RedisNames
) -> None:
    graces = GraceStates(link, names)
    one, two = state("s1"), state("s2", key=None)
    assert await graces.save([(one, "", ""), (two, "", "")], ttl_s=0.4) == []
    assert await graces.find(RESUME + "s1") == one
    assert await graces.find(RESUME + "s2") == two
    assert await graces.load("s1") == one
    assert await graces.find("not a resume key") is None
    await graces.drop("s2", two.resume_digest)
    assert await graces.find(RESUME + "s2") is None
    await asyncio.sleep(0.5)
    assert await graces.find(RESUME + "s1") is None


@pytest.mark.scale
async def test_a_write_is_refused_once_the_lease_is_someone_elses(
    link: RedisLink, names: RedisNames
) -> None:
    graces = GraceStates(link, names)
    leases = LeaseStore(link, names)
    await leases.acquire(FOYER, "pa/1", 5.0, "pa/")
    lease_key = leases.key(FOYER)
    assert await graces.save([(state(x=1.0), lease_key, "pa/1")], ttl_s=5.0) == []
    await leases.release(FOYER, "pa/1")
    await leases.acquire(FOYER, "pb/1", 5.0, "pb/")
    newer = replace(state(x=9.0), process_id="pb")
    assert await graces.save([(newer, lease_key, "pb/1")], ttl_s=5.0) == []
    stale = state(x=2.0)
    free = state("s3", key=None)
    refused = await graces.save([(stale, lease_key, "pa/1"), (free, "", "")], ttl_s=5.0)
    assert refused == [stale]
    assert await graces.load("s1") == newer
    assert await graces.load("s3") == free


@pytest.mark.scale
async def test_a_state_that_is_not_ours_reads_as_a_clear_error(
    link: RedisLink, names: RedisNames
) -> None:
    graces = GraceStates(link, names)
    await link.raw.set(graces.session_key("s1"), b"\x00garbage")
    with pytest.raises(GraceStateError):
        await graces.load("s1")
