"""Consulting hours through a real ``hubtwin serve`` (HTTP and WebSocket, SQLite): only
accounts marked as advisors publish hours, open a desk, call someone in and hand over notes
(the mark given and taken by staff over HTTP, at once, and with ``hubtwin accounts`` while
the hub runs, followed within moments); a slot is booked once and gives a calendar file;
the booth keeps out a third person; handed notes are saved only by the visitor they were
handed to; bookings and notes are in the export and gone after erasure.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scale"))
from hub_processes import PROJECT_ROOT, HubProcess, Visitor, token

from world.builder import build_world
from world.site import load_site

BOOTH = """
[[anchors]]
id = "corner-a"
kind = "booth"
room = "entrance"   # not the building's entrance (the hall): a room one can be kept out of
at = [6, 4]
facing = "east"
title = { de = "Beratung A", en = "Consulting A" }
"""

CONSULTING = """
[[topics]]
id = "bericht"
names = { de = "Nachhaltigkeitsbericht", en = "Sustainability reporting" }

[[corners]]
anchor = "corner-a"
names = { de = "Ecke A", en = "Corner A" }

[[hours]]
id = "jeden-tag"
title = "Team Beratung"
weekday = "%s"
from = "00:00"
to = "23:30"
slot_minutes = 30
topics = ["bericht"]
languages = ["de"]
corner = "corner-a"
mode = "hybrid"
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("consulting-site")
    site = folder / "site"
    shutil.copytree(PROJECT_ROOT / "bench" / "bench-hall", site)
    building = site / "building.toml"
    building.write_text(building.read_text(encoding="utf-8") + BOOTH, encoding="utf-8")
    # hours on tomorrow's weekday (in the site's zone): every slot of them lies ahead
    import time
    from datetime import datetime, timedelta

    loaded = load_site(site)
    tomorrow = datetime.fromtimestamp(time.time(), loaded.zone) + timedelta(days=1)
    weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[tomorrow.weekday()]
    (site / "consulting.toml").write_text(CONSULTING % weekday, encoding="utf-8")
    world = folder / "world"
    build_world(loaded, world / "hub.glb", quiet=True)
    return site, world


PASSWORD = "ein-langes-passwort"
#: how long a mark given with ``hubtwin accounts`` may take to reach the running hub
MARK_SPREAD_S = 15.0


def accounts_cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``hubtwin accounts`` on the hub's data folder (the password on standard input)."""
    return subprocess.run(
        [sys.executable, "-m", "server.app.cli", "accounts", "--data-dir", str(data), *args],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=PROJECT_ROOT,
    )


@pytest.fixture
def hub(site: tuple[Path, Path], tmp_path: Path) -> Iterator[HubProcess]:
    """The hub with three accounts made on the command line before it starts: the advisor
    "beratung", the facilitator "moderation" and the staff member "chefin" (no advisors)."""
    data = tmp_path / "data"
    shutil.copytree(site[1], data / "world")
    for username, name, role, *mark in (
        ("beratung", "Beratung", "facilitator", "--advisor"),
        ("moderation", "Moderation", "facilitator"),
        ("chefin", "Chefin", "staff"),
    ):
        made = accounts_cli(
            data, "add", username, "--name", name, "--role", role, *mark, "--password-stdin"
        )
        assert made.returncode == 0, made.stderr
    process = HubProcess(*site, tmp_path, redis_url="")
    process.start()
    process.wait_ready()
    yield process
    process.stop()


def sign_in(hub: HubProcess, username: str) -> str:
    status, answer = http(
        hub, "POST", "/api/session", None, {"username": username, "password": PASSWORD}
    )
    assert status == 200, answer
    return str(answer["token"])


@pytest.fixture
def advisor(hub: HubProcess) -> str:
    """The advisor's token."""
    return sign_in(hub, "beratung")


def http(
    hub: HubProcess, method: str, path: str, who: str | None, body: Any = None
) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(hub.http_url.rstrip("/") + path, data=data, method=method)
    if who is not None:
        request.add_header("Authorization", f"Bearer {who}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            raw, status, kind = response.read(), response.status, response.headers
    except urllib.error.HTTPError as exc:
        raw, status, kind = exc.read(), exc.code, exc.headers
    if kind.get_content_type() == "application/json":
        return status, json.loads(raw)
    return status, (kind.get_content_type(), kind.get("Content-Disposition", ""), raw)


async def call(
    hub: HubProcess, method: str, path: str, who: str | None = None, body: Any = None
) -> tuple[int, Any]:
    return await asyncio.to_thread(http, hub, method, path, who, body)


ADA, BO = token("ada"), token("bo")
HOURS = {
    "title": "Sprechstunde Klimabilanz",
    "weekday": "wed",
    "from": "14:00",
    "to": "15:00",
    "topics": ["bericht"],
    "languages": ["de"],
    "corner": "corner-a",
    "mode": "online",
}


@pytest.fixture
async def people(hub: HubProcess, advisor: str) -> AsyncIterator[tuple[Visitor, Visitor, Visitor]]:
    beratung = Visitor("Beratung", token=advisor)
    ada, bo = Visitor("Ada", token=ADA), Visitor("Bo", token=BO)
    try:
        for person in (beratung, ada, bo):
            await person.enter(hub.ws_url, room="entrance")
        yield beratung, ada, bo
    finally:
        for person in (beratung, ada, bo):
            await person.close()


async def test_only_advisors_publish_hours_and_bad_hours_are_refused(
    hub: HubProcess, advisor: str
) -> None:
    status, answer = await call(hub, "GET", "/api/consulting")
    assert status == 200
    assert [c["id"] for c in answer["corners"]] == ["corner-a"]
    assert [h["id"] for h in answer["hours"]] == ["jeden-tag"]
    assert len(answer["hours"][0]["free"]) == 2 * 47, "tomorrow and a week later"
    assert answer["desks"] == []

    status, answer = await call(hub, "POST", "/api/consulting/hours", ADA, HOURS)
    assert (status, answer["error"]["code"]) == (403, "not_advisor")
    status, answer = await call(hub, "POST", "/api/consulting/hours", None, HOURS)
    assert status == 401
    status, answer = await call(
        hub, "POST", "/api/consulting/hours", advisor, {**HOURS, "corner": "lounge"}
    )
    assert (status, answer["error"]["code"]) == (400, "consult_invalid")
    assert "corner" in answer["error"]["message"]
    status, answer = await call(
        hub, "POST", "/api/consulting/hours", advisor, {**HOURS, "to": "13:00"}
    )
    assert status == 400 and answer["error"]["message"].startswith("to:")

    status, published = await call(hub, "POST", "/api/consulting/hours", advisor, HOURS)
    assert status == 201
    status, answer = await call(hub, "GET", "/api/consulting")
    shown = {h["id"]: h for h in answer["hours"]}
    assert shown[published["id"]]["published"] and shown[published["id"]]["mode"] == "online"
    status, answer = await call(hub, "DELETE", f"/api/consulting/hours/{published['id']}", ADA)
    assert status == 403
    status, _ = await call(hub, "DELETE", f"/api/consulting/hours/{published['id']}", advisor)
    assert status == 200


async def test_a_slot_is_booked_once_and_gives_a_calendar_file(
    hub: HubProcess, advisor: str
) -> None:
    _, overview = await call(hub, "GET", "/api/consulting")
    first = overview["hours"][0]["free"][0]
    booking = {"hours": "jeden-tag", "start": first, "topic": "VSME für 40 Beschäftigte"}
    status, made = await call(hub, "POST", "/api/consulting/bookings", ADA, booking)
    assert status == 201 and made["topic"] == "VSME für 40 Beschäftigte"
    status, answer = await call(hub, "POST", "/api/consulting/bookings", BO, booking)
    assert (status, answer["error"]["code"]) == (409, "slot_taken")
    status, answer = await call(
        hub, "POST", "/api/consulting/bookings", BO, {**booking, "start": first + 60}
    )
    assert (status, answer["error"]["code"]) == (400, "slot_unknown")
    status, answer = await call(
        hub, "POST", "/api/consulting/bookings", BO, {**booking, "start": first + 1800, "topic": ""}
    )
    assert (status, answer["error"]["code"]) == (400, "consult_invalid")

    _, overview = await call(hub, "GET", "/api/consulting")
    assert first not in overview["hours"][0]["free"]
    status, mine = await call(hub, "GET", "/api/consulting/bookings", ADA)
    assert [b["id"] for b in mine] == [made["id"]]
    status, answer = await call(hub, "GET", "/api/consulting/hours/jeden-tag/bookings", ADA)
    assert status == 403
    status, seen = await call(hub, "GET", "/api/consulting/hours/jeden-tag/bookings", advisor)
    assert [(b["name"], b["topic"]) for b in seen] == [("ada", "VSME für 40 Beschäftigte")]

    status, (kind, disposition, raw) = await call(
        hub, "GET", f"/api/consulting/bookings/{made['id']}.ics", ADA
    )
    assert status == 200 and kind == "text/calendar"
    assert disposition.endswith('.ics"')
    event = next(iter(Calendar.from_ical(raw).walk("VEVENT")))
    assert event.decoded("dtstart").timestamp() == first
    assert event.decoded("dtend").timestamp() == first + 1800
    assert "Team Beratung" in str(event["summary"]) and "Ecke A" in str(event["location"])
    status, _ = await call(hub, "GET", f"/api/consulting/bookings/{made['id']}.ics", BO)
    assert status == 404, "nobody else's booking"

    status, _ = await call(hub, "DELETE", f"/api/consulting/bookings/{made['id']}", BO)
    assert status == 404
    status, _ = await call(hub, "DELETE", f"/api/consulting/bookings/{made['id']}", ADA)
    assert status == 200
    _, overview = await call(hub, "GET", "/api/consulting")
    assert first in overview["hours"][0]["free"]


def errors(visitor: Visitor) -> list[str]:
    return [m["code"] for m in visitor.messages if m.get("t") == "error"]


async def test_the_booth_over_the_websocket_and_the_notes_in_export_and_erasure(
    hub: HubProcess, advisor: str, people: tuple[Visitor, Visitor, Visitor]
) -> None:
    beratung, ada, bo = people
    await bo.send("consult_desk", open=True, corner="corner-a")
    assert (await bo.next(("error",)))["code"] == "not_advisor"
    await beratung.send("consult_desk", open=True, corner="corner-a")
    await beratung.next(("consult_state",))
    _, overview = await call(hub, "GET", "/api/consulting")
    assert [(d["name"], d["corner"]) for d in overview["desks"]] == [("Beratung", "corner-a")]

    await ada.send("consult_queue", advisor=beratung.session, topic="Klimabilanz Scope 3")
    queued = await ada.next(("consult_state",))
    assert queued["queued"]["position"] == 1
    seen = await beratung.next(("consult_state",))
    assert [(w["name"], w["topic"]) for w in seen["desk"]["queue"]] == [
        ("ada", "Klimabilanz Scope 3")
    ]
    await bo.send("consult_call")
    assert (await bo.next(("error",)))["code"] == "not_advisor"

    await beratung.send("consult_call")
    inside = await ada.next(("consult_state",))
    while inside["booth"] is None:
        inside = await ada.next(("consult_state",))
    number = inside["booth"]["instance"]
    assert number != 0 and inside["booth"]["role"] == "visitor"
    _, overview = await call(hub, "GET", "/api/consulting")
    assert overview["corners"][0]["taken"]

    await bo.send("go", room="entrance", instance=number)
    refused = await bo.next(("error",))
    assert refused["code"] == "booth_private"
    await bo.send("consult_say", text="hallo?")
    assert (await bo.next(("error",)))["code"] == "not_in_booth"

    await beratung.send("consult_notes", text="VSME-Basismodul lesen", checklist=["Scope 1"])
    handed = await ada.next(("consult_handed",))
    status, _ = await call(hub, "POST", "/api/consulting/notes", BO, {"id": handed["id"]})
    assert status == 404, "notes handed to Ada are not Bo's to save"
    status, saved = await call(hub, "POST", "/api/consulting/notes", ADA, {"id": handed["id"]})
    assert status == 201 and saved["checklist"] == ["Scope 1"]
    status, notes = await call(hub, "GET", "/api/consulting/notes", ADA)
    assert [n["text"] for n in notes] == ["VSME-Basismodul lesen"]

    await ada.send("consult_end")
    ended = await beratung.next(("consult_ended",))
    assert ended == {"t": "consult_ended", "by": "ada", "reason": "ended"}

    _, overview = await call(hub, "GET", "/api/consulting")
    start = overview["hours"][0]["free"][0]
    await call(
        hub,
        "POST",
        "/api/consulting/bookings",
        ADA,
        {"hours": "jeden-tag", "start": start, "topic": "Förderung"},
    )
    status, export = await call(hub, "GET", "/api/me/export", ADA)
    assert status == 200
    assert [n["id"] for n in export["consulting"]["notes"]] == [handed["id"]]
    assert [b["topic"] for b in export["consulting"]["bookings"]] == ["Förderung"]

    status, _ = await call(hub, "DELETE", "/api/me", ADA)
    assert status == 200
    _, seen_bookings = await call(hub, "GET", "/api/consulting/hours/jeden-tag/bookings", advisor)
    assert seen_bookings == []
    database = sqlite3.connect(hub.folder / "data" / "hub.sqlite3")
    kept = database.execute(
        "SELECT count(*) FROM live_state WHERE kind = 'consulting' AND key = 'id-ada'"
    ).fetchone()
    database.close()
    assert kept == (0,)


async def until_advisor(hub: HubProcess, who: str, wanted: bool) -> None:
    """GET /api/consulting with ``who``'s token until the hub says they are (not) an
    advisor (a mark given on the command line reaches the running hub within moments)."""
    deadline = time.monotonic() + MARK_SPREAD_S
    while True:
        status, overview = await call(hub, "GET", "/api/consulting", who)
        assert status == 200
        if overview["me"]["advisor"] is wanted:
            return
        assert time.monotonic() < deadline, f"advisor is not {wanted} after {MARK_SPREAD_S} s"
        await asyncio.sleep(0.1)


async def test_staff_mark_advisors_over_http_and_the_cli_and_only_they_advise(
    hub: HubProcess, advisor: str
) -> None:
    moderation, chefin = sign_in(hub, "moderation"), sign_in(hub, "chefin")
    data = hub.folder / "data"
    _, overview = await call(hub, "GET", "/api/consulting", advisor)
    assert overview["me"] == {"advisor": True}
    _, overview = await call(hub, "GET", "/api/consulting")
    assert overview["me"] == {"advisor": False}, "no token: nobody"

    # a facilitator and a staff member without the mark are no advisors, over REST and WS
    for who in (moderation, chefin):
        status, answer = await call(hub, "POST", "/api/consulting/hours", who, HOURS)
        assert (status, answer["error"]["code"]) == (403, "not_advisor")
        assert "hubtwin accounts advisor" in answer["error"]["message"]
        status, _ = await call(hub, "GET", "/api/consulting/hours/jeden-tag/bookings", who)
        assert status == 403
    mo = Visitor("Moderation", token=moderation)
    try:
        await mo.enter(hub.ws_url, room="entrance")
        await mo.send("consult_desk", open=True, corner="corner-a")
        assert (await mo.next(("error",)))["code"] == "not_advisor"
        await mo.send("consult_call")
        assert (await mo.next(("error",)))["code"] == "not_advisor"

        # only staff mark, with a clear answer to anything else
        path = "/api/accounts/moderation/advisor"
        status, answer = await call(hub, "POST", path, advisor, {"advisor": True})
        assert (status, answer["error"]["code"]) == (403, "forbidden")
        status, answer = await call(hub, "POST", path, chefin, {"advisor": "ja"})
        assert (status, answer["error"]["code"]) == (400, "field_invalid")
        status, answer = await call(
            hub, "POST", "/api/accounts/niemand/advisor", chefin, {"advisor": True}
        )
        assert (status, answer["error"]["code"]) == (404, "account_unknown")

        # staff mark "moderation" in the browser's way: it holds at once on this hub
        status, answer = await call(hub, "POST", path, chefin, {"advisor": True})
        assert status == 200 and answer["advisor"] is True
        _, listed = await call(hub, "GET", "/api/accounts", chefin)
        marks = {a["username"]: a["advisor"] for a in listed["accounts"]}
        assert marks == {"beratung": True, "chefin": False, "moderation": True}
        await mo.send("consult_desk", open=True, corner="corner-a")
        opened = await mo.next(("consult_state", "error"))
        assert opened["t"] == "consult_state" and opened["desk"]["corner"] == "corner-a"
        status, published = await call(hub, "POST", "/api/consulting/hours", moderation, HOURS)
        assert status == 201
        status, _ = await call(hub, "DELETE", f"/api/consulting/hours/{published['id']}", advisor)
        assert status == 403, "another advisor's hours"
        status, _ = await call(hub, "DELETE", f"/api/consulting/hours/{published['id']}", chefin)
        assert status == 200, "staff take back anyone's hours, advisors or not"
        _, export = await call(hub, "GET", "/api/me/export", moderation)
        assert export["account"]["advisor"] is True

        # the mark taken away on the command line while the hub runs: the desk closes
        taken = accounts_cli(data, "not-advisor", "moderation")
        assert taken.returncode == 0, taken.stderr
        assert "is no advisor any more" in taken.stdout
        closed = await mo.next(("consult_state",), timeout_s=MARK_SPREAD_S)
        assert closed["desk"] is None
        await until_advisor(hub, moderation, False)
        status, answer = await call(hub, "POST", "/api/consulting/hours", moderation, HOURS)
        assert (status, answer["error"]["code"]) == (403, "not_advisor")
        _, export = await call(hub, "GET", "/api/me/export", moderation)
        assert export["account"]["advisor"] is False

        # and given on the command line: it holds within moments, listed as such
        given = accounts_cli(data, "advisor", "chefin")
        assert given.returncode == 0, given.stderr
        await until_advisor(hub, chefin, True)
        listed_cli = accounts_cli(data, "list").stdout.splitlines()
        assert any(line.split()[:3] == ["chefin", "staff", "yes"] for line in listed_cli)
        wrong = accounts_cli(data, "advisor", "niemand")
        assert wrong.returncode == 4 and len(wrong.stderr.strip().splitlines()) == 1
        assert "no account named 'niemand'" in wrong.stderr
    finally:
        await mo.close()
