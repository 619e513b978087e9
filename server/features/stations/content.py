"""Station content as the browser's content editor sees it: which placed stations there are,
one station's file as a form and back, the checks, and writing the file whole.

A station file (docs/content-format.md) is the one format: the editor's form becomes the text
a person would write by hand (``station_text``), and that text goes through the very reader
``hubtwin content check`` and the server use (``server.features.stations.catalogue.parse_station``),
so saved content can never be something the check would refuse. ``write_station_file`` writes it
aside, syncs it and renames it over, so a reader sees the old file or the new one, never half.

Placed stations are the station anchors of the draft (``building.toml`` with staff's
``layout.toml``) and of the published world version (its ``snapshot.json``); a station placed
in the browser or with ``hubtwin world add station`` is one, with content or without.
"""

from __future__ import annotations

import datetime
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from server.base.toml_text import toml_value
from server.features.stations.calculator_file import read_calculators
from server.features.stations.catalogue import (
    FENCE,
    STATION_ID,
    STATIONS_FOLDER,
    TOPICS_FILE,
    Station,
    StationPlace,
    Topic,
    _calculator_files,
    _read_topics,
    _split,
    parse_station,
    places_from_building,
    places_from_draft,
)
from server.features.stations.content_reader import ContentProblem, Localised
from world.building import load_building
from world.errors import InputFileError
from world.site import Site
from world.versions import current_version

SNAPSHOT_FILE = "snapshot.json"
MAX_BODY_CHARS = 40_000


@dataclass(frozen=True)
class PlacedStation:
    """A station anchor standing in the draft or the published world."""

    anchor: str
    room: str
    room_names: Localised
    title: Localised
    place: StationPlace
    published: bool
    drafted: bool

    def where(self, language: str = "de") -> str:
        name = self.room_names.get(language) or next(iter(self.room_names.values()), "")
        return f"room {self.room!r} ({name})" if name else f"room {self.room!r}"


@dataclass(frozen=True)
class StationFile:
    """Which station file belongs to an anchor (it may not exist yet)."""

    station_id: str
    path: Path
    exists: bool


# --- where stations stand -------------------------------------------------------------------


def placed_stations(site: Site, world_dir: Path | None) -> list[PlacedStation]:
    """Every station anchor of the draft and of the published version (before the first
    publish: of ``building.toml``), draft order first."""
    plan = load_building(site.building_file, site.languages)
    from world.staff_layout import staff_layout

    drafted_plan = staff_layout(site, plan).plan
    rooms = {room.id: room for room in drafted_plan.rooms}
    found: dict[str, PlacedStation] = {}
    titles = {a.id: a.extras.get("title") for a in drafted_plan.anchors if a.kind == "station"}
    for place in places_from_draft(site):
        room = rooms.get(place.room_id)
        found[place.anchor_id] = PlacedStation(
            place.anchor_id,
            place.room_id,
            dict(room.names) if room else {},
            _localised(titles.get(place.anchor_id)),
            place,
            published=False,
            drafted=True,
        )
    published = _published_station_items(world_dir)
    if published is None:  # nothing published yet: the hub serves building.toml as it is
        for place in places_from_building(site):
            if place.anchor_id in found:
                found[place.anchor_id] = _with(found[place.anchor_id], published=True)
        published = []
    for item, x0, z0 in published:
        anchor = str(item.get("id", ""))
        room_id = str(item.get("room", ""))
        if anchor in found:
            found[anchor] = _with(found[anchor], published=True)
            continue
        room = rooms.get(room_id)
        at = item.get("at") or [0.0, 0.0]
        floor = room.elevation if room else 0.0
        found[anchor] = PlacedStation(
            anchor,
            room_id,
            dict(room.names) if room else {},
            _localised(item.get("name")),
            StationPlace(
                anchor,
                room_id,
                (x0 + float(at[0]), floor + float(item.get("elevation") or 0.0), z0 + float(at[1])),
                0.0,
            ),
            published=True,
            drafted=False,
        )
    return list(found.values())


def _with(placed: PlacedStation, *, published: bool) -> PlacedStation:
    return PlacedStation(
        placed.anchor,
        placed.room,
        placed.room_names,
        placed.title,
        placed.place,
        published=published,
        drafted=placed.drafted,
    )


def _localised(value: Any) -> Localised:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, str) and value:
        return {"de": value}
    return {}


def _published_station_items(
    world_dir: Path | None,
) -> list[tuple[dict[str, Any], float, float]] | None:
    """The stations of the current published version's snapshot, with their room's corner
    (None when no version is published)."""
    version = current_version(world_dir) if world_dir is not None else None
    if version is None:
        return None
    try:
        snapshot = orjson.loads((version.folder / SNAPSHOT_FILE).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return []
    rooms = snapshot.get("rooms", {})
    out = []
    for item in snapshot.get("items", {}).values():
        if not isinstance(item, dict) or item.get("kind") != "station":
            continue
        room = rooms.get(item.get("room"), {})
        out.append((item, float(room.get("x", [0.0])[0]), float(room.get("z", [0.0])[0])))
    return out


# --- which file ------------------------------------------------------------------------------


def anchor_of_file(path: Path) -> str | None:
    """The ``anchor`` a station file names (None when it cannot be read)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    front = _front_data(text)
    anchor = front.get("anchor") if front is not None else None
    return anchor if isinstance(anchor, str) else None


def station_file(site: Site, anchor: str) -> StationFile:
    """The file holding the content of the station on ``anchor``; a new one is named after
    the anchor (the station id is its file name)."""
    folder = site.path / STATIONS_FOLDER
    for path in sorted(folder.glob("*.md")):
        if anchor_of_file(path) == anchor:
            return StationFile(path.stem, path, True)
    if not STATION_ID.match(anchor):
        raise InputFileError(f"station anchor {anchor!r} cannot name a station file")
    station_id = anchor
    number = 2
    while (folder / f"{station_id}.md").exists():
        station_id = f"{anchor}-{number}"
        number += 1
    return StationFile(station_id, folder / f"{station_id}.md", False)


# --- the form ----------------------------------------------------------------------------------


def _front_data(text: str) -> dict[str, Any] | None:
    lines = text.splitlines()
    if not lines or lines[0].strip() != FENCE:
        return None
    closing = next((i for i in range(1, len(lines)) if lines[i].strip() == FENCE), None)
    if closing is None:
        return None
    try:
        return tomllib.loads("\n".join(lines[1:closing]))
    except tomllib.TOMLDecodeError:
        return None


def form_of_text(path: Path, text: str, languages: tuple[str, ...]) -> dict[str, Any]:
    """A station file as the editor's form (what it holds, as written; nothing checked)."""
    problems: list[ContentProblem] = []
    split = _split(path, text, languages, problems)
    if split is None:
        raise InputFileError(f"{path.name}: {problems[0].message}")
    try:
        data = tomllib.loads(split.front)
    except tomllib.TOMLDecodeError as exc:
        raise InputFileError(f"{path.name}: broken front matter: {exc}") from None
    form = _plain(data)
    form["body"] = {lang: body.strip("\n") for lang, (_, body) in split.bodies.items()}
    return form


def empty_form(anchor: str, title: Localised, today: datetime.date) -> dict[str, Any]:
    """The form for a station without content yet."""
    return {
        "anchor": anchor,
        "topic": "",
        "reviewed": today.isoformat(),
        "title": dict(title),
        "intro": {},
        "body": {},
        "sources": [],
    }


def _plain(value: Any) -> Any:
    """TOML data as JSON can carry it (dates as ``YYYY-MM-DD``)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


_FRONT_ORDER = ("anchor", "topic", "order", "reviewed")
_LOCALISED_TOP = ("title", "intro")


def station_text(form: Mapping[str, Any], languages: tuple[str, ...]) -> str:
    """The station file for the editor's form, laid out as docs/content-format.md shows it.

    Values are written as given (a wrong type is left for the check to name); empty ones are
    left out, so a missing field is reported as missing."""
    lines = [FENCE]
    for key in _FRONT_ORDER:
        value = _given(form.get(key))
        if value is None:
            continue
        if key == "reviewed" and isinstance(value, str):
            lines.append(f"{key} = {_date_value(value)}")
        else:
            lines.append(f"{key} = {toml_value(value)}")
    lines.append("")
    for key in _LOCALISED_TOP:
        lines += _localised_lines(key, form.get(key))
    lines.append("")
    sources = form.get("sources")
    for source in sources if isinstance(sources, list) else []:
        lines.append("[[sources]]")
        if isinstance(source, Mapping):
            for key in ("publisher", "title", "year", "url"):
                value = _given(source.get(key))
                if value is not None:
                    lines.append(f"{key} = {toml_value(value)}")
        lines.append("")
    quiz = form.get("quiz")
    if isinstance(quiz, Mapping) and quiz.get("questions"):
        lines.append("[quiz]")
        pass_mark = _given(quiz.get("pass_mark"))
        if pass_mark is not None:
            lines.append(f"pass_mark = {toml_value(pass_mark)}")
        lines.append("")
        questions = quiz.get("questions")
        for question in questions if isinstance(questions, list) else []:
            lines.append("[[quiz.questions]]")
            if isinstance(question, Mapping):
                lines.append(f"kind = {toml_value(question.get('kind') or 'single')}")
                lines += _localised_lines("prompt", question.get("prompt"))
                lines += _option_lines(question.get("options"))
                lines += _localised_lines("explanation", question.get("explanation"))
            lines.append("")
    experiment = form.get("experiment")
    if isinstance(experiment, Mapping) and _given(experiment.get("calculator")) is not None:
        lines.append("[experiment]")
        lines.append(f"calculator = {toml_value(experiment['calculator'])}")
        lines += _localised_lines("intro", experiment.get("intro"))
        lines.append("")
    while lines[-1] == "":
        lines.pop()
    lines.append(FENCE)
    body = form.get("body")
    bodies = body if isinstance(body, Mapping) else {}
    for lang in languages:
        text = bodies.get(lang)
        if not isinstance(text, str) or not text.strip():
            continue
        lines += ["", f"{FENCE} {lang}", _body_text(text).rstrip("\n")]
    return "\n".join(lines) + "\n"


def _given(value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value.strip() if isinstance(value, str) else value


def _date_value(text: str) -> str:
    try:
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        return toml_value(text)  # a text; the check says it must be a date


def _localised_lines(key: str, value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, Mapping):
        return [
            f"{key}.{lang} = {toml_value(_one_line(text))}"
            for lang, text in value.items()
            if _given(text) is not None and isinstance(lang, str) and STATION_ID.match(lang)
        ]
    given = _given(value)
    return [] if given is None else [f"{key} = {toml_value(given)}"]


def _one_line(value: Any) -> Any:
    return " ".join(value.split()) if isinstance(value, str) else value


def _option_lines(options: Any) -> list[str]:
    if not isinstance(options, list):
        return []
    lines = ["options = ["]
    for option in options:
        if not isinstance(option, Mapping):
            continue
        parts = {
            k: _one_line(v) for k, v in option.items() if k != "correct" and _given(v) is not None
        }
        if option.get("correct") is True:
            parts["correct"] = True
        lines.append(f"  {toml_value(parts)},")
    lines.append("]")
    return lines


def _body_text(text: str) -> str:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(line.rstrip() for line in lines)


# --- the checks ------------------------------------------------------------------------------


def check_station_text(
    site: Site, target: StationFile, text: str, places: Mapping[str, StationPlace | None]
) -> tuple[Station | None, list[ContentProblem]]:
    """The checks of ``hubtwin content check`` on one station file's text (not yet written),
    plus: no other station on its anchor."""
    problems: list[ContentProblem] = []
    folder = site.path / STATIONS_FOLDER
    topics: Mapping[str, Topic] = _read_topics(folder / TOPICS_FILE, site.languages, problems)
    calculators, calculator_problems = read_calculators(site.path, site.languages)
    problems.extend(calculator_problems)
    known = calculators.keys() | _calculator_files(site.path)
    station = parse_station(target.path, text, site, topics, places, known, problems)
    if station is not None:
        for path in sorted(folder.glob("*.md")):
            if path != target.path and anchor_of_file(path) == station.anchor:
                problems.append(
                    ContentProblem(
                        target.path,
                        None,
                        f"anchor {station.anchor!r} already holds station {path.stem!r} "
                        f"({path.name}); each station needs its own anchor",
                    )
                )
    return (station if not problems else None), problems


def calculator_choices(site: Site) -> list[dict[str, Any]]:
    calculators, _ = read_calculators(site.path, site.languages)
    return [{"id": c.id, "title": dict(c.title)} for c in calculators.values()]


def topic_choices(site: Site) -> list[dict[str, Any]]:
    problems: list[ContentProblem] = []
    topics = _read_topics(site.path / STATIONS_FOLDER / TOPICS_FILE, site.languages, problems)
    return [{"id": t.id, "title": dict(t.title)} for t in topics.values()]


# --- writing ---------------------------------------------------------------------------------


def write_station_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole: aside, synced, renamed over (then the folder synced).

    A failure leaves the old file as it was and no file aside."""
    aside = path.with_name(f".{path.name}.saving-{os.getpid()}")
    try:
        with open(aside, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(aside, path)
    except BaseException:
        aside.unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def clear_leftovers(site: Site) -> None:
    """Remove files a save cut short left aside (never read as stations: not ``*.md``)."""
    for leftover in (site.path / STATIONS_FOLDER).glob(".*.md.saving-*"):
        leftover.unlink(missing_ok=True)
