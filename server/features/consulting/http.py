"""Consulting hours over HTTP (an ``HttpFeature`` for ``make_http_app``).

    GET    /api/consulting                      topics, corners (taken now or not), the hours
                                                with their next times and free slots, the open
                                                desks (who is available now, on every process),
                                                and with a token whether one is an advisor
    POST   /api/consulting/hours                advisors: publish weekly hours (their JSON
                                                form, docs/consulting.md); 201
    DELETE /api/consulting/hours/{id}           the advisor who published them, or staff
                                                (advisors or not)
    GET    /api/consulting/hours/{id}/bookings  advisors: the hours' booked slots with topics
    POST   /api/consulting/bookings             signed in: {"hours", "start", "topic"}; 201,
                                                409 ``slot_taken``
    GET    /api/consulting/bookings             signed in: one's own bookings
    DELETE /api/consulting/bookings/{id}        signed in: cancel one's own booking
    GET    /api/consulting/bookings/{id}.ics    signed in: one's booking as a calendar file
    GET    /api/consulting/notes                signed in: the notes one saved (the passport)
    POST   /api/consulting/notes                signed in: {"id"}: save notes an advisor
                                                handed over in the booth; 201
    DELETE /api/consulting/notes/{id}           signed in: delete saved notes
    GET    /api/consulting/booths               staff: who is in which booth (session ids)

Advisors are the accounts marked as such (``ConsultingDesks.is_advisor``); anyone else is
refused with 403 ``not_advisor``. The corners are those of the served world
(``ConsultingDesks.file``, swapped by ``server/features/consulting/follow.py`` when a new version is
published). Bookings and saved notes are the store's live documents
(``server/domain/consulting.py``), each change one atomic step there, and in the person's data
export and erasure.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from icalendar import Calendar, Event

from server.base.identity import Identity, Role
from server.domain.consulting import (
    HOURS_KIND,
    MAX_NOTES_KEPT,
    PERSON_KIND,
    SLOTS_KIND,
    ConsultingFile,
    ConsultingInvalid,
    Hours,
    booking_record,
    bookings_of,
    clean_topic,
    parse_hours,
)
from server.features.consulting.cluster_side import DeskView, local_view
from server.features.consulting.realtime import ConsultingDesks
from server.web.downloads import download
from server.web.http import (
    CONTEXT,
    ApiError,
    HttpFeature,
    bearer_identity,
    json_response,
    read_json_object,
    refusals_answered,
)
from server.workshop.calendar import CONTENT_TYPE, PRODUCT_ID

Everywhere = Callable[[], Awaitable[DeskView]]
DESKS = web.AppKey("consulting_desks", ConsultingDesks)
EVERYWHERE: web.AppKey[Everywhere] = web.AppKey("consulting_everywhere")
NO_STORE = {"Cache-Control": "no-store"}


def consulting_routes(desks: ConsultingDesks, everywhere: Everywhere | None = None) -> HttpFeature:
    """The routes over the live desks and the site's checked ``consulting.toml`` as the
    served world has it; ``everywhere``: the open desks of every process (with Redis)."""

    async def here() -> DeskView:
        return local_view(desks)

    def add_routes(app: web.Application) -> None:
        app[DESKS] = desks
        app[EVERYWHERE] = everywhere or here
        app.router.add_get("/api/consulting", _errors(overview))
        app.router.add_post("/api/consulting/hours", _errors(publish_hours))
        app.router.add_delete("/api/consulting/hours/{id}", _errors(remove_hours))
        app.router.add_get("/api/consulting/hours/{id}/bookings", _errors(hours_bookings))
        app.router.add_post("/api/consulting/bookings", _errors(book))
        app.router.add_get("/api/consulting/bookings", _errors(my_bookings))
        app.router.add_get("/api/consulting/bookings/{id}.ics", _errors(booking_calendar))
        app.router.add_delete("/api/consulting/bookings/{id}", _errors(cancel_booking))
        app.router.add_get("/api/consulting/notes", _errors(my_notes))
        app.router.add_post("/api/consulting/notes", _errors(save_notes))
        app.router.add_delete("/api/consulting/notes/{id}", _errors(delete_notes))
        app.router.add_get("/api/consulting/booths", _errors(booths))

    return add_routes


_errors = refusals_answered({ConsultingInvalid: (400, "consult_invalid")})


def _file(request: web.Request) -> ConsultingFile:
    return request.app[DESKS].file


def _advisor(request: web.Request, what: str) -> Identity:
    identity = bearer_identity(request)
    if not request.app[DESKS].is_advisor(identity):
        raise ApiError(
            403,
            "not_advisor",
            f"only advisors may {what}: staff mark an account as advisor"
            " (hubtwin accounts advisor USERNAME, or the accounts panel)",
        )
    return identity


def _caller(request: web.Request) -> Identity | None:
    """The caller when the request carries a valid token, else None (the overview is
    public)."""
    try:
        return bearer_identity(request)
    except ApiError:
        return None


async def _hours(request: web.Request) -> dict[str, Hours]:
    """The site's hours and the published ones, by id."""
    context = request.app[CONTEXT]
    file = _file(request)
    found = {hours.id: hours for hours in file.hours}
    for key, data in (await context.store.live_states(HOURS_KIND)).items():
        try:
            found.setdefault(
                key,
                parse_hours(
                    {k: v for k, v in data.items() if k != "advisor"},
                    file.topics,
                    file.corners,
                    context.site.languages,
                    advisor=data.get("advisor"),
                ),
            )
        except ConsultingInvalid:
            continue  # a corner or topic the site no longer has: not shown
    return found


async def _slots(request: web.Request) -> dict[str, Any]:
    return await request.app[CONTEXT].store.live_states(SLOTS_KIND)


async def overview(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    file, desks = _file(request), request.app[DESKS]
    now = time.time()
    slots = await _slots(request)
    view = await request.app[EVERYWHERE]()
    taken = view.taken
    caller = _caller(request)
    shown = []
    for hours in (await _hours(request)).values():
        booked = set((slots.get(hours.id) or {}).get("slots", {}))
        entry = hours.as_dict()
        entry.pop("advisor")
        entry["published"] = hours.advisor is not None
        entry["next"] = [
            {"start": start, "end": end}
            for start, end in hours.times(now, context.site.zone, file.days_ahead)
        ]
        entry["free"] = [
            at
            for at in hours.slots(now, context.site.zone, file.days_ahead)
            if str(int(at)) not in booked
        ]
        entry["now"] = any(
            start <= now < end for start, end in hours.times(now, context.site.zone, 0)
        )
        shown.append(entry)
    shown.sort(key=lambda h: (h["next"][0]["start"] if h["next"] else float("inf"), h["id"]))
    return json_response(
        {
            "topics": file.topics,
            "corners": [
                {**corner.as_dict(), "taken": corner.id in taken}
                for corner in file.corners.values()
            ],
            "hours": shown,
            "desks": view.desks,
            "time_zone": context.site.time_zone,
            "me": {"advisor": caller is not None and desks.is_advisor(caller)},
        },
        headers={"Cache-Control": "no-cache"},
    )


async def publish_hours(request: web.Request) -> web.Response:
    identity = _advisor(request, "publish consulting hours")
    body = await read_json_object(request)
    context, file = request.app[CONTEXT], _file(request)
    body.setdefault("id", f"h-{secrets.token_hex(4)}")
    body.pop("advisor", None)
    hours = parse_hours(body, file.topics, file.corners, context.site.languages, identity.id)
    if any(h.id == hours.id for h in file.hours):
        raise ApiError(409, "hours_exist", f"hours {hours.id!r} are the site's: choose another id")
    record = hours.as_dict()

    def change(kept: dict[str, Any] | None) -> dict[str, Any] | None:
        if kept is not None and kept.get("advisor") != identity.id:
            raise ApiError(409, "hours_exist", f"hours {hours.id!r} exist: choose another id")
        return record

    await context.store.change_live_state(HOURS_KIND, hours.id, change)
    return json_response(record, status=201)


async def remove_hours(request: web.Request) -> web.Response:
    identity = bearer_identity(request)
    if identity.role is not Role.STAFF:  # staff take back anyone's, advisors or not
        identity = _advisor(request, "take consulting hours back")
    hours_id = request.match_info["id"]
    context = request.app[CONTEXT]

    def change(kept: dict[str, Any] | None) -> dict[str, Any] | None:
        if kept is None:
            raise ApiError(404, "hours_unknown", f"no published hours {hours_id!r}")
        if kept.get("advisor") != identity.id and identity.role is not Role.STAFF:
            raise ApiError(403, "forbidden", "only who published the hours, or staff, may")
        return None

    await context.store.change_live_state(HOURS_KIND, hours_id, change)
    return json_response({"removed": hours_id})


async def hours_bookings(request: web.Request) -> web.Response:
    _advisor(request, "see the bookings")
    hours_id = request.match_info["id"]
    if hours_id not in await _hours(request):
        raise ApiError(404, "hours_unknown", f"no consulting hours {hours_id!r}")
    kept = (await _slots(request)).get(hours_id) or {}
    shown = sorted(kept.get("slots", {}).values(), key=lambda b: b["start"])
    return json_response(
        [{k: b[k] for k in ("id", "start", "end", "name", "topic")} for b in shown],
        headers=NO_STORE,
    )


async def book(request: web.Request) -> web.Response:
    identity = bearer_identity(request)
    body = await read_json_object(request)
    context, file = request.app[CONTEXT], _file(request)
    hours = (await _hours(request)).get(str(body.get("hours", "")))
    if hours is None:
        raise ApiError(404, "hours_unknown", "hours: no such consulting hours")
    start = body.get("start")
    if not isinstance(start, int | float) or isinstance(start, bool):
        raise ApiError(400, "consult_invalid", "start: the slot's start (epoch seconds)")
    now = time.time()
    free = {int(at) for at in hours.slots(now, context.site.zone, file.days_ahead)}
    if int(start) not in free:
        raise ApiError(400, "slot_unknown", "start: not a slot of these hours to come")
    topic = clean_topic(body.get("topic"))
    booking = booking_record(
        secrets.token_urlsafe(9), hours, float(int(start)), identity.id, identity.name, topic
    )
    slot = str(int(start))

    def change(kept: dict[str, Any] | None) -> dict[str, Any] | None:
        slots = dict((kept or {}).get("slots", {}))
        if slot in slots:
            raise ApiError(409, "slot_taken", "this slot is booked: choose another")
        slots[slot] = booking
        return {"slots": slots}

    await context.store.change_live_state(SLOTS_KIND, hours.id, change)
    return json_response(booking, status=201, headers=NO_STORE)


async def my_bookings(request: web.Request) -> web.Response:
    identity = bearer_identity(request)
    return json_response(bookings_of(await _slots(request), identity.id), headers=NO_STORE)


async def _own_booking(request: web.Request, identity: Identity) -> dict[str, Any]:
    booking_id = request.match_info["id"]
    found = next(
        (b for b in bookings_of(await _slots(request), identity.id) if b["id"] == booking_id), None
    )
    if found is None:
        raise ApiError(404, "booking_unknown", "no booking of yours with this id")
    return found


async def cancel_booking(request: web.Request) -> web.Response:
    identity = bearer_identity(request)
    booking = await _own_booking(request, identity)

    def change(kept: dict[str, Any] | None) -> dict[str, Any] | None:
        slots = {
            at: b for at, b in (kept or {}).get("slots", {}).items() if b["id"] != booking["id"]
        }
        return {"slots": slots}

    await request.app[CONTEXT].store.change_live_state(SLOTS_KIND, booking["hours"], change)
    return json_response({"cancelled": booking["id"]})


def booking_calendar_file(
    booking: dict[str, Any], corner_name: str, base_url: str, online: bool
) -> bytes:
    """One booking as a calendar file with one event (RFC 5545; times in UTC)."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    event = Event()
    host = urlsplit(base_url).hostname or "hub"
    event.add("uid", f"consulting-{booking['id']}@{host}")
    event.add("dtstamp", datetime.fromtimestamp(booking["start"], UTC))
    event.add("dtstart", datetime.fromtimestamp(booking["start"], UTC))
    event.add("dtend", datetime.fromtimestamp(booking["end"], UTC))
    event.add("summary", f"Beratung / Consulting: {booking['title']}")
    where = f"{corner_name} (online)" if online else corner_name
    event.add("location", where)
    event.add("description", f"Thema / Topic: {booking['topic']}\n\n{base_url}")
    event.add("url", base_url)
    calendar.add_component(event)
    return bytes(calendar.to_ical())


async def booking_calendar(request: web.Request) -> web.Response:
    identity = bearer_identity(request)
    booking = await _own_booking(request, identity)
    context, file = request.app[CONTEXT], _file(request)
    corner = file.corners.get(booking["corner"])
    language = context.site.default_language
    name = corner.names.get(language, booking["corner"]) if corner else booking["corner"]
    public = context.settings.public_url
    base = public or f"{request.url.origin()}/"
    body = booking_calendar_file(booking, name, base, booking["mode"] == "online")
    return download(context.site, f"beratung-{booking['id']}", "ics", body, CONTENT_TYPE)


async def my_notes(request: web.Request) -> web.Response:
    identity = bearer_identity(request)
    kept = (await request.app[CONTEXT].store.live_states(PERSON_KIND)).get(identity.id) or {}
    return json_response(kept.get("notes", []), headers=NO_STORE)


async def save_notes(request: web.Request) -> web.Response:
    identity = bearer_identity(request)
    body = await read_json_object(request)
    notes = request.app[DESKS].take_notes(identity.id, str(body.get("id", "")))
    if notes is None:
        raise ApiError(
            404, "notes_unknown", "no notes handed to you with this id (saved, or you left)"
        )
    record = {
        "id": notes.id,
        "at": notes.at,
        "advisor": notes.advisor,
        "topic": notes.topic,
        "text": notes.text,
        "checklist": list(notes.checklist),
    }

    def change(kept: dict[str, Any] | None) -> dict[str, Any] | None:
        saved = [n for n in (kept or {}).get("notes", []) if n["id"] != record["id"]]
        if len(saved) >= MAX_NOTES_KEPT:
            raise ApiError(409, "notes_full", f"at most {MAX_NOTES_KEPT} notes: delete some")
        return {"notes": [*saved, record]}

    try:
        await request.app[CONTEXT].store.change_live_state(PERSON_KIND, identity.id, change)
    except BaseException:
        request.app[DESKS].give_back(notes)  # not saved: still held, to save again
        raise
    return json_response(record, status=201, headers=NO_STORE)


async def delete_notes(request: web.Request) -> web.Response:
    identity = bearer_identity(request)
    notes_id = request.match_info["id"]

    def change(kept: dict[str, Any] | None) -> dict[str, Any] | None:
        saved = (kept or {}).get("notes", [])
        left = [n for n in saved if n["id"] != notes_id]
        if len(left) == len(saved):
            raise ApiError(404, "notes_unknown", "no saved notes with this id")
        return {"notes": left} if left else None

    await request.app[CONTEXT].store.change_live_state(PERSON_KIND, identity.id, change)
    return json_response({"deleted": notes_id})


async def booths(request: web.Request) -> web.Response:
    identity = bearer_identity(request)
    if identity.role is not Role.STAFF:
        raise ApiError(403, "forbidden", "only staff may see who is in which booth")
    return json_response(request.app[DESKS].booth_state(), headers=NO_STORE)
