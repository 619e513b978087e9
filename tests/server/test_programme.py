"""The site's programme (``programme.toml``): every mistake one line with file and line; the
import into a real SQLite store once per entry (waiting for accounts and free rooms, leaving
out what is over, never bringing back or overwriting what the hub changed); the command line;
and a hub that imports it when it starts, seen over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from unittest.mock import patch

import pytest

from server.app.cli import main
from server.base.identity import Role
from server.domain.workshops import SITE_ZONE, Person, Workshop
from server.store.sqlite import Store
from server.workshop.programme import SiteRefs, parse_programme
from server.workshop.programme_import import import_programme
from world.errors import InputFileError
from world.site import PROJECT_ROOT

HUBTWIN = str(PROJECT_ROOT / ".venv" / "bin" / "hubtwin")

REFS = SiteRefs(
    rooms={"lab", "lounge", "workshop"},
    stations={"lab-1": "carbon", "carbon": "carbon"},
    talks={"welcome"},
)
SERIES = """\
[[series]]
key = "austausch"
title = "Austauschreihe"
room = "lounge"
first = "2030-01-08T17:00"
minutes = 90
repeat = "monthly"
count = 3
facilitators = ["mara"]
agenda = [{ title = "Station", minutes = 30, station = "lab-1" }]
"""
WORKSHOP = """\
[[workshop]]
key = "auftakt"
title = "Auftakt"
room = "workshop"
starts = "2030-01-20T09:00"
minutes = 180
seats = 24
facilitators = ["mara", "Ole"]
"""
NOW = datetime(2029, 12, 1, tzinfo=SITE_ZONE).timestamp()


def hubtwin(*args: str, stdin: str = "") -> tuple[int, str, str]:
    """``hubtwin ARGS`` through the command line's entry point: exit code, out, err."""
    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        patch.object(sys, "stdin", io.StringIO(stdin)),
    ):
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def refused(text: str) -> str:
    with pytest.raises(InputFileError) as caught:
        parse_programme(text, "programme.toml", REFS)
    return str(caught.value)


def test_a_programme_reads_its_entries_with_their_lines() -> None:
    programme = parse_programme(SERIES + "\n" + WORKSHOP, "programme.toml", REFS)
    series, workshop = programme.entries
    assert (series.kind, series.key, series.line, series.usernames) == (
        "series", "austausch", 1, ("mara",)
    )  # fmt: skip
    assert (workshop.kind, workshop.key, workshop.line, workshop.usernames) == (
        "workshop", "auftakt", 12, ("mara", "Ole")
    )  # fmt: skip
    assert workshop.record_id("oekohub-dortmund") == "p-oekohub-dort-auftakt"
    assert programme.summary() == "1 workshop and 1 series"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            SERIES.replace('room = "lounge"', 'room = "loung"'),
            "programme.toml:4: series 'austausch': room must be one of lab, lounge, workshop",
        ),
        (
            SERIES.replace('station = "lab-1"', 'station = "lab-2"'),
            "programme.toml:10: series 'austausch': agenda item 1: there is no station 'lab-2'",
        ),
        (
            WORKSHOP.replace("seats = 24", "sets = 24"),
            "programme.toml:7: unknown key 'sets' in a [[workshop]] (allowed: access, admission, "
            "agenda, code, description, ends, facilitators, force, key, minutes, room, seats, "
            "starts, title)",
        ),
        (
            WORKSHOP.replace('key = "auftakt"\n', ""),
            "programme.toml:1: every [[workshop]] needs a key: 1-40 small letters, digits or "
            'dashes (e.g. key = "austauschreihe-2027"), which names it for good',
        ),
        (
            SERIES + "\n" + SERIES.replace("[[series]]", "[[workshop]]"),
            "programme.toml:19: unknown key 'count' in a [[workshop]] (allowed: access, "
            "admission, agenda, code, description, ends, facilitators, force, key, minutes, "
            "room, seats, starts, title)",
        ),
        (
            WORKSHOP + "\n" + WORKSHOP,
            "programme.toml:11: key 'auftakt' is used twice (first at line 1)",
        ),
        (
            WORKSHOP.replace('facilitators = ["mara", "Ole"]', "facilitators = []"),
            "programme.toml:8: facilitators must list the usernames of facilitator or staff "
            'accounts (e.g. ["mara"])',
        ),
        (
            WORKSHOP.replace("minutes = 180", "minutes = 1"),
            "programme.toml:6: workshop 'auftakt': minutes must be between 5 and 720",
        ),
        (
            "[[talk]]\nkey = 'x'\n",
            "programme.toml:1: unknown table 'talk' (a programme has "
            "[[workshop]] and [[series]] tables)",
        ),
        ("[[workshop]\n", "programme.toml:1: not valid TOML"),
    ],
)
def test_every_mistake_is_one_line_with_file_and_line(text: str, message: str) -> None:
    assert refused(text).startswith(message)


async def _store(tmp_path: Path) -> Store:
    return await Store.open(tmp_path / "hub.sqlite3")


def test_an_entry_is_imported_once_when_its_accounts_exist(tmp_path: Path) -> None:
    programme = parse_programme(SERIES + "\n" + WORKSHOP, "programme.toml", REFS)

    async def scenario() -> None:
        store = await _store(tmp_path)
        try:
            first = await import_programme(store, programme, "bochum", now=NOW)
            assert [(e.key, names) for e, names in first.waiting] == [
                ("austausch", ["mara"]),
                ("auftakt", ["mara", "Ole"]),
            ]
            assert await store.list_workshops() == []
            mara = await store.create_account("mara", "pw-123456789", Role.FACILITATOR, "Mara")
            second = await import_programme(store, programme, "bochum", now=NOW)
            assert [e.key for e, _ in second.imported] == ["austausch"]
            assert [e.key for e, _ in second.waiting] == ["auftakt"]
            assert second.lines()[0] == (
                "programme.toml:1: imported the series 'austausch' (3 sessions to come)"
            )
            await store.create_account("ole", "pw-123456789", Role.STAFF, "Ole")
            third = await import_programme(store, programme, "bochum", now=NOW)
            assert [e.key for e, _ in third.imported] == ["auftakt"]
            assert [e.key for e in third.kept] == ["austausch"]

            workshops = {w.id: w for w in await store.list_workshops()}
            assert sorted(workshops) == [
                "p-bochum-auftakt",
                "ps-bochum-austausch-20300108",
                "ps-bochum-austausch-20300212",
                "ps-bochum-austausch-20300312",
            ]
            auftakt = workshops["p-bochum-auftakt"]
            assert auftakt.seats == 24 and auftakt.minutes == 180
            assert [p.name for p in auftakt.facilitators] == ["Mara", "Ole"]
            session = workshops["ps-bochum-austausch-20300108"]
            assert session.facilitators == (Person(mara.id, "Mara"),)
            assert session.agenda[0].station == "carbon"  # named by its anchor in the file
            assert [s.id for s in await store.list_series()] == ["ps-bochum-austausch"]

            # the hub's copy stands: an edit is not overwritten, a removal not undone
            moved = dataclasses.replace(auftakt, title="Auftakt (verschoben)")
            await store.save_workshop(moved)
            assert await store.delete_workshop("ps-bochum-austausch-20300212")
            again = await import_programme(store, programme, "bochum", now=NOW)
            assert again.imported == [] and len(again.kept) == 2
            after = {w.id: w for w in await store.list_workshops()}
            assert after["p-bochum-auftakt"].title == "Auftakt (verschoben)"
            assert "ps-bochum-austausch-20300212" not in after
        finally:
            await store.close()

    asyncio.run(scenario())


def test_an_entry_waits_for_its_room_and_one_that_is_over_is_left_out(tmp_path: Path) -> None:
    programme = parse_programme(SERIES + "\n" + WORKSHOP, "programme.toml", REFS)

    async def scenario() -> None:
        store = await _store(tmp_path)
        try:
            mara = await store.create_account("mara", "pw-123456789", Role.FACILITATOR, "Mara")
            await store.create_account("ole", "pw-123456789", Role.FACILITATOR, "Ole")
            starts = datetime(2030, 1, 20, 10, 0, tzinfo=SITE_ZONE).timestamp()
            taken = Workshop(
                "wtaken", "Schon geplant", "", "workshop", starts, starts + 3600,
                (Person(mara.id, "Mara"),),
            )  # fmt: skip
            await store.save_workshop(taken)
            later = datetime(2030, 2, 1, tzinfo=SITE_ZONE).timestamp()
            report = await import_programme(store, programme, "bochum", now=NOW)
            assert [(e.key, clash) for e, clash in report.clashing] == [
                ("auftakt", "'Schon geplant' (2030-01-20 10:00–11:00 (Europe/Berlin))")
            ]
            assert "(move one of them, or force = true)" in report.lines()[1]
            await store.delete_workshop("wtaken")
            # a month on, the workshop is over and the series has two sessions to come
            report = await import_programme(store, programme, "bochum", now=later)
            assert [e.key for e in report.over] == ["auftakt"]
            assert [e.key for e in report.kept] == ["austausch"]
            forced = parse_programme(
                WORKSHOP.replace("seats = 24", "force = true"), "programme.toml", REFS
            )
            await store.save_workshop(taken)
            report = await import_programme(store, forced, "bochum", now=NOW)
            assert [e.key for e, _ in report.imported] == ["auftakt"]
        finally:
            await store.close()

    asyncio.run(scenario())


def test_the_command_imports_checks_and_refuses_in_one_line(tmp_path: Path) -> None:
    site, data = tmp_path / "site", str(tmp_path / "data")
    code, _, err = hubtwin("site", "new", str(site), "--name", "Öko.HUB Bochum")
    assert code == 0, err
    at = ("--site", str(site), "--data-dir", data)
    code, out, err = hubtwin("workshops", *at, "programme", "--check")
    assert code == 0, err
    assert out.strip() == f"{site / 'programme.toml'}: 0 workshops and 1 series OK"
    code, out, _ = hubtwin("workshops", *at, "programme")
    assert code == 0
    assert "series 'austauschreihe' waits for the facilitator account 'leitung'" in out
    code, _, err = hubtwin(
        "accounts", *at, "add", "leitung", "--role", "facilitator", "--name", "Lea",
        "--password-stdin", stdin="pw-123456789\n",
    )  # fmt: skip
    assert code == 0, err
    code, out, _ = hubtwin("workshops", *at, "programme")
    assert code == 0
    assert "imported the series 'austauschreihe' (6 sessions to come)" in out
    _, listed, _ = hubtwin("workshops", *at, "list")
    assert listed.count("Austauschreihe: Wie weit sind wir?") == 6
    text = (site / "programme.toml").read_text(encoding="utf-8")
    (site / "programme.toml").write_text(text.replace('room = "lab"', 'room = "labor"'))
    code, out, err = hubtwin("workshops", *at, "programme", "--check")
    assert code != 0 and out == ""
    line = text[: text.index('room = "lab"')].count("\n") + 1
    assert err.strip() == (
        f"hubtwin: {site / 'programme.toml'}:{line}: series 'austauschreihe': "
        "room must be one of foyer, lab"
    )


@contextlib.contextmanager
def running_hub(site: Path, data: Path) -> Iterator[str]:
    """A real ``hubtwin serve`` process on a free port, until the block ends."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    process = subprocess.Popen(
        [HUBTWIN, "serve", "--site", str(site), "--data-dir", str(data), "--port", str(port),
         "--voice", "off"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=PROJECT_ROOT,
        env={**os.environ, "HUBTWIN_LOG_LEVEL": "warning"},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        for raw in process.stdout:
            if f"http://127.0.0.1:{port}/" in raw.decode():
                break
        else:
            raise AssertionError("the hub never printed its URL")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_a_hub_imports_its_programme_when_it_starts(tmp_path: Path) -> None:
    site, data = tmp_path / "site", str(tmp_path / "data")
    assert hubtwin("site", "new", str(site), "--name", "Hub X")[0] == 0
    code, _, err = hubtwin(
        "accounts", "--site", str(site), "--data-dir", data, "add", "leitung", "--role",
        "facilitator", "--name", "Lea", "--password-stdin", stdin="pw-123456789\n",
    )  # fmt: skip
    assert code == 0, err
    with (
        running_hub(site, tmp_path / "data") as base,
        urllib.request.urlopen(f"{base}/api/workshops", timeout=10) as answer,
    ):
        listed = json.loads(answer.read())
    titles = [w["title"] for w in listed["workshops"]]
    assert titles.count("Austauschreihe: Wie weit sind wir?") == 6
    assert all(w["id"].startswith("ps-hub-x-austauschreihe-") for w in listed["workshops"])
    first = datetime.fromisoformat(listed["workshops"][0]["starts"])
    assert time.time() < first.timestamp() and (first.weekday(), first.hour) == (1, 17)
