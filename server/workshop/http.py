"""The workshops' REST API (an ``HttpFeature`` for ``make_http_app``).

Upcoming workshops are public (what the foyer board and the client's list show; invite codes
and lists are not). Facilitators and staff create and edit workshops and series; each
workshop's facilitators (and staff) see its attendance. Staff see the audit log and the bans.

    GET    /api/workshops?all=1                   upcoming workshops (all=1: past ones too)
    GET    /api/workshops/{id}                    one workshop
    POST   /api/workshops                         facilitators: a new workshop
    PUT    /api/workshops/{id}                    its facilitators: change it (a new start
                                                  alone moves it and keeps its length)
    DELETE /api/workshops/{id}                    its facilitators: remove it
    GET    /api/workshops/{id}/calendar.ics       everyone: the workshop as a calendar file
    GET    /api/workshop-series/{id}/calendar.ics everyone: the series' sessions as a feed
    GET    /api/workshop-series                   facilitators: every series
    POST   /api/workshop-series                   facilitators: a new series and its sessions
    PUT    /api/workshop-series/{id}              its facilitators: change it and its sessions
    DELETE /api/workshop-series/{id}              its facilitators: remove it (and sessions to come)
    GET    /api/workshops/{id}/attendance         its facilitators: the summary
    GET    /api/workshops/{id}/attendance.csv     its facilitators: the CSV (display names and
                                                  person keys; the site's time zone)
    POST   /api/workshops/{id}/registration       anyone signed in: register for a workshop
                                                  with seats (a seat or the waiting list)
    GET    /api/workshops/{id}/registration       anyone signed in: their registration
    DELETE /api/workshops/{id}/registration       anyone signed in: take it back
    GET    /api/workshops/{id}/registrations      its facilitators: everyone registered
    GET    /api/workshops/{id}/registrations.csv  its facilitators: the same as CSV
    GET    /api/moderation/audit?limit=200        staff: the audit log, newest first
    GET    /api/moderation/bans                   staff: bans in force
    POST   /api/moderation/bans                   staff: {"identity", "name", "hours", "reason"}
    DELETE /api/moderation/bans/{id}              staff: lift a ban

A workshop (or a series' session) planned in a room at a time another workshop has it is
refused with 409 ``workshop_clash`` naming that workshop, unless the body says
``"force": true``.

``invited`` names people by account username or display name (an identity id is taken
too); a name no account has, or that several accounts share, is refused with the reason.
The list of workshops tells a signed-in person which ones they are invited to
(``invited_you``) and, for workshops with seats, where their registration stands.

A banned person also gets no session token: ``POST /api/session`` answers 403 ``banned``
for their identity (a kept guest token or an account). Documented in docs/workshops.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web

from server.base.identity import Identity, Role
from server.base.ratelimit import KeyedLimiter
from server.domain.registrations import (
    Registration,
    registrations_csv,
    seat_states,
    state_of,
    taken,
)
from server.domain.workshops import (
    Access,
    Person,
    Series,
    Workshop,
    WorkshopBook,
    WorkshopInvalid,
    new_series_id,
    new_workshop_id,
    parse_series,
    parse_workshop,
)
from server.store.backend import StoreBackend
from server.web.downloads import download
from server.web.http import (
    CONTEXT,
    ApiError,
    Handler,
    HttpFeature,
    bearer_identity,
    changes_limited,
    error_response,
    json_response,
    read_json_object,
    refusals_answered,
)
from server.workshop.attendance import (
    agenda_station_ids,
    attendance_csv,
    attendance_report,
    person_key,
    summary,
)
from server.workshop.calendar import CONTENT_TYPE as CALENDAR_TYPE
from server.workshop.calendar import series_calendar, workshop_calendar
from server.workshop.invitations import with_invited_ids
from server.workshop.planning import (
    WorkshopClash,
    end_series,
    leaders,
    plan_series,
    plan_workshop,
)

AUDIT_LIMIT_MAX = 1000
EDITS_PER_S = 1.0
EDITS_BURST = 30


@dataclass
class WorkshopDesk:
    """What the routes work with: the store, the book the realtime side reads, and the
    live side's answers to changes (``server/workshop/service.py`` makes one)."""

    store: StoreBackend
    book: WorkshopBook
    rooms: Collection[str]
    station_ids: Callable[[], Collection[str]]
    talk_ids: Callable[[], Collection[str]]
    changed: Callable[[str], None]
    """A workshop was made, edited or removed: a running one sends its state again, and the
    other processes of the hub hear of it."""
    ban: Callable[[Identity, Identity, int | None, str], dict[str, Any]]
    """Ban someone now (disconnects them); the ban as a dict."""
    unbanned: Callable[[str, Identity], None]
    """A ban was lifted in the store: no longer in force here either."""

    async def save(self, workshop: Workshop) -> None:
        """Keep a workshop made or changed: in the store, in the book, and told."""
        await self.store.save_workshop(workshop)
        self.book.put(workshop)
        self.changed(workshop.id)

    async def remove(self, workshop_id: str) -> None:
        """Take a workshop away: from the store, from the book, and told."""
        await self.store.delete_workshop(workshop_id)
        self.book.remove(workshop_id)
        self.changed(workshop_id)


DESK = web.AppKey("workshop_desk", WorkshopDesk)
#: The learning stations' names in an agenda (a station's anchor id and its own id -> its
#: id), as the stations feature puts them here (``server/features/stations/http.py``).
STATION_REFS: web.AppKey[Callable[[], dict[str, str]]] = web.AppKey("station_refs")
EDIT_LIMIT = web.AppKey("workshop_edit_limit", KeyedLimiter)


def workshop_routes(desk: WorkshopDesk) -> HttpFeature:
    """The feature to pass to ``make_http_app(context, features=[...])``."""

    def add_routes(app: web.Application) -> None:
        app[DESK] = desk
        app[EDIT_LIMIT] = KeyedLimiter(rate=EDITS_PER_S, burst=EDITS_BURST)
        app.middlewares.append(refuse_banned_sign_in)
        app.router.add_get("/api/workshops", list_workshops)
        app.router.add_post("/api/workshops", _edits(create_workshop))
        app.router.add_get("/api/workshops/{id}", get_workshop)
        app.router.add_put("/api/workshops/{id}", _edits(update_workshop))
        app.router.add_delete("/api/workshops/{id}", _edits(delete_workshop))
        app.router.add_get("/api/workshops/{id}/calendar.ics", get_workshop_calendar)
        app.router.add_get("/api/workshop-series/{id}/calendar.ics", get_series_calendar)
        app.router.add_get("/api/workshops/{id}/attendance", get_attendance)
        app.router.add_get("/api/workshops/{id}/attendance.csv", get_attendance_csv)
        app.router.add_post("/api/workshops/{id}/registration", _edits(register))
        app.router.add_get("/api/workshops/{id}/registration", get_registration)
        app.router.add_delete("/api/workshops/{id}/registration", _edits(unregister))
        app.router.add_get("/api/workshops/{id}/registrations", list_registrations)
        app.router.add_get("/api/workshops/{id}/registrations.csv", get_registrations_csv)
        app.router.add_get("/api/workshop-series", list_series)
        app.router.add_post("/api/workshop-series", _edits(create_series))
        app.router.add_put("/api/workshop-series/{id}", _edits(update_series))
        app.router.add_delete("/api/workshop-series/{id}", _edits(delete_series))
        app.router.add_get("/api/moderation/audit", audit_log)
        app.router.add_get("/api/moderation/bans", list_bans)
        app.router.add_post("/api/moderation/bans", _edits(add_ban))
        app.router.add_delete("/api/moderation/bans/{id}", _edits(lift_ban))

    return add_routes


# --- who may ------------------------------------------------------------------------------


def _optional_identity(request: web.Request) -> Identity | None:
    if "Authorization" not in request.headers:
        return None
    return bearer_identity(request)


def _facilitator(request: web.Request) -> Identity:
    identity = bearer_identity(request)
    if not identity.role.at_least(Role.FACILITATOR):
        raise ApiError(403, "forbidden", "only facilitators and staff may do this")
    return identity


def _staff(request: web.Request) -> Identity:
    identity = bearer_identity(request)
    if identity.role is not Role.STAFF:
        raise ApiError(403, "forbidden", "only staff may do this")
    return identity


def _leads(identity: Identity, facilitators: Collection[Person]) -> bool:
    return identity.role is Role.STAFF or any(p.id == identity.id for p in facilitators)


#: changes are limited per person; bad input is a 400 with the reason, a clash a 409
_edits = changes_limited(
    EDIT_LIMIT,
    refusals_answered(
        {
            WorkshopClash: lambda exc: error_response(409, exc.code, exc.message),
            WorkshopInvalid: lambda exc: error_response(400, exc.code, exc.message),
        }
    ),
)


def _station_refs(request: web.Request) -> dict[str, str]:
    """What may name a station in an agenda (its id, or its anchor's id) -> its id."""
    refs = {ref: ref for ref in request.app[DESK].station_ids()}
    stations = request.app.get(STATION_REFS)
    if stations is not None:
        refs.update(stations())
    return refs


async def _workshop(request: web.Request) -> Workshop:
    desk = request.app[DESK]
    workshop_id = request.match_info["id"]
    found = desk.book.get(workshop_id) or await desk.store.workshop(workshop_id)
    if found is None:
        raise ApiError(404, "workshop_unknown", "there is no such workshop")
    return found


async def _facilitators(
    desk: WorkshopDesk, data: dict[str, Any], me: Identity, current: tuple[Person, ...]
) -> list[Person]:
    """The facilitators asked for (account usernames of facilitators or staff), or the
    current ones; the person asking leads it unless they are staff."""
    names = data.get("facilitators")
    if names is None:
        chosen = list(current)
    else:
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise WorkshopInvalid("facilitators_invalid", "facilitators is a list of usernames")
        people = await leaders(desk.store)
        chosen = []
        for name in names:
            person = people.get(name.casefold())
            if person is None:
                raise WorkshopInvalid(
                    "facilitators_invalid", f"{name!r} is not a facilitator's or staff username"
                )
            chosen.append(person)
    if me.role is not Role.STAFF and not any(p.id == me.id for p in chosen):
        chosen.insert(0, Person(me.id, me.name))
    if not chosen:
        chosen = [Person(me.id, me.name)]
    return chosen


async def _with_invited_ids(desk: WorkshopDesk, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with its ``invited`` names as identity ids (``server/workshop/invitations.py``)."""
    return await with_invited_ids(desk.store, data)


async def _shown(
    desk: WorkshopDesk, workshops: list[Workshop], me: Identity | None
) -> list[dict[str, Any]]:
    """Workshops as a person may see them: in full for their facilitators (the invited
    by name too), with ``invited_you`` and, for workshops with seats, the seats taken and
    where one's own registration stands."""
    names: dict[str, dict[str, str]] | None = None
    out = []
    for workshop in workshops:
        leads = me is not None and workshop.led_by(me)
        shown = workshop.full_dict() if leads else workshop.public_dict()
        if leads and workshop.invited:
            if names is None:
                names = {
                    str(a["id"]): {"name": str(a["display_name"]), "username": str(a["username"])}
                    for a in await desk.store.list_accounts()
                }
            shown["invited_people"] = [
                {"id": i, **names.get(i, {"name": i, "username": ""})} for i in workshop.invited
            ]
        shown["invited_you"] = me is not None and me.id in workshop.invited
        if workshop.seats is not None:
            registrations = await desk.store.registrations_of(workshop.id)
            shown["registration"] = taken(registrations, workshop.seats)
            mine = state_of(registrations, workshop.seats, me.id) if me is not None else None
            shown["your_registration"] = (
                {"status": mine.status, "position": mine.position} if mine else None
            )
        out.append(shown)
    return out


def _force(data: dict[str, Any]) -> bool:
    force = data.get("force", False)
    if not isinstance(force, bool):
        raise ApiError(400, "field_invalid", "force must be true or false")
    return force


# --- workshops ----------------------------------------------------------------------------


async def list_workshops(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    me = _optional_identity(request)
    now = time.time()
    found = desk.book.all() if request.query.get("all") == "1" else desk.book.upcoming(now)
    return json_response(
        {"now": now, "workshops": await _shown(desk, found, me)},
        headers={"Cache-Control": "no-cache"},
    )


async def get_workshop(request: web.Request) -> web.Response:
    workshop = await _workshop(request)
    me = _optional_identity(request)
    (shown,) = await _shown(request.app[DESK], [workshop], me)
    return json_response(shown, headers={"Cache-Control": "no-cache"})


def _base_url(request: web.Request) -> str:
    """The hub's address for links in calendar files (its public URL when it has one)."""
    public = request.app[CONTEXT].settings.public_url
    return public or f"{request.url.origin()}/"


async def get_workshop_calendar(request: web.Request) -> web.Response:
    """One workshop as a calendar file (what anyone may see of it)."""
    workshop = await _workshop(request)
    body = workshop_calendar(workshop, _base_url(request))
    site = request.app[CONTEXT].site
    return download(site, f"workshop-{workshop.id}", "ics", body, CALENDAR_TYPE, cache="no-cache")


async def get_series_calendar(request: web.Request) -> web.Response:
    """A series' sessions as a feed to subscribe to (what anyone may see of them)."""
    found = await _series(request)
    workshops = await request.app[DESK].store.list_workshops()
    sessions = [w for w in workshops if w.series_id == found.id]
    body = series_calendar(found.title, sessions, _base_url(request))
    return web.Response(
        body=body, headers={"Content-Type": CALENDAR_TYPE, "Cache-Control": "no-cache"}
    )


async def _plan_input(
    request: web.Request, me: Identity, facilitators: tuple[Person, ...]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The request's body (the invited named by id), and what ``parse_workshop`` and
    ``parse_series`` take besides: the rooms, the facilitators asked for (else
    ``facilitators``, those of the one being edited), stations, talks and now."""
    desk = request.app[DESK]
    data = await _with_invited_ids(desk, await read_json_object(request))
    known = {
        "rooms": desk.rooms,
        "facilitators": await _facilitators(desk, data, me, facilitators),
        "stations": _station_refs(request),
        "talks": desk.talk_ids(),
        "now": time.time(),
    }
    return data, known


async def create_workshop(request: web.Request) -> web.Response:
    me = _facilitator(request)
    desk = request.app[DESK]
    data, known = await _plan_input(request, me, ())
    workshop = parse_workshop(data, workshop_id=new_workshop_id(), **known)
    await plan_workshop(desk, workshop, force=_force(data))
    return json_response(workshop.full_dict(), status=201)


async def update_workshop(request: web.Request) -> web.Response:
    me = _facilitator(request)
    desk = request.app[DESK]
    current = await _workshop(request)
    if not current.led_by(me):
        raise ApiError(403, "forbidden", "only this workshop's facilitators may change it")
    data, known = await _plan_input(request, me, current.facilitators)
    workshop = parse_workshop(data, workshop_id=current.id, base=current, **known)
    await plan_workshop(desk, workshop, force=_force(data))
    return json_response(workshop.full_dict())


async def delete_workshop(request: web.Request) -> web.Response:
    me = _facilitator(request)
    desk = request.app[DESK]
    current = await _workshop(request)
    if not current.led_by(me):
        raise ApiError(403, "forbidden", "only this workshop's facilitators may remove it")
    await desk.remove(current.id)
    return json_response({"deleted": current.id})


# --- series -------------------------------------------------------------------------------


async def _series(request: web.Request) -> Series:
    desk = request.app[DESK]
    series_id = request.match_info["id"]
    found = next((s for s in await desk.store.list_series() if s.id == series_id), None)
    if found is None:
        raise ApiError(404, "series_unknown", "there is no such series")
    return found


async def list_series(request: web.Request) -> web.Response:
    me = _facilitator(request)
    found = await request.app[DESK].store.list_series()
    return json_response(
        {"series": [s.as_dict() for s in found if _leads(me, s.facilitators)]},
        headers={"Cache-Control": "no-cache"},
    )


async def create_series(request: web.Request) -> web.Response:
    me = _facilitator(request)
    desk = request.app[DESK]
    data, known = await _plan_input(request, me, ())
    series = parse_series(data, series_id=new_series_id(), **known)
    planned = await plan_series(desk, series, None, force=_force(data), now=time.time())
    body = {**series.as_dict(), "sessions": [w.full_dict() for w in planned.to_come()]}
    return json_response(body, status=201)


async def update_series(request: web.Request) -> web.Response:
    me = _facilitator(request)
    desk = request.app[DESK]
    current = await _series(request)
    if not _leads(me, current.facilitators):
        raise ApiError(403, "forbidden", "only this series' facilitators may change it")
    data, known = await _plan_input(request, me, current.facilitators)
    series = parse_series(data, series_id=current.id, base=current, **known)
    planned = await plan_series(desk, series, current, force=_force(data), now=time.time())
    return json_response(
        {**series.as_dict(), "sessions": [w.full_dict() for w in planned.to_come()]}
    )


async def delete_series(request: web.Request) -> web.Response:
    me = _facilitator(request)
    desk = request.app[DESK]
    current = await _series(request)
    if not _leads(me, current.facilitators):
        raise ApiError(403, "forbidden", "only this series' facilitators may remove it")
    await end_series(desk, current, now=time.time())
    return json_response({"deleted": current.id})


# --- attendance -----------------------------------------------------------------------------


async def _report_of(request: web.Request) -> tuple[Workshop, Any]:
    me = _facilitator(request)
    workshop = await _workshop(request)
    if not workshop.led_by(me):
        raise ApiError(403, "forbidden", "only this workshop's facilitators may see who came")
    store = request.app[DESK].store
    events = await store.attendance_of(workshop.id)
    progress = await store.progress_of_many([e.identity_id for e in events])
    now = time.time()
    first = min((e.at for e in events), default=workshop.starts_at)
    last = max((e.at for e in events), default=workshop.ends_at)
    agenda = [i.station for i in workshop.agenda if i.station]
    report = attendance_report(
        events,
        progress,
        now=now,
        agenda_stations=agenda_station_ids(agenda, _station_refs(request)),
        window=(min(first, workshop.starts_at), max(last, workshop.ends_at, now)),
        leaders={p.id for p in workshop.facilitators},
    )
    return workshop, report


def _export_options(request: web.Request) -> dict[str, Any]:
    """The person key and the time zone of exports (the hub's secret, the site's zone)."""
    context = request.app[CONTEXT]
    return {"key": person_key(context.settings.ensure_secret()), "zone": context.site.zone}


async def get_attendance(request: web.Request) -> web.Response:
    workshop, report = await _report_of(request)
    shown = summary(workshop, report, **_export_options(request))
    return json_response(shown, headers={"Cache-Control": "no-store"})


async def get_attendance_csv(request: web.Request) -> web.Response:
    workshop, report = await _report_of(request)
    day = workshop.starts_iso()[:10]
    text = attendance_csv(report, **_export_options(request))
    site = request.app[CONTEXT].site
    return download(site, f"teilnahme-{workshop.id}-{day}", "csv", text, "text/csv")


# --- registration ----------------------------------------------------------------------------


def _registration_body(
    workshop: Workshop, registrations: list[Registration], me: Identity
) -> dict[str, Any]:
    seats = workshop.seats or 0
    mine = state_of(registrations, seats, me.id)
    return {
        "workshop": workshop.id,
        "status": mine.status if mine else None,
        "position": mine.position if mine else None,
        **taken(registrations, seats),
        "calendar": f"/api/workshops/{workshop.id}/calendar.ics",
    }


async def register(request: web.Request) -> web.Response:
    """Register the person asking: a seat while there are seats, else the waiting list
    (``status`` and ``position`` say which); 201 when new, 200 when registered already.
    Registering asks what joining asks: a code-protected workshop's code (``{"code"}``),
    or a place on a list workshop's list."""
    me = bearer_identity(request)
    desk = request.app[DESK]
    code = None
    if request.can_read_body:
        code = (await read_json_object(request)).get("code")
        if code is not None and not isinstance(code, str):
            raise ApiError(400, "code_invalid", "code must be text")
    workshop = await _workshop(request)
    if workshop.seats is None:
        raise ApiError(409, "registration_closed", "this workshop takes no registrations")
    if workshop.starts_at <= time.time():
        raise ApiError(409, "registration_closed", "this workshop has begun; registration is over")
    if not workshop.admits(me, code):
        if workshop.access is Access.LIST:
            raise ApiError(403, "workshop_access", "this workshop is for the people on its list")
        raise ApiError(403, "workshop_access", "registering needs this workshop's code")
    added = await desk.store.register(
        Registration(workshop.id, me.id, me.name, me.guest, time.time())
    )
    registrations = await desk.store.registrations_of(workshop.id)
    if state_of(registrations, workshop.seats, me.id) is None:
        raise ApiError(403, "registration_refused", "this person's data was deleted")
    body = _registration_body(workshop, registrations, me)
    return json_response(body, status=201 if added else 200)


async def get_registration(request: web.Request) -> web.Response:
    me = bearer_identity(request)
    workshop = await _workshop(request)
    registrations = await request.app[DESK].store.registrations_of(workshop.id)
    return json_response(
        _registration_body(workshop, registrations, me), headers={"Cache-Control": "no-store"}
    )


async def unregister(request: web.Request) -> web.Response:
    """Take one's registration back (the first on the waiting list moves up)."""
    me = bearer_identity(request)
    desk = request.app[DESK]
    workshop = await _workshop(request)
    if not await desk.store.unregister(workshop.id, me.id):
        raise ApiError(404, "not_registered", "you are not registered for this workshop")
    registrations = await desk.store.registrations_of(workshop.id)
    return json_response(_registration_body(workshop, registrations, me))


async def _registrations(request: web.Request) -> tuple[Workshop, list[Registration]]:
    me = _facilitator(request)
    workshop = await _workshop(request)
    if not workshop.led_by(me):
        raise ApiError(403, "forbidden", "only this workshop's facilitators may see who registered")
    return workshop, await request.app[DESK].store.registrations_of(workshop.id)


async def list_registrations(request: web.Request) -> web.Response:
    workshop, registrations = await _registrations(request)
    seats = workshop.seats or 0
    key = _export_options(request)["key"]
    people = [
        {**s.as_dict(), "key": key(s.registration.identity_id)}
        for s in seat_states(registrations, seats)
    ]
    return json_response(
        {"workshop": workshop.public_dict(), **taken(registrations, seats), "people": people},
        headers={"Cache-Control": "no-store"},
    )


async def get_registrations_csv(request: web.Request) -> web.Response:
    workshop, registrations = await _registrations(request)
    day = workshop.starts_iso()[:10]
    text = registrations_csv(registrations, workshop.seats or 0, **_export_options(request))
    site = request.app[CONTEXT].site
    return download(site, f"anmeldungen-{workshop.id}-{day}", "csv", text, "text/csv")


# --- moderation ------------------------------------------------------------------------------


async def audit_log(request: web.Request) -> web.Response:
    _staff(request)
    try:
        limit = int(request.query.get("limit", "200"))
    except ValueError:
        raise ApiError(400, "limit_invalid", "limit must be a whole number") from None
    if not 1 <= limit <= AUDIT_LIMIT_MAX:
        raise ApiError(400, "limit_invalid", f"limit must be between 1 and {AUDIT_LIMIT_MAX}")
    entries = await request.app[DESK].store.audit_log(limit)
    return json_response(
        {"entries": [e.as_dict() for e in entries]}, headers={"Cache-Control": "no-store"}
    )


async def list_bans(request: web.Request) -> web.Response:
    _staff(request)
    bans = await request.app[DESK].store.bans(active_at=time.time())
    return json_response(
        {"bans": [b.as_dict() for b in bans]}, headers={"Cache-Control": "no-store"}
    )


async def add_ban(request: web.Request) -> web.Response:
    me = _staff(request)
    desk = request.app[DESK]
    data = await read_json_object(request)
    identity_id, name = data.get("identity"), data.get("name", "")
    hours, reason = data.get("hours"), data.get("reason", "")
    if not isinstance(identity_id, str) or not 1 <= len(identity_id) <= 64:
        raise ApiError(400, "field_invalid", "identity must be an identity id")
    if (
        not isinstance(name, str)
        or len(name) > 80
        or not isinstance(reason, str)
        or len(reason) > 200
    ):
        raise ApiError(400, "field_invalid", "name (≤ 80) and reason (≤ 200) must be text")
    if hours is not None and (
        isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= 8760
    ):
        raise ApiError(400, "field_invalid", "hours must be 1 to 8760, or left out (until lifted)")
    if identity_id == me.id:
        raise ApiError(400, "field_invalid", "you cannot ban yourself")
    role = await desk.store.account_role(identity_id)
    if role is Role.STAFF:
        raise ApiError(403, "target_protected", "staff cannot be banned")
    target = Identity(identity_id, name or identity_id, role or Role.VISITOR, role is None)
    return json_response(desk.ban(me, target, hours, reason), status=201)


async def lift_ban(request: web.Request) -> web.Response:
    me = _staff(request)
    desk = request.app[DESK]
    ban = await desk.store.lift_ban(request.match_info["id"])
    if ban is None:
        raise ApiError(404, "ban_unknown", "there is no such ban")
    desk.unbanned(ban.id, me)
    return json_response({"lifted": ban.as_dict()})


@web.middleware
async def refuse_banned_sign_in(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A sign-in whose identity is banned gets no token (checked against the store, so a
    ban made by another process of the hub counts at once)."""
    response = await handler(request)
    if request.path != "/api/session" or request.method != "POST" or response.status != 200:
        return response
    if not isinstance(response, web.Response) or not isinstance(response.body, bytes):
        return response
    identity = orjson.loads(response.body).get("identity", {})
    store = request.app[CONTEXT].store
    now = time.time()
    if any(ban.identity_id == identity.get("id") for ban in await store.bans(active_at=now)):
        return error_response(403, "banned", "this person is banned from the hub")
    return response
