"""Consulting bookings and saved notes in both stores (SQLite and a real Redis): in the
person's export, and gone with their erasure while other people's bookings stay. Accounts
kept before advisors were marked: their facilitators and staff are advisors, visitor
accounts are not, in both stores (SQLite's migration 10, Redis's missing field)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from server.base.identity import Identity, Role
from server.domain.consulting import PERSON_KIND, SLOTS_KIND, Hours, booking_record
from server.store.backend import StoreBackend
from server.store.redis import RedisStore
from server.store.sqlite import MIGRATIONS, Store, migrate

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


async def test_accounts_of_before_the_mark_keep_facilitators_and_staff_as_advisors(
    tmp_path: Path,
) -> None:
    path = tmp_path / "hub.sqlite3"
    db = sqlite3.connect(path)
    for number, script in enumerate(MIGRATIONS[:9], start=1):
        db.executescript(script)
        db.execute(f"PRAGMA user_version = {number}")
    for identity_id, username, role in (
        ("a-mara", "mara", "facilitator"),
        ("a-kim", "kim", "staff"),
        ("a-vera", "vera", "visitor"),
    ):
        db.execute("INSERT INTO identities VALUES (?, ?, 0, 1.0, 1.0)", (identity_id, username))
        db.execute(
            "INSERT INTO accounts (username, identity_id, password_hash, role, created_at)"
            " VALUES (?, ?, 'x', ?, 1.0)",
            (username, identity_id, role),
        )
    db.commit()
    db.close()
    store = await Store.open(path)
    try:
        marks = {a["username"]: a["advisor"] for a in await store.list_accounts()}
        assert marks == {"kim": True, "mara": True, "vera": False}
        made = await store.create_account("neu", "ein-langes-passwort", Role.FACILITATOR, "Neu")
        assert (await store.export_identity(made.id))["account"]["advisor"] is False
    finally:
        await store.close()
    db = sqlite3.connect(path)
    assert migrate(db) == len(MIGRATIONS)
    db.close()


@pytest.mark.scale
async def test_a_redis_account_without_the_mark_is_read_as_before(redis_url: str) -> None:
    store = await RedisStore.connect(redis_url, site="consult-before")
    raw = aioredis.from_url(redis_url, decode_responses=True)
    try:
        for username, role in (("mara", Role.FACILITATOR), ("kim", Role.STAFF)):
            await store.create_account(username, "ein-langes-passwort", role, username)
        await store.create_account("vera", "ein-langes-passwort", Role.VISITOR, "Vera")
        await store.create_account("neu", "ein-langes-passwort", Role.STAFF, "Neu")
        for username in ("mara", "kim", "vera"):  # kept before the field existed
            keys = [k async for k in raw.scan_iter(f"*account:{username}")]
            assert len(keys) == 1 and await raw.hdel(keys[0], "advisor") == 1
        marks = {a["username"]: a["advisor"] for a in await store.list_accounts()}
        assert marks == {"kim": True, "mara": True, "neu": False, "vera": False}
        assert await store.set_account_advisor("mara", False) is not None
        assert {a["username"]: a["advisor"] for a in await store.list_accounts()}["mara"] is False
    finally:
        await raw.aclose()
        await store.close()
