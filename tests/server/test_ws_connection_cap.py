"""Open realtime WebSockets count in the cap of open connections per address, over real
sockets: one address beyond the cap is answered 503 ``too_many_connections`` instead of the
upgrade while other addresses get in; behind a trusted proxy each forwarded client address
has a cap of its own (and the proxy none); from anyone else ``X-Forwarded-For`` is ignored;
on the shared port WebSockets and HTTP requests share the one count.

Test clients bind loopback addresses of their own (127.0.0.2, 127.0.0.3 …) to be told apart.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from realtime_world import box_world
from test_transport import SIGNER
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from server.base.settings import Settings
from server.core.hub import HubCore
from server.net.http_connections import http_runner
from server.net.metrics import Metrics
from server.net.shared_port import SharedPortSite
from server.net.transport import RealtimeServer, start_realtime

CAP = 3
VISITOR, NEIGHBOUR, PROXY = "127.0.0.2", "127.0.0.4", "127.0.0.3"

Start = Callable[..., Awaitable[RealtimeServer]]


@pytest.fixture
async def start() -> AsyncIterator[Start]:
    servers: list[RealtimeServer] = []

    async def _start(**overrides: Any) -> RealtimeServer:
        settings = Settings(
            host="127.0.0.1",
            ws_port=0,
            http_max_connections_per_address=CAP,
            trusted_proxies=(PROXY,),
            **overrides,
        )
        core = HubCore(box_world(), settings, seed=3)
        server = await start_realtime(
            core, settings=settings, signer=SIGNER, store=None, metrics=Metrics()
        )
        servers.append(server)
        return server

    yield _start
    for server in servers:
        await server.close()


@pytest.fixture
async def opened() -> AsyncIterator[list[ClientConnection]]:
    connections: list[ClientConnection] = []
    yield connections
    await asyncio.gather(*(ws.close() for ws in connections), return_exceptions=True)


async def upgrade(
    port: int, source: str, opened: list[ClientConnection], forwarded: str | None = None
) -> int:
    """Open a WebSocket from ``source``: 101 (kept open in ``opened``) or the refusal's
    status."""
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    try:
        ws = await connect(
            f"ws://127.0.0.1:{port}/ws",
            additional_headers=headers,
            local_addr=(source, 0),
            open_timeout=5,
            close_timeout=1,
        )
    except InvalidStatus as exc:
        body = json.loads(exc.response.body or b"{}")
        assert body["error"]["code"] == "too_many_connections", body
        assert exc.response.headers["Retry-After"] == "5"
        return exc.response.status_code
    opened.append(ws)
    return 101


async def test_websockets_beyond_the_cap_of_one_address_are_refused(
    start: Start, opened: list[ClientConnection]
) -> None:
    server = await start()
    port = server.port
    assert [await upgrade(port, VISITOR, opened) for _ in range(CAP)] == [101] * CAP
    assert await upgrade(port, VISITOR, opened) == 503
    assert await upgrade(port, NEIGHBOUR, opened) == 101, "another address is not affected"
    assert 'hubtwin_errors_total{code="too_many_connections"} 1.0' in server.metrics.render()
    # one closed gives its place back
    await opened[0].close()
    while server.limits.open.get(VISITOR, 0) >= CAP:
        await asyncio.sleep(0.02)
    assert await upgrade(port, VISITOR, opened) == 101


async def test_behind_a_trusted_proxy_each_forwarded_address_has_its_own_cap(
    start: Start, opened: list[ClientConnection]
) -> None:
    server = await start()
    port = server.port
    first, second = "198.51.100.7", "198.51.100.8"
    assert [await upgrade(port, PROXY, opened, first) for _ in range(CAP)] == [101] * CAP
    assert await upgrade(port, PROXY, opened, first) == 503
    # the proxy itself holds more than the cap, for another visitor
    assert [await upgrade(port, PROXY, opened, second) for _ in range(CAP)] == [101] * CAP
    assert await upgrade(port, PROXY, opened, second) == 503
    # a visitor's own hop written further left changes nothing
    assert await upgrade(port, PROXY, opened, f"203.0.113.1, {first}") == 503


async def test_a_forwarded_address_from_an_untrusted_peer_is_ignored(
    start: Start, opened: list[ClientConnection]
) -> None:
    server = await start()
    port = server.port
    fresh = [f"198.51.100.{n}" for n in range(CAP + 1)]
    statuses = [await upgrade(port, VISITOR, opened, address) for address in fresh]
    assert statuses == [101] * CAP + [503]


async def test_on_the_shared_port_websockets_and_http_share_the_count(
    start: Start, opened: list[ClientConnection]
) -> None:
    server = await start()
    app = web.Application()

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app.router.add_get("/hello", hello)
    runner = http_runner(app, server.settings, server.limits)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    site = SharedPortSite(runner, sock, server.new_connection)
    await site.start()
    port = sock.getsockname()[1]
    try:
        assert [await upgrade(port, VISITOR, opened) for _ in range(CAP)] == [101] * CAP
        reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(VISITOR, 0))
        writer.write(b"GET /hello HTTP/1.1\r\nHost: test\r\n\r\n")
        answer = await asyncio.wait_for(reader.read(), 5)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 503"), answer[:80]
        assert b"too_many_connections" in answer
        assert await upgrade(port, VISITOR, opened) == 503
        reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(NEIGHBOUR, 0))
        writer.write(b"GET /hello HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        answer = await asyncio.wait_for(reader.read(), 5)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 200"), answer[:80]
    finally:
        await runner.cleanup()
