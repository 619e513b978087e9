"""The two ``ExchangeBook``s keep the same rules: in memory (one process) and in a real
redis-server (several): cards only after acceptance and only for the two, one open request
per pair, one answer, lapsing after the TTL, erasure removing a person's exchanges; in
Redis also with two requests or two answers at the same moment, and every key expiring."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from server.base.redis_link import RedisLink
from server.base.redis_names import RedisNames
from server.features.people.contact_card import ContactCard
from server.features.people.contact_exchange import (
    TTL,
    ExchangeBook,
    ExchangeError,
    ExchangeState,
    MemoryExchangeBook,
)
from server.features.people.contact_exchange_redis import RedisExchangeBook

pytestmark = pytest.mark.scale

ADA = ContactCard("Ada", email="ada@example.org")
BOB = ContactCard("Bob", phone="+49 231 1234")


@pytest.fixture(params=["memory", "redis"])
async def book(
    request: pytest.FixtureRequest, redis_url: str, names: RedisNames
) -> AsyncIterator[ExchangeBook]:
    if request.param == "memory":
        yield MemoryExchangeBook()
        return
    link = RedisLink(redis_url)
    yield RedisExchangeBook(link, names)
    await link.close()


async def test_a_card_only_after_acceptance_and_only_for_the_two(book: ExchangeBook) -> None:
    now = time.time()
    asked = await book.request("g-ada", "g-bob", ADA, now)
    assert asked.state is ExchangeState.ASKED
    seen = await book.get(asked.id, "g-bob", now)
    assert seen is not None and seen.card_of_other("g-bob") is None
    assert await book.get(asked.id, "g-eve", now) is None
    with pytest.raises(ExchangeError, match="already open"):
        await book.request("g-bob", "g-ada", BOB, now)
    with pytest.raises(ExchangeError, match="only the person asked"):
        await book.answer(asked.id, "g-ada", True, ADA, now)
    with pytest.raises(ExchangeError, match="no such request"):
        await book.answer(asked.id, "g-eve", True, ADA, now)
    with pytest.raises(ExchangeError, match="no such request"):
        await book.answer("nix", "g-bob", True, BOB, now)
    accepted = await book.answer(asked.id, "g-bob", True, BOB, now + 1)
    assert accepted.card_of_other("g-ada") == BOB
    for viewer, card in (("g-ada", BOB), ("g-bob", ADA)):
        found = await book.get(asked.id, viewer, now + 2)
        assert found is not None and found.card_of_other(viewer) == card
    assert await book.get(asked.id, "g-eve", now + 2) is None
    with pytest.raises(ExchangeError, match="already answered"):
        await book.answer(asked.id, "g-bob", False, None, now + 2)
    # answered, the two may ask each other again
    again = await book.request("g-bob", "g-ada", BOB, now + 3)
    assert [ex.id for ex in await book.involving("g-ada", now + 3)] == [asked.id, again.id]
    assert await book.involving("g-eve", now + 3) == []


async def test_a_decline_gives_nobody_anything(book: ExchangeBook) -> None:
    now = time.time()
    asked = await book.request("g-ada", "g-bob", ADA, now)
    declined = await book.answer(asked.id, "g-bob", False, None, now)
    assert declined.state is ExchangeState.DECLINED and declined.from_card.email == ""
    for viewer in ("g-ada", "g-bob"):
        found = await book.get(asked.id, viewer, now)
        assert found is not None and found.card_of_other(viewer) is None
        assert "ada@example.org" not in repr(found)


async def test_requests_lapse_and_an_erasure_takes_them_all(book: ExchangeBook) -> None:
    now = time.time()
    old = await book.request("g-ada", "g-olaf", ADA, now)
    assert await book.get(old.id, "g-ada", now + TTL + 1) is None
    assert await book.involving("g-olaf", now + TTL + 1) == []
    with pytest.raises(ExchangeError, match="no such request"):
        await book.answer(old.id, "g-olaf", True, BOB, now + TTL + 1)
    later = now + TTL + 1
    first = await book.request("g-ada", "g-bob", ADA, later)
    second = await book.request("g-eve", "g-bob", ADA, later)
    await book.request("g-eve", "g-ada", ADA, later)
    await book.forget_person("g-bob")
    assert await book.involving("g-bob", later) == []
    assert [ex.from_id for ex in await book.involving("g-ada", later)] == ["g-eve"]
    assert len(await book.involving("g-eve", later)) == 1
    for gone in (first, second):
        assert await book.get(gone.id, gone.from_id, later) is None
    # the pair is free again
    await book.request("g-ada", "g-bob", ADA, later)


async def test_in_redis_two_at_once_make_one_and_every_key_expires(
    redis_url: str, names: RedisNames
) -> None:
    links = [RedisLink(redis_url), RedisLink(redis_url)]
    try:
        one, other = (RedisExchangeBook(link, names) for link in links)
        now = time.time()
        asked = await asyncio.gather(
            one.request("g-ada", "g-bob", ADA, now),
            other.request("g-bob", "g-ada", BOB, now),
            return_exceptions=True,
        )
        made = [a for a in asked if not isinstance(a, BaseException)]
        assert len(made) == 1, asked
        exchange = made[0]
        by = exchange.to_id
        answers = await asyncio.gather(
            one.answer(exchange.id, by, True, BOB if by == "g-bob" else ADA, now),
            other.answer(exchange.id, by, False, None, now),
            return_exceptions=True,
        )
        assert sum(not isinstance(a, BaseException) for a in answers) == 1, answers
        client = links[0].client
        keys = [key async for key in client.scan_iter(match=names.cluster("contacts", "*"))]
        assert keys
        for key in keys:
            assert 0 < await client.pttl(key) <= TTL * 1000
    finally:
        for link in links:
            await link.close()
