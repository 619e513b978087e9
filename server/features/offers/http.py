"""The offers' REST API (an ``HttpFeature`` for ``make_http_app``).

Offers are public; signing up needs a session (guest or account) and the person's consent;
the sign-ups and editing are for staff.

    GET    /api/offers?topic=&audience=&place=&from=&to=   the offers in force, filtered
           (place: online or in_person, each also finds "both"; from/to: dates YYYY-MM-DD,
           an offer matches if it runs on some day in between; ongoing ones always), with the
           vocabulary, seats taken, how many wait and, with a session, whether the caller
           signed up and where they stand (``standing``)
    GET    /api/offers/{id}                       one offer
    POST   /api/offers/{id}/signup                signed in: {"name", "contact", "consent":
                                                  true}; 201 new, 200 signed up before (the
                                                  offer's ``standing``: a seat, or a place
                                                  on its waiting list once the seats are
                                                  taken), 409 ``offer_full`` when every seat
                                                  and the whole waiting list are taken
    DELETE /api/offers/{id}/signup                signed in: take it back (the first on the
                                                  waiting list moves up to the seat)
    PUT    /api/offers/{id}                       staff: the whole offer (its JSON form)
    DELETE /api/offers/{id}                       staff: take it out of the list
    GET    /api/offers/{id}/signups.csv           staff: its sign-ups
    GET    /api/offers/signups.csv                staff: every offer's sign-ups

Documented in docs/make-your-hub.md ("Offers").
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from datetime import time as clock
from typing import Any

from aiohttp import web

from server.base.identity import Identity, Role
from server.base.ratelimit import KeyedLimiter
from server.domain.offers import PLACES, Offer, OfferFile, OfferFilter, OfferInvalid, filtered
from server.features.offers.book import OfferBook, OfferFull, OfferUnknown
from server.web.downloads import download
from server.web.http import (
    CONTEXT,
    ApiError,
    HttpFeature,
    bearer_identity,
    json_response,
    read_json_object,
    refusals_answered,
    refuse_too_many,
)

BOOK = web.AppKey("offer_book", OfferBook)
SIGNUP_LIMIT = web.AppKey("offer_signup_limit", KeyedLimiter)
CSV_TYPE = "text/csv"
#: what the answers add to an offer's JSON form (not part of the offer)
SHOWN_ONLY = ("taken", "waiting", "signed_up", "standing")


def offer_routes(file: OfferFile) -> HttpFeature:
    """The routes over the site's checked ``offers.toml`` (``read_offers``)."""

    def add_routes(app: web.Application) -> None:
        context = app[CONTEXT]
        app[BOOK] = OfferBook(context.site, context.store, file)
        app[SIGNUP_LIMIT] = KeyedLimiter(rate=1.0, burst=20)
        app.router.add_get("/api/offers", _errors(list_offers))
        app.router.add_get("/api/offers/signups.csv", _errors(all_signups_csv))
        app.router.add_get("/api/offers/{id}", _errors(one_offer))
        app.router.add_put("/api/offers/{id}", _errors(put_offer))
        app.router.add_delete("/api/offers/{id}", _errors(remove_offer))
        app.router.add_post("/api/offers/{id}/signup", _errors(sign_up))
        app.router.add_delete("/api/offers/{id}/signup", _errors(cancel_signup))
        app.router.add_get("/api/offers/{id}/signups.csv", _errors(signups_csv))

    return add_routes


#: the book's refusals as HTTP answers: 404 unknown, 409 full, 400 bad input
_errors = refusals_answered(
    {
        OfferUnknown: (404, "offer_unknown"),
        OfferFull: (409, "offer_full"),
        OfferInvalid: (400, "offer_invalid"),
    }
)


def _staff(request: web.Request) -> Identity:
    identity = bearer_identity(request)
    if identity.role is not Role.STAFF:
        raise ApiError(403, "forbidden", "only staff may edit offers or read their sign-ups")
    return identity


def _day(request: web.Request, name: str) -> date | None:
    value = request.query.get(name, "")
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError(400, "bad_filter", f"{name} must be a date YYYY-MM-DD") from None


def _filter(request: web.Request, book: OfferBook) -> OfferFilter:
    vocab = book.file.vocabulary
    topic = request.query.get("topic", "")
    audience = request.query.get("audience", "")
    place = request.query.get("place", "")
    if topic and topic not in vocab.topics:
        raise ApiError(400, "bad_filter", f"unknown topic {topic!r}")
    if audience and audience not in vocab.audiences:
        raise ApiError(400, "bad_filter", f"unknown audience {audience!r}")
    if place and place not in PLACES:
        raise ApiError(400, "bad_filter", f"place must be one of {', '.join(PLACES)}")
    zone = book.site.zone
    first, last = _day(request, "from"), _day(request, "to")
    return OfferFilter(
        topic,
        audience,
        place,
        None if first is None else datetime.combine(first, clock(0), zone).timestamp(),
        None
        if last is None
        else datetime.combine(last + timedelta(days=1), clock(0), zone).timestamp(),
    )


def _optional_identity(request: web.Request) -> Identity | None:
    return bearer_identity(request) if "Authorization" in request.headers else None


async def _public(book: OfferBook, offer: Offer, identity: Identity | None) -> dict[str, Any]:
    data = offer.as_dict(book.site.zone)
    if offer.signup:
        signups = await book.store.offer_signups(offer.id)
        seats = len(signups) if offer.seats is None else min(len(signups), offer.seats)
        data["taken"] = seats
        data["waiting"] = len(signups) - seats
        if identity is not None:
            standing = offer.standing(signups, identity.id)
            data["signed_up"] = standing["status"] is not None
            data["standing"] = standing
    return data


async def list_offers(request: web.Request) -> web.Response:
    book = request.app[BOOK]
    wanted = _filter(request, book)
    identity = _optional_identity(request)
    offers = filtered(await book.offers(), wanted)
    return json_response(
        {
            "offers": [await _public(book, offer, identity) for offer in offers],
            "vocabulary": book.file.vocabulary.as_dict(),
            "time_zone": book.site.time_zone,
        }
    )


async def one_offer(request: web.Request) -> web.Response:
    book = request.app[BOOK]
    offer = await book.offer(request.match_info["id"])
    return json_response(await _public(book, offer, _optional_identity(request)))


async def put_offer(request: web.Request) -> web.Response:
    _staff(request)
    body = await read_json_object(request)
    for shown_only in SHOWN_ONLY:  # what GET adds may come back with the offer
        body.pop(shown_only, None)
    offer_id = request.match_info["id"]
    if body.get("id", offer_id) != offer_id:
        raise ApiError(400, "offer_invalid", "id: the body's id differs from the address")
    offer = await request.app[BOOK].put({**body, "id": offer_id})
    return json_response(offer.as_dict(request.app[BOOK].site.zone))


async def remove_offer(request: web.Request) -> web.Response:
    _staff(request)
    await request.app[BOOK].remove(request.match_info["id"])
    return json_response({"removed": request.match_info["id"]})


async def sign_up(request: web.Request) -> web.Response:
    identity = bearer_identity(request)
    refuse_too_many(request.app[SIGNUP_LIMIT], identity, "sign-ups")
    body = await read_json_object(request)
    book = request.app[BOOK]
    offer, signup, added = await book.sign_up(
        request.match_info["id"], identity.id, body, time.time()
    )
    return json_response(
        {"offer": await _public(book, offer, identity), "signup": signup.as_dict()},
        status=201 if added else 200,
    )


async def cancel_signup(request: web.Request) -> web.Response:
    identity = bearer_identity(request)
    book = request.app[BOOK]
    offer = await book.offer(request.match_info["id"])
    if not await book.store.cancel_offer_signup(offer.id, identity.id):
        raise ApiError(404, "not_signed_up", "you are not signed up for this offer")
    return json_response({"offer": await _public(book, offer, identity)})


async def signups_csv(request: web.Request) -> web.Response:
    _staff(request)
    book = request.app[BOOK]
    offer_id = request.match_info["id"]
    return download(book.site, f"{offer_id}-anmeldungen", "csv", await book.csv(offer_id), CSV_TYPE)


async def all_signups_csv(request: web.Request) -> web.Response:
    _staff(request)
    book = request.app[BOOK]
    return download(book.site, "angebote-anmeldungen", "csv", await book.csv(None), CSV_TYPE)
