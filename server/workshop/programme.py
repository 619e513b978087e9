"""The programme a site ships (no I/O beyond reading the site file): the workshops and
series of the site folder's ``programme.toml``, checked with file and line.

A region starts with its programme: ``[[workshop]]`` and ``[[series]]`` tables with the
same fields as the REST API (``docs/workshops.md``), plus a ``key`` that names the entry for
good and ``facilitators`` as account usernames. The hub imports each entry once
(``server/workshop/programme_import.py``); afterwards it is edited in the hub like any other
workshop, and the file's entry is not read again. Every mistake is one line with file and
line, checked against the site's rooms, stations and talks before anything is imported.

>>> text = '[[series]]\\nkey = "austausch"\\ntitle = "Austausch"\\nroom = "workshop"\\n' \\
...        'first = "2030-01-08T17:00"\\nminutes = 90\\nrepeat = "monthly"\\ncount = 3\\n' \\
...        'facilitators = ["mara"]\\n'
>>> entry = parse_programme(text, "programme.toml", SiteRefs({"workshop"})).entries[0]
>>> entry.kind, entry.key, entry.usernames, entry.line
('series', 'austausch', ('mara',), 1)
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from server.domain.workshops import (
    Person,
    Series,
    Workshop,
    WorkshopInvalid,
    parse_series,
    parse_workshop,
)
from world.errors import InputFileError
from world.toml_locations import KeyLines, toml_error_line

PROGRAMME_FILE: Final = "programme.toml"
#: the store's live documents of entries imported (key: the entry's key)
IMPORTED_KIND: Final = "programme"
KEY_PATTERN: Final = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
USERNAME_PATTERN: Final = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
COMMON_KEYS: Final = frozenset(
    {"key", "title", "description", "room", "facilitators", "access", "code", "admission"}
    | {"seats", "agenda", "force"}
)
WORKSHOP_KEYS: Final = COMMON_KEYS | {"starts", "minutes", "ends"}
SERIES_KEYS: Final = COMMON_KEYS | {"first", "minutes", "repeat", "count"}
KINDS: Final = {"workshop": WORKSHOP_KEYS, "series": SERIES_KEYS}
#: who checks an entry before the accounts are known
_SOMEONE: Final = Person("programme", "programme")


@dataclass(frozen=True)
class ProgrammeEntry:
    """One workshop or series of the file: its fields as the REST API takes them."""

    kind: str  # "workshop" or "series"
    key: str
    fields: Mapping[str, Any]
    usernames: tuple[str, ...]
    #: plan it even where another workshop has the room at that time
    force: bool
    #: where it is: "programme.toml:12"
    where: str
    line: int

    def record_id(self, site_id: str) -> str:
        """The id the imported workshop or series gets: the same in every process and on
        every start, so two processes importing at once make one."""
        prefix = "p" if self.kind == "workshop" else "ps"
        return f"{prefix}-{_short(site_id)}-{self.key}"

    def make(
        self, refs: SiteRefs, people: Sequence[Person], record_id: str, *, now: float
    ) -> tuple[Series | None, list[Workshop]]:
        """The series (if the entry is one) and the workshops it makes, led by ``people``
        (``WorkshopInvalid`` if a field is wrong)."""
        given: dict[str, Any] = {
            "rooms": refs.rooms,
            "facilitators": people,
            "stations": refs.stations,
            "talks": refs.talks,
            "now": now,
        }
        if self.kind == "workshop":
            return None, [parse_workshop(self.fields, workshop_id=record_id, **given)]
        series = parse_series(self.fields, series_id=record_id, **given)
        return series, series.sessions(now=now)


@dataclass(frozen=True)
class SiteRefs:
    """What a programme entry may name: the site's rooms, its stations (ids, or a mapping of
    what may name a station, its id or its anchor's, to its id) and its talks."""

    rooms: Collection[str]
    stations: Collection[str] | None = None
    talks: Collection[str] | None = None


@dataclass(frozen=True)
class Programme:
    entries: tuple[ProgrammeEntry, ...] = ()
    refs: SiteRefs = SiteRefs(())

    def summary(self) -> str:
        workshops = sum(1 for e in self.entries if e.kind == "workshop")
        series = len(self.entries) - workshops
        return f"{workshops} workshop{'' if workshops == 1 else 's'} and {series} series"


def _short(site_id: str) -> str:
    """A site id cut so that every id made from it stays within 64 characters."""
    return site_id[:12].strip("-") or "site"


def load_programme(path: Path, refs: SiteRefs) -> Programme:
    """Read and check ``programme.toml``; a missing file is a site without a programme."""
    if not path.is_file():
        return Programme(refs=refs)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputFileError(f"{path}: cannot be read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InputFileError(f"{path}: not UTF-8 text") from None
    return parse_programme(text, str(path), refs)


def parse_programme(text: str, name: str, refs: SiteRefs) -> Programme:
    """The entries of a programme text (``name``: the file, for messages)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, message = toml_error_line(str(exc))
        raise InputFileError(f"{name}:{line or 1}: not valid TOML: {message}") from None
    lines = KeyLines(text)

    def line_of(*key: str | int) -> int:
        return lines.line_of(tuple(key)) or 1

    unknown = sorted(set(data) - set(KINDS))
    if unknown:
        raise InputFileError(
            f"{name}:{line_of(unknown[0])}: unknown table {unknown[0]!r} "
            "(a programme has [[workshop]] and [[series]] tables)"
        )
    entries: list[ProgrammeEntry] = []
    seen: dict[str, int] = {}
    for kind, allowed in KINDS.items():
        tables = data.get(kind, [])
        if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
            raise InputFileError(f"{name}:{line_of(kind)}: write the {kind} as [[{kind}]] tables")
        for index, table in enumerate(tables):

            def key_line(key: str, i: int = index, kd: str = kind) -> int:
                return line_of(kd, i, key)

            entry = _entry(kind, table, allowed, name, line_of(kind, index), key_line)
            entry = _checked(entry, refs, key_line)
            if entry.key in seen:
                raise InputFileError(
                    f"{name}:{key_line('key')}: key {entry.key!r} is used twice "
                    f"(first at line {seen[entry.key]})"
                )
            seen[entry.key] = entry.line
            entries.append(entry)
    return Programme(tuple(sorted(entries, key=lambda e: e.line)), refs)


def _entry(
    kind: str,
    table: dict[str, Any],
    allowed: Collection[str],
    name: str,
    start: int,
    line_of: Callable[[str], int],
) -> ProgrammeEntry:

    def fail(key: str, message: str) -> InputFileError:
        return InputFileError(f"{name}:{line_of(key)}: {message}")

    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise fail(
            unknown[0],
            f"unknown key {unknown[0]!r} in a [[{kind}]] (allowed: {', '.join(sorted(allowed))})",
        )
    key = table.get("key")
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        raise InputFileError(
            f"{name}:{line_of('key')}: every [[{kind}]] needs a key: 1-40 small letters, "
            'digits or dashes (e.g. key = "austauschreihe-2027"), which names it for good'
        )
    usernames = table.get("facilitators")
    if (
        not isinstance(usernames, list)
        or not usernames
        or not all(isinstance(u, str) and USERNAME_PATTERN.match(u) for u in usernames)
    ):
        raise fail(
            "facilitators" if "facilitators" in table else "key",
            'facilitators must list the usernames of facilitator or staff accounts (e.g. ["mara"])',
        )
    force = table.get("force", False)
    if not isinstance(force, bool):
        raise fail("force", "force must be true or false")
    fields = {k: v for k, v in table.items() if k not in ("key", "facilitators", "force")}
    return ProgrammeEntry(
        kind=kind,
        key=key,
        fields=fields,
        usernames=tuple(dict.fromkeys(usernames)),
        force=force,
        where=f"{name}:{start}",
        line=start,
    )


def _checked(
    entry: ProgrammeEntry, refs: SiteRefs, line_of: Callable[[str], int]
) -> ProgrammeEntry:
    """The entry, if it makes a workshop or series with the site's rooms, stations, talks
    (a refusal names the line of the field it is about, where it names one)."""
    try:
        entry.make(refs, [_SOMEONE], "check", now=0.0)
    except WorkshopInvalid as exc:
        field_name = exc.message.split(" ", 1)[0]
        line = line_of(field_name) if field_name in entry.fields else entry.line
        if exc.message.startswith("agenda item"):
            line = line_of("agenda")
        where = entry.where.rsplit(":", 1)[0]
        raise InputFileError(f"{where}:{line}: {entry.kind} {entry.key!r}: {exc.message}") from None
    return entry
