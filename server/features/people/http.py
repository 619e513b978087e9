"""People to meet over HTTP (an ``HttpFeature`` for ``make_http_app``): one's own opt-in
profile, who is in the hub with a visible profile, suggestions, and contact exchange by
consent. Every route needs a session (guest or account).

    GET  /api/me/profile                   one's own profile (hidden and empty until saved)
                                           with the vocabulary: the site's topics and roles
    PUT  /api/me/profile                   the whole profile; ``visible`` false hides it at once
    GET  /api/people?industry=&topic=&role=  people in the hub now whose profile is visible
                                           (never oneself), each with session, room, profile
    GET  /api/people/suggestions           those of them who fit one's own profile, best
                                           first, with the topics that match
    POST /api/contacts                     {"to": identity id, "card": {name, organisation,
                                           email, phone, note}}: ask someone in the hub with a
                                           visible profile for an exchange (201)
    GET  /api/contacts                     one's exchanges: asked, accepted or declined; the
                                           other's card only once accepted
    POST /api/contacts/{id}/answer         the asked person: {"accept": true, "card": {...}}
                                           or {"accept": false}
    GET  /api/contacts/{id}/card.vcf       the other side's card as vCard, only once accepted
                                           (404 otherwise, to anyone else always)

Who is here is everyone in the hub in a room: this process's sessions, and with several
processes on one Redis the others' too (server/features/people/presence.py). Profiles are kept in
the store (in the person's export, erased with them); exchanges for their TTL only, in an
``ExchangeBook`` (server/features/people/contact_exchange.py: in memory for a single process,
server/features/people/contact_exchange_redis.py in Redis for several), also erased with the person.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from server.base.identity import Identity
from server.base.ratelimit import KeyedLimiter
from server.base.redis_link import ClusterUnavailable
from server.domain.profiles import (
    ROLES,
    Filter,
    Profile,
    ProfileError,
    parse_profile,
    stored_profile,
    suggestions,
)
from server.features.people.contact_card import ContactCardError, parse_card, vcard
from server.features.people.contact_exchange import (
    Exchange,
    ExchangeBook,
    ExchangeError,
    MemoryExchangeBook,
)
from server.protocol.table import encode
from server.store.backend import StoreBackend
from server.web.http import (
    ApiError,
    HttpFeature,
    bearer_identity,
    error_response,
    json_response,
    read_json_object,
    refusals_answered,
    refuse_too_many,
)


@dataclass(frozen=True, slots=True)
class Present:
    """Someone in the hub now: their session, name, room and its instance."""

    session: str
    name: str
    room: str
    instance: int = 0


#: identity id -> where that person is now (one of their sessions in a room), hub-wide
WhoIsHere = Callable[[], Awaitable[dict[str, Present]]]
#: a realtime frame for every session of one person, whichever process serves it
#: (identity id, frame)
TellPerson = Callable[[str, bytes], None]
#: the hub-wide bus event that carries a ``contact_request`` frame to the other processes
BUS_EVENT = "people:tell"


class PeopleToMeet:
    """The profiles' service: the site's topics, who is here, and the open exchanges."""

    def __init__(
        self,
        store: StoreBackend,
        topics: dict[str, dict[str, str]],
        who_is_here: WhoIsHere,
        tell_person: TellPerson | None = None,
        exchanges: ExchangeBook | None = None,
    ) -> None:
        self.store = store
        self.topics = topics
        self.who_is_here = who_is_here
        self.tell_person = tell_person
        self.exchanges: ExchangeBook = exchanges or MemoryExchangeBook()
        self.limit = KeyedLimiter(rate=1.0, burst=20)

    def tell(self, identity_id: str, exchange_id: str, state: str, name: str) -> None:
        """The person's open sessions learn at once that an exchange of theirs moved on
        (``contact_request``; the details stay behind REST)."""
        if self.tell_person is not None:
            frame = encode("contact_request", exchange=exchange_id, state=state, name=name)
            self.tell_person(identity_id, frame)

    async def forget(self, identity_id: str) -> None:
        """An erased person's exchanges go at once."""
        await self.exchanges.forget_person(identity_id)

    async def profile(self, identity_id: str) -> Profile:
        kept = await self.store.profiles_of([identity_id])
        return stored_profile(kept[identity_id]) if identity_id in kept else Profile()

    async def visible_here(self, viewer: str) -> list[tuple[str, Present, Profile]]:
        """Everyone in the hub now with a visible profile, except the viewer, by name."""
        here = dict(await self.who_is_here())
        here.pop(viewer, None)
        kept = await self.store.profiles_of(sorted(here))
        found = [
            (identity_id, here[identity_id], stored_profile(data))
            for identity_id, data in kept.items()
        ]
        return sorted(
            [row for row in found if row[2].visible],
            key=lambda row: (row[1].name.casefold(), row[0]),
        )

    def routes(self) -> HttpFeature:
        def add_routes(app: web.Application) -> None:
            app[PEOPLE] = self
            app.router.add_get("/api/me/profile", _errors(get_profile))
            app.router.add_put("/api/me/profile", _errors(put_profile))
            app.router.add_get("/api/people", _errors(list_people))
            app.router.add_get("/api/people/suggestions", _errors(list_suggestions))
            app.router.add_post("/api/contacts", _errors(ask_contact))
            app.router.add_get("/api/contacts", _errors(list_contacts))
            app.router.add_post("/api/contacts/{id}/answer", _errors(answer_contact))
            app.router.add_get("/api/contacts/{id}/card.vcf", _errors(contact_vcard))

        return add_routes


PEOPLE = web.AppKey("people_to_meet", PeopleToMeet)


_errors = refusals_answered(
    {
        ProfileError: (400, "profile_invalid"),
        ContactCardError: (400, "card_invalid"),
        ExchangeError: (409, "exchange_refused"),
        ClusterUnavailable: lambda exc: error_response(
            503, "unavailable", "contact exchange is not reachable now; try again shortly"
        ),
    }
)


def _limited(request: web.Request, identity: Identity) -> None:
    refuse_too_many(request.app[PEOPLE].limit, identity)


def _vocabulary(people: PeopleToMeet) -> dict[str, Any]:
    return {"topics": people.topics, "roles": list(ROLES)}


async def get_profile(request: web.Request) -> web.Response:
    identity = bearer_identity(request)
    people = request.app[PEOPLE]
    profile = await people.profile(identity.id)
    return json_response({"profile": profile.as_dict(), "vocabulary": _vocabulary(people)})


async def put_profile(request: web.Request) -> web.Response:
    identity = bearer_identity(request)
    _limited(request, identity)
    people = request.app[PEOPLE]
    profile = parse_profile(await read_json_object(request), people.topics)
    if not await people.store.save_profile(identity.id, profile.as_dict(), time.time()):
        raise ApiError(410, "erased", "this person was erased")
    return json_response({"profile": profile.as_dict()})


def _person(identity_id: str, present: Present, profile: Profile) -> dict[str, Any]:
    return {
        "identity_id": identity_id,
        "session": present.session,
        "name": present.name,
        "room": present.room,
        "instance": present.instance,
        "profile": profile.public_view(),
    }


def _choice(request: web.Request, name: str, allowed: Collection[str]) -> str:
    value = request.query.get(name, "")
    if value and value not in allowed:
        raise ApiError(400, "bad_filter", f"unknown {name} {value!r}")
    return value


async def list_people(request: web.Request) -> web.Response:
    identity = bearer_identity(request)
    people = request.app[PEOPLE]
    wanted = Filter(
        industry=request.query.get("industry", "").strip(),
        topic=_choice(request, "topic", people.topics),
        role=_choice(request, "role", ROLES),
    )
    return json_response(
        {
            "people": [
                _person(*row)
                for row in await people.visible_here(identity.id)
                if wanted.admits(row[2])
            ]
        }
    )


async def list_suggestions(request: web.Request) -> web.Response:
    identity = bearer_identity(request)
    people = request.app[PEOPLE]
    me = await people.profile(identity.id)
    here = {row[0]: row for row in await people.visible_here(identity.id)}
    found = suggestions(identity.id, me, [(i, row[2]) for i, row in here.items()])
    return json_response(
        {
            "suggestions": [
                {
                    **_person(*here[s.identity_id]),
                    "score": s.score,
                    "helps_me": list(s.helps_me),
                    "i_help": list(s.i_help),
                    "shared": list(s.shared),
                }
                for s in found
            ]
        }
    )


def _exchange(exchange: Exchange, viewer: str, names: dict[str, Present]) -> dict[str, Any]:
    data = exchange.as_dict(viewer)
    other = exchange.to_id if viewer == exchange.from_id else exchange.from_id
    data["other_name"] = names[other].name if other in names else None
    data["incoming"] = viewer == exchange.to_id
    return data


async def ask_contact(request: web.Request) -> web.Response:
    identity = bearer_identity(request)
    _limited(request, identity)
    people = request.app[PEOPLE]
    body = await read_json_object(request)
    to = body.get("to")
    if not isinstance(to, str) or not to:
        raise ApiError(400, "bad_request", "to: the identity id of the person asked")
    visible = {row[0] for row in await people.visible_here(identity.id)}
    if to not in visible:
        raise ApiError(404, "person_unknown", "nobody with a visible profile is here by that id")
    card = parse_card(body.get("card"))
    exchange = await people.exchanges.request(identity.id, to, card, time.time())
    people.tell(to, exchange.id, "asked", identity.name)
    return json_response(
        {"exchange": _exchange(exchange, identity.id, await people.who_is_here())}, status=201
    )


async def list_contacts(request: web.Request) -> web.Response:
    identity = bearer_identity(request)
    people = request.app[PEOPLE]
    names = await people.who_is_here()
    return json_response(
        {
            "exchanges": [
                _exchange(ex, identity.id, names)
                for ex in await people.exchanges.involving(identity.id, time.time())
            ]
        }
    )


async def answer_contact(request: web.Request) -> web.Response:
    identity = bearer_identity(request)
    _limited(request, identity)
    people = request.app[PEOPLE]
    body = await read_json_object(request)
    accept = body.get("accept")
    if not isinstance(accept, bool):
        raise ApiError(400, "bad_request", "accept: true or false")
    card = parse_card(body.get("card")) if accept else None
    exchange = await people.exchanges.answer(
        request.match_info["id"], identity.id, accept, card, time.time()
    )
    people.tell(exchange.from_id, exchange.id, "accepted" if accept else "declined", identity.name)
    names = await people.who_is_here()
    return json_response({"exchange": _exchange(exchange, identity.id, names)})


async def contact_vcard(request: web.Request) -> web.Response:
    identity = bearer_identity(request)
    people = request.app[PEOPLE]
    exchange = await people.exchanges.get(request.match_info["id"], identity.id, time.time())
    card = None if exchange is None else exchange.card_of_other(identity.id)
    if card is None:
        raise ApiError(404, "no_card", "no accepted exchange with a card for you")
    return web.Response(
        text=vcard(card),
        content_type="text/vcard",
        charset="utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="kontakt.vcf"',
            "Cache-Control": "no-store",
        },
    )
