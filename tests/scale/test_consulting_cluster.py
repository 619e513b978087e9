"""Consulting across two real ``hubtwin serve --redis`` processes and a real redis-server:
the advisor (an account marked as advisor in Redis) opens a desk on the process that serves
them; "who advises now" (GET /api/consulting: the open desks, and the corners with a
conversation running, which the signs show) is the same through either process, and
follows a visitor queueing, a conversation beginning and the desk closing. A facilitator
without the mark is refused."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hub_processes import PROJECT_ROOT, HubProcess, Visitor, start_processes, token

from server.identity import Role
from server.store_redis import RedisStore
from world.builder import build_world
from world.site import load_site

pytestmark = pytest.mark.scale

#: how long a change may take to show through the other process (a round is 1 s)
SPREAD_S = 10.0
PASSWORD = "ein-langes-passwort"
BOOTH = """
[[anchors]]
id = "corner-a"
kind = "booth"
room = "entrance"
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
"""


@pytest.fixture(scope="module")
def consulting_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("consulting-cluster-site")
    site = folder / "site"
    shutil.copytree(PROJECT_ROOT / "bench" / "bench-hall", site)
    building = site / "building.toml"
    building.write_text(building.read_text(encoding="utf-8") + BOOTH, encoding="utf-8")
    (site / "consulting.toml").write_text(CONSULTING, encoding="utf-8")
    world = folder / "world"
    build_world(load_site(site), world / "hub.glb", quiet=True)
    return site, world


@pytest.fixture
async def hubs(
    redis_url: str, consulting_site: tuple[Path, Path], tmp_path: Path
) -> AsyncIterator[list[HubProcess]]:
    store = await RedisStore.connect(redis_url, site="site")
    try:
        await store.create_account("beratung", PASSWORD, Role.FACILITATOR, "Beratung", True)
        await store.create_account("moderation", PASSWORD, Role.FACILITATOR, "Moderation")
    finally:
        await store.close()
    started = await asyncio.to_thread(start_processes, 2, *consulting_site, tmp_path, redis_url)
    try:
        yield started
    finally:
        for hub in started:
            await asyncio.to_thread(hub.stop)


def http(hub: HubProcess, method: str, path: str, who: str | None, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(hub.http_url.rstrip("/") + path, data=data, method=method)
    if who is not None:
        request.add_header("Authorization", f"Bearer {who}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


async def call(hub: HubProcess, method: str, path: str, who: str | None = None) -> Any:
    return await asyncio.to_thread(http, hub, method, path, who)


async def sign_in(hub: HubProcess, username: str) -> str:
    status, answer = await asyncio.to_thread(
        http, hub, "POST", "/api/session", None, {"username": username, "password": PASSWORD}
    )
    assert status == 200, answer
    return str(answer["token"])


def now_seen(overview: dict[str, Any]) -> Any:
    """What "who advises now" is made of: the open desks and which corners are taken."""
    return overview["desks"], [(c["id"], c["taken"]) for c in overview["corners"]]


async def alike(hubs: list[HubProcess], check: Any) -> Any:
    """GET /api/consulting through both processes until both say the same and it passes
    ``check``; what they say."""
    deadline = time.monotonic() + SPREAD_S
    while True:
        seen = []
        for hub in hubs:
            status, overview = await call(hub, "GET", "/api/consulting")
            assert status == 200
            seen.append(now_seen(overview))
        if seen[0] == seen[1] and check(seen[0]):
            return seen[0]
        assert time.monotonic() < deadline, f"the processes differ or do not pass: {seen}"
        await asyncio.sleep(0.2)


@pytest.mark.timeout(600)
async def test_who_advises_now_is_the_same_through_every_process(
    hubs: list[HubProcess],
) -> None:
    advisor = Visitor("Beratung", token=await sign_in(hubs[0], "beratung"))
    mo = Visitor("Moderation", token=await sign_in(hubs[1], "moderation"))
    ada = Visitor("ada", token=token("ada"))
    try:
        await advisor.enter(hubs[0].ws_url, room="entrance")
        served = next(hub for hub in hubs if hub.ws_url == advisor.url)
        other = next(hub for hub in hubs if hub is not served)
        await alike(hubs, lambda seen: seen == ([], [("corner-a", False)]))

        await advisor.send("consult_desk", open=True, corner="corner-a")
        assert (await advisor.next(("consult_state",)))["desk"]["corner"] == "corner-a"
        desks, _ = await alike(hubs, lambda seen: len(seen[0]) == 1)
        assert desks == [
            {
                "session": advisor.session,
                "name": "Beratung",
                "corner": "corner-a",
                "waiting": 0,
                "busy": False,
            }
        ]
        # the other process's answer is the advisor's process's, not an empty list of its own
        _, through_other = await call(other, "GET", "/api/consulting")
        assert through_other["desks"] == desks

        # a facilitator without the mark is refused (wherever the hall is served)
        await mo.enter(other.ws_url, room="hall")
        await mo.send("consult_desk", open=True, corner="corner-a")
        assert (await mo.next(("error",)))["code"] == "not_advisor"

        # Ada queues and is called in: both processes show the desk busy and the corner taken
        await ada.enter(served.ws_url, room="entrance")
        await ada.send("consult_queue", advisor=advisor.session, topic="Bericht")
        await alike(hubs, lambda seen: seen[0][0]["waiting"] == 1)
        await advisor.send("consult_call")
        await alike(
            hubs,
            lambda seen: seen[0][0]["busy"] and seen[0][0]["waiting"] == 0
            and seen[1] == [("corner-a", True)],
        )  # fmt: skip

        # the conversation ends and the desk closes: nobody advises, from either process
        await ada.send("consult_end")
        await advisor.next(("consult_ended",))
        await advisor.send("consult_desk", open=False)
        await alike(hubs, lambda seen: seen == ([], [("corner-a", False)]))
    finally:
        for person in (advisor, mo, ada):
            await person.close()
