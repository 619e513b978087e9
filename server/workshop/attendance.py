"""After a workshop: who took part when, and how far they got at the learning stations, as a
short summary and as a CSV file for the facilitator (no I/O).

Only display names leave this module, with a short person key (``person_key``: derived from
the identity with the hub's secret, the same in every export, not reversible) so that two
people of the same name are told apart; nothing else about them. Join and leave events that
follow each other within ``MERGE_GAP_S`` (a move between the workshop's rooms, a
reconnection) count as one stay, and so do overlapping sessions of one person (two tabs): a
stay ends when the last of them leaves. The workshop's facilitators are marked (their role)
and not counted as participants. Times are written in the hub's time zone, which the CSV's
headers name.

>>> events = [AttendanceEvent("w1", "g-a", "Ada", True, True, 0.0),
...           AttendanceEvent("w1", "g-a", "Ada", True, False, 1800.0)]
>>> report = attendance_report(events, {}, now=4000.0, agenda_stations=())
>>> report.people[0].seconds(report.now) / 60, report.peak
(30.0, 1)
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from zoneinfo import ZoneInfo

from server.base.csv_export import csv_text, formula_safe, local_time
from server.domain.station_progress import StationProgress
from server.domain.workshop_records import AttendanceEvent
from server.domain.workshops import SITE_ZONE, Workshop

MERGE_GAP_S: Final = 2.0
#: What the role column says.
ROLE_LEADS: Final = "Moderation / facilitator"
ROLE_TAKES_PART: Final = "Teilnahme / participant"


def csv_columns(zone: ZoneInfo) -> tuple[str, ...]:
    """The CSV's header row; the time columns name the time zone they are written in."""
    return (
        "Nr / No",
        "Kennung / Key",
        "Name",
        "Rolle / Role",
        f"Erster Eintritt ({zone.key}) / First joined ({zone.key})",
        f"Letzter Austritt ({zone.key}) / Last left ({zone.key})",
        "Minuten / Minutes",
        "Aufenthalte / Stays",
        "Stationen geöffnet / Stations opened",
        "Davon aus der Agenda / Of the agenda's",
        "Quiz bestanden / Quizzes passed",
        "Experimente / Experiments",
    )


PersonKey = Callable[[str], str]
"""A short stable key for an identity id (``person_key``)."""


def person_key(secret: str) -> PersonKey:
    """Keys for identity ids: 8 characters of a keyed hash (BLAKE2s with the hub's secret),
    the same for one person in every export, and not a way back to the identity."""
    key = hashlib.sha256(secret.encode()).digest()

    def of(identity_id: str) -> str:
        digest = hashlib.blake2s(identity_id.encode(), key=key, digest_size=5).digest()
        return base64.b32encode(digest).decode("ascii").lower()

    return of


def agenda_station_ids(
    agenda_stations: Sequence[str], station_refs: Mapping[str, str]
) -> list[str]:
    """The station ids of an agenda's station references (a station id, or the id of the
    anchor the station stands at, as older plans have it)."""
    return [station_refs.get(ref, ref) for ref in agenda_stations]


@dataclass
class Participant:
    """One person's part in a workshop."""

    identity_id: str
    name: str
    guest: bool
    leads: bool = False
    stays: list[tuple[float, float | None]] = field(default_factory=list)
    #: sessions of this person inside now (overlapping sessions are one stay)
    inside: int = 0
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
    """The people of one workshop (its facilitators too) and its figures (participants
    only)."""

    people: list[Participant]
    peak: int
    now: float

    @property
    def participants(self) -> list[Participant]:
        return [p for p in self.people if not p.leads]

    @property
    def average_minutes(self) -> float:
        taking_part = self.participants
        if not taking_part:
            return 0.0
        total = sum(p.seconds(self.now) for p in taking_part)
        return round(total / len(taking_part) / 60, 1)


def attendance_report(
    events: Sequence[AttendanceEvent],
    progress: Mapping[str, tuple[str, list[StationProgress]]],
    *,
    now: float,
    agenda_stations: Sequence[str],
    window: tuple[float, float] | None = None,
    leaders: Collection[str] = (),
) -> AttendanceReport:
    """People in order of arrival with their stays, and the most participants there at once
    (``leaders``: the identity ids of its facilitators, who are not counted). Station
    progress counts what was done during ``window`` (start of the workshop to its end; all
    of it without a window); ``agenda_stations`` are station ids (``agenda_station_ids``)."""
    people: dict[str, Participant] = {}
    inside = 0
    peak = 0
    for event in sorted(events, key=lambda e: (e.at, not e.joined)):
        person = people.get(event.identity_id)
        if person is None:
            leads = event.identity_id in leaders
            person = Participant(event.identity_id, event.display_name, event.guest, leads)
            people[event.identity_id] = person
        person.name = event.display_name
        if event.joined:
            person.inside += 1
            if person.inside > 1:
                continue  # another session of someone inside already: the same stay
            last = person.stays[-1] if person.stays else None
            if last is not None and last[1] is not None and event.at - last[1] <= MERGE_GAP_S:
                person.stays[-1] = (last[0], None)  # back at once: the same stay
            else:
                person.stays.append((event.at, None))
            if not person.leads:
                inside += 1
                peak = max(peak, inside)
        elif person.inside > 0:
            person.inside -= 1
            if person.inside == 0:
                person.stays[-1] = (person.stays[-1][0], event.at)
                inside -= not person.leads
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


def attendance_csv(report: AttendanceReport, *, key: PersonKey, zone: ZoneInfo = SITE_ZONE) -> str:
    """The report as CSV (times in ``zone``, named in the headers); display names and
    person keys only."""
    return csv_text(
        csv_columns(zone),
        (
            (
                number,
                key(person.identity_id),
                formula_safe(person.name),
                ROLE_LEADS if person.leads else ROLE_TAKES_PART,
                local_time(person.first_joined, zone),
                local_time(person.last_left, zone),
                f"{person.seconds(report.now) / 60:.1f}",
                len(person.stays),
                person.stations_opened,
                person.agenda_stations_opened,
                person.quizzes_passed,
                person.experiments_done,
            )
            for number, person in enumerate(report.people, start=1)
        ),
    )


def summary(
    workshop: Workshop, report: AttendanceReport, *, key: PersonKey, zone: ZoneInfo = SITE_ZONE
) -> dict[str, Any]:
    """The short summary view: the workshop, its figures (participants, not its
    facilitators), and everyone by display name and person key; times in ``zone``."""
    agenda_stations = [item.station for item in workshop.agenda if item.station]
    taking_part = report.participants
    return {
        "workshop": workshop.public_dict(),
        "participants": len(taking_part),
        "guests": sum(p.guest for p in taking_part),
        "peak": report.peak,
        "average_minutes": report.average_minutes,
        "agenda_stations": agenda_stations,
        "time_zone": zone.key,
        "people": [
            {
                "key": key(p.identity_id),
                "name": p.name,
                "role": "facilitator" if p.leads else "participant",
                "first_joined": local_time(p.first_joined, zone),
                "last_left": local_time(p.last_left, zone),
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
