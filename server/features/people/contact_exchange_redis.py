"""The contact exchanges of a hub of several processes, kept in its Redis.

The same rules as in one process (``server/features/people/contact_exchange.py``), so that two
people served by different processes can exchange contact details. Every key expires when the
request lapses (``TTL``), so nothing of an exchange is kept past it:

* ``<prefix>cluster:contacts:exchange:<id>``: the exchange (JSON), expiring ``TTL`` after
  it was asked;
* ``<prefix>cluster:contacts:of:<identity>``: the ids of one person's exchanges (a set,
  expiring ``TTL`` after their newest one);
* ``<prefix>cluster:contacts:pair:<a>:<b>``: the open request between two people, taken
  with ``SET NX``, so two requests between the same two through two processes at once
  cannot both open; gone with the answer.

An answer is written only if the exchange is still as it was read (compare and set in one
script), so two answers through two processes cannot both count. Erasure removes the
person's exchanges, their id from the other person's set, and the open pairs.
"""

from __future__ import annotations

import json
from typing import cast

from server.base.redis_link import RedisLink
from server.base.redis_names import RedisNames
from server.features.people.contact_card import ContactCard
from server.features.people.contact_exchange import (
    TTL,
    Exchange,
    ExchangeError,
    ExchangeState,
    answered,
    lapsed,
    new_request,
    seen_by,
)

#: Set the exchange (KEYS[1]) to ARGV[2] with ARGV[3] ms to live, and drop the pair
#: (KEYS[2]), only if it still reads ARGV[1].
_COMPARE_AND_SET = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('DEL', KEYS[2])
return 1
"""


def _text(exchange: Exchange) -> str:
    return json.dumps(exchange.record(), ensure_ascii=False, sort_keys=True)


class RedisExchangeBook:
    """An ``ExchangeBook`` in Redis (see the module docstring)."""

    def __init__(self, link: RedisLink, names: RedisNames) -> None:
        self._link = link
        self._names = names
        self._compare_and_set = link.client.register_script(_COMPARE_AND_SET)

    def _exchange_key(self, exchange_id: str) -> str:
        return self._names.cluster("contacts", "exchange", exchange_id)

    def _of_key(self, identity_id: str) -> str:
        return self._names.cluster("contacts", "of", identity_id)

    def _pair_key(self, one: str, other: str) -> str:
        return self._names.cluster("contacts", "pair", *sorted((one, other)))

    @staticmethod
    def _left_ms(exchange: Exchange, now: float) -> int:
        return max(1, round((TTL - (now - exchange.at)) * 1000))

    async def _read(self, exchange_id: str) -> tuple[str, Exchange] | None:
        async with self._link.attempt():
            text = cast(str | None, await self._link.client.get(self._exchange_key(exchange_id)))
        return None if text is None else (text, Exchange.from_record(json.loads(text)))

    async def request(self, from_id: str, to_id: str, card: ContactCard, now: float) -> Exchange:
        exchange = new_request(await self.involving(from_id, now), from_id, to_id, card, now)
        ttl_ms = round(TTL * 1000)
        client = self._link.client
        async with self._link.attempt():
            taken = await client.set(
                self._pair_key(from_id, to_id), exchange.id, nx=True, px=ttl_ms
            )
            if not taken:
                raise ExchangeError("a request between the two is already open")
            async with client.pipeline(transaction=True) as pipe:
                pipe.set(self._exchange_key(exchange.id), _text(exchange), px=ttl_ms)
                for person in (from_id, to_id):
                    pipe.sadd(self._of_key(person), exchange.id)
                    pipe.pexpire(self._of_key(person), ttl_ms)
                await pipe.execute()
        return exchange

    async def answer(
        self, exchange_id: str, by: str, accept: bool, card: ContactCard | None, now: float
    ) -> Exchange:
        found = await self._read(exchange_id)
        before = None if found is None or lapsed(found[1], now) else found[1]
        exchange = answered(before, by, accept, card)
        assert found is not None
        async with self._link.attempt():
            written = await self._compare_and_set(
                keys=[
                    self._exchange_key(exchange_id),
                    self._pair_key(exchange.from_id, exchange.to_id),
                ],
                args=[found[0], _text(exchange), self._left_ms(exchange, now)],
            )
        if not written:
            raise ExchangeError("the request was already answered")
        return exchange

    async def get(self, exchange_id: str, viewer: str, now: float) -> Exchange | None:
        found = await self._read(exchange_id)
        if found is None or lapsed(found[1], now):
            return None
        return seen_by(found[1], viewer)

    async def _of(self, identity_id: str) -> list[Exchange]:
        client = self._link.client
        async with self._link.attempt():
            ids = sorted(cast(set[str], await client.smembers(self._of_key(identity_id))))
            texts = cast(
                list[str | None],
                await client.mget([self._exchange_key(i) for i in ids]) if ids else [],
            )
            gone = [i for i, text in zip(ids, texts, strict=True) if text is None]
            if gone:
                await client.srem(self._of_key(identity_id), *gone)
        return [Exchange.from_record(json.loads(text)) for text in texts if text is not None]

    async def involving(self, identity_id: str, now: float) -> list[Exchange]:
        found = [ex for ex in await self._of(identity_id) if not lapsed(ex, now)]
        return sorted(found, key=lambda ex: (ex.at, ex.id))

    async def forget_person(self, identity_id: str) -> None:
        exchanges = await self._of(identity_id)
        async with self._link.attempt(), self._link.client.pipeline(transaction=True) as pipe:
            for ex in exchanges:
                other = ex.to_id if ex.from_id == identity_id else ex.from_id
                pipe.delete(self._exchange_key(ex.id))
                pipe.srem(self._of_key(other), ex.id)
                if ex.state is ExchangeState.ASKED:
                    pipe.delete(self._pair_key(ex.from_id, ex.to_id))
            pipe.delete(self._of_key(identity_id))
            await pipe.execute()
