"""A publish over the edit API whose client is gone before the answer still ends done: the
version is written, served, and listed by the history; repeating it says it is done.

A real hub process on the small test site of the staff tools; the publish is sent over a
raw socket that is closed while the publish waits for its turn. The hub's own watcher of
the current pointer is stopped, so only the edit endpoint can have switched the served
world.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from tools_site import write_site

from server.app.assembly import RunningHub, start_hub
from server.base.identity import Role
from server.base.settings import Settings
from server.features.world.edit_http import EDITING
from world.site import PROJECT_ROOT

PASSWORD = "ein-langes-passwort"


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[RunningHub]:
    site = write_site(tmp_path / "site")
    shutil.copytree(PROJECT_ROOT / "bench" / "bench-hall" / "stations", site / "stations")
    data = tmp_path / "data"
    settings = Settings(
        site=site,
        data_dir=data,
        http_port=0,
        ws_port=0,
        secret="publish-answer-lost-secret-long-enough",
        log_level="warning",
    )
    hub = await start_hub(settings)
    watchers = [t for t in hub.tasks if "LiveWorld.watch" in repr(t.get_coro())]
    assert len(watchers) == 1
    watchers[0].cancel()  # only the edit endpoint may switch the served world here
    await hub.store.create_account("chefin", PASSWORD, Role.STAFF, "Chefin")
    try:
        yield hub
    finally:
        await hub.close()


async def _json(response: aiohttp.ClientResponse) -> Any:
    return orjson.loads(await response.read())


async def _until(condition: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.02)


async def _publish_and_hang_up(hub: RunningHub, token: str, message: str) -> None:
    """POST the publish on a socket of its own and close it while the publish waits for its
    turn (the test holds the edits' lock), so no answer can have been sent."""
    editing = hub.runner.app[EDITING]
    server = hub.runner.server
    assert server is not None
    body = orjson.dumps({"message": message})
    head = (
        "POST /api/world/publish HTTP/1.1\r\nHost: hub\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    async with editing.lock:
        _, writer = await asyncio.open_connection("127.0.0.1", hub.http_port)
        writer.write(head.encode() + body)
        await writer.drain()
        await _until(lambda: editing.lock._waiters, "the publish never waited for its turn")
        open_before = len(server.connections)
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
        await _until(lambda: len(server.connections) < open_before, "the hub missed the hang-up")


@pytest.mark.parametrize("cancels", [False, True], ids=["handler-runs-on", "handler-cancelled"])
async def test_a_publish_whose_answer_is_lost_is_done(running: RunningHub, cancels: bool) -> None:
    # aiohttp lets a handler run on when its client goes; run with handler_cancellation it
    # is cancelled instead: the publish must end done either way
    server = running.runner.server
    assert server is not None
    server.handler_cancellation = cancels
    base = running.url.rstrip("/")
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{base}/api/session", json={"username": "chefin", "password": PASSWORD}
        ) as response:
            token = (await _json(response))["token"]
        auth = {"Authorization": f"Bearer {token}"}
        async with http.post(
            f"{base}/api/world/move", json={"id": "hall-1", "at": [2.5, 5.0]}, headers=auth
        ) as response:
            assert response.status == 200, await response.text()

        await _publish_and_hang_up(running, token, "Station versetzt")

        deadline = time.monotonic() + 60
        while True:
            async with http.get(f"{base}/api/world/history", headers=auth) as response:
                listing = await _json(response)
            if listing["served"]["version"] == 1:
                break
            assert time.monotonic() < deadline, listing
            await asyncio.sleep(0.2)
        entry, built = listing["versions"]
        assert entry["version"] == 1 and entry["current"] is True
        assert (built["version"], built["kind"], built["current"]) == (0, "built", False)
        assert entry["message"] == "Station versetzt" and entry["author"] == "Chefin"
        assert listing["served"]["digest"] == entry["sha256"]

        async with http.post(
            f"{base}/api/world/publish", json={"message": "Station versetzt"}, headers=auth
        ) as response:
            assert response.status == 409
            error = (await _json(response))["error"]
        assert error["code"] == "nothing_to_do"
        assert re.fullmatch(
            r"nothing to publish: the draft builds exactly version 1 \(published "
            r'\d{4}-\d\d-\d\d \d\d:\d\d UTC by Chefin: "Station versetzt"\)',
            error["message"],
        ), error
        async with http.get(f"{base}/api/world/history", headers=auth) as response:
            assert len((await _json(response))["versions"]) == 2  # version 0 and version 1
