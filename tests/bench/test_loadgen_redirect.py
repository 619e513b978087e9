"""The load generator follows ``redirect`` as a browser does: against small scripted
WebSocket servers standing in for the processes of a hub (real sockets, no hub)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import msgpack
import pytest
import websockets

from bench.loadgen import Fleet, JoinFailed, ws_endpoint
from world.builder import build_world
from world.model import World, load
from world.site import PROJECT_ROOT, load_site

HALL = PROJECT_ROOT / "bench" / "bench-hall"

Script = Callable[[websockets.ServerConnection, dict[str, Any]], Any]


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> World:
    out = tmp_path_factory.mktemp("hall") / "hub.glb"
    build_world(load_site(HALL), out, quiet=True)
    return load(out)


def welcome(resume: str) -> dict[str, Any]:
    return {"t": "welcome", "resume": resume, "grid": {"origin": [0, 0, 0], "step": 0.01}}


def joined(world: World, instance: int = 0, serial: int = 1) -> dict[str, Any]:
    spawn = world.spawns_for("hall")[0].position
    return {
        "t": "joined",
        "room": "hall",
        "instance": instance,
        "serial": serial,
        "you": 0,
        "pose": {"pos": [float(v) for v in spawn]},
    }


class FakeProcess:
    """A WebSocket server that records each hello and answers it with ``script``."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.hellos: list[dict[str, Any]] = []
        self.url = ""

    async def handle(self, ws: websockets.ServerConnection) -> None:
        hello = msgpack.unpackb(await ws.recv())
        self.hellos.append(hello)
        await self.script(ws, hello)
        await ws.wait_closed()


@asynccontextmanager
async def serving(*processes: FakeProcess) -> AsyncIterator[None]:
    servers = []
    for process in processes:
        server = await websockets.serve(process.handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        process.url = f"ws://127.0.0.1:{port}/ws"
        servers.append(server)
    try:
        yield
    finally:
        for server in servers:
            server.close()
            await server.wait_closed()


def fleet(world: World, urls: list[str], clients: int = 1) -> Fleet:
    args = argparse.Namespace(
        host="127.0.0.1",
        http_port=[0],
        ws_port=None,
        ws_url=urls,
        clients=clients,
        room="hall",
        observers=1,
        seed=1,
        connect_parallel=4,
    )
    made = Fleet(args, world)
    for client in made.clients:
        client.token = f"token-{client.index}"
    return made


def test_ws_endpoint_reads_a_ws_url() -> None:
    assert ws_endpoint("ws://127.0.0.1:9001/ws/2") == ("127.0.0.1", 9001, "/ws/2")
    assert ws_endpoint("ws://hub.example.org/ws") == ("hub.example.org", 80, "/ws")
    with pytest.raises(ValueError, match="ws://"):
        ws_endpoint("wss://hub.example.org/ws")


async def test_a_client_follows_the_redirect_to_the_owner(hall: World) -> None:
    async def owner_script(ws: websockets.ServerConnection, hello: dict[str, Any]) -> None:
        await ws.send(msgpack.packb(welcome("key-owner")))
        await ws.send(msgpack.packb(joined(hall, instance=hello.get("instance", 0))))

    owner = FakeProcess(owner_script)

    async def other_script(ws: websockets.ServerConnection, hello: dict[str, Any]) -> None:
        await ws.send(msgpack.packb(welcome("key-other")))
        redirect = {"t": "redirect", "url": owner.url, "room": "hall", "instance": 2}
        await ws.send(msgpack.packb(redirect | {"reason": "owner"}))
        await ws.close()

    other = FakeProcess(other_script)
    async with serving(owner, other):
        made = fleet(hall, [other.url, owner.url], clients=2)
        await made.connect_all()
        assert [c.url for c in made.clients] == [owner.url, owner.url]
        assert [c.redirects for c in made.clients] == [1, 0]
        assert all(c.net == 0 and c.serial == 1 for c in made.clients)
        # at the owner: the room, the instance named in the redirect, the resume key
        first_at_owner = [h for h in owner.hellos if h["token"] == "token-0"]
        assert len(first_at_owner) == 1
        assert first_at_owner[0]["room"] == "hall"
        assert first_at_owner[0]["instance"] == 2
        assert first_at_owner[0]["resume"] == "key-other"
        assert "instance" not in other.hellos[0]
        await made.close()


async def test_a_redirect_after_joining_moves_the_client(hall: World) -> None:
    new_owner = FakeProcess(
        lambda ws, hello: ws.send(msgpack.packb(joined(hall, instance=1, serial=7)))
    )

    async def old_script(ws: websockets.ServerConnection, hello: dict[str, Any]) -> None:
        await ws.send(msgpack.packb(welcome("key-old")))
        await ws.send(msgpack.packb(joined(hall)))
        await asyncio.sleep(0.2)
        redirect = {"t": "redirect", "url": new_owner.url, "room": "hall", "instance": 1}
        await ws.send(msgpack.packb(redirect | {"reason": "handover"}))
        await ws.close()

    old = FakeProcess(old_script)
    async with serving(old, new_owner):
        made = fleet(hall, [old.url])
        await made.connect_all()
        made.plan()
        made.start_window()
        for _ in range(100):
            if made.clients[0].serial == 7:
                break
            await asyncio.sleep(0.05)
        client = made.clients[0]
        assert (client.url, client.serial, client.redirects) == (new_owner.url, 7, 1)
        assert new_owner.hellos[0]["instance"] == 1
        assert new_owner.hellos[0]["resume"] == "key-old"
        assert made.result()["redirects"] == 1
        await made.close()


async def test_a_redirect_loop_fails_the_join(hall: World) -> None:
    async def loop_script(ws: websockets.ServerConnection, hello: dict[str, Any]) -> None:
        redirect = {"t": "redirect", "url": looping.url, "room": "hall", "instance": 0}
        await ws.send(msgpack.packb(redirect | {"reason": "owner"}))
        await ws.close()

    looping = FakeProcess(loop_script)
    async with serving(looping):
        made = fleet(hall, [looping.url])
        with pytest.raises(JoinFailed, match="redirects"):
            await made.connect_all()
        await made.close()
