"""Calendar files of workshops (RFC 5545, with the ``icalendar`` package; no I/O): one
workshop as an event to add to one's calendar, and a series as a feed to subscribe to
(every session it has, past and to come; a session moved on its own shows where it is).

Only what anyone may see goes in: title, description, room, time, facilitators by name and
the workshop's link; never an invite code or the invited. Times are in UTC (every calendar
shows them in its own zone). An event's UID is the workshop id at the hub's host, so a
calendar that subscribed to the feed updates a moved session instead of adding another.

>>> ics = workshop_calendar(workshop, "https://hub.example/", room_name)   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

from icalendar import Calendar, Event

from server.domain.workshops import Workshop

PRODUCT_ID = "-//Oeko.HUB Twin//Workshops//DE"
CONTENT_TYPE = "text/calendar; charset=utf-8"


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    return calendar


def _event(workshop: Workshop, base_url: str, room_name: Callable[[str], str]) -> Event:
    link = urljoin(base_url, workshop.public_dict()["link"])
    host = urlsplit(base_url).hostname or "hub"
    event = Event()
    event.add("uid", f"{workshop.id}@{host}")
    event.add("dtstamp", datetime.fromtimestamp(workshop.updated_at or workshop.starts_at, UTC))
    event.add("dtstart", datetime.fromtimestamp(workshop.starts_at, UTC))
    event.add("dtend", datetime.fromtimestamp(workshop.ends_at, UTC))
    event.add("summary", workshop.title)
    leads = ", ".join(p.name for p in workshop.facilitators)
    text = [workshop.description] if workshop.description else []
    text += [f"Moderation: {leads}", link]
    event.add("description", "\n\n".join(text))
    event.add("location", room_name(workshop.room))
    event.add("url", link)
    return event


def workshop_calendar(
    workshop: Workshop, base_url: str, room_name: Callable[[str], str] = str
) -> bytes:
    """One workshop as a calendar file with one event."""
    calendar = _calendar(workshop.title)
    calendar.add_component(_event(workshop, base_url, room_name))
    return bytes(calendar.to_ical())


def series_calendar(
    title: str,
    sessions: Sequence[Workshop],
    base_url: str,
    room_name: Callable[[str], str] = str,
) -> bytes:
    """A series' sessions as a feed (one event each, in order)."""
    calendar = _calendar(title)
    for workshop in sorted(sessions, key=lambda w: w.starts_at):
        calendar.add_component(_event(workshop, base_url, room_name))
    return bytes(calendar.to_ical())
