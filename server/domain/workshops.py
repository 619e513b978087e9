"""Workshops and recurring series: what a workshop is, how one is checked, how a series makes
its sessions, and the in-memory book of them the realtime side reads (no I/O).

A ``Workshop`` has a title, a description, a room, a start and an end, its facilitators, an
agenda (items with durations, each optionally pointing at a learning station or a talk) and
an access rule: open to everyone, open to whoever has the invite code, or only the people
on its list. A ``Series`` (the exchange series "Austauschreihe") is one definition that
makes its sessions: weekly, every two weeks, or monthly on the same weekday of the month,
at the same local time (Europe/Berlin, so the summer-time change keeps the wall-clock time).

Input comes as JSON (REST, the command line, the client's panel); ``parse_workshop`` and
``parse_series`` check every field and raise ``WorkshopInvalid`` with a code and a sentence.

>>> ws = parse_workshop({"title": "Klimabilanz", "room": "workshop",
...     "starts": "2030-03-05T10:00", "minutes": 90}, rooms={"workshop"},
...     facilitators=[Person("a-1", "Mara")], workshop_id="w1")
>>> ws.starts_iso(), ws.access.value
('2030-03-05T10:00:00+01:00', 'open')
"""

from __future__ import annotations

import difflib
import hmac
import math
import re
import secrets
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Final
from zoneinfo import ZoneInfo

from server.base.identity import Identity, Role

SITE_ZONE: Final = ZoneInfo("Europe/Berlin")
TITLE_MAX: Final = 120
DESCRIPTION_MAX: Final = 2000
AGENDA_MAX: Final = 30
ITEM_MINUTES_MAX: Final = 480
WORKSHOP_MINUTES_MAX: Final = 12 * 60
FACILITATORS_MAX: Final = 10
INVITED_MAX: Final = 500
SEATS_MAX: Final = 10000
SERIES_SESSIONS_MAX: Final = 52
CODE_PATTERN: Final = re.compile(r"^[A-Za-z0-9-]{4,32}$")
ID_PATTERN: Final = re.compile(r"^[A-Za-z0-9-]{1,64}$")


class WorkshopInvalid(Exception):
    """A workshop or series that cannot be accepted: ``code`` for programs, ``message`` for
    people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Access(StrEnum):
    """Who may join: everyone, whoever has the invite code, or the people on the list."""

    OPEN = "open"
    CODE = "code"
    LIST = "list"


class Repeat(StrEnum):
    """How a series repeats."""

    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"  # the same weekday of the month (the 2nd Tuesday, the last Friday)


@dataclass(frozen=True)
class Person:
    """A facilitator: identity id and display name."""

    id: str
    name: str

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name}


@dataclass(frozen=True)
class AgendaItem:
    """One agenda item: a title, how long it takes, and optionally a station or a talk."""

    title: str
    minutes: int
    station: str | None = None
    talk: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "minutes": self.minutes,
            "station": self.station,
            "talk": self.talk,
        }


@dataclass(frozen=True)
class Workshop:
    """One workshop session. Times are Unix seconds."""

    id: str
    title: str
    description: str
    room: str
    starts_at: float
    ends_at: float
    facilitators: tuple[Person, ...]
    agenda: tuple[AgendaItem, ...] = ()
    access: Access = Access.OPEN
    code: str | None = None
    invited: tuple[str, ...] = ()
    series_id: str | None = None
    updated_at: float = 0.0
    #: while it runs, visitors wait in the foyer until a facilitator admits them
    admission: bool = False
    #: registration with this many seats (None: no registration)
    seats: int | None = None

    def led_by(self, identity: Identity) -> bool:
        """Is this person one of the workshop's facilitators (staff lead every workshop)?"""
        return identity.role is Role.STAFF or any(p.id == identity.id for p in self.facilitators)

    def admits(self, identity: Identity, code: str | None) -> bool:
        """May this person join (the access rule; facilitators, staff and whoever is on
        its list always may)?"""
        if self.led_by(identity) or self.access is Access.OPEN or identity.id in self.invited:
            return True
        if self.access is Access.CODE:
            return (
                code is not None
                and self.code is not None
                and hmac.compare_digest(code.encode(), self.code.encode())
            )
        return identity.id in self.invited

    def starts_iso(self) -> str:
        return datetime.fromtimestamp(self.starts_at, SITE_ZONE).isoformat()

    def ends_iso(self) -> str:
        return datetime.fromtimestamp(self.ends_at, SITE_ZONE).isoformat()

    @property
    def minutes(self) -> int:
        return round((self.ends_at - self.starts_at) / 60)

    def public_dict(self) -> dict[str, Any]:
        """What anyone may see: no invite code, no list, facilitators by name only."""
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "room": self.room,
            "starts": self.starts_iso(),
            "ends": self.ends_iso(),
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
            "minutes": self.minutes,
            "facilitators": [p.name for p in self.facilitators],
            "agenda": [item.as_dict() for item in self.agenda],
            "access": self.access.value,
            "admission": self.admission,
            "seats": self.seats,
            "series": self.series_id,
            "link": f"/?workshop={self.id}",
        }

    def full_dict(self) -> dict[str, Any]:
        """What its facilitators and staff see: the code, the list, facilitator ids."""
        out = self.public_dict()
        out["facilitators"] = [p.as_dict() for p in self.facilitators]
        out["code"] = self.code
        out["invited"] = list(self.invited)
        out["updated_at"] = self.updated_at
        return out

    def record(self) -> dict[str, Any]:
        """The stored form (JSON-ready); ``Workshop.from_record`` reads it back."""
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "room": self.room,
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
            "facilitators": [p.as_dict() for p in self.facilitators],
            "agenda": [item.as_dict() for item in self.agenda],
            "access": self.access.value,
            "code": self.code,
            "invited": list(self.invited),
            "series_id": self.series_id,
            "updated_at": self.updated_at,
            "admission": self.admission,
            "seats": self.seats,
        }

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> Workshop:
        return cls(
            id=data["id"],
            title=data["title"],
            description=data["description"],
            room=data["room"],
            starts_at=float(data["starts_at"]),
            ends_at=float(data["ends_at"]),
            facilitators=tuple(Person(p["id"], p["name"]) for p in data["facilitators"]),
            agenda=tuple(AgendaItem(**item) for item in data["agenda"]),
            access=Access(data["access"]),
            code=data.get("code"),
            invited=tuple(data.get("invited", ())),
            series_id=data.get("series_id"),
            updated_at=float(data.get("updated_at", 0.0)),
            admission=bool(data.get("admission", False)),
            seats=data.get("seats"),
        )


@dataclass(frozen=True)
class Series:
    """A recurring workshop: one definition, ``count`` sessions."""

    id: str
    title: str
    description: str
    room: str
    first: datetime  # aware, in SITE_ZONE
    minutes: int
    repeat: Repeat
    count: int
    facilitators: tuple[Person, ...]
    agenda: tuple[AgendaItem, ...] = ()
    access: Access = Access.OPEN
    code: str | None = None
    invited: tuple[str, ...] = ()
    updated_at: float = 0.0
    admission: bool = False
    seats: int | None = None

    def dates(self) -> list[datetime]:
        """The local start time of every session, first to last."""
        first = self.first.astimezone(SITE_ZONE)
        days: list[date] = []
        if self.repeat is Repeat.MONTHLY:
            nth = (first.day - 1) // 7  # 0-based: the 1st..5th such weekday of its month
            year, month = first.year, first.month
            for _ in range(self.count):
                days.append(_nth_weekday(year, month, first.weekday(), nth))
                year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        else:
            step = 7 if self.repeat is Repeat.WEEKLY else 14
            days = [first.date() + timedelta(days=step * i) for i in range(self.count)]
        return [datetime.combine(day, first.time().replace(tzinfo=None), SITE_ZONE) for day in days]

    def sessions(self, *, now: float = 0.0) -> list[Workshop]:
        """The workshops this series makes; ids stay the same when the series is edited
        (series id and date), so links keep working."""
        out = []
        for start in self.dates():
            starts_at = start.timestamp()
            out.append(
                Workshop(
                    id=f"{self.id}-{start:%Y%m%d}",
                    title=self.title,
                    description=self.description,
                    room=self.room,
                    starts_at=starts_at,
                    ends_at=starts_at + self.minutes * 60,
                    facilitators=self.facilitators,
                    agenda=self.agenda,
                    access=self.access,
                    code=self.code,
                    invited=self.invited,
                    series_id=self.id,
                    updated_at=now,
                    admission=self.admission,
                    seats=self.seats,
                )
            )
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "room": self.room,
            "first": self.first.astimezone(SITE_ZONE).isoformat(),
            "minutes": self.minutes,
            "repeat": self.repeat.value,
            "count": self.count,
            "facilitators": [p.as_dict() for p in self.facilitators],
            "agenda": [item.as_dict() for item in self.agenda],
            "access": self.access.value,
            "code": self.code,
            "invited": list(self.invited),
            "updated_at": self.updated_at,
            "admission": self.admission,
            "seats": self.seats,
        }

    record = as_dict

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> Series:
        return cls(
            id=data["id"],
            title=data["title"],
            description=data["description"],
            room=data["room"],
            first=datetime.fromisoformat(data["first"]).astimezone(SITE_ZONE),
            minutes=int(data["minutes"]),
            repeat=Repeat(data["repeat"]),
            count=int(data["count"]),
            facilitators=tuple(Person(p["id"], p["name"]) for p in data["facilitators"]),
            agenda=tuple(AgendaItem(**item) for item in data["agenda"]),
            access=Access(data["access"]),
            code=data.get("code"),
            invited=tuple(data.get("invited", ())),
            updated_at=float(data.get("updated_at", 0.0)),
            admission=bool(data.get("admission", False)),
            seats=data.get("seats"),
        )


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    """The ``nth`` (0-based) such weekday of a month, or its last one if there are fewer."""
    first = date(year, month, 1)
    day = first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * nth)
    while day.month != month:
        day -= timedelta(days=7)
    return day


def new_workshop_id() -> str:
    return "w" + secrets.token_hex(5)


def new_series_id() -> str:
    return "s" + secrets.token_hex(4)


# --- checking input --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Common:
    title: str
    description: str
    room: str
    facilitators: tuple[Person, ...]
    agenda: tuple[AgendaItem, ...]
    access: Access
    code: str | None
    invited: tuple[str, ...]
    admission: bool
    seats: int | None


def parse_time(value: object, name: str) -> datetime:
    """An ISO 8601 time (without a zone: Europe/Berlin) or Unix seconds, as an aware time."""
    if isinstance(value, bool):
        raise WorkshopInvalid("time_invalid", f"{name} must be a date and time")
    if isinstance(value, int | float):
        if not math.isfinite(value) or not 0 <= value < 4e9:
            raise WorkshopInvalid("time_invalid", f"{name} is out of range")
        return datetime.fromtimestamp(float(value), SITE_ZONE)
    if not isinstance(value, str):
        raise WorkshopInvalid("time_invalid", f"{name} must be a date and time")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise WorkshopInvalid(
            "time_invalid", f"{name} must look like 2030-03-05T10:00 (ISO 8601)"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=SITE_ZONE)
    return parsed.astimezone(SITE_ZONE)


def _text(data: Mapping[str, Any], key: str, limit: int, *, required: bool, default: str) -> str:
    value = data.get(key, None if required else default)
    if value is None:
        raise WorkshopInvalid("field_missing", f"{key} is missing")
    if not isinstance(value, str):
        raise WorkshopInvalid("field_invalid", f"{key} must be text")
    text = " ".join(value.split()) if key == "title" else value.strip()
    if required and not text:
        raise WorkshopInvalid("field_invalid", f"{key} must not be empty")
    if len(text) > limit:
        raise WorkshopInvalid("field_invalid", f"{key} is longer than {limit} characters")
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in text):
        raise WorkshopInvalid("field_invalid", f"{key} contains control characters")
    return text


def _int(data: Mapping[str, Any], key: str, low: int, high: int, default: int | None) -> int:
    value = data.get(key, default)
    if value is None:
        raise WorkshopInvalid("field_missing", f"{key} is missing")
    if isinstance(value, bool) or not isinstance(value, int):
        raise WorkshopInvalid("field_invalid", f"{key} must be a whole number")
    if not low <= value <= high:
        raise WorkshopInvalid("field_invalid", f"{key} must be between {low} and {high}")
    return value


def _agenda(
    value: object, stations: Collection[str] | None, talks: Collection[str] | None
) -> tuple[AgendaItem, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise WorkshopInvalid("agenda_invalid", "agenda must be a list of items")
    if len(value) > AGENDA_MAX:
        raise WorkshopInvalid("agenda_invalid", f"an agenda has at most {AGENDA_MAX} items")
    items = []
    for number, raw in enumerate(value, start=1):
        if not isinstance(raw, dict):
            raise WorkshopInvalid("agenda_invalid", f"agenda item {number} must be an object")
        title = _text(raw, "title", TITLE_MAX, required=True, default="")
        minutes = _int(raw, "minutes", 1, ITEM_MINUTES_MAX, None)
        station = raw.get("station") or None
        talk = raw.get("talk") or None
        if isinstance(stations, Mapping) and station in stations:
            station = stations[station]  # a station by the anchor it stands at: by its id
        for kind, ref, known in (("station", station, stations), ("talk", talk, talks)):
            if ref is None:
                continue
            if not isinstance(ref, str) or not ID_PATTERN.match(ref):
                raise WorkshopInvalid("agenda_invalid", f"agenda item {number}: bad {kind} id")
            if known is not None and ref not in known and ref not in _values(known):
                near = difflib.get_close_matches(ref, sorted(set(_values(known))), n=1)
                hint = f" (did you mean {near[0]!r}?)" if near else ""
                raise WorkshopInvalid(
                    "agenda_invalid", f"agenda item {number}: there is no {kind} {ref!r}{hint}"
                )
        items.append(AgendaItem(title, minutes, station, talk))
    return tuple(items)


def _values(known: Collection[str]) -> Collection[str]:
    return set(known.values()) if isinstance(known, Mapping) else ()


def _common(
    data: Mapping[str, Any],
    base: Mapping[str, Any],
    *,
    rooms: Collection[str],
    facilitators: Sequence[Person],
    stations: Collection[str] | None,
    talks: Collection[str] | None,
) -> _Common:
    merged = {**base, **data}
    title = _text(merged, "title", TITLE_MAX, required=True, default="")
    description = _text(merged, "description", DESCRIPTION_MAX, required=False, default="")
    room = merged.get("room")
    if not isinstance(room, str) or room not in rooms:
        raise WorkshopInvalid("room_unknown", f"room must be one of {', '.join(sorted(rooms))}")
    if not facilitators:
        raise WorkshopInvalid("facilitators_invalid", "a workshop needs a facilitator")
    if len(facilitators) > FACILITATORS_MAX:
        raise WorkshopInvalid(
            "facilitators_invalid", f"at most {FACILITATORS_MAX} facilitators per workshop"
        )
    try:
        access = Access(merged.get("access", "open"))
    except ValueError:
        raise WorkshopInvalid("access_invalid", "access must be open, code or list") from None
    code = merged.get("code") or None
    if access is Access.CODE:
        if code is None:
            code = secrets.token_hex(3).upper()
        if not isinstance(code, str) or not CODE_PATTERN.match(code):
            raise WorkshopInvalid(
                "access_invalid", "an invite code is 4-32 letters, digits or dashes"
            )
    else:
        code = None
    invited_raw = merged.get("invited") or []
    if not isinstance(invited_raw, list) or not all(
        isinstance(i, str) and ID_PATTERN.match(i) for i in invited_raw
    ):
        raise WorkshopInvalid("access_invalid", "invited must be a list of identity ids")
    if len(invited_raw) > INVITED_MAX:
        raise WorkshopInvalid("access_invalid", f"at most {INVITED_MAX} invited people")
    admission = merged.get("admission", False)
    if not isinstance(admission, bool):
        raise WorkshopInvalid("admission_invalid", "admission must be true or false")
    seats = _int(merged, "seats", 1, SEATS_MAX, None) if merged.get("seats") is not None else None
    return _Common(
        title=title,
        description=description,
        room=room,
        facilitators=tuple(dict.fromkeys(facilitators)),
        agenda=_agenda(merged.get("agenda"), stations, talks),
        access=access,
        code=code,
        invited=tuple(dict.fromkeys(invited_raw)),
        admission=admission,
        seats=seats,
    )


def parse_workshop(
    data: Mapping[str, Any],
    *,
    rooms: Collection[str],
    facilitators: Sequence[Person],
    workshop_id: str,
    base: Workshop | None = None,
    stations: Collection[str] | None = None,
    talks: Collection[str] | None = None,
    now: float = 0.0,
) -> Workshop:
    """A workshop from JSON input (``base``: the one being edited; missing fields keep
    its values; ``stations``: the known station ids, or a mapping of what may name a
    station, its id or its anchor's, to its id). ``starts`` plus ``minutes`` or ``ends``
    give the time; an edit that gives only ``starts`` moves the workshop and keeps its
    length."""
    previous = base.record() if base is not None else {}
    if base is not None:
        previous["starts"] = base.starts_at
        previous["ends"] = base.ends_at
        previous.pop("facilitators")
    common = _common(
        data, previous, rooms=rooms, facilitators=facilitators, stations=stations, talks=talks
    )
    merged = {**previous, **data}
    if "starts" not in merged:
        raise WorkshopInvalid("field_missing", "starts is missing")
    starts = parse_time(merged["starts"], "starts")
    if "minutes" in data:
        ends = starts + timedelta(minutes=_int(data, "minutes", 5, WORKSHOP_MINUTES_MAX, None))
    elif "ends" in data:
        ends = parse_time(data["ends"], "ends")
    elif base is not None:  # moved: it keeps its length
        ends = starts + timedelta(seconds=base.ends_at - base.starts_at)
    else:
        raise WorkshopInvalid("field_missing", "give minutes or ends")
    length = (ends - starts).total_seconds() / 60
    if not 5 <= length <= WORKSHOP_MINUTES_MAX:
        raise WorkshopInvalid(
            "time_invalid", f"a workshop lasts 5 to {WORKSHOP_MINUTES_MAX} minutes"
        )
    return Workshop(
        id=workshop_id,
        starts_at=starts.timestamp(),
        ends_at=ends.timestamp(),
        series_id=base.series_id if base is not None else None,
        updated_at=now,
        **vars(common),
    )


def parse_series(
    data: Mapping[str, Any],
    *,
    rooms: Collection[str],
    facilitators: Sequence[Person],
    series_id: str,
    base: Series | None = None,
    stations: Collection[str] | None = None,
    talks: Collection[str] | None = None,
    now: float = 0.0,
) -> Series:
    """A series from JSON input: ``first`` (the first session's start), ``minutes``,
    ``repeat`` (weekly, biweekly, monthly) and ``count`` sessions, plus the workshop fields."""
    previous = base.as_dict() if base is not None else {}
    previous.pop("facilitators", None)
    common = _common(
        data, previous, rooms=rooms, facilitators=facilitators, stations=stations, talks=talks
    )
    merged = {**previous, **data}
    if "first" not in merged:
        raise WorkshopInvalid("field_missing", "first is missing")
    first = parse_time(merged["first"], "first")
    try:
        repeat = Repeat(merged.get("repeat", "monthly"))
    except ValueError:
        raise WorkshopInvalid(
            "field_invalid", "repeat must be weekly, biweekly or monthly"
        ) from None
    return Series(
        id=series_id,
        first=first,
        minutes=_int(merged, "minutes", 5, WORKSHOP_MINUTES_MAX, None),
        repeat=repeat,
        count=_int(merged, "count", 1, SERIES_SESSIONS_MAX, None),
        updated_at=now,
        **vars(common),
    )


# --- a series' sessions after an edit ------------------------------------------------------------


@dataclass(frozen=True)
class SessionChanges:
    """What an edit of a series does to its sessions to come: saved (new or changed with
    the series), removed (no longer in it), and kept as they are (changed on their own)."""

    save: list[Workshop]
    remove: list[str]
    kept: list[Workshop]


def _same_session(a: Workshop, b: Workshop) -> bool:
    """The same session apart from when it was written."""
    return replace(a, updated_at=0.0) == replace(b, updated_at=0.0)


def series_changes(
    before: Series | None, after: Series | None, stored: Sequence[Workshop], now: float
) -> SessionChanges:
    """Bring a series' sessions to come in line with ``after`` (``before``: the series as it
    was; None for a new one; ``after`` None: the series goes). A session someone changed
    on its own (moved, retitled: it differs from what ``before`` made) is kept as it is, and
    one cancelled on its own (``before`` made it, the store no longer has it) stays
    cancelled. Sessions that have begun are never touched."""
    made_before = {w.id: w for w in (before.sessions(now=now) if before else [])}
    wanted = {w.id: w for w in (after.sessions(now=now) if after else []) if w.starts_at > now}
    sessions = {w.id: w for w in stored}
    own = {
        wid
        for wid, w in sessions.items()
        if w.starts_at > now and wid in made_before and not _same_session(w, made_before[wid])
    }
    cancelled = {wid for wid in made_before if wid not in sessions}
    save = [
        w
        for wid, w in wanted.items()
        if wid not in own
        and wid not in cancelled
        and not (wid in sessions and _same_session(sessions[wid], w))
    ]
    remove = [
        wid
        for wid, w in sessions.items()
        if w.starts_at > now and wid not in wanted and (wid not in own or after is None)
    ]
    kept = [sessions[wid] for wid in sorted(own) if after is not None]
    return SessionChanges(sorted(save, key=lambda w: w.starts_at), sorted(remove), kept)


# --- the book ----------------------------------------------------------------------------------


class WorkshopBook:
    """Every workshop the process knows, by id: what the realtime side reads (it cannot wait
    for the store). The HTTP side writes to the store first, then here."""

    def __init__(self, workshops: Iterable[Workshop] = ()) -> None:
        self._by_id = {w.id: w for w in workshops}

    def put(self, workshop: Workshop) -> None:
        self._by_id[workshop.id] = workshop

    def remove(self, workshop_id: str) -> Workshop | None:
        return self._by_id.pop(workshop_id, None)

    def replace_all(self, workshops: Iterable[Workshop]) -> None:
        self._by_id = {w.id: w for w in workshops}

    def get(self, workshop_id: str) -> Workshop | None:
        return self._by_id.get(workshop_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def all(self) -> list[Workshop]:
        return sorted(self._by_id.values(), key=lambda w: (w.starts_at, w.id))

    def upcoming(self, now: float, limit: int | None = None) -> list[Workshop]:
        """Workshops not over yet, soonest first."""
        found = [w for w in self.all() if w.ends_at > now]
        return found if limit is None else found[:limit]

    def of_series(self, series_id: str) -> list[Workshop]:
        return [w for w in self.all() if w.series_id == series_id]


def clash_of(workshop: Workshop, others: Iterable[Workshop]) -> Workshop | None:
    """The first other workshop planned in the same room at an overlapping time, if any
    (one ending as the next begins does not clash)."""
    return next(
        (
            other
            for other in sorted(others, key=lambda w: (w.starts_at, w.id))
            if other.id != workshop.id
            and other.room == workshop.room
            and other.starts_at < workshop.ends_at
            and workshop.starts_at < other.ends_at
        ),
        None,
    )


def refuse_clash(workshop: Workshop, others: Iterable[Workshop], *, force: bool = False) -> None:
    """``WorkshopInvalid`` (``workshop_clash``) naming the clash, unless ``force``."""
    other = None if force else clash_of(workshop, others)
    if other is not None:
        raise WorkshopInvalid(
            "workshop_clash",
            f"room {workshop.room} is already planned for {other.title!r}"
            f" ({clash_time(other)}); choose another time or room, or force it",
        )


def clash_time(workshop: Workshop) -> str:
    """A workshop's time as people read it: ``2030-03-05 10:00–11:30 (Europe/Berlin)``."""
    starts = datetime.fromtimestamp(workshop.starts_at, SITE_ZONE)
    ends = datetime.fromtimestamp(workshop.ends_at, SITE_ZONE)
    end = f"{ends:%H:%M}" if ends.date() == starts.date() else f"{ends:%Y-%m-%d %H:%M}"
    return f"{starts:%Y-%m-%d %H:%M}–{end} ({SITE_ZONE.key})"


def with_invited(workshop: Workshop, identity_id: str) -> Workshop:
    """The workshop with one more person on its list."""
    if identity_id in workshop.invited:
        return workshop
    return replace(workshop, invited=(*workshop.invited, identity_id))
