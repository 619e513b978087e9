"""The workshop part of the store, one suite for both backends (SQLite and a real
redis-server): workshops and series, attendance (exported with the person and erased with
them), bans (surviving a reopened store), the audit log and its retention."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from test_store_conformance import BACKENDS, open_backend

from server.base.identity import Identity, Role
from server.domain.workshop_records import AttendanceEvent, AuditEntry, Ban
from server.domain.workshops import (
    Access,
    AgendaItem,
    Person,
    Repeat,
    Series,
    Workshop,
    parse_time,
)
from server.store.backend import StoreBackend

ADA = Identity("g-ada", "Ada", Role.VISITOR, guest=True)
BOB = Identity("g-bob", "Bob", Role.VISITOR, guest=True)
MARA = Person("a-mara", "Mara")


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreBackend]:
    opened = await open_backend(request.param, request, tmp_path)
    try:
        yield opened
    finally:
        await opened.close()


def workshop(workshop_id: str, start: float, minutes: int = 60, **kw: Any) -> Workshop:
    return Workshop(
        id=workshop_id,
        title=f"Workshop {workshop_id} – Klimabilanz ✓",
        description="Mit Zeilen\nund Umlauten: äöü",
        room="workshop",
        starts_at=start,
        ends_at=start + minutes * 60,
        facilitators=(MARA,),
        agenda=(AgendaItem("Einstieg", 10), AgendaItem("Station", 20, station="lab-1")),
        **kw,
    )


def attendance(who: Identity, joined: bool, at: float, ws: str = "w1") -> AttendanceEvent:
    return AttendanceEvent(ws, who.id, who.name, who.guest, joined, at)


async def test_workshops_round_trip_and_list_by_start(store: StoreBackend) -> None:
    late = workshop("w2", 5000.0, access=Access.CODE, code="ABCD-12", invited=("g-x",))
    early = workshop("w1", 1000.0)
    await store.save_workshop(late)
    await store.save_workshop(early)
    assert await store.workshop("w2") == late
    assert await store.workshop("nope") is None
    assert [w.id for w in await store.list_workshops()] == ["w1", "w2"]
    # ending after: w1 ends at 4600
    assert [w.id for w in await store.list_workshops(ending_after=4600.0)] == ["w2"]
    assert [w.id for w in await store.list_workshops(ending_after=4599.0)] == ["w1", "w2"]
    moved = workshop("w1", 9000.0)
    await store.save_workshop(moved)
    assert [w.id for w in await store.list_workshops()] == ["w2", "w1"]
    assert await store.delete_workshop("w1") is True
    assert await store.delete_workshop("w1") is False
    assert [w.id for w in await store.list_workshops()] == ["w2"]


async def test_series_round_trip(store: StoreBackend) -> None:
    series = Series(
        id="s1",
        title="Austauschreihe",
        description="Branchenübergreifend",
        room="lounge",
        first=parse_time("2030-03-12T17:00", "first"),
        minutes=90,
        repeat=Repeat.MONTHLY,
        count=6,
        facilitators=(MARA,),
    )
    await store.save_series(series)
    await store.save_series(Series(**{**vars(series), "id": "s0", "count": 2}))
    assert [s.id for s in await store.list_series()] == ["s0", "s1"]
    assert (await store.list_series())[1] == series
    assert await store.delete_series("s0") is True
    assert await store.delete_series("s0") is False
    assert [s.id for s in await store.list_series()] == ["s1"]


async def test_attendance_in_order_exported_and_erased_with_the_person(
    store: StoreBackend,
) -> None:
    await store.remember_identity(ADA, now=1.0)
    await store.record_attendance(
        [attendance(ADA, True, 10.0), attendance(BOB, True, 10.0), attendance(ADA, False, 20.0)]
    )
    await store.record_attendance([attendance(ADA, True, 30.0, ws="w2")])
    events = await store.attendance_of("w1")
    assert [(e.identity_id, e.joined, e.at) for e in events] == [
        (ADA.id, True, 10.0),
        (BOB.id, True, 10.0),
        (ADA.id, False, 20.0),
    ]
    assert events[1].guest is True and events[1].display_name == "Bob"
    # someone never seen before is remembered, as station progress does
    assert await store.identity_exists(BOB.id)
    exported = await store.export_identity(ADA.id)
    assert exported["workshop_attendance"] == [
        {
            "workshop_id": "w1",
            "identity_id": ADA.id,
            "display_name": "Ada",
            "joined": True,
            "at": 10.0,
        },
        {
            "workshop_id": "w1",
            "identity_id": ADA.id,
            "display_name": "Ada",
            "joined": False,
            "at": 20.0,
        },
        {
            "workshop_id": "w2",
            "identity_id": ADA.id,
            "display_name": "Ada",
            "joined": True,
            "at": 30.0,
        },
    ]
    await store.delete_identity(ADA.id)
    assert [e.identity_id for e in await store.attendance_of("w1")] == [BOB.id]
    assert await store.attendance_of("w2") == []
    assert (await store.export_identity(ADA.id))["workshop_attendance"] == []


async def test_bans_active_expired_and_lifted(store: StoreBackend) -> None:
    forever = Ban("b1", ADA.id, "Ada", "a-mara", "Mara", "spam", 100.0, None)
    short = Ban("b2", BOB.id, "Bob", "a-mara", "Mara", "", 200.0, 300.0)
    await store.add_ban(short)
    await store.add_ban(forever)
    assert await store.bans() == [forever, short]
    assert await store.bans(active_at=250.0) == [forever, short]
    assert await store.bans(active_at=300.0) == [forever]
    assert await store.lift_ban("b1") == forever
    assert await store.lift_ban("b1") is None
    assert await store.bans() == [short]


async def test_a_ban_outlives_the_banned_persons_erasure(store: StoreBackend) -> None:
    await store.remember_identity(ADA, now=1.0)
    await store.add_ban(Ban("b1", ADA.id, "Ada", "a-mara", "Mara", "", 2.0, None))
    await store.delete_identity(ADA.id)
    assert [b.identity_id for b in await store.bans(active_at=3.0)] == [ADA.id]


async def test_audit_log_newest_first_limited_and_purged(store: StoreBackend) -> None:
    def entry(n: int, at: float) -> AuditEntry:
        return AuditEntry(f"e{n}", at, "a-mara", "Mara", "mute", ADA.id, "Ada", "workshop", "")

    await store.add_audit(entry(1, 10.0))
    await store.add_audit(entry(2, 30.0))
    await store.add_audit(entry(3, 20.0))
    await store.add_audit(entry(4, 30.0))  # same time as e2: later insertion first
    await store.add_audit(entry(1, 99.0))  # a repeated id is ignored
    assert [e.id for e in await store.audit_log()] == ["e4", "e2", "e3", "e1"]
    assert [e.id for e in await store.audit_log(limit=2)] == ["e4", "e2"]
    assert (await store.audit_log(limit=1))[0] == entry(4, 30.0)
    assert await store.audit_log(limit=0) == []
    assert await store.purge_audit(older_than=20.0) == 1
    assert [e.id for e in await store.audit_log()] == ["e4", "e2", "e3"]


@pytest.mark.parametrize("kind", BACKENDS)
async def test_bans_survive_reopening_the_store(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    first = await open_backend(kind, request, tmp_path)
    await first.add_ban(Ban("b1", ADA.id, "Ada", "a-mara", "Mara", "", 1.0, None))
    await first.close()
    again = await open_backend(kind, request, tmp_path)
    try:
        assert [b.id for b in await again.bans(active_at=2.0)] == ["b1"]
    finally:
        await again.close()
