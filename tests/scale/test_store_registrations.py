"""Registrations in the store, one suite for both backends (SQLite and a real
redis-server): order kept, one registration per person, many at once through several
connections never tie for the last seat, taking one back lets the first waiting move up,
and a person's registrations are exported with them and erased with them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from test_store_conformance import BACKENDS, open_backend

from server.base.identity import Identity, Role
from server.domain.registrations import REGISTERED, WAITLIST, Registration, seat_states
from server.domain.workshops import Person, Workshop
from server.store.backend import StoreBackend

ADA = Identity("g-ada", "Ada", Role.VISITOR, guest=True)
MARA = Person("a-mara", "Mara")


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreBackend]:
    opened = await open_backend(request.param, request, tmp_path)
    try:
        yield opened
    finally:
        await opened.close()


def of(who: str, at: float, workshop: str = "w1") -> Registration:
    return Registration(workshop, f"g-{who}", who.capitalize(), True, at)


async def test_registrations_keep_their_order_and_one_per_person(store: StoreBackend) -> None:
    assert await store.register(of("ada", 10.0))
    assert await store.register(of("bob", 11.0))
    assert not await store.register(of("ada", 12.0))  # registered already: stays first
    assert await store.register(of("cem", 13.0))
    found = await store.registrations_of("w1")
    assert [r.identity_id for r in found] == ["g-ada", "g-bob", "g-cem"]
    assert found[0] == Registration("w1", "g-ada", "Ada", True, 10.0)
    states = seat_states(found, 2)
    assert [(s.status, s.position) for s in states] == [
        (REGISTERED, 0),
        (REGISTERED, 0),
        (WAITLIST, 1),
    ]
    assert await store.unregister("w1", "g-bob")
    assert not await store.unregister("w1", "g-bob")
    moved = seat_states(await store.registrations_of("w1"), 2)
    assert [(s.registration.identity_id, s.status) for s in moved] == [
        ("g-ada", REGISTERED),
        ("g-cem", REGISTERED),
    ]
    assert await store.registrations_of("w2") == []


async def test_many_at_once_through_several_connections_never_tie(
    store: StoreBackend, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    kind = "sqlite" if "sqlite" in request.node.callspec.id else "redis"
    others = [store]
    if kind == "redis":  # separate clients, as separate hub processes have
        others += [await open_backend(kind, request, tmp_path) for _ in range(3)]
    try:
        people = [of(f"p{n:02d}", 100.0 + n) for n in range(60)]
        added = await asyncio.gather(
            *(others[n % len(others)].register(r) for n, r in enumerate(people)),
            *(others[n % len(others)].register(r) for n, r in enumerate(people)),
        )
    finally:
        for other in others[1:]:
            await other.close()
    assert sum(added) == 60  # each person once, whichever of their two tries came first
    found = await store.registrations_of("w1")
    assert sorted(r.identity_id for r in found) == sorted(r.identity_id for r in people)
    states = seat_states(found, 25)
    assert sum(s.status == REGISTERED for s in states) == 25
    assert [s.position for s in states if s.status == WAITLIST] == list(range(1, 36))


async def test_registrations_are_exported_and_erased_with_the_person(
    store: StoreBackend,
) -> None:
    await store.remember_identity(ADA, now=1.0)
    await store.register(Registration("w1", ADA.id, "Ada", True, 5.0))
    await store.register(Registration("w2", ADA.id, "Ada", True, 6.0))
    await store.register(of("bob", 7.0, "w2"))
    export = await store.export_identity(ADA.id)
    assert export["workshop_registrations"] == [
        {"workshop_id": "w1", "display_name": "Ada", "at": 5.0},
        {"workshop_id": "w2", "display_name": "Ada", "at": 6.0},
    ]
    await store.revoke_tokens(ADA.id, 8.0)
    await store.delete_identity(ADA.id)
    assert await store.registrations_of("w1") == []
    assert [r.identity_id for r in await store.registrations_of("w2")] == ["g-bob"]
    assert (await store.export_identity(ADA.id))["workshop_registrations"] == []
    # a late registration of an erased person does not bring them back
    assert not await store.register(Registration("w3", ADA.id, "Ada", True, 9.0))
    assert await store.registrations_of("w3") == []


async def test_removing_a_workshop_removes_its_registrations(store: StoreBackend) -> None:
    workshop = Workshop("w1", "T", "", "workshop", 1000.0, 4600.0, (MARA,), seats=2)
    await store.save_workshop(workshop)
    assert (await store.workshop("w1")) == workshop
    await store.register(of("ada", 10.0))
    assert await store.delete_workshop("w1")
    assert await store.registrations_of("w1") == []
