"""The transport's own parser for the frames clients send all the time: frames split
across reads or packed together arrive whole and in order, and anything unusual hands the
connection to the library's parser without losing a byte."""

from __future__ import annotations

import asyncio
import base64
import os
import time

import msgpack
from realtime_world import box_world

from bench.wsclient import client_frame
from server.base.identity import Identity, Role
from server.base.settings import Settings
from server.base.tokens import TokenSigner
from server.core.hub import HubCore
from server.net.metrics import Metrics
from server.net.transport import RealtimeServer, WsConnection
from server.protocol import table as protocol

SIGNER = TokenSigner("frames-test-secret-long-enough")


class FakeTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        pass

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        pass

    def abort(self) -> None:
        pass

    def frames(self) -> list[tuple[int, bytes]]:
        """Opcode and payload of every (unmasked) server frame written, emptying the log."""
        out = []
        data, pos = bytes(self.written), 0
        self.written.clear()
        while pos < len(data):
            size, head = data[pos + 1] & 0x7F, 2
            if size == 126:
                size, head = int.from_bytes(data[pos + 2 : pos + 4], "big"), 4
            elif size == 127:
                size, head = int.from_bytes(data[pos + 2 : pos + 10], "big"), 10
            out.append((data[pos] & 0x0F, data[pos + head : pos + head + size]))
            pos += head + size
        return out


def opened() -> tuple[WsConnection, FakeTransport]:
    settings = Settings()
    server = RealtimeServer(
        HubCore(box_world(), settings),
        settings=settings,
        signer=SIGNER,
        store=None,
        metrics=Metrics(),
    )
    conn = WsConnection(server, 1)
    transport = FakeTransport()
    conn.connection_made(transport)
    key = base64.b64encode(os.urandom(16))
    conn.data_received(
        b"GET /ws HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    assert transport.written.startswith(b"HTTP/1.1 101")
    transport.written.clear()
    identity = Identity("id-ada", "Ada", Role.VISITOR, True)
    hello = {
        "t": "hello",
        "v": protocol.PROTOCOL_VERSION,
        "token": SIGNER.issue(identity, ttl_s=600, now=time.time()),
        "lang": "en",
        "appearance": {"color": "#00aa55", "shape": "sphere"},
    }
    conn.data_received(client_frame(msgpack.packb(hello)))
    kinds = [msgpack.unpackb(p)["t"] for op, p in transport.frames() if op == 2]
    assert kinds[:2] == ["welcome", "joined"]
    return conn, transport


def ping(c: int) -> bytes:
    return client_frame(msgpack.packb({"t": "ping", "c": c}))


def pongs(transport: FakeTransport) -> list[int]:
    out = []
    for opcode, payload in transport.frames():
        if opcode == 2 and payload[0] != protocol.SNAPSHOT_TAG:
            message = msgpack.unpackb(payload)
            if message["t"] == "pong":
                out.append(message["c"])
    return out


async def test_frames_split_at_every_byte_and_packed_together_arrive_in_order() -> None:
    conn, transport = opened()
    stream = b"".join(ping(c) for c in range(1, 6))
    stream += client_frame(msgpack.packb({"t": "ping", "c": 6, "pad": "x" * 300}))  # 2-byte size
    for byte in range(len(stream)):
        conn.data_received(stream[byte : byte + 1])
    ninth = ping(9)
    conn.data_received(ping(7) + ping(8) + ninth[:3])
    conn.data_received(ninth[3:])
    assert pongs(transport) == list(range(1, 10))
    assert conn._fast


async def test_a_control_frame_hands_over_to_the_library_without_losing_bytes() -> None:
    conn, transport = opened()
    websocket_ping = client_frame(b"hi", opcode=0x9)
    second = ping(2)
    conn.data_received(ping(1) + websocket_ping + second[:4])
    conn.data_received(second[4:] + ping(3))
    frames = transport.frames()
    assert (0xA, b"hi") in frames  # the library answered the WebSocket ping
    transport.written += b"".join(  # put the rest back for pongs()
        bytes((0x80 | op, len(p))) + p for op, p in frames if op == 2
    )
    assert pongs(transport) == [1, 2, 3]
    assert not conn._fast


async def test_poses_on_the_fast_path_reach_the_core() -> None:
    conn, _ = opened()
    session = conn.server.core.session_of(conn.id)
    assert session is not None and session.instance is not None
    pos, _, _ = session.instance.poses.pose_of(session.slot)
    conn.data_received(client_frame(protocol.encode_pose(5, pos[0] + 0.1, pos[1], pos[2], 0, 0)))
    assert session.instance.poses.has_pending[session.slot]
    assert conn.server.poses_in == 1
