"""The staff edit API and live world updates, on a real hub process (real sockets): who may
edit, refusals as HTTP answers, undo/redo, and a publish reaching a connected client."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import msgpack
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from server.app.assembly import RunningHub, start_hub
from server.base.identity import Role
from server.base.settings import Settings
from server.protocol import table as protocol
from tools.layout_edits import LayoutEditor
from tools.world_publish import publish
from world.site import DEFAULT_SITE, PROJECT_ROOT, load_site

BUILT_WORLD = PROJECT_ROOT / "var" / "oekohub-dortmund" / "world"
PASSWORD = "ein-langes-passwort"
MOVED_STATION = "foyer-1"

# Every endpoint, with a body staff could send.
ENDPOINTS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/world/items", None),
    ("GET", "/api/world/library", None),
    ("GET", "/api/world/diff", None),
    ("GET", "/api/world/history", None),
    ("POST", "/api/world/place", {"asset": "sofa", "room": "foyer", "at": [3, 3]}),
    ("POST", "/api/world/add", {"kind": "spawn", "room": "foyer", "at": [3, 3]}),
    ("POST", "/api/world/move", {"id": MOVED_STATION, "at": [3, 3]}),
    ("POST", "/api/world/remove", {"id": MOVED_STATION}),
    ("POST", "/api/world/undo", {}),
    ("POST", "/api/world/redo", {}),
    ("POST", "/api/world/revert", {}),
    ("POST", "/api/world/publish", {"message": "Test"}),
    ("POST", "/api/world/rollback", {"version": 1}),
]


class Hub:
    """A started hub on a copy of the Dortmund site, with a client session for HTTP."""

    def __init__(self, running: RunningHub, http: aiohttp.ClientSession) -> None:
        self.running = running
        self.http = http
        self.base = running.url.rstrip("/")

    async def call(
        self, method: str, path: str, token: str | None, body: dict[str, Any] | None = None
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.http.request(
            method, self.base + path, json=body, headers=headers
        ) as response:
            return response.status, await response.json()

    async def token(self, **body: str) -> str:
        async with self.http.post(self.base + "/api/session", json=body) as response:
            assert response.status == 200, await response.text()
            return str((await response.json())["token"])

    async def config(self) -> dict[str, Any]:
        async with self.http.get(self.base + "/api/config") as response:
            return dict(await response.json())

    async def model_digest(self) -> str:
        async with self.http.get(self.base + "/world/hub.glb") as response:
            return hashlib.sha256(await response.read()).hexdigest()


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[Hub]:
    site = Path(shutil.copytree(DEFAULT_SITE, tmp_path / "site"))
    data = tmp_path / "data"
    if (BUILT_WORLD / "hub.glb").is_file():
        shutil.copytree(BUILT_WORLD, data / "world")
    settings = Settings(
        site=site,
        data_dir=data,
        http_port=0,
        ws_port=0,
        secret="world-edit-test-secret-long-enough",
        log_level="warning",
    )
    running = await start_hub(settings)
    running.live.poll_every_s = 0.3  # type: ignore[union-attr]
    for username, role in (("chefin", Role.STAFF), ("moderator", Role.FACILITATOR)):
        await running.store.create_account(username, PASSWORD, role, username.title())
    async with aiohttp.ClientSession() as http:
        made = Hub(running, http)
        try:
            yield made
        finally:
            await made.running.close()  # the one running now (a test may restart it)


class Guest:
    """A visitor on the realtime endpoint who reads every frame as it comes (a client that
    stopped reading would be closed as too slow while a publish takes its seconds)."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.messages: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for frame in self.ws:
            if isinstance(frame, bytes) and frame[0] != protocol.SNAPSHOT_TAG:
                message = protocol.decode_server(frame)
                protocol.validate_server(message)
                self.messages.append(message)
                self.arrived.set()

    async def next(self, kind: str, timeout: float = 30.0) -> dict[str, Any]:
        """The first message of this kind not taken yet (waiting for it if need be)."""
        deadline = time.monotonic() + timeout
        while True:
            for index, message in enumerate(self.messages):
                if message["t"] == kind:
                    return self.messages.pop(index)
            left = deadline - time.monotonic()
            if left <= 0 or self.reader.done():
                raise AssertionError(
                    f"no {kind} within {timeout} s (reader done: {self.reader.done()})"
                )
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), min(left, 0.5))

    async def close(self) -> None:
        await self.ws.close()
        self.reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
            await self.reader


async def connect_guest(hub: Hub, token: str) -> Guest:
    config = await hub.config()
    ws = await connect(config["ws_url"], compression=None, max_size=None, close_timeout=1)
    hello = {
        "t": "hello",
        "v": protocol.PROTOCOL_VERSION,
        "token": token,
        "lang": "de",
        "appearance": {"color": "#336699", "shape": "capsule"},
    }
    await ws.send(msgpack.packb(hello))
    guest = Guest(ws)
    await guest.next("joined")
    return guest


async def test_only_staff_may_use_the_edit_api(hub: Hub) -> None:
    visitor = await hub.token(name="Gast")
    facilitator = await hub.token(username="moderator", password=PASSWORD)
    staff = await hub.token(username="chefin", password=PASSWORD)
    layout = hub.running.site.path / "layout.toml"
    for method, path, body in ENDPOINTS:
        for who, token in (("visitor", visitor), ("facilitator", facilitator)):
            status, answer = await hub.call(method, path, token, body)
            assert (status, answer["error"]["code"]) == (403, "staff_only"), (who, path)
            assert f"signed in as {who}" in answer["error"]["message"]
        status, answer = await hub.call(method, path, None, body)
        assert (status, answer["error"]["code"]) == (401, "token_missing"), path
    assert not layout.exists(), "a refused edit changed the draft"
    for path in ("/api/world/items", "/api/world/library", "/api/world/diff", "/api/world/history"):
        status, answer = await hub.call("GET", path, staff)
        assert status == 200, (path, answer)
    status, answer = await hub.call("POST", "/api/world/move", staff, ENDPOINTS[6][2])
    assert status == 200, answer
    assert answer["item"]["at"] == [3.0, 3.0] and answer["history"] == {"undo": 1, "redo": 0}
    assert layout.is_file()


async def test_refusals_are_clear_http_answers(hub: Hub) -> None:
    staff = await hub.token(username="chefin", password=PASSWORD)
    move = "/api/world/move"
    status, answer = await hub.call("POST", move, staff, {"id": MOVED_STATION, "at": [500, 1]})
    assert status == 409 and answer["error"]["code"] == "placement_refused"
    assert answer["error"]["reason"] == "outside-room" and "outside room foyer" in str(answer)
    status, answer = await hub.call("POST", move, staff, {"id": "no-such-thing", "at": [1, 1]})
    assert (status, answer["error"]["code"]) == (400, "edit_invalid")
    assert "no-such-thing" in answer["error"]["message"]
    status, answer = await hub.call("POST", move, staff, {"id": MOVED_STATION, "at": "here"})
    assert (status, answer["error"]["code"]) == (400, "edit_invalid")
    status, answer = await hub.call("POST", "/api/world/undo", staff, {})
    assert (status, answer["error"]["code"]) == (409, "nothing_to_do")
    status, answer = await hub.call("POST", "/api/world/revert", staff, {"id": MOVED_STATION})
    assert (status, answer["error"]["code"]) == (409, "nothing_to_do")
    status, answer = await hub.call("POST", "/api/world/publish", staff, {})
    assert (status, answer["error"]["code"]) == (400, "edit_invalid")
    status, answer = await hub.call("POST", "/api/world/rollback", staff, {"version": 9})
    assert (status, answer["error"]["code"]) == (400, "edit_invalid")


async def test_undo_and_redo_walk_my_edits_back_and_forth(hub: Hub) -> None:
    staff = await hub.token(username="chefin", password=PASSWORD)
    _, items = await hub.call("GET", "/api/world/items", staff)
    station = next(i for i in items["items"] if i["id"] == MOVED_STATION)
    await hub.call("POST", "/api/world/move", staff, {"id": MOVED_STATION, "at": [3, 3]})
    title = {"de": "Neue Station", "en": "New station"}
    station_at = {"kind": "station", "room": "foyer", "at": [6, 5], "title": title}
    status, added = await hub.call("POST", "/api/world/add", staff, station_at)
    assert status == 200, added
    new_id = added["item"]["id"]
    status, removed = await hub.call("POST", "/api/world/remove", staff, {"id": new_id})
    assert status == 200 and removed["item"] is None

    status, back = await hub.call("POST", "/api/world/undo", staff, {})  # the removal
    assert status == 200 and back["item"]["id"] == new_id
    editor = LayoutEditor(load_site(hub.running.site.path))
    assert next(a for a in editor.layout.anchors if a.id == new_id).title == title
    await hub.call("POST", "/api/world/undo", staff, {})  # the adding
    status, moved_back = await hub.call("POST", "/api/world/undo", staff, {})  # the move
    assert moved_back["item"]["at"] == station["at"]
    assert moved_back["history"] == {"undo": 0, "redo": 3}
    status, again = await hub.call("POST", "/api/world/redo", staff, {})
    assert status == 200 and again["item"]["at"] == [3.0, 3.0]
    _, diff = await hub.call("GET", "/api/world/diff", staff)
    assert [c["id"] for c in diff["changes"]] == [MOVED_STATION]


async def test_my_undo_history_outlives_a_restart_of_the_hub(hub: Hub) -> None:
    staff = await hub.token(username="chefin", password=PASSWORD)
    _, items = await hub.call("GET", "/api/world/items", staff)
    station = next(i for i in items["items"] if i["id"] == MOVED_STATION)
    await hub.call("POST", "/api/world/move", staff, {"id": MOVED_STATION, "at": [3, 3]})
    title = {"de": "Neue Station", "en": "New station"}
    station_at = {"kind": "station", "room": "foyer", "at": [6, 5], "title": title}
    _, added = await hub.call("POST", "/api/world/add", staff, station_at)
    new_id = added["item"]["id"]
    status, undone = await hub.call("POST", "/api/world/undo", staff, {})  # the adding
    assert status == 200 and undone["history"] == {"undo": 1, "redo": 1}
    settings = hub.running.settings
    await hub.running.close()

    hub.running = await start_hub(settings)
    hub.base = hub.running.url.rstrip("/")
    staff = await hub.token(username="chefin", password=PASSWORD)
    _, items = await hub.call("GET", "/api/world/items", staff)
    assert items["history"] == {"undo": 1, "redo": 1}
    status, again = await hub.call("POST", "/api/world/redo", staff, {})  # the adding, again
    assert status == 200 and again["item"]["id"] == new_id
    editor = LayoutEditor(load_site(hub.running.site.path))
    assert next(a for a in editor.layout.anchors if a.id == new_id).title == title
    await hub.call("POST", "/api/world/undo", staff, {})
    status, moved_back = await hub.call("POST", "/api/world/undo", staff, {})  # the move
    assert status == 200 and moved_back["item"]["at"] == station["at"]
    assert moved_back["history"] == {"undo": 0, "redo": 2}


async def test_a_publish_reaches_a_connected_visitor_and_changes_the_served_world(
    hub: Hub,
) -> None:
    staff = await hub.token(username="chefin", password=PASSWORD)
    guest = await connect_guest(hub, await hub.token(name="Gast"))
    try:
        before = (await hub.config())["world"]["digest"]
        assert await hub.model_digest() == before
        await hub.call("POST", "/api/world/move", staff, {"id": MOVED_STATION, "at": [3, 3]})
        status, published = await hub.call(
            "POST", "/api/world/publish", staff, {"message": "Station versetzt"}
        )
        assert status == 200, published
        assert published["version"] == 1 and published["live"]["switched"] is True
        told = await guest.next("world_changed")
        assert told["version"] == 1 and told["message"] == "Station versetzt"
        assert told["digest"] == published["meta"]["sha256"] != before
        assert (await hub.config())["world"]["digest"] == told["digest"]
        assert await hub.model_digest() == told["digest"]
        assert published["meta"]["author"] == "Chefin"

        # Published on the command line (another process): noticed by watching `current`.
        site = load_site(hub.running.site.path)
        world_dir = hub.running.settings.world_dir
        await asyncio.to_thread(LayoutEditor(site).move, MOVED_STATION, at=(4.0, 3.0))
        await asyncio.to_thread(publish, site, world_dir, "von der Kommandozeile")
        told = await guest.next("world_changed")
        assert told["version"] == 2 and told["message"] == "von der Kommandozeile"
        assert await hub.model_digest() == told["digest"]

        status, rolled = await hub.call("POST", "/api/world/rollback", staff, {"version": 1})
        assert status == 200 and rolled["live"]["switched"] is True
        told = await guest.next("world_changed")
        assert told["version"] == 3 and told["digest"] == published["meta"]["sha256"]
        _, history = await hub.call("GET", "/api/world/history", staff)
        assert [v["version"] for v in history["versions"]] == [3, 2, 1, 0]
        assert history["served"]["version"] == 3
    finally:
        await guest.close()
