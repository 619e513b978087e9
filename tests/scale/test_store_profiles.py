"""Profiles of people to meet in both stores (SQLite and a real Redis): kept per person,
replaced, read for many at once, in the person's export, gone with their erasure, and never
brought back for a person already erased."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.base.identity import Identity, Role
from server.store.backend import StoreBackend
from server.store.redis import RedisStore
from server.store.sqlite import Store

ADA = Identity("g-ada", "Ada", Role.VISITOR, guest=True)
BOB = Identity("g-bob", "Bob", Role.VISITOR, guest=True)
PROFILE = {
    "visible": True,
    "organisation": "Stadtwerke",
    "industry": "Energie",
    "role": "works_council",
    "region": "Dortmund",
    "interests": ["klimabilanz"],
    "helps_with": ["foerderung"],
    "languages": ["de", "en"],
}


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.scale)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreBackend]:
    opened: StoreBackend
    if request.param == "sqlite":
        opened = await Store.open(tmp_path / "hub.sqlite3")
    else:
        opened = await RedisStore.connect(request.getfixturevalue("redis_url"), site="profiles")
    try:
        yield opened
    finally:
        await opened.close()


async def test_a_profile_is_kept_replaced_and_read_for_many(store: StoreBackend) -> None:
    await store.remember_identity(ADA, now=1.0)
    assert await store.profiles_of(["g-ada", "g-bob"]) == {}
    assert await store.save_profile("g-ada", PROFILE, at=2.0)
    hidden = {**PROFILE, "visible": False}
    assert await store.save_profile("g-ada", hidden, at=3.0)
    assert await store.save_profile("g-bob", PROFILE, at=4.0)
    assert await store.profiles_of(["g-ada", "g-bob", "g-nobody"]) == {
        "g-ada": hidden,
        "g-bob": PROFILE,
    }
    assert await store.profiles_of([]) == {}


async def test_the_profile_is_exported_and_erased_with_the_person(store: StoreBackend) -> None:
    await store.remember_identity(ADA, now=1.0)
    await store.remember_identity(BOB, now=1.0)
    await store.save_profile("g-ada", PROFILE, at=2.0)
    await store.save_profile("g-bob", PROFILE, at=2.0)
    assert (await store.export_identity("g-ada"))["profile"] == {**PROFILE, "updated_at": 2.0}
    await store.revoke_tokens("g-ada", at=5.0)
    await store.delete_identity("g-ada")
    assert (await store.export_identity("g-ada"))["profile"] is None
    assert await store.profiles_of(["g-ada", "g-bob"]) == {"g-bob": PROFILE}
    assert not await store.save_profile("g-ada", PROFILE, at=6.0)
    assert await store.profiles_of(["g-ada"]) == {}
    assert (await store.export_identity("g-ada"))["identity"] is None
