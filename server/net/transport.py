"""The realtime endpoint: WebSockets on ``/ws`` and the fixed-rate tick, around the hub core.

Thin on purpose. Each TCP connection is an ``asyncio.Protocol`` that feeds bytes to the
sans-I/O ``websockets`` server protocol (handshake, frame parsing, close handshake,
ping/pong) and hands every message to its ``ConnectionEdge`` and then to the ``HubCore``,
synchronously, in ``data_received``: no task and no await per message. What the core
returns is written straight to the transports. The tick loop calls ``core.tick`` at
``tick_hz`` and writes the snapshots.

Slow connections: what may wait unsent per connection is capped (``cap_unsent``: a small
kernel send buffer and small write-buffer limits, on whatever socket the connection runs),
so a client that stops reading is behind after tens of kilobytes, not megabytes. From the
first snapshot that could not be written (the transport paused writing) a connection keeps
at most one snapshot (the newest replaces the older, and the core is told to make it a
full one so nothing is lost), written when the buffer drains. It stays behind, counted
from that first snapshot, until it has caught up: nothing waits in the transport and
hardly anything in the kernel not yet sent (``caught_up``, looked at by the housekeeping,
not per write), so a reader that drains a little now and then but cannot keep up with the
stream is still behind. A connection behind for longer than ``slow_client_limit_s`` is
closed (``too_slow``); like any dropped connection its session then waits out the
reconnection grace, since falling behind is what a bad network does too, and the client
comes back with its resume key.

Connections per address: an upgrade counts in the process's open-connection cap
(``ConnectionLimits``, shared with the HTTP side) under the client's address, behind a
trusted proxy the one its ``X-Forwarded-For`` names; one over the cap is answered 503
``too_many_connections`` instead of the upgrade.

Hostile framing: a text frame that is not UTF-8 closes with 1007; a frame that has begun
but not ended within ``FRAME_TIMEOUT_S`` (a header announcing more bytes than arrive)
closes with ``timeout``.

With several processes (``--redis``) the hello and what the core hands off go through
``server/cluster/realtime.py`` (``RealtimeServer.cluster``): a hello waits there (on
Redis) before the core sees it, and the connection holds what else it sends meanwhile.

``start_realtime`` is what the app wiring calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import socket
import sys
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, cast

from websockets.datastructures import Headers
from websockets.exceptions import InvalidState, PayloadTooBig
from websockets.frames import Frame, Opcode
from websockets.http11 import Request, Response
from websockets.server import ServerProtocol

from server.base.client_address import client_address
from server.base.settings import Settings
from server.base.tokens import TokenSigner
from server.core.hub import Effects, HubCore
from server.net.edge import Arrival, ConnectionEdge, Refusal
from server.net.http_connections import (
    TOO_MANY_CONNECTIONS,
    ConnectionLimits,
    Release,
    connection_limits,
)
from server.net.metrics import Metrics
from server.protocol import table as protocol
from server.protocol.table import POSE_SIZE, POSE_TAG, SNAPSHOT_FULL, Pose
from server.store.backend import StoreBackend
from server.store.chat_writer import ChatWriter

if TYPE_CHECKING:
    from server.core.room import Session

log = logging.getLogger("hubtwin.realtime")

WS_PATH = "/ws"
#: The kernel's send buffer per connection (``SO_SNDBUF``; Linux doubles it for its own
#: bookkeeping): many ticks of a crowded room (a far snapshot of 800 avatars is under
#: 10 KB), where the kernel's default grows to megabytes for a client that stopped reading.
SEND_BUFFER_BYTES = 32 * 1024
#: Outgoing bytes the transport may hold beyond the kernel's before writing pauses (the
#: connection's next snapshot cannot be written: it is behind), and where it resumes.
WRITE_HIGH_WATER = 16 * 1024
WRITE_LOW_WATER = 4 * 1024
#: Caught up: at most this many bytes in the kernel's send queue not yet sent (and none
#: in the transport), as the kernel tells (``SIOCOUTQNSD``, Linux).
CAUGHT_UP_KERNEL_BYTES = 4 * 1024
#: ``ioctl`` request for the bytes of a TCP socket's send queue not yet sent (Linux).
SIOCOUTQNSD = 0x894B
#: Control messages go out even while a connection is behind (they must arrive, in
#: order); with this many bytes unsent it is closed at once (``too_slow``).
UNSENT_MAX_BYTES = 256 * 1024
#: A frame that has begun must be complete within this time, or the connection is closed
#: (``timeout``): 16 KB, the largest frame accepted, in 5 s is about 26 kbit/s.
FRAME_TIMEOUT_S = 5.0
#: After a close frame, how long the peer has to finish the closing handshake.
CLOSE_TIMEOUT_S = 3.0
#: How often timeouts and slow connections are looked at.
HOUSEKEEPING_EVERY_S = 0.5
#: Control messages a connection keeps while its hello is being placed (several processes).
HELD_MAX = 32
#: Closing for one of these ends the session at once: no reconnection grace holds a place
#: for a connection that abused it.
ABUSE_CODES = frozenset({"flooding", "frame_too_large"})


_SHORT_HEADERS = tuple(bytes((0x82, size)) for size in range(126))


def _frame_header(size: int) -> bytes:
    """An unmasked, final, binary WebSocket frame header for ``size`` payload bytes."""
    if size < 126:
        return _SHORT_HEADERS[size]
    if size < 65536:
        return b"\x82\x7e" + size.to_bytes(2, "big")
    return b"\x82\x7f" + size.to_bytes(8, "big")


def cap_unsent(transport: asyncio.BaseTransport) -> None:
    """Cap what may wait unsent for one realtime connection, whatever listener accepted it
    (the realtime port, or the HTTP port's ``/ws``): a small kernel send buffer
    (``SEND_BUFFER_BYTES``) and small write-buffer limits, so that a client that stops
    reading makes the transport pause writing after some tens of kilobytes."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
    cast(asyncio.WriteTransport, transport).set_write_buffer_limits(
        WRITE_HIGH_WATER, WRITE_LOW_WATER
    )


def kernel_unsent(fd: int) -> int:
    """Bytes a TCP socket's kernel send queue holds that have not been sent yet; 0 where
    the kernel cannot tell (not Linux, not TCP, closed)."""
    if fd < 0:
        return 0
    try:
        answer = fcntl.ioctl(fd, SIOCOUTQNSD, b"\0\0\0\0")
    except OSError:
        return 0
    return int.from_bytes(answer, sys.byteorder, signed=True)


def too_many_connections() -> Response:
    """The answer to an upgrade from an address that holds its share of connections."""
    headers = Headers(
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(TOO_MANY_CONNECTIONS))),
            ("Retry-After", "5"),
            ("Connection", "close"),
        ]
    )
    return Response(503, "Service Unavailable", headers, TOO_MANY_CONNECTIONS)


def _library_mid_frame(ws: ServerProtocol) -> bool:
    """Whether the library's frame parser has begun a frame and waits for the rest. It
    takes a frame's header and payload in steps, so its buffer may be empty meanwhile:
    the parser (a chain of generators) is asked where it stands."""
    parser = getattr(ws, "parser", None)
    while parser is not None:
        code = getattr(parser, "gi_code", None)
        if code is not None and code.co_qualname == "Frame.parse":
            return True
        parser = getattr(parser, "gi_yieldfrom", None)
    return False


class WsConnection(asyncio.Protocol):
    """One WebSocket connection: bytes in, messages to the core, frames out."""

    def __init__(self, server: RealtimeServer, conn_id: int) -> None:
        self.server = server
        self.id = conn_id
        self.ws = ServerProtocol(max_size=server.settings.max_frame_bytes, logger=log)
        self.transport: asyncio.Transport | None = None
        self.edge: ConnectionEdge | None = None
        self.opened_at = time.monotonic()
        self.open = False
        self.welcomed = False
        self.paused = False
        self.behind_since: float | None = None
        self.pending: bytes | None = None
        self.needs_full = False
        self.close_deadline: float | None = None
        #: when the frame not yet complete began (wall clock), None between frames
        self.frame_started: float | None = None
        self._fragments: list[bytes] = []
        self._fragment_text = False
        #: data frames are parsed here (see ``_fast_frames``) until anything unusual arrives
        self._fast = False
        self._tail = b""
        #: while not None, messages are kept here, not handed to the core (a hello being
        #: placed by the cluster side, or a session being handed over); poses are dropped
        self.held: list[protocol.ClientMessage] | None = None
        #: gives this connection's place in the per-address cap back (once upgraded)
        self._release: Release | None = None

    # --- asyncio.Protocol --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports quack like asyncio.Transport without subclassing it
        transport = cast(asyncio.Transport, transport)
        self.transport = transport
        cap_unsent(transport)
        self.server.connected(self)

    def data_received(self, data: bytes) -> None:
        self.server.bytes_in += len(data)
        if self._fast:
            data = self._fast_frames(data)
            if not data:
                return
        ws = self.ws
        ws.receive_data(data)
        events = ws.events_received()
        if isinstance(ws.parser_exc, PayloadTooBig) and self.open:
            self.refuse(Refusal("frame_too_large", str(ws.parser_exc), None, True), close=False)
            self.open = False
        self._flush_ws()
        for event in events:
            if isinstance(event, Frame):
                self._frame(event)
            elif isinstance(event, Request):
                self._handshake(event)
        if self.open:
            if not _library_mid_frame(ws):
                self.frame_started = None
            elif self.frame_started is None or events:
                self.frame_started = time.time()
        if ws.close_expected() and self.close_deadline is None:
            self.close_deadline = time.monotonic() + CLOSE_TIMEOUT_S

    def eof_received(self) -> bool | None:
        self.ws.receive_eof()
        self._flush_ws()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.ws.receive_eof()
        self.open = False
        if self._release is not None:
            self._release()
            self._release = None
        self.server.lost(self)

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        # still behind (``behind_since``) until ``caught_up``: a trickle drains this often
        self.paused = False
        if self.pending is not None and self.open:
            frame, self.pending = self.pending, None
            self.server.count_sent("snapshot", len(frame))
            self._write(_frame_header(len(frame)) + frame)

    # --- receiving ----------------------------------------------------------------------

    def _handshake(self, request: Request) -> None:
        if request.path.partition("?")[0] != WS_PATH:
            response = self.ws.reject(404, f"The realtime endpoint is {WS_PATH}.\n")
        else:
            self._release = self.server.count_connection(self.transport, request)
            if self._release is None:
                self.server.metrics.errors.labels("too_many_connections").inc()
                response = too_many_connections()
            else:
                response = self.ws.accept(request)
        self.ws.send_response(response)
        self._flush_ws()
        if response.status_code == 101:
            self.open = True
            self.edge = ConnectionEdge(self.server.settings, self.server.verify, time.time())
            self.server.metrics.connections_total.inc()
            # only from a frame boundary: nothing may be left in the library's buffer
            reader = getattr(self.ws, "reader", None)
            self._fast = reader is not None and not getattr(reader, "buffer", True)

    def _fast_frames(self, data: bytes) -> bytes:
        """Handle the complete, final, masked binary frames at the start of ``data`` (what
        clients send all the time: poses and control messages) without the library's
        parser, which costs several times more per frame; a partial frame at the end is
        kept for the next read. Returns the bytes from the first frame of any other kind
        (text, fragmented, control, too large): from then on the library parses
        everything on this connection."""
        if self._tail:
            data = self._tail + data
            self._tail = b""
        server = self.server
        limit = server.settings.max_frame_bytes
        edge = self.edge
        now = time.time()
        end = len(data)
        pos = 0
        partial = False
        while pos < end:
            if end - pos < 2:
                partial = True
                break
            first, second = data[pos], data[pos + 1]
            size = second & 0x7F
            if first != 0x82 or not second & 0x80 or size == 127 or self._fragments:
                break
            head = 6
            if size == 126:
                if end - pos < 4:
                    partial = True
                    break
                size = int.from_bytes(data[pos + 2 : pos + 4], "big")
                head = 8
            if size > limit:
                break
            stop = pos + head + size
            if stop > end:
                partial = True
                break
            payload = data[pos + head : stop]
            if size:
                mask = data[pos + head - 4 : pos + head] * (size // 4 + 1)
                value = int.from_bytes(payload, "little") ^ int.from_bytes(mask[:size], "little")
                payload = value.to_bytes(size, "little")
            pos = stop
            # a pose, the most frequent frame by far: straight to the core if the edge agrees
            if (
                size == POSE_SIZE
                and payload[0] == POSE_TAG
                and edge is not None
                and self.open
                and edge.pose_allowed(now)
            ):
                server.poses_in += 1
                server.core.pose(self.id, payload)
                continue
            self._message(payload, False)
            if not self.open:
                return b""
        if partial:
            self._tail = data[pos:]
            if pos or self.frame_started is None:
                self.frame_started = now
            return b""
        if pos:
            self.frame_started = None
        if pos == end:
            return b""
        self._fast = False
        return data[pos:]

    def _frame(self, frame: Frame) -> None:
        opcode = frame.opcode
        data = bytes(frame.data)
        if opcode is Opcode.BINARY or opcode is Opcode.TEXT:
            if frame.fin:
                self._message(data, opcode is Opcode.TEXT)
            else:
                self._fragments = [data]
                self._fragment_text = opcode is Opcode.TEXT
        elif opcode is Opcode.CONT:
            self._fragments.append(data)
            if frame.fin:
                data, self._fragments = b"".join(self._fragments), []
                self._message(data, self._fragment_text)

    def _message(self, data: bytes, text: bool) -> None:
        if not self.open or self.edge is None:
            return
        now = time.time()
        server = self.server
        frame: bytes | str = data
        if text:
            try:
                frame = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                self._not_utf8(exc.start)
                return
        result = self.edge.receive(frame, now)
        if result is None:
            return
        if isinstance(result, Pose):
            server.poses_in += 1
            server.core.pose(self.id, result.frame)
            return
        if isinstance(result, Refusal):
            self.refuse(result)
            return
        if self.held is not None:
            if len(self.held) < HELD_MAX and not isinstance(result, Arrival):
                self.held.append(result)
            return
        if isinstance(result, Arrival) and server.cluster is not None:
            server.metrics.messages_in.labels("hello").inc()
            self.held = []
            server.cluster.arrive(self, result)
            return
        self._handle(result, now)

    def _handle(self, result: protocol.ClientMessage | Arrival, now: float) -> None:
        server = self.server
        try:
            if isinstance(result, Arrival):
                server.metrics.messages_in.labels("hello").inc()
                fx = server.core.hello(self.id, result.identity, result.hello, now)
                self.welcomed = True
            else:
                server.metrics.messages_in.labels(protocol.TYPE_NAMES[type(result)]).inc()
                fx = server.core.handle(self.id, result, now)
        except Exception:
            log.exception("the hub core failed on a message", extra={"conn": self.id})
            self.refuse(Refusal("internal", "", None, True))
            return
        server.apply(fx)

    def admitted(self, fx: Effects) -> None:
        """The cluster side placed this connection's hello and the core answered with
        ``fx``: from now on messages go to the core, those held first."""
        held, self.held = self.held or [], None
        self.welcomed = True
        self.server.apply(fx)
        now = time.time()
        for message in held:
            if not self.open:
                break
            self._handle(message, now)

    def _not_utf8(self, at: int) -> None:
        """A text frame that is not UTF-8: the error, then the WebSocket close code 1007."""
        detail = f"a text frame that is not UTF-8 (byte {at})"
        first = self.edge is None or self.edge.first("bad_frame")
        self.refuse(Refusal("bad_frame", detail, None, first))
        self.close(1007, f"bad_frame: {detail}")

    def refuse(self, refusal: Refusal, *, close: bool = True) -> None:
        self.server.metrics.errors.labels(refusal.code).inc()
        if refusal.first:
            log.info(
                "refused: %s",
                refusal.code,
                extra={"conn": self.id, "code": refusal.code, "detail": refusal.detail[:200]},
            )
        lang = self.edge.lang if self.edge is not None else "de"
        self.send_control(protocol.error_frame(refusal.code, lang, refusal.detail, refusal.about))
        if refusal.code in ABUSE_CODES and self.welcomed:
            self.server.abandon(self)
        if refusal.fatal and close:
            self.close(*protocol.close_reason(refusal.code, refusal.detail))

    # --- sending ------------------------------------------------------------------------

    def _flush_ws(self) -> None:
        transport = self.transport
        if transport is None:
            return
        for data in self.ws.data_to_send():
            if data:
                with contextlib.suppress(RuntimeError, OSError):
                    transport.write(data)
                continue
            self.open = False
            self.pending = None
            if transport.can_write_eof():
                with contextlib.suppress(Exception):
                    transport.write_eof()
            else:
                transport.close()

    def _write(self, framed: bytes) -> bool:
        """Write one framed message; False if the peer is gone."""
        assert self.transport is not None
        try:
            self.transport.write(framed)
        except (RuntimeError, OSError):
            # the peer went away between our last look and now: stop writing to it
            self.open = False
            self.pending = None
            self.abort()
            return False
        return True

    def send_control(self, frame: bytes, framed: bytes | None = None) -> bool:
        """A control message: always written, in order. A snapshot still waiting would now
        arrive after it, so it is dropped and the next snapshot is a full one. ``framed`` is
        the frame with its WebSocket header, when the caller made it once for many."""
        if not self.open:
            return False
        if self.pending is not None:
            self.pending = None
            self.needs_full = True
            self.server.metrics.snapshots_replaced.inc()
        if self.paused and self._unsent() > UNSENT_MAX_BYTES:
            self.open = False  # nothing more goes out to it but the close frame
            unsent = f"over {UNSENT_MAX_BYTES // 1024} KB unsent"
            self.refuse(Refusal("too_slow", unsent, None, True))
            return False
        if framed is None:
            self.server.count_sent("control", len(frame))
            framed = _frame_header(len(frame)) + frame
        return self._write(framed)

    def send_snapshot(self, frame: bytes, framed: bytes | None = None) -> bool:
        """A snapshot: written now (True), or kept as the one waiting while the client is
        behind."""
        if not self.open:
            return False
        full = bool(frame[1] & SNAPSHOT_FULL)
        if full:
            self.needs_full = False
        if not self.paused:
            if framed is None:
                self.server.count_sent("snapshot", len(frame))
                framed = _frame_header(len(frame)) + frame
            return self._write(framed)
        if self.pending is not None:
            self.server.metrics.snapshots_replaced.inc()
            if not full:
                self.needs_full = True
        elif self.behind_since is None:
            self.behind_since = time.monotonic()
        self.pending = frame
        return False

    def _unsent(self) -> int:
        """Bytes the transport holds beyond the kernel's send buffer."""
        return self.transport.get_write_buffer_size() if self.transport is not None else 0

    @property
    def behind(self) -> bool:
        return self.paused or self.needs_full

    def caught_up(self) -> bool:
        """Nothing of ours waits for this client: no snapshot held, nothing in the
        transport, hardly anything in the kernel not yet sent."""
        if self.paused or self.pending is not None or self._unsent():
            return False
        sock = self.transport.get_extra_info("socket") if self.transport is not None else None
        fd = sock.fileno() if sock is not None else -1
        return kernel_unsent(fd) <= CAUGHT_UP_KERNEL_BYTES

    def close(self, code: int, reason: str) -> None:
        """Start the closing handshake; the connection is dropped if it does not finish."""
        if self.transport is None:
            return
        self.open = False
        self.pending = None
        with contextlib.suppress(InvalidState):
            self.ws.send_close(code, reason)
        self._flush_ws()
        if self.close_deadline is None:
            self.close_deadline = time.monotonic() + CLOSE_TIMEOUT_S

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()


class ClusterSide(Protocol):
    """What the transport asks of the cluster layer when this process is one of several
    (``server/cluster/realtime.py``, which builds on this module, not the other way round)."""

    def attach(self, realtime: RealtimeServer) -> None: ...

    def arrive(self, conn: WsConnection, arrival: Arrival) -> None:
        """A verified hello, to be placed (the connection holds what follows meanwhile)."""

    def take(self, fx: Effects) -> None:
        """The cluster's part of the core's effects: hand-offs, remote chats, ended sessions."""

    def disconnected(self, session: Session) -> None:
        """A connection dropped; its session's grace starts."""


class RealtimeServer:
    """The running realtime endpoint: listening socket, connections, tick loop."""

    def __init__(
        self,
        core: HubCore,
        *,
        settings: Settings,
        signer: TokenSigner,
        store: StoreBackend | None,
        metrics: Metrics,
        limits: ConnectionLimits | None = None,
    ) -> None:
        self.core = core
        self.settings = settings
        self.verify = signer.verify
        self.store = store
        self.metrics = metrics
        #: open connections per address, shared with the HTTP side (``http_runner``)
        self.limits = limits if limits is not None else connection_limits(settings)
        self.port = 0
        self.connections: dict[int, WsConnection] = {}
        self._next_id = 1
        self._server: asyncio.Server | None = None
        self._shared_serving: Callable[[], bool] | None = None
        self._tick_task: asyncio.Task[None] | None = None
        self._writer_task: asyncio.Task[None] | None = None
        #: chat records go to the store in batches; their lines go out once committed
        self.chat_writer = ChatWriter(store, self._chat_stored)
        #: the cluster side, when this process is one of several (``--redis``)
        self.cluster: ClusterSide | None = None
        self._tick_times: deque[float] = deque(maxlen=max(2, settings.tick_hz))
        self._last_lag = 0.0
        self._last_duration = 0.0
        self._next_housekeeping = 0.0
        #: counted here per message, added to the metrics when they are rendered
        self.bytes_in = 0
        self.poses_in = 0
        metrics.watch(core)
        metrics.on_render(self._refresh_metrics)

    async def start(self, sock: socket.socket | None = None) -> None:
        """Start the tick; with ``sock`` (bound beforehand) or ``settings.ws_port`` set, also
        listen on a port of its own (otherwise the HTTP port hands over its ``/ws``
        connections: ``share_port``)."""
        loop = asyncio.get_running_loop()
        if sock is not None:
            self._server = await loop.create_server(self.new_connection, sock=sock)
        elif self.settings.ws_port is not None:
            self._server = await loop.create_server(
                self.new_connection,
                self.settings.host,
                self.settings.ws_port,
                reuse_address=True,
                backlog=2048,
            )
        if self._server is not None:
            self.port = self._server.sockets[0].getsockname()[1]
            log.info("realtime endpoint listening", extra={"port": self.port, "path": WS_PATH})
        self._tick_task = asyncio.create_task(self._tick_loop(), name="hubtwin-tick")
        self._writer_task = asyncio.create_task(self.chat_writer.run(), name="hubtwin-chat-store")

    def share_port(self, port: int, serving: Callable[[], bool]) -> None:
        """Connections come from another listener on ``port`` (the HTTP port's ``/ws``,
        ``server/net/shared_port.py``); ``serving`` tells whether it still accepts them."""
        self.port = port
        self._shared_serving = serving
        log.info("realtime endpoint on the HTTP port", extra={"port": port, "path": WS_PATH})

    def new_connection(self) -> WsConnection:
        """The protocol of one new realtime connection (an ``asyncio`` protocol factory)."""
        conn = WsConnection(self, self._next_id)
        self._next_id += 1
        return conn

    # --- connections --------------------------------------------------------------------

    def connected(self, conn: WsConnection) -> None:
        self.connections[conn.id] = conn

    def count_connection(
        self, transport: asyncio.BaseTransport | None, request: Request
    ) -> Release | None:
        """Count an upgrade in the cap per address, by the client's address (behind a
        trusted proxy the forwarded one): how to give the place back, or None (refused)."""
        peer = transport.get_extra_info("peername") if transport is not None else None
        address = client_address(
            peer[0] if isinstance(peer, tuple) else None,
            request.headers.get_all("X-Forwarded-For"),
            self.limits.trusted_proxies,
        )
        return self.limits.count(address)

    def lost(self, conn: WsConnection) -> None:
        if self.connections.pop(conn.id, None) is None:
            return
        if conn.welcomed:
            try:
                session = self.core.session_of(conn.id)
                self.apply(self.core.disconnected(conn.id, time.time()))
                if self.cluster is not None and session is not None:
                    self.cluster.disconnected(session)
            except Exception:
                log.exception("the hub core failed on a disconnect", extra={"conn": conn.id})

    def abandon(self, conn: WsConnection) -> None:
        """A connection closed for abuse gives up its place at once (no grace)."""
        try:
            self.apply(self.core.abandon(conn.id, time.time()))
        except Exception:
            log.exception("the hub core failed on an abandoned session", extra={"conn": conn.id})

    def revoked(self, identity_id: str) -> None:
        """An identity's tokens were revoked (here or on another process): its live
        sessions end now, their connections closed with ``token_revoked``."""
        try:
            self.apply(self.core.revoke(identity_id, time.time()))
        except Exception:
            log.exception("the hub core failed on a revocation", extra={"identity": identity_id})

    def apply(self, fx: Effects) -> None:
        """Do what the core asked: send, close, persist, count."""
        connections = self.connections
        for frame, targets in fx.sends:
            framed = _frame_header(len(frame)) + frame
            sent = 0
            for conn_id in targets:
                conn = connections.get(conn_id)
                if conn is not None and conn.send_control(frame, framed):
                    sent += 1
            self.count_sent("control", len(frame), sent)
        frames = size = 0
        for frame, targets in fx.snapshots:
            framed = _frame_header(len(frame)) + frame
            sent = 0
            for conn_id in targets:
                conn = connections.get(conn_id)
                if conn is not None and conn.send_snapshot(frame, framed):
                    sent += 1
            frames += sent
            size += sent * len(frame)
        if frames:  # counted once per tick, not per frame: most frames have one recipient
            self.metrics.messages_out.labels("snapshot").inc(frames)
            self.metrics.bytes_out.labels("snapshot").inc(size)
        for closing in fx.closes:
            conn = connections.get(closing.conn)
            if conn is not None:
                if closing.error is not None:
                    log.info("closing: %s", closing.error, extra={"conn": closing.conn})
                conn.close(closing.code, closing.reason)
        for record in fx.records:
            self.chat_writer.put(record)
        for code in fx.errors:
            self.metrics.errors.labels(code).inc()
        if self.cluster is not None and (fx.handoffs or fx.remote_chats or fx.ended):
            self.cluster.take(fx)

    def count_sent(self, kind: str, size: int, frames: int = 1) -> None:
        if frames:
            self.metrics.messages_out.labels(kind).inc(frames)
            self.metrics.bytes_out.labels(kind).inc(size * frames)

    # --- the tick -----------------------------------------------------------------------

    async def _tick_loop(self) -> None:
        loop = asyncio.get_running_loop()
        interval = 1.0 / self.settings.tick_hz
        due = loop.time() + interval
        while True:
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            started = loop.time()
            self._last_lag = max(0.0, started - due)
            try:
                self._tick()
            except Exception:
                log.exception("tick failed")
            self._last_duration = loop.time() - started
            self.metrics.tick_duration.observe(self._last_duration)
            self._tick_times.append(started)
            due += interval
            if loop.time() - due > interval:
                due = loop.time() + interval  # overloaded: fall behind instead of bursting

    def _tick(self) -> None:
        behind = [c.id for c in self.connections.values() if c.behind]
        self.apply(self.core.tick(time.time(), behind))
        now = time.monotonic()
        if now >= self._next_housekeeping:
            self._next_housekeeping = now + HOUSEKEEPING_EVERY_S
            self._housekeeping(now)

    def _housekeeping(self, now: float) -> None:
        wall = time.time()
        limit = self.settings.slow_client_limit_s
        for conn in list(self.connections.values()):
            if conn.close_deadline is not None:
                if now > conn.close_deadline:
                    conn.abort()
                continue
            if conn.edge is None:
                if now - conn.opened_at > protocol.HELLO_TIMEOUT_S:
                    conn.abort()
                continue
            if conn.behind_since is not None and conn.caught_up():
                conn.behind_since = None
            expired = conn.edge.expired(wall)
            if expired is not None:
                conn.refuse(Refusal(expired, "", None, conn.edge.first(expired)))
            elif conn.behind_since is not None and now - conn.behind_since > limit:
                conn.refuse(Refusal("too_slow", f"behind for over {limit:g} s", None, True))
            elif conn.frame_started is not None and wall - conn.frame_started > FRAME_TIMEOUT_S:
                unfinished = f"a frame begun over {FRAME_TIMEOUT_S:g} s ago has not ended"
                conn.refuse(Refusal("timeout", unfinished, None, conn.edge.first("timeout")))

    # --- persistence --------------------------------------------------------------------

    def _chat_stored(self, stored: list[str], failed: list[str]) -> None:
        """A batch of chat records is committed (or not): now the core sends their lines."""
        try:
            fx = self.core.chat_stored(stored, failed)
        except Exception:
            log.exception("the hub core failed on stored chat", extra={"count": len(stored)})
            return
        self.apply(fx)

    # --- health and shutdown ------------------------------------------------------------

    def tick_rate(self) -> float:
        times = self._tick_times
        if len(times) < 2 or times[-1] == times[0]:
            return 0.0
        return (len(times) - 1) / (times[-1] - times[0])

    def _refresh_metrics(self) -> None:
        self.metrics.bytes_in.inc(self.bytes_in)
        self.metrics.messages_in.labels("pose").inc(self.poses_in)
        self.bytes_in = self.poses_in = 0
        self.metrics.connections.set(float(len(self.connections)))
        self.metrics.tick_lag.set(self._last_lag)
        self.metrics.tick_rate.set(round(self.tick_rate(), 3))

    def health(self) -> dict[str, Any]:
        """Listening or not, the tick rate achieved, the last tick's lag, connections."""
        if self._shared_serving is not None:
            listening = self._shared_serving()
        else:
            listening = self._server is not None and self._server.is_serving()
        ticking = self._tick_task is not None and not self._tick_task.done()
        return {
            "listening": listening and ticking,
            "port": self.port,
            "tick_hz_target": self.settings.tick_hz,
            "tick_hz": round(self.tick_rate(), 2),
            "last_tick_lag_ms": round(self._last_lag * 1000, 2),
            "last_tick_ms": round(self._last_duration * 1000, 2),
            "clients": len(self.connections),
            "sessions": len(self.core.sessions),
        }

    async def close(self) -> None:
        """Stop accepting, store what is pending (its acknowledgements still go out), tell
        everyone the server is closing."""
        if self._server is not None:
            self._server.close()
        if self._tick_task is not None:
            self._tick_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._tick_task
        if self._writer_task is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.chat_writer.drain(), timeout=5.0)
        for conn in list(self.connections.values()):
            if conn.open:
                conn.refuse(Refusal("server_closing", "", None, False))
        deadline = time.monotonic() + 1.0
        while self.connections and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        for conn in list(self.connections.values()):
            conn.abort()
        if self._writer_task is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.chat_writer.drain(), timeout=5.0)
            self._writer_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer_task
        if self._server is not None:
            await self._server.wait_closed()


async def start_realtime(
    core: HubCore,
    *,
    settings: Settings,
    signer: TokenSigner,
    store: StoreBackend | None,
    metrics: Metrics,
    cluster: ClusterSide | None = None,
    sock: socket.socket | None = None,
) -> RealtimeServer:
    """Seed chat history from the store, listen on ``sock`` or ``settings.ws_port`` (0 picks
    a free port: see ``.port``; neither: ``share_port``) and start the tick; with
    ``cluster``, as one of several processes."""
    if store is not None:
        for room in core.world.rooms:
            core.seed_chat(room.id, await store.recent_chat(room.id, 0, settings.chat_history))
    server = RealtimeServer(core, settings=settings, signer=signer, store=store, metrics=metrics)
    if cluster is not None:
        server.cluster = cluster
        cluster.attach(server)
    await server.start(sock)
    return server
