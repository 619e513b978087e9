"""Consulting bookings and saved notes in both stores (SQLite and a real Redis): in the
person's export, and gone with their erasure while other people's bookings stay."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from server.consulting import PERSON_KIND, SLOTS_KIND, Hours, booking_record
from server.identity import Identity, Role
from server.store import Store
from server.store_backend import StoreBackend
from server.store_redis import RedisStore

ADA = Identity("g-ada", "Ada", Role.VISITOR, guest=True)
BOB = Identity("g-bob", "Bob", Role.VISITOR, guest=True)
HOURS = Hours("h", "Team Beratung", 1, (600, 720), ("bericht",), ("de",), "c-1", "hybrid")
NOTES = {
    "id": "n1",
    "at": 3.0,
    "advisor": "Team Beratung",
    "topic": "VSME",
    "text": "Lesen",
    "checklist": ["Scope 1"],
}


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.scale)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreBackend]:
    opened: StoreBackend
    if request.param == "sqlite":
        opened = await Store.open(tmp_path / "hub.sqlite3")
    else:
        opened = await RedisStore.connect(request.getfixturevalue("redis_url"), site="consult")
    try:
        yield opened
    finally:
        await opened.close()


def slots(*bookings: dict[str, Any]) -> Any:
    return lambda kept: {"slots": {str(int(b["start"])): b for b in bookings}}


async def test_bookings_and_notes_are_exported_and_erased_with_the_person(
    store: StoreBackend,
) -> None:
    for person in (ADA, BOB):
        await store.remember_identity(person, now=1.0)
    ada = booking_record("b-ada", HOURS, 1000.0, "g-ada", "Ada", "Förderung")
    bob = booking_record("b-bob", HOURS, 2800.0, "g-bob", "Bob", "Bericht")
    await store.change_live_state(SLOTS_KIND, "h", slots(ada, bob))
    await store.change_live_state(PERSON_KIND, "g-ada", lambda kept: {"notes": [NOTES]})
    exported = (await store.export_identity("g-ada"))["consulting"]
    assert exported == {"bookings": [ada], "notes": [NOTES]}
    await store.revoke_tokens("g-ada", at=5.0)
    await store.delete_identity("g-ada")
    assert (await store.export_identity("g-ada"))["consulting"] == {"bookings": [], "notes": []}
    assert await store.live_states(SLOTS_KIND) == {"h": {"slots": {"2800": bob}}}
    assert "g-ada" not in await store.live_states(PERSON_KIND)
    assert (await store.export_identity("g-bob"))["consulting"]["bookings"] == [bob]
