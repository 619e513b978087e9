"""Consulting hours through a real ``hubtwin serve`` (HTTP and WebSocket, SQLite): only
advisors publish hours, open a desk and call someone in; a slot is booked once and gives a
calendar file; the booth keeps out a third person; handed notes are saved only by the
visitor they were handed to; bookings and notes are in the export and gone after erasure.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import sys
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scale"))
from hub_processes import PROJECT_ROOT, HubProcess, Visitor, token

from server.identity import Role
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


@pytest.fixture
def hub(site: tuple[Path, Path], tmp_path: Path) -> Iterator[HubProcess]:
    process = HubProcess(*site, tmp_path, redis_url="")
    process.start()
    process.wait_ready()
    yield process
    process.stop()


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


ADVISOR = token("Beratung", Role.FACILITATOR)
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
async def people(hub: HubProcess) -> AsyncIterator[tuple[Visitor, Visitor, Visitor]]:
    advisor = Visitor("Beratung", token=ADVISOR)
    ada, bo = Visitor("Ada", token=ADA), Visitor("Bo", token=BO)
    try:
        for person in (advisor, ada, bo):
            await person.enter(hub.ws_url, room="entrance")
        yield advisor, ada, bo
    finally:
        for person in (advisor, ada, bo):
            await person.close()


async def test_only_advisors_publish_hours_and_bad_hours_are_refused(hub: HubProcess) -> None:
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
        hub, "POST", "/api/consulting/hours", ADVISOR, {**HOURS, "corner": "lounge"}
    )
    assert (status, answer["error"]["code"]) == (400, "consult_invalid")
    assert "corner" in answer["error"]["message"]
    status, answer = await call(
        hub, "POST", "/api/consulting/hours", ADVISOR, {**HOURS, "to": "13:00"}
    )
    assert status == 400 and answer["error"]["message"].startswith("to:")

    status, published = await call(hub, "POST", "/api/consulting/hours", ADVISOR, HOURS)
    assert status == 201
    status, answer = await call(hub, "GET", "/api/consulting")
    shown = {h["id"]: h for h in answer["hours"]}
    assert shown[published["id"]]["published"] and shown[published["id"]]["mode"] == "online"
    status, answer = await call(hub, "DELETE", f"/api/consulting/hours/{published['id']}", ADA)
    assert status == 403
    status, _ = await call(hub, "DELETE", f"/api/consulting/hours/{published['id']}", ADVISOR)
    assert status == 200


async def test_a_slot_is_booked_once_and_gives_a_calendar_file(hub: HubProcess) -> None:
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
    status, seen = await call(hub, "GET", "/api/consulting/hours/jeden-tag/bookings", ADVISOR)
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
    hub: HubProcess, people: tuple[Visitor, Visitor, Visitor]
) -> None:
    advisor, ada, bo = people
    await bo.send("consult_desk", open=True, corner="corner-a")
    assert (await bo.next(("error",)))["code"] == "not_advisor"
    await advisor.send("consult_desk", open=True, corner="corner-a")
    await advisor.next(("consult_state",))
    _, overview = await call(hub, "GET", "/api/consulting")
    assert [(d["name"], d["corner"]) for d in overview["desks"]] == [("Beratung", "corner-a")]

    await ada.send("consult_queue", advisor=advisor.session, topic="Klimabilanz Scope 3")
    queued = await ada.next(("consult_state",))
    assert queued["queued"]["position"] == 1
    seen = await advisor.next(("consult_state",))
    assert [(w["name"], w["topic"]) for w in seen["desk"]["queue"]] == [
        ("ada", "Klimabilanz Scope 3")
    ]
    await bo.send("consult_call")
    assert (await bo.next(("error",)))["code"] == "not_advisor"

    await advisor.send("consult_call")
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

    await advisor.send("consult_notes", text="VSME-Basismodul lesen", checklist=["Scope 1"])
    handed = await ada.next(("consult_handed",))
    status, _ = await call(hub, "POST", "/api/consulting/notes", BO, {"id": handed["id"]})
    assert status == 404, "notes handed to Ada are not Bo's to save"
    status, saved = await call(hub, "POST", "/api/consulting/notes", ADA, {"id": handed["id"]})
    assert status == 201 and saved["checklist"] == ["Scope 1"]
    status, notes = await call(hub, "GET", "/api/consulting/notes", ADA)
    assert [n["text"] for n in notes] == ["VSME-Basismodul lesen"]

    await ada.send("consult_end")
    ended = await advisor.next(("consult_ended",))
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
    _, seen_bookings = await call(hub, "GET", "/api/consulting/hours/jeden-tag/bookings", ADVISOR)
    assert seen_bookings == []
    database = sqlite3.connect(hub.folder / "data" / "hub.sqlite3")
    kept = database.execute(
        "SELECT count(*) FROM live_state WHERE kind = 'consulting' AND key = 'id-ada'"
    ).fetchone()
    database.close()
    assert kept == (0,)
