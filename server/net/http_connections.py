"""The HTTP side's connections: how many one address may hold open, how long a connection
may take to send a request, what a malformed request is answered and logged as, and the
process's open-file limit.

aiohttp's own settings do most of it: ``keepalive_timeout`` closes a connection that has
not sent a complete request head within that time of opening or of its last answer
(slow heads and idle connections alike), ``max_field_size`` and ``max_headers`` bound the
head. ``HubRequestHandler`` adds what aiohttp lacks:

- a peer that already holds ``max_per_address`` connections gets a 503 and the new
  connection is closed at once (a trusted proxy is exempt: it carries many visitors and
  limits them itself; so is the machine itself at 127.0.0.1 and ::1, where a local proxy,
  monitoring and load tests connect from). Open realtime WebSockets count in the same
  ``ConnectionLimits``, by the client's address (``count``, called at their handshake,
  where behind a trusted proxy its ``X-Forwarded-For`` is known: server/net/transport.py);
- ``Range: bytes=-0`` (the last zero bytes, which no file can satisfy, RFC 9110 §14.1.2)
  is read as a range starting beyond any file, so every file route answers it 416 with
  the file's length, as it should; aiohttp's file responses would send the whole file;
- a request head that is too large is answered 431, another malformed one 400, each with
  a JSON error and one log line that names neither the peer nor a traceback (the hub
  stores no addresses, and its log is where it would store them).

``http_runner`` makes the aiohttp runner whose every connection, on any site that takes
its protocols from ``runner.server``, is such a handler.
"""

from __future__ import annotations

import asyncio
import logging
import re
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import orjson
from aiohttp import hdrs, web
from aiohttp.http_exceptions import BadHttpMethod, HttpProcessingError, LineTooLong
from aiohttp.http_parser import RawRequestMessage
from multidict import CIMultiDict, CIMultiDictProxy

from server.base.client_address import AddressSet, parse_address
from server.base.settings import Settings

log = logging.getLogger("hubtwin.http")
#: Refused connections are logged at most this often (they come in floods).
REFUSAL_LOG_EVERY_S = 60.0
#: aiohttp's limits of a request head, stated here so the docs and the 431 agree.
MAX_FIELD_BYTES = 8190
MAX_HEADERS = 128
LINGER_S = 2.0
HEAD_TOO_LARGE = (
    f"request line or a header over {MAX_FIELD_BYTES} bytes, or more than {MAX_HEADERS} headers"
)


def _error_body(code: str, message: str) -> bytes:
    return orjson.dumps({"error": {"code": code, "message": message}})


TOO_MANY_CONNECTIONS = _error_body(
    "too_many_connections",
    "Zu viele offene Verbindungen von dieser Adresse / too many open connections from this "
    "address; close some and try again",
)
_REFUSAL = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
    b"Retry-After: 5\r\nConnection: close\r\nContent-Length: "
    + str(len(TOO_MANY_CONNECTIONS)).encode()
    + b"\r\n\r\n"
    + TOO_MANY_CONNECTIONS
)


Release = Callable[[], None]
#: The machine's own usual addresses: a proxy on this machine (trusted or not yet
#: configured so), health checks and load tests are not capped.
UNCOUNTED = AddressSet.parse(["127.0.0.1", "::1"])


def _uncounted() -> None:
    """The release of a connection that was not counted (a trusted proxy's)."""


@dataclass
class ConnectionLimits:
    """Open connections counted per peer address; trusted proxies are not counted."""

    max_per_address: int
    trusted_proxies: AddressSet = field(default_factory=AddressSet)
    open: dict[str, int] = field(default_factory=dict)
    refused: int = 0
    _refused_logged: int = 0
    _last_log: float = float("-inf")

    def key_of(self, peer: str | None) -> str | None:
        """What a connection from ``peer`` is counted under; None: not counted."""
        address = parse_address(peer) if peer else None
        if address is None or address in self.trusted_proxies or address in UNCOUNTED:
            return None
        return str(address)

    def admit(self, key: str) -> bool:
        """Count one more connection under ``key``, or refuse it: the peer holds its share."""
        held = self.open.get(key, 0)
        if held >= self.max_per_address:
            self.refused += 1
            self._log_refusals()
            return False
        self.open[key] = held + 1
        return True

    def release(self, key: str) -> None:
        held = self.open.get(key, 0) - 1
        if held > 0:
            self.open[key] = held
        else:
            self.open.pop(key, None)

    def take(self, transport: asyncio.BaseTransport) -> Release | None:
        """Count a new connection by its peer: the function that gives its place back when
        it ends (call it once; it does nothing for an uncounted peer), or None when the
        peer holds its share, in which case the connection has been answered 503 and is
        closing. Every listener that accepts connections from browsers calls this."""
        peer = transport.get_extra_info("peername")
        release = self.count(peer[0] if isinstance(peer, tuple) else None)
        if release is None:
            stream = cast(asyncio.Transport, transport)
            stream.write(_REFUSAL)
            stream.close()
        return release

    def count(self, address: str | None) -> Release | None:
        """Count one more connection of ``address`` (a peer, or the client a trusted proxy
        names): how to give its place back, or None when the address holds its share."""
        key = self.key_of(address)
        if key is None:
            return _uncounted
        if not self.admit(key):
            return None
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self.release(key)

        return release

    def _log_refusals(self) -> None:
        now = time.monotonic()
        if now - self._last_log < REFUSAL_LOG_EVERY_S:
            return
        log.warning(
            "http connections refused: too many open from one address",
            extra={
                "refused": self.refused - self._refused_logged,
                "max_per_address": self.max_per_address,
            },
        )
        self._last_log = now
        self._refused_logged = self.refused


def classify_bad_request(exc: HttpProcessingError) -> tuple[int, str, str]:
    """Status, error code and message for a request aiohttp could not parse."""
    if isinstance(exc, LineTooLong) or "Too many headers" in str(exc.message):
        return (
            431,
            "request_head_too_large",
            HEAD_TOO_LARGE,
        )
    status = exc.code if 400 <= exc.code < 500 else 400
    return status, "bad_request", "the request is not valid HTTP"


class HubRequestHandler(web.RequestHandler):
    """aiohttp's request handler with a cap per address and quiet answers to bad requests."""

    def __init__(self, manager: web.Server, *, limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._limits = limits
        self._release: Release | None = None
        self._refused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._release = self._limits.take(transport)
        if self._release is None:
            self._refused = True
            self.force_close()
            return
        super().connection_made(transport)

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._release is not None:
            self._release()
        if self._refused:
            return
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        super().data_received(data)

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if not isinstance(exc, HttpProcessingError):
            # a handler failed: a bug of ours, so the traceback is logged (not the peer)
            log.error("request failed", exc_info=exc)
            status, code, text = 500, "internal_error", "the hub could not answer this request"
        else:
            status, code, text = classify_bad_request(exc)
            level = logging.DEBUG if isinstance(exc, BadHttpMethod) else logging.INFO
            log.log(level, "bad request refused", extra={"status": status, "reason": code})
        if request.writer.output_size > 0:
            raise ConnectionError("the answer had begun; the connection is dropped")
        response = web.Response(
            status=status,
            body=_error_body(code, text),
            content_type="application/json",
            headers={"X-Content-Type-Options": "nosniff"},
        )
        response.force_close()
        return response


_EMPTY_SUFFIX_RANGE = re.compile(r"^\s*bytes\s*=\s*-0+\s*$", re.ASCII | re.IGNORECASE)
_BEYOND_ANY_FILE = f"bytes={2**63 - 1}-"


def without_empty_range(message: RawRequestMessage) -> RawRequestMessage:
    """The request with ``Range: bytes=-0`` read as a range that starts beyond any file."""
    value = message.headers.get(hdrs.RANGE)
    if value is None or not _EMPTY_SUFFIX_RANGE.match(value):
        return message
    headers = CIMultiDict(message.headers)
    headers[hdrs.RANGE] = _BEYOND_ANY_FILE
    return message._replace(headers=CIMultiDictProxy(headers))


class HubServer(web.Server):
    """aiohttp's low-level server, making ``HubRequestHandler`` protocols."""

    def __init__(self, handler: Any, *, limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.limits = limits
        make_request = self.request_factory

        def request_factory(message: RawRequestMessage, *args: Any) -> web.BaseRequest:
            return make_request(without_empty_range(message), *args)

        self.request_factory = request_factory

    def __call__(self) -> web.RequestHandler:
        return HubRequestHandler(self, loop=self._loop, limits=self.limits, **self._kwargs)


class HubRunner(web.AppRunner):
    """An ``AppRunner`` whose server (``runner.server``) makes ``HubRequestHandler``s."""

    def __init__(self, app: web.Application, limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.limits = limits

    async def _make_server(self) -> web.Server:
        plain = await super()._make_server()  # the app started and frozen, as aiohttp does
        return HubServer(
            plain.request_handler,
            request_factory=plain.request_factory,
            handler_cancellation=plain.handler_cancellation,
            limits=self.limits,
            **plain._kwargs,
        )


def connection_limits(settings: Settings) -> ConnectionLimits:
    """The open-connection cap per address of the settings (one per process, shared by
    the HTTP side and the realtime WebSockets)."""
    return ConnectionLimits(
        settings.http_max_connections_per_address,
        AddressSet.parse(settings.trusted_proxies),
    )


def http_runner(
    app: web.Application, settings: Settings, limits: ConnectionLimits | None = None
) -> HubRunner:
    """The runner of the hub's HTTP app with the settings' limits and timeouts; ``limits``
    is the count of open connections it shares (the realtime side's), else its own."""
    if limits is None:
        limits = connection_limits(settings)
    return HubRunner(
        app,
        limits,
        access_log=None,
        keepalive_timeout=settings.http_idle_timeout_s,
        max_field_size=MAX_FIELD_BYTES,
        max_headers=MAX_HEADERS,
        # after an answer given before the body was read (413, 408), the rest of the body
        # is read and dropped this long, then the connection is closed
        lingering_time=LINGER_S,
    )


def raise_open_file_limit() -> tuple[int, int]:
    """Raise this process's soft limit of open files to its hard limit, where allowed:
    every connection is a file, and at the soft default (often 1024) a flood of half-open
    connections shuts everyone out. Returns the soft limit before and after."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 1 << 20
    if target <= soft:
        return soft, soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):
        return soft, soft
    return soft, target
