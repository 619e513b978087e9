"""Exchanging contact details by both sides' consent (sans-I/O).

One person asks another for an exchange and hands over their own card with the request; the
other accepts (handing over theirs) or declines. Only after an acceptance does either side
get the other's card, and only the two of them. A declined request ends it: neither card
goes anywhere. Requests lapse after ``TTL`` seconds; nothing of an exchange is kept past
that (the cards go to the two people's browsers), and an erased person's exchanges go at once.

The rules are plain functions (``new_request``, ``answered``, ``seen_by``); where the
exchanges are kept is an ``ExchangeBook``: ``MemoryExchangeBook`` (``ContactExchanges``, one
process's memory, the single-process hub) or ``RedisExchangeBook`` in
``server/features/people/contact_exchange_redis.py`` (a hub of several processes).

>>> ex = ContactExchanges()
>>> rid = ex.request("g-ada", "g-bob", ContactCard("Ada", email="ada@example.org"), now=0.0)
>>> ex.card_for(rid, "g-bob", now=1.0) is None
True
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, Final, Protocol

from server.features.people.contact_card import ContactCard
from world.errors import HubError

TTL: Final = 3600.0
MAX_OPEN_PER_PERSON: Final = 20


class ExchangeError(HubError):
    """An exchange step that is not allowed (the message says why)."""


class ExchangeState(Enum):
    ASKED = "asked"
    ACCEPTED = "accepted"
    DECLINED = "declined"


@dataclass(slots=True)
class Exchange:
    id: str
    from_id: str
    to_id: str
    from_card: ContactCard
    at: float
    state: ExchangeState = ExchangeState.ASKED
    to_card: ContactCard | None = field(default=None)

    def as_dict(self, viewer: str) -> dict[str, object]:
        """The exchange as ``viewer`` may see it: the other side's card only once accepted."""
        other_card = self.card_of_other(viewer)
        return {
            "id": self.id,
            "from_id": self.from_id,
            "to_id": self.to_id,
            "state": self.state.value,
            "card": other_card.as_dict() if other_card else None,
        }

    def record(self) -> dict[str, Any]:
        """Everything of the exchange, for keeping it elsewhere (``from_record`` reads it)."""
        return {
            "id": self.id,
            "from_id": self.from_id,
            "to_id": self.to_id,
            "from_card": self.from_card.as_dict(),
            "to_card": None if self.to_card is None else self.to_card.as_dict(),
            "at": self.at,
            "state": self.state.value,
        }

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> Exchange:
        to_card = data.get("to_card")
        return cls(
            id=str(data["id"]),
            from_id=str(data["from_id"]),
            to_id=str(data["to_id"]),
            from_card=ContactCard(**data["from_card"]),
            at=float(data["at"]),
            state=ExchangeState(data["state"]),
            to_card=None if to_card is None else ContactCard(**to_card),
        )

    def card_of_other(self, viewer: str) -> ContactCard | None:
        if self.state is not ExchangeState.ACCEPTED:
            return None
        if viewer == self.from_id:
            return self.to_card
        if viewer == self.to_id:
            return self.from_card
        return None


def lapsed(exchange: Exchange, now: float) -> bool:
    return now - exchange.at > TTL


def new_request(
    existing: Iterable[Exchange], from_id: str, to_id: str, card: ContactCard, now: float
) -> Exchange:
    """A new request from ``from_id`` to ``to_id``, if the rules allow it; ``existing`` are
    the live exchanges ``from_id`` is part of."""
    if from_id == to_id:
        raise ExchangeError("one cannot exchange contact details with oneself")
    open_ones = [ex for ex in existing if ex.state is ExchangeState.ASKED]
    for ex in open_ones:
        if {ex.from_id, ex.to_id} == {from_id, to_id}:
            raise ExchangeError("a request between the two is already open")
    if sum(1 for ex in open_ones if ex.from_id == from_id) >= MAX_OPEN_PER_PERSON:
        raise ExchangeError("too many open requests; wait for answers")
    return Exchange(secrets.token_urlsafe(12), from_id, to_id, card, now)


def answered(
    exchange: Exchange | None, by: str, accept: bool, card: ContactCard | None
) -> Exchange:
    """The exchange after the asked person's answer (a new value; ``exchange`` is kept)."""
    if exchange is None or by not in (exchange.from_id, exchange.to_id):
        raise ExchangeError("no such request")
    if by != exchange.to_id:
        raise ExchangeError("only the person asked can answer")
    if exchange.state is not ExchangeState.ASKED:
        raise ExchangeError("the request was already answered")
    if accept:
        if card is None:
            raise ExchangeError("accepting needs one's own contact details")
        return replace(exchange, to_card=card, state=ExchangeState.ACCEPTED)
    return replace(exchange, state=ExchangeState.DECLINED, from_card=ContactCard(name=""))


def seen_by(exchange: Exchange | None, viewer: str) -> Exchange | None:
    """The exchange if ``viewer`` is one of its two people."""
    if exchange is not None and viewer in (exchange.from_id, exchange.to_id):
        return exchange
    return None


class ContactExchanges:
    """Every open and answered exchange of the hub, in this process's memory."""

    def __init__(self) -> None:
        self._exchanges: dict[str, Exchange] = {}

    def _lapse(self, now: float) -> None:
        for key in [k for k, ex in self._exchanges.items() if lapsed(ex, now)]:
            del self._exchanges[key]

    def request(self, from_id: str, to_id: str, card: ContactCard, now: float) -> str:
        """Ask ``to_id`` for an exchange; returns the request's id."""
        exchange = new_request(self.involving(from_id, now), from_id, to_id, card, now)
        self._exchanges[exchange.id] = exchange
        return exchange.id

    def answer(
        self, exchange_id: str, by: str, accept: bool, card: ContactCard | None, now: float
    ) -> Exchange:
        """The asked person accepts (with their card) or declines."""
        self._lapse(now)
        exchange = answered(self._exchanges.get(exchange_id), by, accept, card)
        self._exchanges[exchange_id] = exchange
        return exchange

    def get(self, exchange_id: str, viewer: str, now: float) -> Exchange | None:
        """The exchange if ``viewer`` is one of its two people."""
        self._lapse(now)
        return seen_by(self._exchanges.get(exchange_id), viewer)

    def card_for(self, exchange_id: str, viewer: str, now: float) -> ContactCard | None:
        """The other side's card, only once accepted and only for one of the two."""
        ex = self.get(exchange_id, viewer, now)
        return ex.card_of_other(viewer) if ex else None

    def involving(self, identity_id: str, now: float) -> list[Exchange]:
        """The exchanges one person is part of, oldest first."""
        self._lapse(now)
        return [ex for ex in self._exchanges.values() if identity_id in (ex.from_id, ex.to_id)]

    def forget_person(self, identity_id: str) -> None:
        """Drop every exchange of an erased person."""
        for key in [
            k for k, ex in self._exchanges.items() if identity_id in (ex.from_id, ex.to_id)
        ]:
            del self._exchanges[key]


class ExchangeBook(Protocol):
    """Where the hub keeps its exchanges; every step follows the rules above."""

    async def request(self, from_id: str, to_id: str, card: ContactCard, now: float) -> Exchange:
        """Ask ``to_id`` for an exchange; returns the new request."""
        ...

    async def answer(
        self, exchange_id: str, by: str, accept: bool, card: ContactCard | None, now: float
    ) -> Exchange: ...

    async def get(self, exchange_id: str, viewer: str, now: float) -> Exchange | None: ...

    async def involving(self, identity_id: str, now: float) -> list[Exchange]: ...

    async def forget_person(self, identity_id: str) -> None: ...


class MemoryExchangeBook:
    """The exchanges of a single-process hub, in its memory (``ContactExchanges``)."""

    def __init__(self) -> None:
        self.exchanges = ContactExchanges()

    async def request(self, from_id: str, to_id: str, card: ContactCard, now: float) -> Exchange:
        exchange_id = self.exchanges.request(from_id, to_id, card, now)
        found = self.exchanges.get(exchange_id, from_id, now)
        assert found is not None
        return found

    async def answer(
        self, exchange_id: str, by: str, accept: bool, card: ContactCard | None, now: float
    ) -> Exchange:
        return self.exchanges.answer(exchange_id, by, accept, card, now)

    async def get(self, exchange_id: str, viewer: str, now: float) -> Exchange | None:
        return self.exchanges.get(exchange_id, viewer, now)

    async def involving(self, identity_id: str, now: float) -> list[Exchange]:
        return self.exchanges.involving(identity_id, now)

    async def forget_person(self, identity_id: str) -> None:
        self.exchanges.forget_person(identity_id)
