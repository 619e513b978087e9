"""A running workshop survives a restart of a real ``hubtwin serve`` (SIGTERM, and SIGKILL
without a goodbye): started again on the same data folder, the workshop still runs with
its leader, agenda position, countdown, spotlight, raised hand, breakout groups and their
timer; its invite code still keeps strangers out; the room's screen plays on from where
the server's clock says it is.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scale"))
from hub_processes import HubProcess, Visitor, token

from server.base.identity import Role
from world.builder import build_world
from world.site import DEFAULT_SITE, PROJECT_ROOT, load_site

CODE = "KLIMA-24"
TALK_S = 120.0
STORED_WITHIN_S = 10.0
SCREEN = """
[[anchors]]
id = "screen-eingang"
kind = "screen"
room = "entrance"
at = [6, 0.1]
facing = "south"
elevation = 2.0
size = [3.2, 1.8]
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The benchmark hall with a screen in its small room and one two-minute talk."""
    folder = tmp_path_factory.mktemp("restart-site")
    site = folder / "site"
    shutil.copytree(PROJECT_ROOT / "bench" / "bench-hall", site)
    with (site / "building.toml").open("a", encoding="utf-8") as building:
        building.write(SCREEN)
    talk = site / "talks" / "klimabilanz"
    talk.mkdir(parents=True)
    shutil.copy(DEFAULT_SITE / "talks" / "topics.toml", site / "talks" / "topics.toml")
    subprocess.run(
        [
            *("ffmpeg", "-nostdin", "-v", "error", "-y"),
            *("-f", "lavfi", "-i", "testsrc=size=160x120:rate=5"),
            *("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"),
            *("-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"),
            *("-pix_fmt", "yuv420p", "-c:a", "libopus", "-t", f"{TALK_S:g}"),
            str(talk / "media.webm"),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (talk / "talk.toml").write_text(
        f"""format = 1
title = {{ de = "Klimabilanz", en = "Carbon accounting" }}
speaker = "Erika Mustermann"
date = "2025-03-14"
topics = ["klimabilanz"]
language = "de"
duration_s = {TALK_S}

[media]
file = "media.webm"
video_codec = "vp9"
audio_codec = "opus"
width = 160
height = 120
""",
        encoding="utf-8",
    )
    world = folder / "world"
    build_world(load_site(site), world / "hub.glb", quiet=True)
    return site, world


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
    """One process on its own SQLite file, with a workshop (invite code) in the small room
    that began a minute ago."""
    process = HubProcess(*site, tmp_path, redis_url="")
    data = tmp_path / "data"
    shutil.copytree(site[1], data / "world")
    hubtwin(site[0], data, "accounts", "add", "sven", "--name", "Sven", "--role", "staff",
            "--password-stdin", stdin="ein-langes-passwort\n")  # fmt: skip
    starts = datetime.fromtimestamp(time.time() - 60, ZoneInfo("Europe/Berlin"))
    hubtwin(site[0], data, "workshops", "add", "--title", "Klimabilanz", "--room", "entrance",
            "--starts", starts.strftime("%Y-%m-%dT%H:%M"), "--minutes", "120",
            "--facilitator", "sven", "--access", "code", "--code", CODE,
            "--agenda", "10 Ankommen", "--agenda", "30 An der Station")  # fmt: skip
    process.start()
    process.wait_ready()
    yield process
    process.stop()


def kept(data: Path, kind: str) -> dict[str, Any]:
    import json

    db = sqlite3.connect(data / "hub.sqlite3")
    try:
        rows = db.execute("SELECT key, data FROM live_state WHERE kind = ?", (kind,)).fetchall()
    except sqlite3.OperationalError:
        return {}
    finally:
        db.close()
    return {key: json.loads(value) for key, value in rows}


async def stored(data: Path, kind: str, ready: Any) -> dict[str, Any]:
    deadline = time.monotonic() + STORED_WITHIN_S
    while time.monotonic() < deadline:
        found = kept(data, kind)
        if found and ready(found):
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {kind} kept as expected: {kept(data, kind)}")


def workshop_id(data: Path) -> str:
    db = sqlite3.connect(data / "hub.sqlite3")
    try:
        return str(db.execute("SELECT id FROM workshops").fetchone()[0])
    finally:
        db.close()


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
async def test_a_running_workshop_and_its_screen_go_on_after_a_restart(
    hub: HubProcess, tmp_path: Path, how: str
) -> None:
    data = tmp_path / "data"
    wid = workshop_id(data)
    sven = Visitor("Sven", token=token("Sven", Role.STAFF))
    ina, olga, kim, eve = Visitor("Ina"), Visitor("Olga"), Visitor("Kim"), Visitor("Eve")
    people = (sven, ina, olga, kim, eve)
    try:
        await sven.enter(hub.ws_url, room="entrance")
        await sven.send("workshop_start", workshop=wid)
        await sven.next(("workshop_state",))
        for person in (ina, olga, kim):
            await person.enter(hub.ws_url)
            await person.send("workshop_join", workshop=wid, code=CODE)
            await person.next(("joined",), room="entrance")
        await sven.send("agenda", item=1)
        await sven.send("timer", seconds=900)
        assign = [[olga.session], [ina.session]]
        await sven.send("breakout", groups=2, mode="chosen", minutes=20, assign=assign)
        groups = (await sven.next(("workshop_state",), timeout_s=10))["workshop"]["breakout"]
        while groups is None:
            groups = (await sven.next(("workshop_state",)))["workshop"]["breakout"]
        instance_of = {g["group"]: g["instance"] for g in groups["groups"]}
        await olga.next(("joined",), room="entrance", instance=instance_of[0])
        await olga.send("hand", up=True)
        await sven.send("spotlight", on=True, session=ina.session)
        await sven.send("playback", screen="screen-eingang", action="select",
                        talk="klimabilanz", position=30.0, play=True)  # fmt: skip
        await sven.next(("playback_state",), playing=True)
        played_from = time.time()

        before = await stored(
            data,
            "workshop",
            lambda found: (
                (doc := found.get(wid)) is not None
                and doc["spotlight"] == [ina.session]
                and doc["hands"].get(str(instance_of[0])) == [olga.session]
            ),
        )
        await stored(data, "screens", lambda found: "entrance#0" in found)
        doc = before[wid]
        if how == "SIGKILL":
            hub.kill()
        else:
            hub.stop()
        for person in people:
            await person.close()
        hub.start()
        hub.wait_ready()

        # the code still keeps a stranger out
        with pytest.raises(AssertionError, match="workshop_access"):
            await eve.enter(hub.ws_url, room="entrance")
        # the leader comes back: the workshop runs on with its state
        await sven.enter(hub.ws_url, room="entrance")
        state = (await sven.next(("workshop_state",)))["workshop"]
        assert (state["id"], state["item"], state["you_lead"]) == (wid, 1, True)
        assert state["timer_ends"] == doc["timer_ends"]
        assert state["breakout"]["ends_at"] == doc["breakout"]["ends_at"]
        assert state["leaders"] == [sven.session]
        # the screen plays on from where it is now
        screen = await sven.next(("playback_state",))
        assert screen["talk"] == "klimabilanz" and screen["playing"] is True
        expected = 30.0 + (screen["server_time"] - played_from)
        assert abs(screen["position"] - expected) < 1.5, (screen, expected)
        # Olga comes back into her group's room: her hand is still up
        await olga.enter(hub.ws_url, room="entrance", instance=instance_of[0])
        assert olga.joined["instance"] == instance_of[0]
        assert (await olga.next(("hand_queue",)))["sessions"] == [olga.session]
        # Ina (who had given the code) comes back to the main room and is taken to her group
        await ina.enter(hub.ws_url, room="entrance")
        await ina.next(("joined",), room="entrance", instance=instance_of[1])
        state = (await sven.next(("workshop_state",), timeout_s=5))["workshop"]
        while state["spotlight"] != [ina.session]:
            state = (await sven.next(("workshop_state",), timeout_s=5))["workshop"]
        members = {g["group"]: g["members"] for g in state["breakout"]["groups"]}
        assert olga.session in members[0] and ina.session in members[1]
    finally:
        for person in people:
            await person.close()
