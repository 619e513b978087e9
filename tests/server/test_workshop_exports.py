"""The attendance CSV checked field by field, from a real ``hubtwin workshops attendance``
process and over REST on a real socket: the agenda's stations counted (by station id, also
when the plan names the station's anchor), overlapping sessions of one person merged, people
of the same name told apart by a stable key, facilitators marked and not counted, and every
time written in the hub's time zone, which the header names."""

from __future__ import annotations

import asyncio
import csv
import io
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from test_workshops_http import SECRET, Hub, open_hub

from server.base.identity import Role
from server.base.settings import load_settings
from server.domain.station_progress import ProgressEvent, ProgressRecord
from server.domain.workshop_records import AttendanceEvent
from server.store.sqlite import Store
from server.workshop.attendance import person_key

BERLIN = ZoneInfo("Europe/Berlin")
HEADER = [
    "Nr / No",
    "Kennung / Key",
    "Name",
    "Rolle / Role",
    "Erster Eintritt (Europe/Berlin) / First joined (Europe/Berlin)",
    "Letzter Austritt (Europe/Berlin) / Last left (Europe/Berlin)",
    "Minuten / Minutes",
    "Aufenthalte / Stays",
    "Stationen geöffnet / Stations opened",
    "Davon aus der Agenda / Of the agenda's",
    "Quiz bestanden / Quizzes passed",
    "Experimente / Experiments",
]


def at(clock: str) -> float:
    """5 March 2031 (winter time in Berlin, UTC+1) at HH:MM local time."""
    return datetime.fromisoformat(f"2031-03-05T{clock}").replace(tzinfo=BERLIN).timestamp()


def events(workshop_id: str, facilitator_id: str) -> list[AttendanceEvent]:
    """Ada with two tabs (10:00-10:20 and 10:05-10:40: one stay of 40 minutes), two people
    called Ben, and the facilitator Mara."""

    def came(who: str, name: str, start: str, end: str) -> list[AttendanceEvent]:
        guest = who.startswith("g-")
        return [
            AttendanceEvent(workshop_id, who, name, guest, True, at(start)),
            AttendanceEvent(workshop_id, who, name, guest, False, at(end)),
        ]

    return [
        *came(facilitator_id, "Mara", "09:55", "11:30"),
        *came("g-ada", "Ada", "10:00", "10:20"),
        *came("g-ada", "Ada", "10:05", "10:40"),
        *came("g-ben-1", "Ben", "10:01", "10:31"),
        *came("g-ben-2", "Ben", "10:10", "10:50"),
    ]


def progress(station: str) -> list[ProgressRecord]:
    """Ada opened the agenda's station and passed its quiz, and opened another one; the
    first Ben opened it the day before (not counted), the second during the workshop."""
    return [
        ProgressRecord("g-ada", "Ada", True, station, ProgressEvent.OPENED, at("10:15")),
        ProgressRecord("g-ada", "Ada", True, station, ProgressEvent.QUIZ_PASSED, at("10:18")),
        ProgressRecord("g-ada", "Ada", True, "welcome", ProgressEvent.OPENED, at("10:25")),
        ProgressRecord("g-ben-1", "Ben", True, station, ProgressEvent.OPENED, at("10:00") - 86400),
        ProgressRecord("g-ben-2", "Ben", True, station, ProgressEvent.OPENED, at("10:20")),
    ]


def check_rows(rows: list[list[str]], key: dict[str, str]) -> None:
    assert rows[0] == HEADER
    # fmt: off
    assert rows[1:] == [
        ["1", key["mara"], "Mara", "Moderation / facilitator",
         "2031-03-05 09:55:00", "2031-03-05 11:30:00", "95.0", "1", "0", "0", "0", "0"],
        ["2", key["g-ada"], "Ada", "Teilnahme / participant",
         "2031-03-05 10:00:00", "2031-03-05 10:40:00", "40.0", "1", "2", "1", "1", "0"],
        ["3", key["g-ben-1"], "Ben", "Teilnahme / participant",
         "2031-03-05 10:01:00", "2031-03-05 10:31:00", "30.0", "1", "0", "0", "0", "0"],
        ["4", key["g-ben-2"], "Ben", "Teilnahme / participant",
         "2031-03-05 10:10:00", "2031-03-05 10:50:00", "40.0", "1", "1", "1", "0", "0"],
    ]
    # fmt: on
    keys = [row[1] for row in rows[1:]]
    assert len(set(keys)) == 4 and all(len(k) == 8 and k.isalnum() for k in keys)


def hubtwin(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.app.cli", *args[:1], "--data-dir", str(data_dir), *args[1:]],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_command_line_csv_field_by_field(tmp_path: Path) -> None:
    made = hubtwin(
        tmp_path,
        "accounts",
        "add",
        "mara",
        "--name",
        "Mara",
        "--role",
        "facilitator",
        "--password-stdin",
        stdin="ein-gutes-passwort\n",
    )
    assert made.returncode == 0, made.stderr
    # the plan names the station by its anchor (lab-1), as older plans and the docs did
    planned = hubtwin(
        tmp_path,
        "workshops",
        "add",
        "--title",
        "Klimabilanz",
        "--room",
        "workshop",
        "--starts",
        "2031-03-05T10:00",
        "--minutes",
        "60",
        "--facilitator",
        "mara",
        "--agenda",
        "30 An der Station station=lab-1",
    )
    assert planned.returncode == 0, planned.stderr
    workshop_id = planned.stdout.split()[1].rstrip(":")

    async def seed() -> str:
        store = await Store.open(tmp_path / "hub.sqlite3")
        try:
            workshop = await store.workshop(workshop_id)
            assert workshop is not None
            assert [i.station for i in workshop.agenda] == ["carbon-accounting"]
            mara = workshop.facilitators[0].id
            await store.record_attendance(events(workshop_id, mara))
            await store.record_progress(progress("carbon-accounting"))
            return mara
        finally:
            await store.close()

    mara = asyncio.run(seed())
    ran = hubtwin(tmp_path, "workshops", "attendance", workshop_id, "--csv", "-")
    assert ran.returncode == 0, ran.stderr
    secret = load_settings({"data_dir": tmp_path}).ensure_secret()
    key = person_key(secret)
    keys = {"mara": key(mara), **{who: key(who) for who in ("g-ada", "g-ben-1", "g-ben-2")}}
    check_rows(list(csv.reader(io.StringIO(ran.stdout))), keys)
    again = hubtwin(tmp_path, "workshops", "attendance", workshop_id, "--csv", "-")
    assert again.stdout == ran.stdout  # the keys are stable
    summary = hubtwin(tmp_path, "workshops", "attendance", workshop_id)
    assert "3 participants" in summary.stdout


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[Hub]:
    opened = await open_hub(tmp_path)
    try:
        yield opened
    finally:
        await opened.client.close()
        await opened.store.close()


async def test_the_rest_csv_and_summary_field_by_field(hub: Hub) -> None:
    await hub.account("mara", Role.FACILITATOR)
    body = {
        "title": "Klimabilanz",
        "room": "workshop",
        "starts": "2031-03-05T10:00",
        "minutes": 60,
        "agenda": [{"title": "An der Station", "minutes": 30, "station": "lab-1"}],
    }
    status, made = await hub.call("POST", "/api/workshops", "mara", body)
    assert status == 201, made
    mara = hub.identities["mara"].id
    await hub.store.record_attendance(events(made["id"], mara))
    await hub.store.record_progress(progress("lab-1"))
    status, text = await hub.call("GET", f"/api/workshops/{made['id']}/attendance.csv", "mara")
    assert status == 200, text
    key = person_key(SECRET)
    keys = {"mara": key(mara), **{who: key(who) for who in ("g-ada", "g-ben-1", "g-ben-2")}}
    check_rows(list(csv.reader(io.StringIO(text))), keys)
    assert "g-ada" not in text and mara not in text
    status, report = await hub.call("GET", f"/api/workshops/{made['id']}/attendance", "mara")
    assert status == 200
    assert (report["participants"], report["peak"], report["guests"]) == (3, 3, 3)
    assert report["time_zone"] == "Europe/Berlin"
    assert [(p["name"], p["role"], p["key"]) for p in report["people"]] == [
        ("Mara", "facilitator", keys["mara"]),
        ("Ada", "participant", keys["g-ada"]),
        ("Ben", "participant", keys["g-ben-1"]),
        ("Ben", "participant", keys["g-ben-2"]),
    ]
    assert time.time() < at("10:00")  # a workshop to come: "now" does not cut stays short
