"""Learning stations: the content model, reading a site's station files, and their checks.

A site keeps one file per station in ``<site>/stations/<station-id>.md`` (format:
docs/content-format.md): TOML front matter between ``+++`` lines (anchor, topic, title, intro,
sources, optional quiz and experiment), then the body once per language after a ``+++ de`` /
``+++ en`` line. The topics are listed in ``<site>/stations/topics.toml``; an experiment names
one of the calculators declared in ``<site>/calculators/``
(``server/features/stations/calculator_file.py``).

``read_catalogue`` reads everything and returns every problem it found, each with its file and
line; ``load_catalogue`` is what the server calls at start-up: it returns the catalogue or
raises ``ContentError`` with the same problems ``hubtwin content check`` prints, so a hub never
starts half-loaded.

>>> catalogue = load_catalogue(site, world)       # doctest: +SKIP
>>> catalogue.get("ghg-scopes").title["de"]       # doctest: +SKIP
'Klimabilanz: die drei Scopes'
"""

from __future__ import annotations

import datetime
import logging
import re
import tomllib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from server.features.stations.calculator_file import CALCULATORS_FOLDER, read_calculators
from server.features.stations.calculators import Calculator
from server.features.stations.content_reader import (
    ContentProblem,
    FrontMatter,
    Localised,
    read_named_file,
)
from server.features.stations.markdown import render_body
from server.features.stations.quiz import Quiz, read_quiz
from world.errors import InputFileError
from world.site import Site
from world.toml_locations import KeyLines, toml_error_line

if TYPE_CHECKING:
    from world.building import BuildingPlan

log = logging.getLogger("hubtwin.stations")

STATIONS_FOLDER = "stations"
TOPICS_FILE = "topics.toml"
FENCE = "+++"
STATION_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,47}$")
STATION_KEYS = {
    "anchor",
    "topic",
    "order",
    "reviewed",
    "title",
    "intro",
    "sources",
    "quiz",
    "experiment",
}
SOURCE_KEYS = {"publisher", "title", "year", "url"}
EXPERIMENT_KEYS = {"calculator", "intro"}
TITLE_MAX = 90
INTRO_MAX = 320


class ContentError(InputFileError):
    """Station content that cannot be served; ``problems`` lists every one of them."""

    def __init__(self, problems: Sequence[ContentProblem]) -> None:
        count = len(problems)
        noun = "problem" if count == 1 else "problems"
        lines = "\n".join(f"  {problem}" for problem in problems)
        super().__init__(f"station content has {count} {noun}:\n{lines}")
        self.problems = tuple(problems)


# --- the model -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    publisher: str
    title: str
    year: int
    url: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "publisher": self.publisher,
            "title": self.title,
            "year": self.year,
            "url": self.url,
        }


@dataclass(frozen=True)
class Topic:
    id: str
    title: Localised


@dataclass(frozen=True)
class StationPlace:
    """Where a station stands: its anchor in the world model."""

    anchor_id: str
    room_id: str
    position: tuple[float, float, float]
    yaw: float


@dataclass(frozen=True)
class Experiment:
    calculator: str
    intro: Localised | None


@dataclass(frozen=True)
class Station:
    id: str
    path: Path
    anchor: str
    topic: str
    order: int
    reviewed: datetime.date
    title: Localised
    intro: Localised
    body: Localised  # Markdown, per language
    html: Localised  # the body rendered, per language
    sources: tuple[Source, ...]
    quiz: Quiz | None
    experiment: Experiment | None
    place: StationPlace | None


@dataclass(frozen=True)
class StationCatalogue:
    """Every station of a site, in display order, with the topics they belong to."""

    site_id: str
    languages: tuple[str, ...]
    default_language: str
    topics: tuple[Topic, ...]
    stations: tuple[Station, ...]
    unused_anchors: tuple[str, ...] = ()
    waiting: tuple[str, ...] = ()  # stations whose anchor is placed in the draft, unpublished
    calculators: Mapping[str, Calculator] = field(default_factory=dict)

    def get(self, station_id: str) -> Station | None:
        for station in self.stations:
            if station.id == station_id:
                return station
        return None

    def references(self) -> dict[str, str]:
        """What may name a station (its id, or its anchor's id) -> its id."""
        refs = {station.anchor: station.id for station in self.stations}
        refs.update({station.id: station.id for station in self.stations})
        return refs

    def at_anchor(self, anchor_id: str) -> Station | None:
        for station in self.stations:
            if station.anchor == anchor_id:
                return station
        return None

    def topic(self, topic_id: str) -> Topic | None:
        for topic in self.topics:
            if topic.id == topic_id:
                return topic
        return None

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(station.id for station in self.stations)


# --- where stations may stand --------------------------------------------------------------


class AnchorLike(Protocol):
    """A world anchor as ``world.model`` gives it."""

    id: str
    kind: str
    room_id: str
    position: Any
    yaw: float


class WorldLike(Protocol):
    def anchors_of(self, kind: str) -> Sequence[AnchorLike]: ...


def places_from_world(world: WorldLike) -> list[StationPlace]:
    """The station anchors of a loaded world model."""
    places = []
    for anchor in world.anchors_of("station"):
        x, y, z = (float(v) for v in anchor.position)
        places.append(StationPlace(anchor.id, anchor.room_id, (x, y, z), float(anchor.yaw)))
    return places


def places_from_draft(site: Site) -> list[StationPlace]:
    """The station anchors of the draft: ``building.toml`` with staff's ``layout.toml`` applied
    (stations added, moved or removed in the browser's edit mode or with ``hubtwin world``)."""
    from world.building import load_building
    from world.staff_layout import staff_layout

    return _places_in_plan(
        staff_layout(site, load_building(site.building_file, site.languages)).plan
    )


def waiting_anchors(site: Site, places: Iterable[StationPlace]) -> set[str]:
    """Station anchors placed in the draft but not among ``places`` (the served world): content
    written for them waits for the next publish instead of being an unknown anchor."""
    try:
        drafted = {place.anchor_id for place in places_from_draft(site)}
    except InputFileError as exc:
        log.warning("the draft layout was not read: %s", exc)
        return set()
    return drafted - {place.anchor_id for place in places}


def places_from_building(site: Site) -> list[StationPlace]:
    """The station anchors as the site's ``building.toml`` defines them (no model needed)."""
    from world.building import load_building

    return _places_in_plan(load_building(site.building_file, site.languages))


def _places_in_plan(plan: BuildingPlan) -> list[StationPlace]:
    """A building plan's station anchors, standing on their rooms' floors."""
    return [
        StationPlace(
            anchor.id,
            anchor.room,
            (anchor.x, plan.room(anchor.room).elevation + anchor.elevation, anchor.z),
            anchor.yaw,
        )
        for anchor in plan.anchors
        if anchor.kind == "station"
    ]


# --- reading -------------------------------------------------------------------------------


def load_catalogue(site: Site, world: WorldLike) -> StationCatalogue:
    """The site's stations placed in ``world``; raises ``ContentError`` listing every problem."""
    places = places_from_world(world)
    catalogue, problems = read_catalogue(site, places, waiting=waiting_anchors(site, places))
    if problems:
        raise ContentError(problems)
    if catalogue.unused_anchors:
        log.info("station anchors without a station", extra={"anchors": catalogue.unused_anchors})
    log.info("stations loaded", extra={"stations": len(catalogue.stations)})
    return catalogue


def read_catalogue(
    site: Site, places: Iterable[StationPlace], *, waiting: Collection[str] = ()
) -> tuple[StationCatalogue, list[ContentProblem]]:
    """Read every station file of ``site``; returns what loaded and every problem found.

    A station on one of the ``waiting`` anchors (placed in the draft, not yet published) is
    no problem but is left out of the catalogue until its anchor is among ``places``."""
    folder = site.path / STATIONS_FOLDER
    problems: list[ContentProblem] = []
    by_anchor: dict[str, StationPlace | None] = {anchor: None for anchor in waiting}
    by_anchor.update({place.anchor_id: place for place in places})
    empty = StationCatalogue(site.id, site.languages, site.default_language, (), ())
    if not folder.is_dir():
        problems.append(ContentProblem(folder, None, "station folder not found"))
        return empty, problems
    topics = _read_topics(folder / TOPICS_FILE, site.languages, problems)
    calculators, calculator_problems = read_calculators(site.path, site.languages)
    problems.extend(calculator_problems)
    known_calculators = calculators.keys() | _calculator_files(site.path)
    stations: list[Station] = []
    for path in sorted(folder.glob("*.md")):
        station = _read_station(path, site, topics, by_anchor, known_calculators, problems)
        if station is not None:
            stations.append(station)
    _check_shared_anchors(stations, problems)
    stations.sort(key=lambda s: (s.order, s.id))
    used = {s.anchor for s in stations}
    placed = {anchor for anchor, place in by_anchor.items() if place is not None}
    held = tuple(s.id for s in stations if s.place is None)
    stations = [s for s in stations if s.place is not None]
    catalogue = StationCatalogue(
        site_id=site.id,
        languages=site.languages,
        default_language=site.default_language,
        topics=tuple(topics.values()),
        stations=tuple(stations),
        unused_anchors=tuple(sorted(placed - used)),
        waiting=held,
        calculators=calculators,
    )
    return catalogue, problems


def _calculator_files(site_path: Path) -> set[str]:
    """Calculator ids with a file, read or not (a broken file is reported once, by itself)."""
    return {path.stem for path in (site_path / CALCULATORS_FOLDER).glob("*.toml")}


def _check_shared_anchors(stations: list[Station], problems: list[ContentProblem]) -> None:
    first: dict[str, Station] = {}
    for station in stations:
        if station.anchor in first:
            other = first[station.anchor]
            problems.append(
                ContentProblem(
                    station.path,
                    _anchor_line(station.path),
                    f"anchor {station.anchor!r} already holds station {other.id!r} "
                    f"({other.path.name}); each station needs its own anchor",
                )
            )
        else:
            first[station.anchor] = station


def _anchor_line(path: Path) -> int | None:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip().startswith("anchor"):
            return number
    return None


def _read_topics(
    path: Path, languages: tuple[str, ...], problems: list[ContentProblem]
) -> dict[str, Topic]:
    if not path.is_file():
        problems.append(
            ContentProblem(
                path, None, "topics file not found (it lists the topics stations belong to)"
            )
        )
        return {}
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, message = toml_error_line(str(exc))
        problems.append(ContentProblem(path, line, f"not valid TOML: {message}"))
        return {}
    front = FrontMatter(path, data, KeyLines(text), 0, languages, problems)
    topics: dict[str, Topic] = {}
    for topic_id in data:
        if not STATION_ID.match(topic_id):
            front.problem(
                (topic_id,), f"topic id {topic_id!r} must be lower-case letters, digits and dashes"
            )
            continue
        front.table((topic_id,), {"title"})
        title = front.localised((topic_id, "title"), max_chars=TITLE_MAX)
        if title is not None:
            topics[topic_id] = Topic(topic_id, title)
    if not data:
        problems.append(ContentProblem(path, None, "no topics defined"))
    return topics


@dataclass
class _SplitFile:
    front: str
    front_first_line: int  # file line of the first front-matter line, minus one
    bodies: dict[str, tuple[int, str]]  # language -> (file line before the text, text)


def _split(
    path: Path, text: str, languages: tuple[str, ...], problems: list[ContentProblem]
) -> _SplitFile | None:
    lines = text.splitlines()
    if not lines or lines[0].strip() != FENCE:
        problems.append(
            ContentProblem(path, 1, f"the file must start with a {FENCE} line (front matter opens)")
        )
        return None
    closing = next((i for i in range(1, len(lines)) if lines[i].strip() == FENCE), None)
    if closing is None:
        problems.append(
            ContentProblem(path, 1, f"front matter is not closed: add a line {FENCE} after it")
        )
        return None
    bodies: dict[str, tuple[int, str]] = {}
    current: str | None = None
    skipping = False  # after a reported problem, until the next good marker
    start = 0
    collected: list[str] = []

    def finish() -> None:
        if current is not None:
            bodies[current] = (start, "\n".join(collected).rstrip() + "\n")

    for i in range(closing + 1, len(lines)):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith(FENCE):
            lang = stripped[len(FENCE) :].strip()
            finish()
            collected = []
            start = i + 1
            skipping = True
            if lang not in languages:
                problems.append(
                    ContentProblem(
                        path,
                        i + 1,
                        f"body marker {stripped!r}: write '{FENCE} <language>' with one of "
                        f"{', '.join(languages)}",
                    )
                )
                current = None
            elif lang in bodies:
                problems.append(ContentProblem(path, i + 1, f"the {lang!r} body appears twice"))
                current = None
            else:
                current = lang
            continue
        if current is None:
            if stripped and not skipping:
                problems.append(
                    ContentProblem(
                        path,
                        i + 1,
                        f"text outside a body: start the body with a line '{FENCE} {languages[0]}'",
                    )
                )
                skipping = True
            continue
        collected.append(line)
    finish()
    return _SplitFile("\n".join(lines[1:closing]), 1, bodies)


def _read_station(
    path: Path,
    site: Site,
    topics: Mapping[str, Topic],
    places: Mapping[str, StationPlace | None],
    calculators: Iterable[str],
    problems: list[ContentProblem],
) -> Station | None:
    text = read_named_file(path, STATION_ID, "station", ".md", problems)
    if text is None:
        return None
    return parse_station(path, text, site, topics, places, calculators, problems)


def parse_station(
    path: Path,
    text: str,
    site: Site,
    topics: Mapping[str, Topic],
    places: Mapping[str, StationPlace | None],
    calculators: Iterable[str],
    problems: list[ContentProblem],
) -> Station | None:
    """One station file's ``text`` (to be) at ``path``, with every check; problems are added.

    ``places`` maps the known station anchors to where they stand (None: placed in the
    draft, not yet published; the station then has no place)."""
    station_id = path.stem
    before = len(problems)
    split = _split(path, text, site.languages, problems)
    if split is None:
        return None
    try:
        data = tomllib.loads(split.front)
    except tomllib.TOMLDecodeError as exc:
        line, message = toml_error_line(str(exc))
        shown = line + split.front_first_line if line is not None else 1
        problems.append(ContentProblem(path, shown, f"broken front matter: {message}"))
        return None
    front = FrontMatter(
        path, data, KeyLines(split.front), split.front_first_line, site.languages, problems
    )
    front.table((), STATION_KEYS)

    anchor = front.text(("anchor",), max_chars=64)
    place = None
    if anchor is not None:
        place = places.get(anchor)
        if anchor not in places:
            known = ", ".join(sorted(places)) or "none"
            front.problem(
                ("anchor",),
                f"unknown anchor {anchor!r}: not a station anchor of "
                f"the building (station anchors: {known})",
            )
    topic = front.text(("topic",), max_chars=48)
    if topic is not None and topic not in topics:
        front.problem(
            ("topic",), f"unknown topic {topic!r} (topics: {', '.join(sorted(topics)) or 'none'})"
        )
    order = front.integer(("order",), low=0, high=9999, default=1000)
    reviewed = front.date(("reviewed",))
    title = front.localised(("title",), max_chars=TITLE_MAX)
    intro = front.localised(("intro",), max_chars=INTRO_MAX)
    sources = _read_sources(front)
    quiz = read_quiz(front)
    experiment = _read_experiment(front, set(calculators))

    body: Localised = {}
    html: Localised = {}
    for lang in site.languages:
        if lang not in split.bodies:
            problems.append(
                ContentProblem(
                    path,
                    None,
                    f"missing translation: no body for "
                    f"{lang!r} (add a line '{FENCE} {lang}' "
                    "and the text)",
                )
            )
            continue
        offset, markdown = split.bodies[lang]
        rendered = render_body(markdown, path.parent, site.path)
        for problem in rendered.problems:
            problems.append(ContentProblem(path, offset + problem.line, problem.message))
        body[lang] = markdown
        html[lang] = rendered.html
    if len(problems) > before:
        return None
    assert anchor is not None and topic is not None and order is not None
    assert reviewed is not None and title is not None and intro is not None
    assert sources is not None
    return Station(
        id=station_id,
        path=path,
        anchor=anchor,
        topic=topic,
        order=order,
        reviewed=reviewed,
        title=title,
        intro=intro,
        body=body,
        html=html,
        sources=sources,
        quiz=quiz,
        experiment=experiment,
        place=place,
    )


def _read_sources(front: FrontMatter) -> tuple[Source, ...] | None:
    entries = front.tables(("sources",), minimum=1)
    if entries is None or not entries:
        return None
    sources = []
    for i in range(len(entries)):
        at = ("sources", i)
        front.table(at, SOURCE_KEYS)
        publisher = front.text((*at, "publisher"), max_chars=200)
        title = front.text((*at, "title"), max_chars=300)
        year = front.integer((*at, "year"), low=1900, high=2100)
        url = front.url((*at, "url"))
        if publisher is None or title is None or year is None:
            continue
        sources.append(Source(publisher, title, year, url))
    return tuple(sources) if len(sources) == len(entries) else None


def _read_experiment(front: FrontMatter, calculators: set[str]) -> Experiment | None:
    table = front.table(("experiment",), EXPERIMENT_KEYS)
    if table is None:
        return None
    calculator = front.text(("experiment", "calculator"), max_chars=64)
    if calculator is not None and calculator not in calculators:
        known = ", ".join(sorted(calculators)) or "none"
        front.problem(
            ("experiment", "calculator"),
            f"unknown calculator {calculator!r}: add {CALCULATORS_FOLDER}/{calculator}.toml "
            f"or name one of the site's calculators ({known})",
        )
        return None
    intro = front.localised(("experiment", "intro"), required=False, max_chars=INTRO_MAX)
    if calculator is None:
        return None
    return Experiment(calculator, intro)
