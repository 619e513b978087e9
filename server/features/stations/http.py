"""The learning stations' REST API (an ``HttpFeature`` for ``make_http_app``).

Content is public; everything that records or reveals progress needs a session token.

    GET  /api/stations?lang=de                    every station with its content
    GET  /api/stations/{id}?lang=de               one station
    POST /api/stations/{id}/open                  record a visit; the station and my progress
    POST /api/stations/{id}/quiz                  {"answers": {"q1": "b"}, "lang": "de"}
    POST /api/stations/{id}/experiment            {"inputs": {…}, "lang": "de"}; typed numbers
                                                  are read the ``lang`` way (de "50.000" = 50 000)
    GET  /api/me/stations?lang=de                 my passport
    GET  /api/me/stations/summary?lang=de         my passport as a text file to keep
    POST /api/station-progress/lookup             facilitators: {"identities": [id, …]}
    GET  /api/station-progress/rooms/{room}       facilitators: everyone in a room
    GET  /api/station-progress/export.csv         staff: all progress, display names only

Documented in docs/content-format.md (section "REST API").
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from typing import Any

from aiohttp import web

from server.base.identity import Identity, Role
from server.base.ratelimit import KeyedLimiter
from server.domain.station_progress import export_csv, make_passport, summary_text
from server.features.stations.desk import StationDesk, StationRefused
from server.store.backend import StoreBackend
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
from server.workshop.http import STATION_REFS

MAX_LOOKUP = 200
ACTIONS_PER_S = 2.0  # per person: opening stations, answering, running experiments
ACTIONS_BURST = 30

RoomMembers = Callable[[str], Collection[str] | None]
"""Who is in a room right now (identity ids), or None for an unknown room."""

DESK = web.AppKey("station_desk", StationDesk)
ROOM_MEMBERS: web.AppKey[RoomMembers | None] = web.AppKey("station_room_members")
ACTION_LIMIT = web.AppKey("station_action_limit", KeyedLimiter)


def station_refs(desk: StationDesk) -> dict[str, str]:
    """What may name a station in a workshop's agenda: its anchor's id or its own -> its id."""
    refs: dict[str, str] = {}
    for station in desk.catalogue.stations:
        refs[station.anchor] = refs[station.id] = station.id
    return refs


def station_routes(desk: StationDesk, room_members: RoomMembers | None = None) -> HttpFeature:
    """The feature to pass to ``make_http_app(context, features=[...])``."""

    def add_routes(app: web.Application) -> None:
        app[DESK] = desk
        app[STATION_REFS] = lambda: station_refs(desk)
        app[ROOM_MEMBERS] = room_members
        app[ACTION_LIMIT] = KeyedLimiter(rate=ACTIONS_PER_S, burst=ACTIONS_BURST)
        app.router.add_get("/api/stations", _refusals(list_stations))
        app.router.add_get("/api/stations/{id}", _refusals(get_station))
        app.router.add_post("/api/stations/{id}/open", _refusals(open_station))
        app.router.add_post("/api/stations/{id}/quiz", _refusals(answer_quiz))
        app.router.add_post("/api/stations/{id}/experiment", _refusals(run_experiment))
        app.router.add_get("/api/me/stations", _refusals(my_passport))
        app.router.add_get("/api/me/stations/summary", _refusals(my_summary))
        app.router.add_post("/api/station-progress/lookup", _refusals(lookup_progress))
        app.router.add_get("/api/station-progress/rooms/{room}", _refusals(room_progress))
        app.router.add_get("/api/station-progress/export.csv", _refusals(export_progress))

    return add_routes


_refusals = refusals_answered(
    {StationRefused: lambda exc: json_response(exc.as_dict(), status=exc.status)}
)


def _desk(request: web.Request) -> StationDesk:
    return request.app[DESK]


def _store(request: web.Request) -> StoreBackend:
    return request.app[CONTEXT].store


def _lang(request: web.Request, body: dict[str, Any] | None = None) -> str:
    requested = body.get("lang") if body is not None else None
    if requested is None:
        requested = request.query.get("lang")
    if requested is not None and not isinstance(requested, str):
        raise ApiError(400, "language_unknown", "lang must be a language code such as 'de'")
    return _desk(request).language(requested)


def _acting(request: web.Request) -> Identity:
    """The signed-in person doing something at a station, within their rate limit."""
    identity = bearer_identity(request)
    refuse_too_many(request.app[ACTION_LIMIT], identity, "station actions")
    return identity


def _require(identity: Identity, role: Role) -> None:
    if not identity.role.at_least(role):
        raise ApiError(403, "forbidden", f"this needs the {role.value} role")


# --- content -------------------------------------------------------------------------------


async def list_stations(request: web.Request) -> web.Response:
    return json_response(_desk(request).listing(_lang(request)))


async def get_station(request: web.Request) -> web.Response:
    return json_response(_desk(request).view(request.match_info["id"], _lang(request)))


# --- a visitor at a station ----------------------------------------------------------------


async def open_station(request: web.Request) -> web.Response:
    identity = _acting(request)
    body = await _optional_body(request)
    lang = _lang(request, body)
    station_id = request.match_info["id"]
    view, record = _desk(request).open(identity, station_id, lang, time.time())
    store = _store(request)
    await store.record_progress([record])
    mine = next(
        (p for p in await store.progress_of(identity.id) if p.station_id == station_id), None
    )
    return json_response({"station": view, "progress": mine.as_dict() if mine else None})


async def answer_quiz(request: web.Request) -> web.Response:
    identity = _acting(request)
    body = await read_json_object(request)
    lang = _lang(request, body)
    result, record = _desk(request).answer(
        identity, request.match_info["id"], body.get("answers"), lang, time.time()
    )
    await _store(request).record_progress([record])
    return json_response(result.as_dict())


async def run_experiment(request: web.Request) -> web.Response:
    identity = _acting(request)
    body = await read_json_object(request)
    lang = _lang(request, body)
    result, record = _desk(request).run_experiment(
        identity, request.match_info["id"], body.get("inputs"), lang, time.time()
    )
    await _store(request).record_progress([record])
    return json_response(result.as_dict(lang))


async def _optional_body(request: web.Request) -> dict[str, Any] | None:
    if not request.can_read_body:
        return None
    return await read_json_object(request)


# --- my progress ---------------------------------------------------------------------------


async def my_passport(request: web.Request) -> web.Response:
    identity = bearer_identity(request)
    lang = _lang(request)
    rows = await _store(request).progress_of(identity.id)
    passport = make_passport(_desk(request).catalogue, identity.name, rows, lang)
    return json_response(passport.as_dict(), headers={"Cache-Control": "no-store"})


async def my_summary(request: web.Request) -> web.Response:
    identity = bearer_identity(request)
    lang = _lang(request)
    rows = await _store(request).progress_of(identity.id)
    passport = make_passport(_desk(request).catalogue, identity.name, rows, lang)
    site = request.app[CONTEXT].site
    stem = "lernpass" if lang == "de" else "learning-passport"
    text = summary_text(passport, time.time(), site.branding.short_name)
    return download(site, stem, "txt", text, "text/plain")


# --- facilitators and staff ----------------------------------------------------------------


async def lookup_progress(request: web.Request) -> web.Response:
    identity = bearer_identity(request)
    _require(identity, Role.FACILITATOR)
    body = await read_json_object(request)
    ids = body.get("identities")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ApiError(400, "identities_invalid", "identities must be a list of identity ids")
    if len(ids) > MAX_LOOKUP:
        raise ApiError(400, "identities_invalid", f"at most {MAX_LOOKUP} identities at once")
    return json_response(await _people(request, ids, _lang(request, body)))


async def room_progress(request: web.Request) -> web.Response:
    identity = bearer_identity(request)
    _require(identity, Role.FACILITATOR)
    members_of = request.app[ROOM_MEMBERS]
    if members_of is None:
        raise ApiError(503, "rooms_unavailable", "room presence is not available here")
    room = request.match_info["room"]
    members = members_of(room)
    if members is None:
        raise ApiError(404, "room_unknown", f"there is no room {room!r}")
    if identity.id not in members and not identity.role.at_least(Role.STAFF):
        raise ApiError(403, "not_in_room", "facilitators see the progress of their own room")
    people = [m for m in members if m != identity.id]
    result = await _people(request, people, _lang(request))
    result["room"] = room
    return json_response(result)


async def _people(request: web.Request, ids: list[str], lang: str) -> dict[str, Any]:
    catalogue = _desk(request).catalogue
    found = await _store(request).progress_of_many(ids)
    people = []
    for person_id in dict.fromkeys(ids):
        if person_id not in found:
            continue
        name, rows = found[person_id]
        passport = make_passport(catalogue, name, rows, lang).as_dict()
        passport["identity"] = person_id
        people.append(passport)
    return {"language": lang, "people": people}


async def export_progress(request: web.Request) -> web.Response:
    identity = bearer_identity(request)
    _require(identity, Role.STAFF)
    rows = await _store(request).all_progress()
    site = request.app[CONTEXT].site
    text = export_csv(_desk(request).catalogue, rows, site.zone)
    return download(site, "lernstationen", "csv", text, "text/csv")
