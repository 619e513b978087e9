"""Sign-ups for offers in the store, one suite for both backends (SQLite and a real
redis-server): order kept, one per person, a seat limit that many at once through several
connections never exceed, taking one back frees its seat, and a person's sign-ups are in
their export and gone with their erasure (an erased person is not brought back)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from test_store_conformance import BACKENDS, open_backend

from server.base.identity import Identity, Role
from server.domain.offers import OfferSignup
from server.store.backend import StoreBackend


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreBackend]:
    opened = await open_backend(request.param, request, tmp_path)
    try:
        yield opened
    finally:
        await opened.close()


def of(who: str, at: float, offer: str = "kurs") -> OfferSignup:
    return OfferSignup(offer, f"g-{who}", who.capitalize(), f"{who}@example.org", at)


async def test_signups_keep_their_order_one_per_person_and_the_limit(
    store: StoreBackend,
) -> None:
    assert await store.sign_up_for_offer(of("ada", 10.0), 2) == "added"
    assert await store.sign_up_for_offer(of("ada", 11.0), 2) == "already"
    assert await store.sign_up_for_offer(of("bob", 12.0), 2) == "added"
    assert await store.sign_up_for_offer(of("cem", 13.0), 2) == "full"
    assert await store.sign_up_for_offer(of("cem", 13.0, "frei"), None) == "added"
    assert await store.offer_signups("kurs") == [of("ada", 10.0), of("bob", 12.0)]
    assert await store.cancel_offer_signup("kurs", "g-ada")
    assert not await store.cancel_offer_signup("kurs", "g-ada")
    assert await store.sign_up_for_offer(of("cem", 14.0), 2) == "added"
    assert [s.identity_id for s in await store.offer_signups("kurs")] == ["g-bob", "g-cem"]
    assert await store.offer_signups("none") == []


async def test_many_at_once_through_several_connections_never_pass_the_limit(
    store: StoreBackend, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    kind = "sqlite" if "sqlite" in request.node.callspec.id else "redis"
    others = [store]
    if kind == "redis":  # separate clients, as separate hub processes have
        others += [await open_backend(kind, request, tmp_path) for _ in range(3)]
    try:
        people = [of(f"p{n:02d}", 100.0 + n) for n in range(50)]
        results = await asyncio.gather(
            *(others[n % len(others)].sign_up_for_offer(s, 7) for n, s in enumerate(people))
        )
    finally:
        for other in others[1:]:
            await other.close()
    assert results.count("added") == 7
    assert results.count("full") == 43
    found = await store.offer_signups("kurs")
    added = [s for s, result in zip(people, results, strict=True) if result == "added"]
    assert sorted(s.identity_id for s in found) == sorted(s.identity_id for s in added)


async def test_signups_are_exported_and_erased_with_the_person(store: StoreBackend) -> None:
    ada = Identity("g-ada", "Ada", Role.VISITOR, guest=True)
    await store.remember_identity(ada, now=5.0)
    assert await store.sign_up_for_offer(of("ada", 10.0, "b"), None) == "added"
    assert await store.sign_up_for_offer(of("ada", 11.0, "a"), 3) == "added"
    assert await store.sign_up_for_offer(of("bob", 12.0, "a"), 3) == "added"
    exported = await store.export_identity("g-ada")
    assert exported["offer_signups"] == [
        {"offer_id": "b", "name": "Ada", "contact": "ada@example.org", "at": 10.0},
        {"offer_id": "a", "name": "Ada", "contact": "ada@example.org", "at": 11.0},
    ]
    await store.revoke_tokens("g-ada", 20.0)
    await store.delete_identity("g-ada")
    assert (await store.export_identity("g-ada"))["offer_signups"] == []
    assert [s.identity_id for s in await store.offer_signups("a")] == ["g-bob"]
    assert await store.offer_signups("b") == []
    assert await store.sign_up_for_offer(of("ada", 30.0, "a"), 3) == "erased"
    assert [s.identity_id for s in await store.offer_signups("a")] == ["g-bob"]
