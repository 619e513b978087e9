"""The avatar's appearance over real sockets: a whole body look travels from hello to the
others' presence, an invalid one is refused with a protocol error code (bad_field; in hello
the connection ends with it), a change of look reaches everyone in the instance and the
latecomers, and the shapes of before bodies are still accepted (as the average build)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import msgpack
import pytest
from realtime_world import box_world
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from server.base.identity import Identity, Role
from server.base.settings import Settings
from server.base.tokens import TokenSigner
from server.core.hub import HubCore
from server.net.metrics import Metrics
from server.net.transport import RealtimeServer, start_realtime
from server.protocol import table as protocol

SIGNER = TokenSigner("appearance-test-secret-long-enough")

LOOK = {
    "color": "#d9682b",
    "shape": "broad",
    "skin": "deep",
    "hair": "curly",
    "hair_color": "red",
    "legs": "#8a7a55",
    "eyewear": "glasses",
    "headwear": "cap",
}


def token(name: str) -> str:
    identity = Identity(f"id-{name}", name, Role.VISITOR, True)
    return SIGNER.issue(identity, ttl_s=600, now=time.time())


class Client:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.control: list[dict[str, Any]] = []

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(msgpack.packb(message))

    async def hello(self, name: str, appearance: dict[str, Any]) -> dict[str, Any]:
        await self.send(
            {
                "t": "hello",
                "v": protocol.PROTOCOL_VERSION,
                "token": token(name),
                "lang": "en",
                "appearance": appearance,
            }
        )
        return await self.expect("joined", "error")

    async def expect(self, *kinds: str, timeout: float = 3.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {kinds} within {timeout} s; got {self.control[-5:]}")
            frame = await asyncio.wait_for(self.ws.recv(), left)
            assert isinstance(frame, bytes)
            if frame[0] == protocol.SNAPSHOT_TAG:
                continue
            message = protocol.decode_server(frame)
            protocol.validate_server(message)
            self.control.append(message)
            if message["t"] in kinds:
                return message


Open = Callable[[], Awaitable[Client]]


@pytest.fixture
async def open_client() -> AsyncIterator[Open]:
    settings = Settings(host="127.0.0.1", ws_port=0)
    server: RealtimeServer = await start_realtime(
        HubCore(box_world(), settings, seed=2),
        settings=settings,
        signer=SIGNER,
        store=None,
        metrics=Metrics(),
    )
    opened: list[ClientConnection] = []

    async def _open() -> Client:
        ws = await connect(f"ws://127.0.0.1:{server.port}/ws", compression=None, close_timeout=1)
        opened.append(ws)
        return Client(ws)

    yield _open
    await asyncio.gather(*(ws.close() for ws in opened))
    await server.close()


async def test_the_whole_look_reaches_the_others(open_client: Open) -> None:
    anna, ben = await open_client(), await open_client()
    assert (await anna.hello("Anna", LOOK))["t"] == "joined"
    joined = await ben.hello("Ben", {"color": "#1f5fae", "shape": "slim"})
    seen = {p["name"]: p["appearance"] for p in joined["presence"]}
    assert seen["Anna"] == LOOK
    # what was left out is the first choice of each field
    arrived = await anna.expect("presence_join")
    assert arrived["appearance"] == {
        "color": "#1f5fae",
        "shape": "slim",
        "skin": "light",
        "hair": "short",
        "hair_color": "black",
        "legs": "#34404c",
        "eyewear": "none",
        "headwear": "none",
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("shape", "blob"),
        ("skin", "green"),
        ("hair", "mohawk"),
        ("hair_color", "#ff0000"),
        ("legs", "blue"),
        ("eyewear", "monocle"),
        ("headwear", 3),
        ("color", "#12345"),
    ],
)
async def test_an_invalid_look_is_refused_with_bad_field(
    open_client: Open, field: str, value: object
) -> None:
    client = await open_client()
    answer = await client.hello("Eve", {**LOOK, field: value})
    # a refused first frame is no hello: the answer names why (bad_field) and the
    # connection ends
    assert answer["t"] == "error" and answer["code"] == "hello_required", answer
    assert "bad_field" in answer["message"]
    with pytest.raises(ConnectionClosed):
        await client.expect("joined", timeout=3)


async def test_a_changed_look_reaches_everyone_and_an_invalid_one_changes_nothing(
    open_client: Open,
) -> None:
    anna, ben = await open_client(), await open_client()
    await anna.hello("Anna", LOOK)
    joined = await ben.hello("Ben", {"color": "#1f5fae", "shape": "average"})
    annas = next(p["session"] for p in joined["presence"] if p["name"] == "Anna")
    await anna.expect("presence_join")
    beanie = {**LOOK, "headwear": "beanie", "hair": "long"}
    await anna.send({"t": "look", "appearance": beanie})
    for client in (anna, ben):
        changed = await client.expect("look")
        assert changed["appearance"] == beanie and changed["session"] == annas
    await anna.send({"t": "look", "appearance": {**LOOK, "skin": "purple"}})
    refused = await anna.expect("error")
    assert refused["code"] == "bad_field" and refused.get("about") == "look"
    # a latecomer sees the changed look, not the refused one
    cleo = await open_client()
    joined = await cleo.hello("Cleo", LOOK)
    seen = {p["name"]: p["appearance"] for p in joined["presence"]}
    assert seen["Anna"] == beanie


async def test_a_shape_of_before_bodies_is_read_as_the_average_build(open_client: Open) -> None:
    old, watcher = await open_client(), await open_client()
    await watcher.hello("Watcher", LOOK)
    assert (await old.hello("Old", {"color": "#2f7d4f", "shape": "capsule"}))["t"] == "joined"
    arrived = await watcher.expect("presence_join")
    assert arrived["appearance"]["shape"] == "average"


async def test_a_look_without_the_connection_surviving_bad_input(open_client: Open) -> None:
    """A refused look is an answer, not the end of the connection."""
    anna = await open_client()
    await anna.hello("Anna", LOOK)
    await anna.send({"t": "look", "appearance": {"color": "red"}})
    assert (await anna.expect("error"))["code"] == "bad_field"
    await anna.send({"t": "ping", "c": 1})
    try:
        assert (await anna.expect("pong"))["c"] == 1
    except ConnectionClosed as exc:  # pragma: no cover - the failure this test looks for
        raise AssertionError("the connection was closed for a refused look") from exc
