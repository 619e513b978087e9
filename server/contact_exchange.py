"""Exchanging contact details by both sides' consent (sans-I/O).

One person asks another for an exchange and hands over their own card with the request; the
other accepts (handing over theirs) or declines. Only after an acceptance does either side
get the other's card, and only the two of them. A declined request ends it: neither card
goes anywhere. Requests live in memory while the hub runs and lapse after ``TTL`` seconds;
nothing of an exchange is stored by the hub (the cards go to the two people's browsers).

>>> ex = ContactExchanges()
>>> rid = ex.request("g-ada", "g-bob", ContactCard("Ada", email="ada@example.org"), now=0.0)
>>> ex.card_for(rid, "g-bob", now=1.0) is None
True
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from enum import Enum
from typing import Final

from server.contact_card import ContactCard
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

    def card_of_other(self, viewer: str) -> ContactCard | None:
        if self.state is not ExchangeState.ACCEPTED:
            return None
        if viewer == self.from_id:
            return self.to_card
        if viewer == self.to_id:
            return self.from_card
        return None


class ContactExchanges:
    """Every open and answered exchange of the hub."""

    def __init__(self) -> None:
        self._exchanges: dict[str, Exchange] = {}

    def _lapse(self, now: float) -> None:
        for key in [k for k, ex in self._exchanges.items() if now - ex.at > TTL]:
            del self._exchanges[key]

    def request(self, from_id: str, to_id: str, card: ContactCard, now: float) -> str:
        """Ask ``to_id`` for an exchange; returns the request's id."""
        self._lapse(now)
        if from_id == to_id:
            raise ExchangeError("one cannot exchange contact details with oneself")
        open_ones = [ex for ex in self._exchanges.values() if ex.state is ExchangeState.ASKED]
        for ex in open_ones:
            if {ex.from_id, ex.to_id} == {from_id, to_id}:
                raise ExchangeError("a request between the two is already open")
        if sum(1 for ex in open_ones if ex.from_id == from_id) >= MAX_OPEN_PER_PERSON:
            raise ExchangeError("too many open requests; wait for answers")
        exchange_id = secrets.token_urlsafe(12)
        self._exchanges[exchange_id] = Exchange(exchange_id, from_id, to_id, card, now)
        return exchange_id

    def answer(
        self, exchange_id: str, by: str, accept: bool, card: ContactCard | None, now: float
    ) -> Exchange:
        """The asked person accepts (with their card) or declines."""
        self._lapse(now)
        ex = self._exchanges.get(exchange_id)
        if ex is None or by not in (ex.from_id, ex.to_id):
            raise ExchangeError("no such request")
        if by != ex.to_id:
            raise ExchangeError("only the person asked can answer")
        if ex.state is not ExchangeState.ASKED:
            raise ExchangeError("the request was already answered")
        if accept:
            if card is None:
                raise ExchangeError("accepting needs one's own contact details")
            ex.to_card = card
            ex.state = ExchangeState.ACCEPTED
        else:
            ex.state = ExchangeState.DECLINED
            ex.from_card = ContactCard(name="")
        return ex

    def get(self, exchange_id: str, viewer: str, now: float) -> Exchange | None:
        """The exchange if ``viewer`` is one of its two people."""
        self._lapse(now)
        ex = self._exchanges.get(exchange_id)
        return ex if ex is not None and viewer in (ex.from_id, ex.to_id) else None

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
