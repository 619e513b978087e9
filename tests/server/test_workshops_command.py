"""``hubtwin workshops`` as a person runs it: exit codes, one-line errors (one real process;
the rest through the same entry point in this process, which is quicker); a workshop and a
series planned, attendance read back as CSV, a ban lifted (and audited)."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import subprocess
import sys
from pathlib import Path
from unittest.mock import patch

from server.app.cli import main
from server.domain.registrations import Registration
from server.domain.workshop_records import AttendanceEvent, AuditEntry, Ban
from server.store.sqlite import Store


class Ran:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def hubtwin(data_dir: Path, group: str, *args: str, stdin: str = "") -> Ran:
    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        patch.object(sys, "stdin", io.StringIO(stdin)),
    ):
        try:
            code = main([group, "--data-dir", str(data_dir), *args])
        except SystemExit as exc:
            code = int(exc.code or 0)
    return Ran(code, out.getvalue(), err.getvalue())


def test_a_real_process_says_what_is_wrong_in_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "server.app.cli",
            "workshops",
            "--data-dir",
            str(tmp_path),
            "show",
            "x",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr == "hubtwin: there is no workshop 'x'\n"


def test_plan_list_change_read_attendance_and_lift_a_ban(tmp_path: Path) -> None:
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
        "90",
        "--facilitator",
        "mara",
        "--agenda",
        "10 Ankommen",
        "--agenda",
        "30 An der Station station=lab-1",
    )
    assert planned.returncode == 0, planned.stderr
    workshop_id = planned.stdout.split()[1].rstrip(":")
    assert f"/?workshop={workshop_id}" in planned.stdout
    series = hubtwin(
        tmp_path,
        "workshops",
        "series-add",
        "--title",
        "Austauschreihe",
        "--room",
        "lounge",
        "--first",
        "2031-03-11T17:00",
        "--minutes",
        "90",
        "--repeat",
        "weekly",
        "--count",
        "3",
        "--facilitator",
        "mara",
    )
    assert series.returncode == 0, series.stderr
    assert "3 sessions" in series.stdout
    edited = hubtwin(tmp_path, "workshops", "edit", workshop_id, "--title", "Klimabilanz II")
    assert edited.returncode == 0, edited.stderr
    listed = hubtwin(tmp_path, "workshops", "list", "--all")
    lines = listed.stdout.splitlines()
    assert len(lines) == 5 and "Klimabilanz II" in lines[1] and "2031-03-18 17:00" in lines[3]

    async def seed() -> None:
        store = await Store.open(tmp_path / "hub.sqlite3")
        try:
            start = 1930000000.0
            await store.record_attendance(
                [
                    AttendanceEvent(workshop_id, "g-1", "Ada", True, True, start),
                    AttendanceEvent(workshop_id, "g-1", "Ada", True, False, start + 1800),
                ]
            )
            await store.add_ban(Ban("b1", "g-2", "Bob", "a-1", "Mara", "", start, None))
        finally:
            await store.close()

    asyncio.run(seed())
    written = hubtwin(tmp_path, "workshops", "attendance", workshop_id, "--csv", "-")
    assert written.returncode == 0, written.stderr
    rows = list(csv.reader(io.StringIO(written.stdout)))
    assert rows[1][2] == "Ada" and rows[1][6] == "30.0" and "g-1" not in written.stdout
    assert "Bob" in hubtwin(tmp_path, "workshops", "bans").stdout
    lifted = hubtwin(tmp_path, "workshops", "unban", "b1")
    assert lifted.returncode == 0, lifted.stderr
    assert "nobody is banned" in hubtwin(tmp_path, "workshops", "bans").stdout
    assert "unban Bob" in hubtwin(tmp_path, "workshops", "audit").stdout


def test_bad_input_is_one_line_and_a_usage_exit(tmp_path: Path) -> None:
    for args in (
        (
            "add",
            "--title",
            "X",
            "--room",
            "cellar",
            "--starts",
            "2031-01-01T10:00",
            "--minutes",
            "30",
        ),
        ("add", "--title", "X", "--room", "lab", "--starts", "2031-01-01T10:00", "--minutes", "30"),
        ("show", "nope"),
        ("unban", "nope"),
        ("add", "--title", "X", "--agenda", "Ankommen", "--facilitator", "x"),
    ):
        result = hubtwin(tmp_path, "workshops", *args)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("hubtwin: ")


def test_the_audit_log_shows_a_ban_s_end_as_a_local_time(tmp_path: Path) -> None:
    async def seed() -> None:
        store = await Store.open(tmp_path / "hub.sqlite3")
        try:
            await store.add_audit(
                AuditEntry(
                    "e1",
                    1930000000.0,
                    "a-1",
                    "Mara",
                    "ban",
                    "g-2",
                    "Bob",
                    "lab",
                    "until 1930086400 Spam",
                )
            )
        finally:
            await store.close()

    asyncio.run(seed())
    shown = hubtwin(tmp_path, "workshops", "audit")
    assert shown.returncode == 0, shown.stderr
    # 2031-02-27 23:06:40 UTC is 00:06:40 the next day in Berlin (winter time)
    assert shown.stdout == (
        "2031-02-28 00:06:40  Mara: ban Bob in lab (until 2031-03-01 00:06 Spam)\n"
    )


def test_the_list_names_people_by_username_or_display_name(tmp_path: Path) -> None:
    for username, name, role in (
        ("mara", "Mara", "facilitator"),
        ("vera", "Vera Grün", "visitor"),
        ("fritz", "Fritz", "visitor"),
    ):
        made = hubtwin(
            tmp_path,
            "accounts",
            *("add", username, "--name", name, "--role", role, "--password-stdin"),
            stdin="ein-gutes-passwort\n",
        )
        assert made.returncode == 0, made.stderr
    plan = ("add", "--title", "Runde", "--room", "lab", "--minutes", "30", "--facilitator", "mara")
    planned = hubtwin(
        tmp_path,
        "workshops",
        *plan,
        *("--starts", "2031-01-01T10:00", "--access", "list"),
        *("--invite", "FRITZ", "--invite", "vera grün"),
    )
    assert planned.returncode == 0, planned.stderr

    async def invited() -> tuple[list[str], dict[str, str]]:
        store = await Store.open(tmp_path / "hub.sqlite3")
        try:
            (workshop,) = await store.list_workshops()
            accounts = {str(a["id"]): str(a["username"]) for a in await store.list_accounts()}
            return list(workshop.invited), accounts
        finally:
            await store.close()

    ids, accounts = asyncio.run(invited())
    assert [accounts[i] for i in ids] == ["fritz", "vera"]
    unknown = hubtwin(
        tmp_path,
        "workshops",
        *plan,
        *("--starts", "2031-01-02T10:00", "--access", "list", "--invite", "Niemand"),
    )
    assert unknown.returncode == 2
    assert unknown.stderr == (
        "hubtwin: no account has the username or display name 'Niemand' (invited_unknown)\n"
    ), unknown.stderr


def test_seats_and_the_registrations_as_csv(tmp_path: Path) -> None:
    made = hubtwin(
        tmp_path,
        "accounts",
        *("add", "mara", "--name", "Mara", "--role", "facilitator", "--password-stdin"),
        stdin="ein-gutes-passwort\n",
    )
    assert made.returncode == 0, made.stderr
    planned = hubtwin(
        tmp_path,
        "workshops",
        *("add", "--title", "Runde", "--room", "lab", "--minutes", "30", "--facilitator", "mara"),
        *("--starts", "2031-01-01T10:00", "--seats", "2"),
    )
    assert planned.returncode == 0, planned.stderr

    async def register() -> str:
        store = await Store.open(tmp_path / "hub.sqlite3")
        try:
            (workshop,) = await store.list_workshops()
            assert workshop.seats == 2
            for n, name in enumerate(("Ada", "=Bob", "Cem")):
                await store.register(
                    Registration(workshop.id, f"g-{n}", name, True, 1924675200.0 + n)
                )
            return workshop.id
        finally:
            await store.close()

    workshop_id = asyncio.run(register())
    shown = hubtwin(tmp_path, "workshops", "registrations", workshop_id, "--csv", "-")
    assert shown.returncode == 0, shown.stderr
    rows = list(csv.reader(io.StringIO(shown.stdout)))
    assert rows[0][-1] == "Angemeldet (Europe/Berlin) / Registered (Europe/Berlin)"
    assert [row[2:] for row in rows[1:]] == [
        ["Ada", "ja / yes", "Platz / seat", "", "2030-12-28 09:00:00"],
        ["'=Bob", "ja / yes", "Platz / seat", "", "2030-12-28 09:00:01"],
        ["Cem", "ja / yes", "Warteliste / waiting list", "1", "2030-12-28 09:00:02"],
    ]
    summary = hubtwin(tmp_path, "workshops", "registrations", workshop_id)
    assert summary.stdout.splitlines()[0].endswith(": 2 of 2 seats taken, 1 waiting")
    cleared = hubtwin(tmp_path, "workshops", "edit", workshop_id, "--seats", "0")
    assert cleared.returncode == 0, cleared.stderr
    shown = hubtwin(tmp_path, "workshops", "show", workshop_id)
    assert '"seats": null' in shown.stdout
