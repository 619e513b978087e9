"""A lean WebSocket client (RFC 6455) as an ``asyncio.Protocol``, for the load generator.

A load generator holding a thousand connections on one core cannot afford a task and an
``await`` per message, so this client is callbacks only: ``on_message(payload, size)`` for
every complete data message (``size`` is its length on the wire, headers included), frames
out with ``send(payload)`` (masked with a fresh random key, as the RFC asks of clients).
Pings are answered, a close frame is answered and ends the connection. Server frames are
never masked; a masked one is a protocol error and closes the connection.

>>> client = WsClient("127.0.0.1", 8081, "/ws", on_message=print)       # doctest: +SKIP
>>> await loop.create_connection(lambda: client, "127.0.0.1", 8081)     # doctest: +SKIP
>>> await client.opened                                                 # doctest: +SKIP
>>> client.send(b"...")                                                 # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import random
from collections.abc import Callable
from typing import cast

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_OP_CONT, _OP_TEXT, _OP_BINARY, _OP_CLOSE, _OP_PING, _OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
_MAX_HANDSHAKE = 16 * 1024


class WsClosed(Exception):
    """The connection failed to open or was closed; ``str()`` says why."""


def _masked(payload: bytes, key: int) -> bytes:
    """``payload`` XOR the 4-byte masking ``key`` repeated, as one big-integer operation."""
    size = len(payload)
    if size == 0:
        return b""
    mask = key.to_bytes(4, "big") * (size // 4 + 1)
    value = int.from_bytes(payload, "big") ^ int.from_bytes(mask[:size], "big")
    return value.to_bytes(size, "big")


def client_frame(payload: bytes, opcode: int = _OP_BINARY) -> bytes:
    """One final, masked client frame carrying ``payload``."""
    size = len(payload)
    first = 0x80 | opcode
    if size < 126:
        header = bytes((first, 0x80 | size))
    elif size < 65536:
        header = bytes((first, 0x80 | 126)) + size.to_bytes(2, "big")
    else:
        header = bytes((first, 0x80 | 127)) + size.to_bytes(8, "big")
    key = random.getrandbits(32)
    return header + key.to_bytes(4, "big") + _masked(payload, key)


class WsClient(asyncio.Protocol):
    """One client connection; ``opened`` resolves after the handshake, ``closed`` at the end."""

    def __init__(
        self,
        host: str,
        port: int,
        path: str,
        on_message: Callable[[bytes, int], None],
        on_close: Callable[[str], None] | None = None,
    ) -> None:
        loop = asyncio.get_running_loop()
        self.host = host
        self.port = port
        self.path = path
        self.on_message = on_message
        self.on_close = on_close
        self.opened: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[str] = loop.create_future()
        self.transport: asyncio.Transport | None = None
        self.bytes_in = 0
        self._key = base64.b64encode(os.urandom(16))
        self._buffer = bytearray()
        self._open = False
        self._fragments: list[bytes] = []

    # --- asyncio.Protocol --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        request = (
            f"GET {self.path} HTTP/1.1\r\n"
            f"Host: {self.host}:{self.port}\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {self._key.decode()}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        )
        self.transport.write(request.encode("ascii"))

    def data_received(self, data: bytes) -> None:
        self.bytes_in += len(data)
        buffer = self._buffer
        buffer += data
        if not self._open:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > _MAX_HANDSHAKE:
                    self._fail("handshake response too long")
                return
            self._handshake(bytes(buffer[:end]))
            del buffer[: end + 4]
            if not self._open:
                return
        self._frames()

    def connection_lost(self, exc: Exception | None) -> None:
        reason = "connection lost" if exc is None else f"connection lost: {exc}"
        self._finish(reason)

    # --- frames ---------------------------------------------------------------------------

    def _handshake(self, head: bytes) -> None:
        lines = head.decode("latin-1").split("\r\n")
        if not lines[0].startswith("HTTP/1.1 101"):
            self._fail(f"handshake refused: {lines[0]}")
            return
        expected = base64.b64encode(hashlib.sha1(self._key + _GUID).digest()).decode()
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("sec-websocket-accept") != expected:
            self._fail("handshake: wrong Sec-WebSocket-Accept")
            return
        self._open = True
        if not self.opened.done():
            self.opened.set_result(None)

    def _frames(self) -> None:
        buffer = self._buffer
        start = 0
        available = len(buffer)
        while available - start >= 2:
            first = buffer[start]
            second = buffer[start + 1]
            if second & 0x80:
                self._fail("the server sent a masked frame")
                return
            size = second & 0x7F
            head = 2
            if size == 126:
                if available - start < 4:
                    break
                size = int.from_bytes(buffer[start + 2 : start + 4], "big")
                head = 4
            elif size == 127:
                if available - start < 10:
                    break
                size = int.from_bytes(buffer[start + 2 : start + 10], "big")
                head = 10
            end = start + head + size
            if end > available:
                break
            payload = bytes(buffer[start + head : end])
            self._frame(first, payload, end - start)
            start = end
            if not self._open:
                return
        if start:
            del buffer[:start]

    def _frame(self, first: int, payload: bytes, wire: int) -> None:
        opcode = first & 0x0F
        fin = first & 0x80
        if opcode in (_OP_BINARY, _OP_TEXT):
            if fin:
                self.on_message(payload, wire)
            else:
                self._fragments = [payload]
        elif opcode == _OP_CONT:
            self._fragments.append(payload)
            if fin:
                whole, self._fragments = b"".join(self._fragments), []
                self.on_message(whole, wire)
        elif opcode == _OP_PING:
            self._write(client_frame(payload, _OP_PONG))
        elif opcode == _OP_CLOSE:
            code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
            reason = payload[2:].decode("utf-8", "replace")
            self._write(client_frame(payload[:2], _OP_CLOSE))
            self._open = False
            if self.transport is not None:
                self.transport.close()
            self._finish(f"closed by the server: {code} {reason}".strip())

    # --- sending and ending ---------------------------------------------------------------

    def send(self, payload: bytes) -> bool:
        """Send one binary message; False if the connection is not open."""
        if not self._open:
            return False
        return self._write(client_frame(payload))

    def _write(self, frame: bytes) -> bool:
        transport = self.transport
        if transport is None or transport.is_closing():
            return False
        transport.write(frame)
        return True

    def close(self) -> None:
        """Start the closing handshake (1000); the server ends the TCP connection."""
        if self._open:
            self._write(client_frame((1000).to_bytes(2, "big"), _OP_CLOSE))
            self._open = False
        elif self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def _fail(self, reason: str) -> None:
        self._open = False
        if not self.opened.done():
            self.opened.set_exception(WsClosed(reason))
        if self.transport is not None:
            self.transport.abort()
        self._finish(reason)

    def _finish(self, reason: str) -> None:
        self._open = False
        if not self.opened.done():
            self.opened.set_exception(WsClosed(reason))
        if not self.closed.done():
            self.closed.set_result(reason)
            if self.on_close is not None:
                self.on_close(reason)
