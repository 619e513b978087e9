"""One listening port for the HTTP side and the realtime WebSocket.

Every accepted connection starts with a ``PortRouter``, which reads only the request line:
``GET /ws`` (with or without a query) goes to the realtime transport's own connection
protocol, anything else to aiohttp's request handler. The chosen protocol then owns the
transport (``transport.set_protocol``) and gets the bytes read so far, so after the first
line neither side pays anything for sharing the port. ``SharedPortSite`` is the aiohttp
site that listens this way on a socket bound beforehand, so the runner starts and stops
it like any other site.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import cast

from aiohttp import web

from server.net.http_connections import ConnectionLimits, HubServer, Release

#: A request line longer than this goes to aiohttp, which refuses it properly.
MAX_REQUEST_LINE = 8 * 1024
#: A connection that has not sent its request line by then is closed.
FIRST_LINE_TIMEOUT_S = 10.0

ProtocolFactory = Callable[[], asyncio.Protocol]


def is_realtime_request(request_line: bytes, path: bytes = b"/ws") -> bool:
    """Whether an HTTP request line asks for the realtime endpoint (``GET /ws``)."""
    method, _, rest = request_line.partition(b" ")
    target = rest.split(b" ", 1)[0]
    return method == b"GET" and (target == path or target.startswith(path + b"?"))


class PortRouter(asyncio.Protocol):
    """The first protocol of every connection: picks HTTP or realtime by the request line."""

    def __init__(
        self,
        http: ProtocolFactory,
        realtime: ProtocolFactory,
        first_line_timeout_s: float = FIRST_LINE_TIMEOUT_S,
        limits: ConnectionLimits | None = None,
    ) -> None:
        self._http = http
        self._realtime = realtime
        self._timeout_s = first_line_timeout_s
        self._limits = limits
        self._release: Release | None = None
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # an undecided connection counts against its address's share like an HTTP one
        # (server/net/http_connections.py), so unfinished request lines cannot use up the files
        if self._limits is not None:
            self._release = self._limits.take(transport)
            if self._release is None:
                return
        self._transport = cast(asyncio.Transport, transport)
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self._timeout_s, self._give_up)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        end = self._buffer.find(b"\r\n")
        if end >= 0:
            wants_realtime = is_realtime_request(bytes(self._buffer[:end]))
            self._hand_over(self._realtime() if wants_realtime else self._http())
        elif len(self._buffer) > MAX_REQUEST_LINE:
            self._hand_over(self._http())

    def eof_received(self) -> bool | None:
        if self._buffer:
            protocol = self._http()
            self._hand_over(protocol)
            return protocol.eof_received()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timer()
        self._give_back()
        self._transport = None

    def _give_back(self) -> None:
        if self._release is not None:
            self._release()
            self._release = None

    def _give_up(self) -> None:
        self._timer = None
        if self._transport is not None:
            self._transport.abort()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _hand_over(self, protocol: asyncio.Protocol) -> None:
        transport = self._transport
        if transport is None:
            return
        self._cancel_timer()
        self._give_back()
        self._transport = None
        transport.set_protocol(protocol)
        protocol.connection_made(transport)
        if not transport.is_closing():
            protocol.data_received(bytes(self._buffer))
        self._buffer.clear()


class SharedPortSite(web.BaseSite):
    """An aiohttp site on a bound socket whose ``GET /ws`` connections go to ``realtime``."""

    def __init__(
        self, runner: web.BaseRunner, sock: socket.socket, realtime: ProtocolFactory
    ) -> None:
        super().__init__(runner)
        self._sock = sock
        self._realtime = realtime

    @property
    def name(self) -> str:
        host, port = self._sock.getsockname()[:2]
        return f"http://{host}:{port}"

    def serving(self) -> bool:
        """Whether the site still accepts connections."""
        return self._server is not None and cast(asyncio.Server, self._server).is_serving()

    async def start(self) -> None:
        await super().start()
        http = self._runner.server
        if http is None:
            raise RuntimeError("the runner has not been set up")
        realtime = self._realtime
        limits = http.limits if isinstance(http, HubServer) else None
        self._server = await asyncio.get_running_loop().create_server(
            lambda: PortRouter(http, realtime, limits=limits), sock=self._sock
        )
