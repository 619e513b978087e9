"""After a workshop: who took part when, and how far they got at the learning stations, as a
short summary and as a CSV file for the facilitator (no I/O).

Only display names leave this module: the CSV numbers people 1, 2, … instead of showing
their identity ids, and holds nothing else about them. Join and leave events that follow
each other within ``MERGE_GAP_S`` (a move between the workshop's rooms, a reconnection) count
as one stay.

>>> events = [AttendanceEvent("w1", "g-a", "Ada", True, True, 0.0),
...           AttendanceEvent("w1", "g-a", "Ada", True, False, 1800.0)]
>>> report = attendance_report(events, {}, now=4000.0, agenda_stations=())
>>> report.people[0].seconds(report.now) / 60, report.peak
(30.0, 1)
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from server.progress import StationProgress
from server.workshop_records import AttendanceEvent
from server.workshops import SITE_ZONE, Workshop

MERGE_GAP_S: Final = 2.0
CSV_COLUMNS: Final = (
    "Nr / No",
    "Name",
    "Erster Eintritt / First joined",
    "Letzter Austritt / Last left",
    "Minuten / Minutes",
    "Aufenthalte / Stays",
    "Stationen geöffnet / Stations opened",
    "Davon aus der Agenda / Of the agenda's",
    "Quiz bestanden / Quizzes passed",
    "Experimente / Experiments",
)


@dataclass
class Participant:
    """One person's part in a workshop."""

    identity_id: str
    name: str
    guest: bool
    stays: list[tuple[float, float | None]] = field(default_factory=list)
    stations_opened: int = 0
    agenda_stations_opened: int = 0
    quizzes_passed: int = 0
    experiments_done: int = 0

    @property
    def first_joined(self) -> float:
        return self.stays[0][0]

    @property
    def last_left(self) -> float | None:
        return self.stays[-1][1]

    def seconds(self, now: float) -> float:
        """Time inside, counting a stay not ended yet up to ``now``."""
        return sum((end if end is not None else now) - start for start, end in self.stays)


@dataclass
class AttendanceReport:
    """The people of one workshop and its figures."""

    people: list[Participant]
    peak: int
    now: float

    @property
    def average_minutes(self) -> float:
        if not self.people:
            return 0.0
        return round(sum(p.seconds(self.now) for p in self.people) / len(self.people) / 60, 1)


def attendance_report(
    events: Sequence[AttendanceEvent],
    progress: Mapping[str, tuple[str, list[StationProgress]]],
    *,
    now: float,
    agenda_stations: Sequence[str],
    window: tuple[float, float] | None = None,
) -> AttendanceReport:
    """People in order of arrival with their stays, and the most there at once. Station
    progress counts what was done during ``window`` (start of the workshop to its end; all
    of it without a window)."""
    people: dict[str, Participant] = {}
    inside = 0
    peak = 0
    for event in sorted(events, key=lambda e: e.at):
        person = people.get(event.identity_id)
        if person is None:
            person = Participant(event.identity_id, event.display_name, event.guest)
            people[event.identity_id] = person
        person.name = event.display_name
        open_stay = bool(person.stays) and person.stays[-1][1] is None
        if event.joined:
            if open_stay:
                continue
            last = person.stays[-1] if person.stays else None
            if last is not None and last[1] is not None and event.at - last[1] <= MERGE_GAP_S:
                person.stays[-1] = (last[0], None)  # back at once: the same stay
            else:
                person.stays.append((event.at, None))
            inside += 1
            peak = max(peak, inside)
        elif open_stay:
            person.stays[-1] = (person.stays[-1][0], event.at)
            inside -= 1
    agenda = set(agenda_stations)
    for person in people.values():
        _, rows = progress.get(person.identity_id, ("", []))
        for row in rows:
            if window is not None and not window[0] <= row.opened_at <= window[1]:
                continue
            person.stations_opened += 1
            person.agenda_stations_opened += row.station_id in agenda
            person.quizzes_passed += row.quiz_passed_at is not None
            person.experiments_done += row.experiment_done_at is not None
    ordered = sorted(people.values(), key=lambda p: (p.first_joined, p.name))
    return AttendanceReport(ordered, peak, now)


def _local(ts: float | None) -> str:
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, SITE_ZONE).strftime("%Y-%m-%d %H:%M:%S")


def _cell(text: str) -> str:
    """Keep spreadsheet programs from reading a name as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def attendance_csv(report: AttendanceReport) -> str:
    """The report as CSV (local times, Europe/Berlin); display names only."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for number, person in enumerate(report.people, start=1):
        writer.writerow(
            (
                number,
                _cell(person.name),
                _local(person.first_joined),
                _local(person.last_left),
                f"{person.seconds(report.now) / 60:.1f}",
                len(person.stays),
                person.stations_opened,
                person.agenda_stations_opened,
                person.quizzes_passed,
                person.experiments_done,
            )
        )
    return out.getvalue()


def summary(workshop: Workshop, report: AttendanceReport) -> dict[str, Any]:
    """The short summary view: the workshop, its figures, and everyone by display name."""
    agenda_stations = [item.station for item in workshop.agenda if item.station]
    return {
        "workshop": workshop.public_dict(),
        "participants": len(report.people),
        "guests": sum(p.guest for p in report.people),
        "peak": report.peak,
        "average_minutes": report.average_minutes,
        "agenda_stations": agenda_stations,
        "people": [
            {
                "name": p.name,
                "first_joined": _local(p.first_joined),
                "last_left": _local(p.last_left),
                "minutes": round(p.seconds(report.now) / 60, 1),
                "stays": len(p.stays),
                "stations_opened": p.stations_opened,
                "agenda_stations_opened": p.agenda_stations_opened,
                "quizzes_passed": p.quizzes_passed,
                "experiments_done": p.experiments_done,
            }
            for p in report.people
        ],
    }
