"""Planning workshops on the command line (real processes) and over REST (a real socket):
moving a workshop keeps its length; two workshops in one room at the same time are refused
(the clash named) unless forced."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import msgpack
import pytest
from realtime_harness import hello
from test_workshops_http import Hub, open_hub

from server.base.identity import Role
from server.protocol.table import decode_client
from server.store.sqlite import Store


def hubtwin(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.app.cli", *args[:1], "--data-dir", str(data_dir), *args[1:]],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def plan(data_dir: Path, title: str, starts: str, minutes: str, *extra: str) -> str:
    """The id of a workshop planned in the room "workshop" (fails the test if refused)."""
    ran = hubtwin(
        data_dir,
        "workshops",
        "add",
        "--title",
        title,
        "--room",
        "workshop",
        "--starts",
        starts,
        "--minutes",
        minutes,
        "--facilitator",
        "mara",
        *extra,
    )
    assert ran.returncode == 0, ran.stderr
    return ran.stdout.split()[1].rstrip(":")


def times(data_dir: Path, workshop_id: str) -> tuple[float, float]:
    async def read() -> tuple[float, float]:
        store = await Store.open(data_dir / "hub.sqlite3")
        try:
            found = await store.workshop(workshop_id)
        finally:
            await store.close()
        assert found is not None
        return found.starts_at, found.ends_at

    return asyncio.run(read())


def facilitator(data_dir: Path) -> None:
    made = hubtwin(
        data_dir,
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


def test_moving_a_workshop_by_a_week_keeps_its_length(tmp_path: Path) -> None:
    facilitator(tmp_path)
    workshop_id = plan(tmp_path, "Klimabilanz", "2031-03-05T10:00", "90")
    starts, ends = times(tmp_path, workshop_id)
    moved = hubtwin(tmp_path, "workshops", "edit", workshop_id, "--starts", "2031-03-12T10:00")
    assert moved.returncode == 0, moved.stderr
    assert "2031-03-12T10:00:00+01:00 to 2031-03-12T11:30:00+01:00" in moved.stdout
    assert times(tmp_path, workshop_id) == (starts + 7 * 86400, ends + 7 * 86400)
    # over the change to summer time the wall-clock length stays 90 minutes too
    moved = hubtwin(tmp_path, "workshops", "edit", workshop_id, "--starts", "2031-04-02T10:00")
    assert moved.returncode == 0, moved.stderr
    new_starts, new_ends = times(tmp_path, workshop_id)
    assert new_ends - new_starts == 90 * 60


def test_a_clash_in_one_room_is_refused_by_name_unless_forced(tmp_path: Path) -> None:
    facilitator(tmp_path)
    first = plan(tmp_path, "Klimabilanz", "2031-03-05T10:00", "90")
    refused = hubtwin(
        tmp_path,
        "workshops",
        "add",
        "--title",
        "Energie sparen",
        "--room",
        "workshop",
        "--starts",
        "2031-03-05T11:00",
        "--minutes",
        "60",
        "--facilitator",
        "mara",
    )
    assert refused.returncode == 2
    assert refused.stderr == (
        "hubtwin: room workshop is already planned for 'Klimabilanz'"
        " (2031-03-05 10:00–11:30 (Europe/Berlin)); choose another time or room,"
        " or force it (workshop_clash)\n"
    )
    listed = hubtwin(tmp_path, "workshops", "list", "--all")
    assert "Energie sparen" not in listed.stdout
    # right after it: no clash
    after = plan(tmp_path, "Energie sparen", "2031-03-05T11:30", "60")
    # moving the second one onto the first is refused too, and nothing changes
    before = times(tmp_path, after)
    moved = hubtwin(tmp_path, "workshops", "edit", after, "--starts", "2031-03-05T10:30")
    assert moved.returncode == 2 and "'Klimabilanz'" in moved.stderr
    assert times(tmp_path, after) == before
    forced = hubtwin(
        tmp_path, "workshops", "edit", after, "--starts", "2031-03-05T10:30", "--force"
    )
    assert forced.returncode == 0, forced.stderr
    assert times(tmp_path, after)[0] == times(tmp_path, first)[0] + 30 * 60


# --- the same over REST, on a real socket ---------------------------------------------------


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[Hub]:
    opened = await open_hub(tmp_path)
    try:
        yield opened
    finally:
        await opened.client.close()
        await opened.store.close()


PLAN = {"title": "Klimabilanz", "room": "workshop", "starts": "2031-03-05T10:00", "minutes": 90}


async def test_rest_moving_a_workshop_keeps_its_length(hub: Hub) -> None:
    await hub.account("mara", Role.FACILITATOR)
    status, made = await hub.call("POST", "/api/workshops", "mara", PLAN)
    assert status == 201, made
    path = f"/api/workshops/{made['id']}"
    status, moved = await hub.call("PUT", path, "mara", {"starts": "2031-03-12T10:00"})
    assert status == 200, moved
    assert (moved["starts"], moved["ends"], moved["minutes"]) == (
        "2031-03-12T10:00:00+01:00",
        "2031-03-12T11:30:00+01:00",
        90,
    )
    status, changed = await hub.call("PUT", path, "mara", {"ends": "2031-03-12T12:00"})
    assert status == 200 and changed["minutes"] == 120  # an end alone keeps the start
    status, stored = await hub.call("GET", path, "mara")
    assert stored["starts_at"] == made["starts_at"] + 7 * 86400


async def test_rest_refuses_a_clash_by_name_unless_forced(hub: Hub) -> None:
    await hub.account("mara", Role.FACILITATOR)
    status, first = await hub.call("POST", "/api/workshops", "mara", PLAN)
    assert status == 201
    clashing = {**PLAN, "title": "Energie sparen", "starts": "2031-03-05T11:00", "minutes": 60}
    status, refused = await hub.call("POST", "/api/workshops", "mara", clashing)
    assert status == 409
    assert refused["error"]["code"] == "workshop_clash"
    assert "'Klimabilanz' (2031-03-05 10:00–11:30 (Europe/Berlin))" in refused["error"]["message"]
    _, listed = await hub.call("GET", "/api/workshops?all=1")
    assert [w["title"] for w in listed["workshops"]] == ["Klimabilanz"]
    status, bad = await hub.call("POST", "/api/workshops", "mara", {**clashing, "force": "yes"})
    assert status == 400 and bad["error"]["code"] == "field_invalid"
    status, forced = await hub.call("POST", "/api/workshops", "mara", {**clashing, "force": True})
    assert status == 201, forced
    # moving the first one onto the second is refused as well, naming it
    path = f"/api/workshops/{first['id']}"
    status, refused = await hub.call("PUT", path, "mara", {"starts": "2031-03-05T10:30"})
    assert status == 409 and "'Energie sparen'" in refused["error"]["message"]
    # a series whose session falls on the first workshop is refused too
    series = {
        "title": "Austausch",
        "room": "workshop",
        "first": "2031-02-26T10:30",
        "minutes": 60,
        "repeat": "weekly",
        "count": 2,
    }
    status, refused = await hub.call("POST", "/api/workshop-series", "mara", series)
    assert status == 409 and "'Klimabilanz'" in refused["error"]["message"]


async def test_rest_extends_a_running_workshop_and_its_room_hears_of_it(hub: Hub) -> None:
    await hub.account("mara", Role.FACILITATOR)
    now = time.time()
    body = {"title": "Läuft", "room": "workshop", "starts": now - 600, "minutes": 30}
    status, made = await hub.call("POST", "/api/workshops", "mara", body)
    assert status == 201, made
    rt = hub.realtime
    rt.apply(rt.core.hello(1, hub.identities["mara"], hello(room="workshop"), rt.now))
    got = rt.send(1, decode_client(msgpack.packb({"t": "workshop_start", "workshop": made["id"]})))
    states = [m for m in got if m["t"] == "workshop_state"]
    assert states[-1]["workshop"]["ends_at"] == made["ends_at"]
    later = made["ends_at"] + 15 * 60
    status, changed = await hub.call("PUT", f"/api/workshops/{made['id']}", "mara", {"ends": later})
    assert status == 200 and changed["ends_at"] == later
    assert rt.take(1, "workshop_state")[-1]["workshop"]["ends_at"] == later
