"""``hubtwin serve --smoke``: start the hub, use it once as a browser would, stop.

The checks go over real sockets to the address the hub announces: ``/healthz`` is ready,
``/`` serves the client, ``/api/config`` names the realtime address, the world file loads,
a guest signs in and says ``hello`` over the WebSocket and is welcomed into a room. The
guest made for the check is erased again, so a smoke run leaves no person behind. Each
check prints one line; the first failure ends the run with a non-zero exit code.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import aiohttp
import msgpack
import orjson
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from server.protocol import table as protocol

TIMEOUT_S = 20.0


class SmokeFailure(Exception):
    """A check that did not pass; its message is the one line printed."""


@dataclass
class SmokeReport:
    """The lines of a smoke run, printed as they happen."""

    say: Callable[[str], None]
    passed: int = 0

    def ok(self, line: str) -> None:
        self.passed += 1
        self.say(f"smoke: ok   {line}")


def websocket_address(page_url: str, ws_url: str) -> str:
    """The realtime address a browser on ``page_url`` would open for ``ws_url`` (which may
    be a path on the page's own host)."""
    absolute = urljoin(page_url, ws_url)
    if absolute.startswith("https://"):
        return "wss://" + absolute[len("https://") :]
    if absolute.startswith("http://"):
        return "ws://" + absolute[len("http://") :]
    return absolute


async def _get(http: aiohttp.ClientSession, url: str, what: str) -> bytes:
    async with http.get(url) as response:
        body = await response.read()
        if response.status != 200:
            raise SmokeFailure(f"{what}: HTTP {response.status} from {url}")
        return body


async def _hello(address: str, token: str) -> dict[str, Any]:
    hello = {
        "t": "hello",
        "v": protocol.PROTOCOL_VERSION,
        "token": token,
        "lang": "de",
        "appearance": {"color": "#2f7d4f", "shape": "capsule"},
    }
    async with connect(address, max_size=1 << 20, open_timeout=TIMEOUT_S) as ws:
        await ws.send(msgpack.packb(hello))
        seen: dict[str, Any] = {}
        while "joined" not in seen:
            data = await ws.recv()
            if not isinstance(data, bytes):
                raise SmokeFailure("realtime: a text frame where binary frames were expected")
            if data[:1] == bytes([protocol.SNAPSHOT_TAG]):
                continue
            decoded = protocol.decode_server(data)
            if decoded.get("t") == "error":
                raise SmokeFailure(f"realtime: refused: {decoded.get('message')}")
            seen[str(decoded.get("t"))] = decoded
        return seen


async def run_checks(url: str, say: Callable[[str], None]) -> SmokeReport:
    """Use the hub at ``url`` once, as a browser would; raises ``SmokeFailure``."""
    report = SmokeReport(say)
    started = time.monotonic()
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        async with http.get(urljoin(url, "/healthz")) as response:
            health = await response.json()
            if response.status != 200 or not health.get("ready"):
                raise SmokeFailure(f"/healthz: not ready ({response.status}): {health}")
        report.ok("/healthz ready")
        page = await _get(http, url, "/")
        if b"<html" not in page[:200].lower():
            raise SmokeFailure("/: the answer is not the web client's page")
        report.ok(f"/ serves the web client ({len(page)} bytes)")
        config = _json_object(await _get(http, urljoin(url, "/api/config"), "/api/config"))
        world = await _get(http, urljoin(url, config["world"]["url"]), "world file")
        if world[:4] != b"glTF":
            raise SmokeFailure("world file: not a binary glTF")
        report.ok(f"{config['world']['url']} loads ({len(world) / 1e6:.1f} MB)")
        async with http.post(urljoin(url, "/api/session"), json={"name": "Smoke check"}) as answer:
            session = await answer.json()
            if answer.status != 200:
                raise SmokeFailure(f"sign-in: HTTP {answer.status}: {session}")
        address = websocket_address(url, config["ws_url"])
        try:
            seen = await _hello(address, session["token"])
        finally:
            headers = {"Authorization": f"Bearer {session['token']}"}
            async with http.delete(urljoin(url, "/api/me"), headers=headers) as erased:
                await erased.read()
        room = seen["joined"].get("room")
        report.ok(f"WebSocket hello at {address}: welcomed, joined room {room!r}")
    report.say(f"smoke: {report.passed} checks passed in {time.monotonic() - started:.2f} s")
    return report


def _json_object(raw: bytes) -> dict[str, Any]:
    data = orjson.loads(raw)
    if not isinstance(data, dict):
        raise SmokeFailure("/api/config: not a JSON object")
    return data


async def smoke(url: str, say: Callable[[str], None]) -> int:
    """The exit code of a smoke run against ``url``: 0 when every check passed."""
    try:
        await asyncio.wait_for(run_checks(url, say), TIMEOUT_S * 3)
    except SmokeFailure as exc:
        say(f"smoke: FAILED {exc}")
        return 1
    except (
        aiohttp.ClientError,
        WebSocketException,
        OSError,
        TimeoutError,
        KeyError,
        ValueError,
    ) as exc:
        say(f"smoke: FAILED {type(exc).__name__}: {exc}")
        return 1
    return 0
