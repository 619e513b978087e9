"""Consulting hours (no I/O beyond reading the site file): the consulting corners, the
topics and the hours advisors sit, as the site folder's ``consulting.toml`` declares them
and advisors publish them; their next times and bookable slots; what a person's bookings
and saved notes are in the kept documents (export, erasure).

An advisor is an account marked as one (``hubtwin accounts advisor``, the accounts panel):
only they publish hours, open their desk and call someone in
(``server/features/consulting/realtime.py`` decides the live part).
Hours repeat every week (``weekday``, ``from``, ``to`` in the site's time zone) and are cut
into slots of ``slot_minutes``; a slot is booked by one person at most. A corner is a booth
anchor of the building (``kind = "booth"``); while a conversation runs there it is a room of
its own (docs/consulting.md).

Kept documents (the store's live documents, SQLite or Redis alike):

- kind ``consulting_hours``, key hours id: hours an advisor published (JSON form below);
- kind ``consulting_slots``, key hours id: ``{"slots": {"<start epoch>": booking}}``;
- kind ``consulting``, key identity id: ``{"notes": [...]}``, the notes a visitor saved.

>>> hours = parse_hours({"id": "h", "title": "Team", "weekday": "tue", "from": "10:00",
...     "to": "11:00", "topics": ["bericht"], "languages": ["de"], "corner": "c",
...     "mode": "online"}, {"bericht"}, {"c"}, ("de", "en"))
>>> hours.weekday, hours.minutes
(1, (600, 660))
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from world.errors import InputFileError

CONSULTING_FILE: Final = "consulting.toml"
HOURS_KIND: Final = "consulting_hours"
SLOTS_KIND: Final = "consulting_slots"
PERSON_KIND: Final = "consulting"
WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MODES: Final = ("online", "hybrid")
DEFAULT_SLOT_MINUTES: Final = 30
DEFAULT_DAYS_AHEAD: Final = 14
MAX_TEXT: Final = 4000
MAX_CHECKLIST: Final = 20
MAX_TOPIC_TEXT: Final = 200
MAX_NOTES_KEPT: Final = 50
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,47}$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class ConsultingInvalid(ValueError):
    """Hours or a booking that cannot be: the message names the field and what to write."""


@dataclass(frozen=True)
class Corner:
    """A consulting corner: a booth anchor of the building, with its name."""

    id: str
    names: Mapping[str, str]
    in_person: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "names": dict(self.names), "in_person": self.in_person}


@dataclass(frozen=True)
class Hours:
    """Weekly consulting hours: who (a team or the advisor's name), when, about what, in
    which languages, at which corner, online only or also in person at the hub."""

    id: str
    title: str
    weekday: int
    minutes: tuple[int, int]
    topics: tuple[str, ...]
    languages: tuple[str, ...]
    corner: str
    mode: str
    slot_minutes: int = DEFAULT_SLOT_MINUTES
    #: the advisor who published them (None: the site's file)
    advisor: str | None = None

    def as_dict(self) -> dict[str, Any]:
        start, end = self.minutes
        return {
            "id": self.id,
            "title": self.title,
            "weekday": WEEKDAYS[self.weekday],
            "from": f"{start // 60:02d}:{start % 60:02d}",
            "to": f"{end // 60:02d}:{end % 60:02d}",
            "topics": list(self.topics),
            "languages": list(self.languages),
            "corner": self.corner,
            "mode": self.mode,
            "slot_minutes": self.slot_minutes,
            "advisor": self.advisor,
        }

    def times(self, now: float, zone: ZoneInfo, days: int) -> list[tuple[float, float]]:
        """The hours' next times (start, end epochs) from today for ``days`` days; one
        that has ended is left out."""
        today = datetime.fromtimestamp(now, zone).date()
        out = []
        for offset in range(days + 1):
            day = today + timedelta(days=offset)
            if day.weekday() != self.weekday:
                continue
            midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
            start = (midnight + timedelta(minutes=self.minutes[0])).timestamp()
            end = (midnight + timedelta(minutes=self.minutes[1])).timestamp()
            if end > now:
                out.append((start, end))
        return out

    def slots(self, now: float, zone: ZoneInfo, days: int) -> list[float]:
        """The start of every bookable slot to come (a slot that began is not bookable)."""
        step = self.slot_minutes * 60
        out: list[float] = []
        for start, end in self.times(now, zone, days):
            at = start
            while at + step <= end + 1e-6:
                if at > now:
                    out.append(at)
                at += step
        return out


@dataclass(frozen=True)
class ConsultingFile:
    """The site's ``consulting.toml``: topics, corners, hours, settings."""

    topics: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    corners: Mapping[str, Corner] = field(default_factory=dict)
    hours: tuple[Hours, ...] = ()
    days_ahead: int = DEFAULT_DAYS_AHEAD


def _names(value: Any, where: str, languages: Sequence[str]) -> dict[str, str]:
    if isinstance(value, str) and value.strip():
        return {lang: value.strip() for lang in languages}
    if isinstance(value, dict) and all(
        isinstance(value.get(lang), str) and value[lang].strip() for lang in languages
    ):
        return {lang: str(value[lang]).strip() for lang in languages}
    wanted = ", ".join(f'{lang} = "…"' for lang in languages)
    raise ConsultingInvalid(f"{where}: write a text, or one per language: {{ {wanted} }}")


def _strings(value: Any, where: str, allowed: Collection[str]) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ConsultingInvalid(f"{where}: write a list of at least one of {sorted(allowed)}")
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise ConsultingInvalid(f"{where}: {unknown[0]!r} is not one of {sorted(allowed)}")
    return tuple(dict.fromkeys(value))


def _clock(value: Any, where: str) -> int:
    match = _CLOCK.match(value) if isinstance(value, str) else None
    if match is None:
        raise ConsultingInvalid(f'{where}: write a time of day as "HH:MM", e.g. "10:00"')
    return int(match.group(1)) * 60 + int(match.group(2))


def parse_hours(
    data: Mapping[str, Any],
    topics: Collection[str],
    corners: Collection[str],
    languages: Sequence[str],
    advisor: str | None = None,
) -> Hours:
    """Hours from their JSON or TOML form, checked field by field."""
    known = {
        "id",
        "title",
        "weekday",
        "from",
        "to",
        "topics",
        "languages",
        "corner",
        "mode",
        "slot_minutes",
        "advisor",
    }
    extra = sorted(set(data) - known)
    if extra:
        raise ConsultingInvalid(f"{extra[0]}: not a field of consulting hours ({sorted(known)})")
    hours_id = data.get("id")
    if not isinstance(hours_id, str) or not _ID.match(hours_id):
        raise ConsultingInvalid("id: write lower-case letters, digits and dashes (at most 48)")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > 120:
        raise ConsultingInvalid("title: write who advises (a team or a name, at most 120)")
    weekday = data.get("weekday")
    if weekday not in WEEKDAYS:
        raise ConsultingInvalid(f"weekday: write one of {list(WEEKDAYS)}")
    start = _clock(data.get("from"), "from")
    end = _clock(data.get("to"), "to")
    if end <= start:
        raise ConsultingInvalid("to: the hours must end after they begin")
    slot = data.get("slot_minutes", DEFAULT_SLOT_MINUTES)
    if not isinstance(slot, int) or isinstance(slot, bool) or not 10 <= slot <= 120:
        raise ConsultingInvalid("slot_minutes: write a whole number of minutes, 10 to 120")
    if (end - start) < slot:
        raise ConsultingInvalid("to: the hours are shorter than one slot")
    mode = data.get("mode")
    if mode not in MODES:
        raise ConsultingInvalid(f"mode: write one of {list(MODES)} (hybrid: also in person)")
    corner = data.get("corner")
    if corner not in corners:
        raise ConsultingInvalid(f"corner: write one of the corners {sorted(corners)}")
    return Hours(
        id=hours_id,
        title=title.strip(),
        weekday=WEEKDAYS.index(weekday),
        minutes=(start, end),
        topics=_strings(data.get("topics"), "topics", topics),
        languages=_strings(data.get("languages"), "languages", languages),
        corner=str(corner),
        mode=str(mode),
        slot_minutes=slot,
        advisor=advisor,
    )


def read_consulting(
    path: Path,
    booths: Collection[str],
    languages: Sequence[str],
    problems: list[str] | None = None,
) -> ConsultingFile:
    """The site's consulting file (none: no corners, no hours). ``booths``: the building's
    booth anchors, the only places a corner may be. Every mistake is one line naming the
    file and the entry. With ``problems`` (a world version published while the hub runs),
    a corner whose booth the world does not have is left out, with its hours, and said
    there instead."""
    if not path.is_file():
        return ConsultingFile()
    name = path.name
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{name}: not valid TOML: {exc}") from None
    settings = table.get("consulting", {})
    days = settings.get("days_ahead", DEFAULT_DAYS_AHEAD) if isinstance(settings, dict) else 0
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 60:
        raise InputFileError(f"{name}: [consulting] days_ahead: write a number of days, 1 to 60")
    topics: dict[str, dict[str, str]] = {}
    for number, entry in enumerate(table.get("topics", []), 1):
        where = f"{name}: topics[{number}]"
        topic_id = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(topic_id, str) or not _ID.match(topic_id) or topic_id in topics:
            raise InputFileError(f"{where}: id: write a new id of lower-case letters and dashes")
        try:
            topics[topic_id] = _names(entry.get("names"), f"{where} ({topic_id}): names", languages)
        except ConsultingInvalid as exc:
            raise InputFileError(str(exc)) from None
    corners: dict[str, Corner] = {}
    missing: set[str] = set()
    for number, entry in enumerate(table.get("corners", []), 1):
        where = f"{name}: corners[{number}]"
        anchor = entry.get("anchor") if isinstance(entry, dict) else None
        if anchor not in booths and problems is not None and isinstance(anchor, str):
            problems.append(f"{where}: anchor {anchor!r} is not a booth of this world: left out")
            missing.add(anchor)
            continue
        if anchor not in booths:
            raise InputFileError(
                f"{where}: anchor {anchor!r} is not a booth anchor of building.toml"
                f' (kind = "booth"): write one of {sorted(booths)}'
            )
        if anchor in corners:
            raise InputFileError(f"{where}: anchor {anchor!r} is a corner already")
        in_person = entry.get("in_person", True)
        if not isinstance(in_person, bool):
            raise InputFileError(f"{where}: in_person: write true or false")
        try:
            names = _names(entry.get("names"), f"{where} ({anchor}): names", languages)
        except ConsultingInvalid as exc:
            raise InputFileError(str(exc)) from None
        corners[str(anchor)] = Corner(str(anchor), names, in_person)
    hours: list[Hours] = []
    for number, entry in enumerate(table.get("hours", []), 1):
        label = entry.get("id", "?") if isinstance(entry, dict) else "?"
        if problems is not None and isinstance(entry, dict) and entry.get("corner") in missing:
            problems.append(f"{name}: hours[{number}] ({label}): its corner is left out")
            continue
        try:
            found = parse_hours(
                entry if isinstance(entry, dict) else {}, topics, corners, languages
            )
        except ConsultingInvalid as exc:
            raise InputFileError(f"{name}: hours[{number}] ({label}): {exc}") from None
        if any(h.id == found.id for h in hours):
            raise InputFileError(f"{name}: hours[{number}]: id {found.id!r} is used twice")
        hours.append(found)
    return ConsultingFile(topics, corners, tuple(hours), days)


# --- bookings and saved notes in the kept documents ----------------------------------------


def booking_record(
    booking_id: str, hours: Hours, start: float, identity_id: str, name: str, topic: str
) -> dict[str, Any]:
    """One booked slot as kept in the hours' slots document."""
    return {
        "id": booking_id,
        "hours": hours.id,
        "title": hours.title,
        "corner": hours.corner,
        "mode": hours.mode,
        "start": start,
        "end": start + hours.slot_minutes * 60,
        "identity": identity_id,
        "name": name,
        "topic": topic,
    }


def clean_topic(value: Any) -> str:
    """A visitor's topic text: one line, trimmed, at most ``MAX_TOPIC_TEXT``."""
    if not isinstance(value, str):
        raise ConsultingInvalid("topic: write in a few words what you want advice on")
    text = " ".join(value.split())
    if not text or len(text) > MAX_TOPIC_TEXT:
        raise ConsultingInvalid(f"topic: write 1 to {MAX_TOPIC_TEXT} characters")
    return text


def bookings_of(slot_documents: Mapping[str, Any], identity_id: str) -> list[dict[str, Any]]:
    """Every booking of one person, in time order."""
    found = [
        dict(booking)
        for document in slot_documents.values()
        for booking in (document or {}).get("slots", {}).values()
        if booking.get("identity") == identity_id
    ]
    return sorted(found, key=lambda b: b["start"])


def without_bookings_of(
    slot_documents: Mapping[str, Any], identity_id: str
) -> dict[str, dict[str, Any]]:
    """The slot documents that held one person's bookings, without them (erasure)."""
    changed: dict[str, dict[str, Any]] = {}
    for key, document in slot_documents.items():
        slots = (document or {}).get("slots", {})
        kept = {at: b for at, b in slots.items() if b.get("identity") != identity_id}
        if len(kept) != len(slots):
            changed[key] = {**document, "slots": kept}
    return changed


def consulting_export(
    person: Mapping[str, Any] | None, slot_documents: Mapping[str, Any], identity_id: str
) -> dict[str, Any]:
    """What the data export shows of consulting: bookings and saved notes."""
    return {
        "bookings": bookings_of(slot_documents, identity_id),
        "notes": list((person or {}).get("notes", [])),
    }


def clean_notes(text: Any, checklist: Iterable[Any]) -> tuple[str, tuple[str, ...]]:
    """Handed-over notes: text and checklist items, trimmed and within limits."""
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise ConsultingInvalid(f"text: at most {MAX_TEXT} characters")
    items = tuple(" ".join(str(item).split())[:MAX_TOPIC_TEXT] for item in checklist)
    items = tuple(item for item in items if item)[:MAX_CHECKLIST]
    if not text.strip() and not items:
        raise ConsultingInvalid("text: write the notes or at least one checklist item")
    return text.strip(), items
