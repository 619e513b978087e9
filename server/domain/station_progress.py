"""What a visitor has done at the learning stations, and the views made from it.

Three kinds of record: a ``ProgressRecord`` is one event to persist (opened a station, tried
or passed its quiz, ran its experiment); a ``StationProgress`` is the stored state of one
person at one station; a ``Passport`` is a person's progress across the hub, from which the
downloadable summary is written. The staff export is CSV with nothing personal but the
display name: people are numbered per export instead of showing their ids; its times are
written in the hub's time zone, which its header names (as in the attendance CSV).

Nothing here does I/O; the store persists records and reads rows back.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from server.base.csv_export import csv_text, formula_safe, local_time


class ShownStation(Protocol):
    """What a passport and an export read of a station (the stations' catalogue has it)."""

    @property
    def id(self) -> str: ...
    @property
    def topic(self) -> str: ...
    @property
    def title(self) -> dict[str, str]: ...
    @property
    def quiz(self) -> object | None: ...
    @property
    def experiment(self) -> object | None: ...


class StationCatalogue(Protocol):
    """The stations shown, as a passport and an export read them
    (``server/features/stations/catalogue.py``'s ``StationCatalogue``)."""

    @property
    def default_language(self) -> str: ...
    @property
    def stations(self) -> Sequence[ShownStation]: ...
    def get(self, station_id: str) -> ShownStation | None: ...


class ProgressEvent(StrEnum):
    OPENED = "opened"
    QUIZ_FAILED = "quiz_failed"
    QUIZ_PASSED = "quiz_passed"
    EXPERIMENT_DONE = "experiment_done"


@dataclass(frozen=True)
class ProgressRecord:
    """One thing that happened at a station, to be stored."""

    identity_id: str
    display_name: str
    guest: bool
    station_id: str
    event: ProgressEvent
    at: float


@dataclass(frozen=True)
class StationProgress:
    """One person's stored progress at one station."""

    station_id: str
    opened_at: float
    quiz_attempts: int = 0
    quiz_passed_at: float | None = None
    experiment_runs: int = 0
    experiment_done_at: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "station": self.station_id,
            "opened_at": self.opened_at,
            "quiz_attempts": self.quiz_attempts,
            "quiz_passed_at": self.quiz_passed_at,
            "experiment_runs": self.experiment_runs,
            "experiment_done_at": self.experiment_done_at,
        }


@dataclass(frozen=True)
class PassportStamp:
    """One station in a passport: its title and what this person has done there."""

    station_id: str
    title: str
    topic: str
    opened: bool
    quiz_passed: bool | None  # None: the station has no quiz
    experiment_done: bool | None  # None: the station has no experiment
    quiz_attempts: int

    @property
    def complete(self) -> bool:
        return self.opened and self.quiz_passed is not False and self.experiment_done is not False

    def as_dict(self) -> dict[str, Any]:
        return {
            "station": self.station_id,
            "title": self.title,
            "topic": self.topic,
            "opened": self.opened,
            "quiz_passed": self.quiz_passed,
            "experiment_done": self.experiment_done,
            "quiz_attempts": self.quiz_attempts,
            "complete": self.complete,
        }


@dataclass(frozen=True)
class Passport:
    """A person's progress across the hub's stations."""

    display_name: str
    language: str
    stamps: tuple[PassportStamp, ...]

    @property
    def opened(self) -> int:
        return sum(1 for s in self.stamps if s.opened)

    @property
    def quizzes(self) -> tuple[int, int]:
        with_quiz = [s for s in self.stamps if s.quiz_passed is not None]
        return sum(1 for s in with_quiz if s.quiz_passed), len(with_quiz)

    @property
    def experiments(self) -> tuple[int, int]:
        with_experiment = [s for s in self.stamps if s.experiment_done is not None]
        return sum(1 for s in with_experiment if s.experiment_done), len(with_experiment)

    def as_dict(self) -> dict[str, Any]:
        passed, quizzes = self.quizzes
        done, experiments = self.experiments
        return {
            "display_name": self.display_name,
            "language": self.language,
            "stations": {"opened": self.opened, "total": len(self.stamps)},
            "quizzes": {"passed": passed, "total": quizzes},
            "experiments": {"done": done, "total": experiments},
            "complete": sum(1 for s in self.stamps if s.complete),
            "stamps": [s.as_dict() for s in self.stamps],
        }


def make_passport(
    catalogue: StationCatalogue,
    display_name: str,
    rows: Iterable[StationProgress],
    lang: str,
) -> Passport:
    """The passport of one person from their stored rows (stations no longer shown drop out)."""
    by_station = {row.station_id: row for row in rows}
    stamps = []
    for station in catalogue.stations:
        row = by_station.get(station.id)
        stamps.append(
            PassportStamp(
                station_id=station.id,
                title=station.title[lang],
                topic=station.topic,
                opened=row is not None,
                quiz_passed=None if station.quiz is None else bool(row and row.quiz_passed_at),
                experiment_done=(
                    None if station.experiment is None else bool(row and row.experiment_done_at)
                ),
                quiz_attempts=row.quiz_attempts if row else 0,
            )
        )
    return Passport(display_name, lang, tuple(stamps))


_SUMMARY_TEXT = {
    "de": {
        "heading": "{hub} – Lernpass von {name}",
        "date": "Stand: {date} (UTC)",
        "stations": "Besuchte Lernstationen: {opened} von {total}",
        "quizzes": "Bestandene Quizze: {passed} von {total}",
        "experiments": "Durchgeführte Experimente: {done} von {total}",
        "opened": "besucht",
        "not_opened": "noch nicht besucht",
        "quiz_passed": "Quiz bestanden",
        "quiz_open": "Quiz offen",
        "experiment_done": "Experiment durchgeführt",
        "experiment_open": "Experiment offen",
        "footer": "Gespeichert sind nur Ihr Anzeigename und was Sie an den Stationen "
        "abgeschlossen haben, keine Eingaben aus den Rechnern.",
    },
    "en": {
        "heading": "{hub} – learning passport of {name}",
        "date": "As of: {date} (UTC)",
        "stations": "Learning stations visited: {opened} of {total}",
        "quizzes": "Quizzes passed: {passed} of {total}",
        "experiments": "Experiments done: {done} of {total}",
        "opened": "visited",
        "not_opened": "not visited yet",
        "quiz_passed": "quiz passed",
        "quiz_open": "quiz open",
        "experiment_done": "experiment done",
        "experiment_open": "experiment open",
        "footer": "Only your display name and what you completed at the stations is stored, "
        "nothing you typed into the calculators.",
    },
}


def summary_text(passport: Passport, now: float, hub: str) -> str:
    """The passport as a plain-text page a visitor can download and keep, headed by the
    hub's name (the site's short name)."""
    words = _SUMMARY_TEXT.get(passport.language, _SUMMARY_TEXT["en"])
    passed, quizzes = passport.quizzes
    done, experiments = passport.experiments
    date = datetime.datetime.fromtimestamp(now, datetime.UTC).strftime("%Y-%m-%d %H:%M")
    heading = words["heading"].format(hub=hub, name=passport.display_name)
    lines = [
        heading,
        "=" * len(heading),
        words["date"].format(date=date),
        "",
        words["stations"].format(opened=passport.opened, total=len(passport.stamps)),
        words["quizzes"].format(passed=passed, total=quizzes),
        words["experiments"].format(done=done, total=experiments),
        "",
    ]
    for stamp in passport.stamps:
        mark = "[x]" if stamp.complete else "[ ]"
        parts = [words["opened"] if stamp.opened else words["not_opened"]]
        if stamp.quiz_passed is not None:
            parts.append(words["quiz_passed"] if stamp.quiz_passed else words["quiz_open"])
        if stamp.experiment_done is not None:
            parts.append(
                words["experiment_done"] if stamp.experiment_done else words["experiment_open"]
            )
        lines.append(f"{mark} {stamp.title}: {', '.join(parts)}")
    lines += ["", words["footer"], ""]
    return "\n".join(lines)


@dataclass(frozen=True)
class ExportRow:
    """One stored row for the staff export: whose (by display name) and what."""

    identity_id: str
    display_name: str
    progress: StationProgress


def csv_columns(zone: ZoneInfo) -> tuple[str, ...]:
    """The export's header row; the time columns name their time zone."""
    return (
        "person",
        "display_name",
        "station",
        "station_title",
        f"opened_at ({zone.key})",
        "quiz_attempts",
        f"quiz_passed_at ({zone.key})",
        "experiment_runs",
        f"experiment_done_at ({zone.key})",
    )


def export_csv(catalogue: StationCatalogue, rows: Sequence[ExportRow], zone: ZoneInfo) -> str:
    """All progress as CSV, times in ``zone``; people appear as numbers 1, 2, … in this
    export, not by id."""
    numbers: dict[str, int] = {}
    lines = []
    for row in rows:
        person = numbers.setdefault(row.identity_id, len(numbers) + 1)
        station = catalogue.get(row.progress.station_id)
        title = station.title[catalogue.default_language] if station else ""
        p = row.progress
        lines.append(
            (
                person,
                formula_safe(row.display_name),
                p.station_id,
                formula_safe(title),
                local_time(p.opened_at, zone),
                p.quiz_attempts,
                local_time(p.quiz_passed_at, zone),
                p.experiment_runs,
                local_time(p.experiment_done_at, zone),
            )
        )
    return csv_text(csv_columns(zone), lines)
