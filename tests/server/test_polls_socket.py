"""Workshop polls through a real ``hubtwin serve`` (WebSocket and HTTP, SQLite): who may
open, answer and close; one answer per person; nothing after the close; the results after
a restart (SIGTERM, and SIGKILL without a goodbye); the CSV export field by field; and a
person's answers in their data export and gone after they erase their data.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgpack
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scale"))
from hub_processes import SECRET, HubProcess, Visitor, small_site, token

from server.base.identity import Role
from server.domain.polls import csv_header
from server.workshop.attendance import person_key
from world.site import PROJECT_ROOT, load_site

STORED_WITHIN_S = 10.0


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return small_site(tmp_path_factory.mktemp("polls-site"))


def hubtwin(site: Path, data: Path, *args: str, stdin: str = "") -> None:
    program = str(PROJECT_ROOT / ".venv" / "bin" / "hubtwin")
    done = subprocess.run(
        [program, args[0], "--site", str(site), "--data-dir", str(data), *args[1:]],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture
def hub(site: tuple[Path, Path], tmp_path: Path) -> Iterator[HubProcess]:
    """One process on its own SQLite file with an open workshop in the entrance that began
    a minute ago, led by staff (Sven)."""
    process = HubProcess(*site, tmp_path, redis_url="")
    data = tmp_path / "data"
    shutil.copytree(site[1], data / "world")
    hubtwin(site[0], data, "accounts", "add", "sven", "--name", "Sven", "--role", "staff",
            "--password-stdin", stdin="ein-langes-passwort\n")  # fmt: skip
    starts = datetime.fromtimestamp(time.time() - 60, ZoneInfo("Europe/Berlin"))
    hubtwin(site[0], data, "workshops", "add", "--title", "Klimabilanz", "--room", "entrance",
            "--starts", starts.strftime("%Y-%m-%dT%H:%M"), "--minutes", "120",
            "--facilitator", "sven", "--agenda", "30 Maßnahmen")  # fmt: skip
    process.start()
    process.wait_ready()
    yield process
    process.stop()


def workshop_id(data: Path) -> str:
    db = sqlite3.connect(data / "hub.sqlite3")
    try:
        return str(db.execute("SELECT id FROM workshops").fetchone()[0])
    finally:
        db.close()


def kept_polls(data: Path, kind: str = "polls") -> dict[str, Any]:
    db = sqlite3.connect(data / "hub.sqlite3")
    try:
        rows = db.execute("SELECT key, data FROM live_state WHERE kind = ?", (kind,)).fetchall()
    finally:
        db.close()
    return {key: json.loads(value) for key, value in rows}


async def stored(data: Path, ready: Any, kind: str = "polls") -> dict[str, Any]:
    deadline = time.monotonic() + STORED_WITHIN_S
    while time.monotonic() < deadline:
        found = kept_polls(data, kind)
        if found and ready(found):
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"{kind} not kept as expected: {kept_polls(data, kind)}")


def http(hub: HubProcess, method: str, path: str, who: str | None) -> tuple[int, str]:
    request = urllib.request.Request(hub.http_url.rstrip("/") + path, method=method)
    if who is not None:
        request.add_header("Authorization", f"Bearer {who}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


async def call(hub: HubProcess, method: str, path: str, who: str | None) -> tuple[int, str]:
    return await asyncio.to_thread(http, hub, method, path, who)


async def send(person: Visitor, message_type: str, **fields: Any) -> None:
    """``Visitor.send`` for messages with a field named ``kind``."""
    assert person.connection is not None
    await person.connection.send(msgpack.packb({"t": message_type, **fields}))


async def error(person: Visitor, about: str) -> str:
    return str((await person.next(("error",), about=about))["code"])


def local(ts: float, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(ts, zone).strftime("%Y-%m-%d %H:%M:%S")


key_of = person_key(SECRET)


SVEN_TOKEN = token("Sven", Role.STAFF)


async def test_permissions_one_answer_per_person_and_nothing_after_the_close(
    hub: HubProcess, tmp_path: Path
) -> None:
    wid = workshop_id(tmp_path / "data")
    sven = Visitor("Sven", token=SVEN_TOKEN)
    fritz = Visitor("Fritz", token=token("Fritz", Role.FACILITATOR))  # leads no workshop here
    ina, olga, hall = Visitor("Ina"), Visitor("Olga"), Visitor("Hanna")
    people = (sven, fritz, ina, olga, hall)
    try:
        await sven.enter(hub.ws_url, room="entrance")
        question = {"question": "Womit fangen wir an?", "kind": "single", "options": ["LED", "PV"]}
        await send(sven, "poll_open", **question)
        assert await error(sven, "poll_open") == "workshop_not_live"
        await sven.send("workshop_start", workshop=wid)
        await sven.next(("workshop_state",))
        for person in (fritz, ina, olga):
            await person.enter(hub.ws_url, room="entrance")
        await hall.enter(hub.ws_url, room="hall")

        await send(ina, "poll_open", **question)
        assert await error(ina, "poll_open") == "not_facilitator"
        await send(fritz, "poll_open", **question)
        assert await error(fritz, "poll_open") == "not_facilitator"
        await send(sven, "poll_open", question="?", kind="single", options=["nur eine"])
        assert await error(sven, "poll_open") == "poll_invalid"
        await send(sven, "poll_open", question="?", kind="single", options="LED")
        assert await error(sven, "poll_open") == "bad_field"

        await send(sven, "poll_open", **question)
        poll = (await ina.next(("poll_state",)))["poll"]
        assert (poll["question"], poll["options"], poll["counts"]) == (
            "Womit fangen wir an?",
            ["LED", "PV"],
            [0, 0],
        )
        pid = poll["id"]
        await hall.send("poll_answer", poll=pid, choices=[0])
        assert await error(hall, "poll_answer") == "poll_not_participant"
        await ina.send("poll_answer", poll=pid, choices=[0, 1])
        assert await error(ina, "poll_answer") == "poll_choice_invalid"
        await ina.send("poll_answer", poll=pid, choices=[0])
        assert (await ina.next(("poll_answered",)))["choices"] == [0]
        await ina.send("poll_answer", poll=pid, choices=[1])  # she changes her mind
        assert (await ina.next(("poll_answered",)))["choices"] == [1]
        await olga.send("poll_answer", poll=pid, choices=[1])
        await olga.next(("poll_answered",))
        state = (await sven.next(("poll_state",)))["poll"]
        while state["answered"] < 2:
            state = (await sven.next(("poll_state",)))["poll"]
        assert (state["counts"], state["answered"]) == ([0, 2], 2)

        await fritz.send("poll_close", poll=pid)
        assert await error(fritz, "poll_close") == "not_facilitator"
        await sven.send("poll_close", poll=pid)
        closed = (await olga.next(("poll_state",), timeout_s=5))["poll"]
        while closed["open"]:
            closed = (await olga.next(("poll_state",)))["poll"]
        assert closed["counts"] == [0, 2]
        await olga.send("poll_answer", poll=pid, choices=[0])
        assert await error(olga, "poll_answer") == "poll_closed"
        await fritz.send("poll_answer", poll=pid, choices=[0])
        assert await error(fritz, "poll_answer") == "poll_closed"
        doc = await stored(
            tmp_path / "data",
            lambda found: found.get(wid, {}).get("polls", [{}])[0].get("closed_at") is not None,
        )
        answers = doc[wid]["polls"][0]["answers"]
        assert {k: v["choices"] for k, v in answers.items()} == {"id-Ina": [1], "id-Olga": [1]}
    finally:
        for person in people:
            await person.close()


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
async def test_the_results_survive_a_restart(hub: HubProcess, tmp_path: Path, how: str) -> None:
    data = tmp_path / "data"
    wid = workshop_id(data)
    sven, ina = Visitor("Sven", token=SVEN_TOKEN), Visitor("Ina")
    try:
        await sven.enter(hub.ws_url, room="entrance")
        await sven.send("workshop_start", workshop=wid)
        await sven.next(("workshop_state",))
        await ina.enter(hub.ws_url, room="entrance")
        await send(sven, "poll_open", question="Wie zufrieden?", kind="scale", anonymous=True)
        pid = (await ina.next(("poll_state",)))["poll"]["id"]
        await ina.send("poll_answer", poll=pid, choices=[3])
        await ina.next(("poll_answered",))
        await stored(
            data,
            lambda found: (
                "id-Ina" in found.get(wid, {"polls": [{}]})["polls"][0].get("answers", {})
            ),
        )
        await stored(data, lambda found: wid in found, kind="workshop")  # it runs on after
        if how == "SIGKILL":
            hub.kill()
        else:
            hub.stop()
        await sven.close()
        await ina.close()
        hub.start()
        hub.wait_ready()

        await ina.enter(hub.ws_url, room="entrance")
        poll = (await ina.next(("poll_state",)))["poll"]
        assert (poll["id"], poll["open"], poll["anonymous"]) == (pid, True, True)
        assert poll["options"] == ["1", "2", "3", "4", "5"] and poll["counts"] == [0, 0, 0, 1, 0]
        assert (await ina.next(("poll_answered",))) == {
            "t": "poll_answered",
            "poll": pid,
            "choices": [3],
        }
        # still one answer per person after the restart: hers is replaced, not added
        await ina.send("poll_answer", poll=pid, choices=[4])
        await ina.next(("poll_answered",))
        await sven.enter(hub.ws_url, room="entrance")
        state = (await sven.next(("poll_state",)))["poll"]
        while state["counts"] != [0, 0, 0, 0, 1]:
            state = (await sven.next(("poll_state",)))["poll"]
        await sven.send("poll_close", poll=pid)
        closed = (await ina.next(("poll_state",)))["poll"]
        while closed["open"]:
            closed = (await ina.next(("poll_state",)))["poll"]
        assert closed["counts"] == [0, 0, 0, 0, 1] and closed["answered"] == 1
    finally:
        await sven.close()
        await ina.close()


async def test_csv_export_field_by_field_and_erasure(hub: HubProcess, tmp_path: Path) -> None:
    data = tmp_path / "data"
    wid = workshop_id(data)
    sven, ina, olga = Visitor("Sven", token=SVEN_TOKEN), Visitor("Ina"), Visitor("Olga")
    path = f"/api/workshops/{wid}/polls.csv"
    try:
        await sven.enter(hub.ws_url, room="entrance")
        await sven.send("workshop_start", workshop=wid)
        await sven.next(("workshop_state",))
        for person in (ina, olga):
            await person.enter(hub.ws_url, room="entrance")
        # a named multiple choice
        await send(sven, "poll_open", question="Was tun Sie schon?", kind="multiple",
                        options=["=Ökostrom", "Jobrad", "Recycling"])  # fmt: skip
        named = (await ina.next(("poll_state",)))["poll"]
        await ina.send("poll_answer", poll=named["id"], choices=[2, 0])
        ina_at = time.time()
        await ina.next(("poll_answered",))
        await olga.send("poll_answer", poll=named["id"], choices=[1])
        await olga.next(("poll_answered",))
        await sven.send("poll_close", poll=named["id"])
        # an anonymous single choice
        await send(
            sven,
            "poll_open",
            question="Budget?",
            kind="single",
            options=["ja", "nein"],
            anonymous=True,
        )
        anonymous = (await ina.next(("poll_state",), timeout_s=5))["poll"]
        while anonymous["id"] == named["id"]:
            anonymous = (await ina.next(("poll_state",)))["poll"]
        await ina.send("poll_answer", poll=anonymous["id"], choices=[1])
        await ina.next(("poll_answered",))
        await olga.send("poll_answer", poll=anonymous["id"], choices=[0])
        await olga.next(("poll_answered",))

        # who may: its facilitators (staff) only
        assert (await call(hub, "GET", path, None))[0] == 401
        assert (await call(hub, "GET", path, ina.token))[0] == 403
        assert (await call(hub, "GET", path, token("Fritz", Role.FACILITATOR)))[0] == 403
        assert (await call(hub, "GET", "/api/workshops/nope/polls.csv", SVEN_TOKEN))[0] == 404
        status, text = await call(hub, "GET", path, SVEN_TOKEN)
        assert status == 200
        rows = list(csv.reader(io.StringIO(text)))
        zone = load_site(hub.site).zone
        assert rows[0] == list(csv_header(zone))
        assert rows[0][4] == "Geöffnet (Europe/Berlin) / Opened (Europe/Berlin)"
        by_poll: dict[str, list[list[str]]] = {}
        for row in rows[1:]:
            by_poll.setdefault(row[0], []).append(row)
        first, second = by_poll[named["id"]], by_poll[anonymous["id"]]
        assert len(first) == 2 and len(second) == 2
        ina_row = next(r for r in first if r[7] == "Ina")
        olga_row = next(r for r in first if r[7] == "Olga")
        assert ina_row[1:4] == ["Was tun Sie schon?", "multiple", "nein / no"]
        assert ina_row[4] == local(named["opened_at"], zone) and ina_row[5] != ""
        assert ina_row[6] == key_of("id-Ina") and olga_row[6] == key_of("id-Olga")
        assert ina_row[6] != olga_row[6] and len(ina_row[6]) == 8
        assert ina_row[8] == "'=Ökostrom | Recycling"  # a formula-like text is quoted
        answered = datetime.strptime(ina_row[9], "%Y-%m-%d %H:%M:%S").replace(tzinfo=zone)
        assert abs(answered.timestamp() - ina_at) < 3
        assert olga_row[8] == "Jobrad"
        for row in second:  # anonymous: no key, name or time of the answer; still open
            assert row[1:4] == ["Budget?", "single", "ja / yes"] and row[5] == ""
            assert row[6] == row[7] == row[9] == ""
        assert sorted(r[8] for r in second) == ["ja", "nein"]
        # kept by identity (one answer each, erasure), but without names
        both = await stored(
            data,
            lambda f: len(f[wid]["polls"]) == 2 and len(f[wid]["polls"][1]["answers"]) == 2,
        )
        kept_anonymous = both[wid]["polls"][1]["answers"]
        assert {a["name"] for a in kept_anonymous.values()} == {""}

        # Ina's data export has her answers; after she erases her data they are gone
        status, exported = await call(hub, "GET", "/api/me/export", ina.token)
        assert status == 200
        mine = json.loads(exported)["poll_answers"]
        assert [(a["poll_id"], a["answer"]) for a in mine] == [
            (named["id"], ["=Ökostrom", "Recycling"]),
            (anonymous["id"], ["nein"]),
        ]
        assert (await call(hub, "DELETE", "/api/me", ina.token))[0] == 200
        state = (await sven.next(("poll_state",), timeout_s=5))["poll"]
        while state["id"] != anonymous["id"] or state["answered"] != 1:
            state = (await sven.next(("poll_state",)))["poll"]
        assert state["counts"] == [1, 0]

        def without_ina(found: dict[str, Any]) -> bool:
            return all("id-Ina" not in p["answers"] for p in found[wid]["polls"])

        await stored(data, without_ina)
        status, text = await call(hub, "GET", path, SVEN_TOKEN)
        rows = list(csv.reader(io.StringIO(text)))[1:]
        assert [r[7] for r in rows if r[0] == named["id"]] == ["Olga"]
        assert [r[8] for r in rows if r[0] == anonymous["id"]] == ["ja"]
    finally:
        for person in (sven, ina, olga):
            await person.close()
