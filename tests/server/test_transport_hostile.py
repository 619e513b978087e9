"""The realtime endpoint against hostile or broken clients, over real sockets: readers that
stop reading (one, and twenty at once) or read 8 KB/s of a faster stream, closed within
seconds while an observer keeps 20 Hz, and one that paused briefly and caught up, kept;
a crowd standing around an observer while someone walks further off, a text frame that is
not UTF-8, a frame that announces more bytes than it sends."""

from __future__ import annotations

import asyncio
import base64
import fcntl
import os
import socket
import struct
import termios
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import msgpack
import pytest
from realtime_world import box_world
from test_transport import SIGNER, Client, token
from websockets.asyncio.client import ClientConnection, connect

from bench.wsclient import client_frame
from server.base.settings import Settings
from server.core.hub import Effects, HubCore
from server.net.metrics import Metrics
from server.net.transport import (
    FRAME_TIMEOUT_S,
    SEND_BUFFER_BYTES,
    RealtimeServer,
    WsConnection,
    start_realtime,
)
from server.protocol import table as protocol
from server.protocol.table import encode_pose

OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING = 0x1, 0x2, 0x8, 0x9


class RawClient:
    """A WebSocket client on a bare socket that reads only when asked to: it can stop
    reading, and it can send frames no library would."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()
        self.welcome: dict[str, Any] = {}

    @classmethod
    async def open(cls, port: int, receive_buffer: int | None = None) -> RawClient:
        """Connect and upgrade; ``receive_buffer`` (bytes) makes the client's kernel buffer
        small, so that reading slowly throttles the server as a slow network would."""
        loop = asyncio.get_running_loop()
        sock = socket.socket()
        if receive_buffer is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.setblocking(False)
        await loop.sock_connect(sock, ("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16))
        await loop.sock_sendall(
            sock,
            b"GET /ws HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n\r\n",
        )
        client = cls(sock)
        while b"\r\n\r\n" not in client.buffer:
            await client._read(3.0)
        end = client.buffer.index(b"\r\n\r\n") + 4
        assert client.buffer.startswith(b"HTTP/1.1 101"), bytes(client.buffer[:end])
        del client.buffer[:end]
        return client

    async def send(self, data: bytes) -> None:
        await asyncio.get_running_loop().sock_sendall(self.sock, data)

    async def hello(self, name: str) -> None:
        """Say hello and read until joined (and no further)."""
        message = {
            "t": "hello",
            "v": protocol.PROTOCOL_VERSION,
            "token": token(name),
            "lang": "en",
            "appearance": {"color": "#aa0055", "shape": "cube"},
        }
        await self.send(client_frame(msgpack.packb(message)))
        while True:
            opcode, payload = await self.frame()
            if opcode != OP_BINARY or payload[0] == protocol.SNAPSHOT_TAG:
                continue
            got = protocol.decode_server(payload)
            if got["t"] == "welcome":
                self.welcome = got
            if got["t"] == "joined":
                return

    async def frame(self, timeout: float = 3.0) -> tuple[int, bytes]:
        """The next server frame: opcode and payload."""
        while True:
            frame = self._parse()
            if frame is not None:
                return frame
            await self._read(timeout)

    async def closed(self, timeout: float) -> tuple[int | None, list[dict[str, Any]]]:
        """Read until the server's close frame (its code) or the end of the stream (None);
        and the control messages read on the way."""
        seen: list[dict[str, Any]] = []
        async with asyncio.timeout(timeout):
            while True:
                try:
                    opcode, payload = await self.frame(timeout)
                except ConnectionError:
                    return None, seen
                if opcode == OP_CLOSE:
                    return int.from_bytes(payload[:2], "big"), seen
                if opcode == OP_BINARY and payload[0] != protocol.SNAPSHOT_TAG:
                    seen.append(protocol.decode_server(payload))

    async def _read(self, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        data = await asyncio.wait_for(loop.sock_recv(self.sock, 65536), timeout)
        if not data:
            raise ConnectionResetError("the server closed the connection")
        self.buffer += data

    def _parse(self) -> tuple[int, bytes] | None:
        buffer = self.buffer
        if len(buffer) < 2:
            return None
        size, head = buffer[1] & 0x7F, 2
        if size == 126:
            size, head = int.from_bytes(buffer[2:4], "big"), 4
        elif size == 127:
            size, head = int.from_bytes(buffer[2:10], "big"), 10
        if len(buffer) < head + size:
            return None
        frame = (buffer[0] & 0x0F, bytes(buffer[head : head + size]))
        del buffer[: head + size]
        return frame

    def close(self) -> None:
        self.sock.close()


Start = Callable[..., Awaitable[RealtimeServer]]


@pytest.fixture
async def start() -> AsyncIterator[Start]:
    servers: list[RealtimeServer] = []

    async def _start(**overrides: Any) -> RealtimeServer:
        settings = Settings(host="127.0.0.1", ws_port=0, **overrides)
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
async def clients() -> AsyncIterator[Callable[[RealtimeServer], Awaitable[Client]]]:
    opened: list[ClientConnection] = []

    async def _open(server: RealtimeServer) -> Client:
        ws = await connect(
            f"ws://127.0.0.1:{server.port}/ws", compression=None, max_size=None, close_timeout=1
        )
        opened.append(ws)
        return Client(ws)

    yield _open
    await asyncio.gather(*(ws.close() for ws in opened))


@pytest.fixture
def raw() -> Any:
    opened: list[RawClient] = []

    async def _open(server: RealtimeServer, receive_buffer: int | None = None) -> RawClient:
        client = await RawClient.open(server.port, receive_buffer)
        opened.append(client)
        return client

    yield _open
    for client in opened:
        client.close()


def newest(server: RealtimeServer) -> WsConnection:
    return server.connections[max(server.connections)]


def unsent(conn: WsConnection) -> int:
    """What the server holds for a connection and has not sent: the kernel's send queue
    (``SIOCOUTQ``) and the transport's own buffer."""
    assert conn.transport is not None
    sock = conn.transport.get_extra_info("socket")
    queued = struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0]
    return int(queued) + conn.transport.get_write_buffer_size()


def crowd_snapshot(avatars: int = 1000) -> bytes:
    """A full snapshot of a crowded room (12 KB for 1,000 avatars)."""
    header = protocol.SNAPSHOT_HEADER.pack(
        protocol.SNAPSHOT_TAG, protocol.SNAPSHOT_FULL | protocol.SNAPSHOT_FAR, 1, 1, 0.0
    )
    return header + bytes(12 * avatars)


async def walk(client: Client, start: list[float], stop: asyncio.Event) -> None:
    """Send a pose every 40 ms, walking 5 m east of ``start`` and back, until ``stop``."""
    x, y, z = start
    step, seq, offset = 0.16, 0, 0.0
    while not stop.is_set():
        offset += step
        if offset >= 5.0 or offset <= 0.0:
            step = -step
        seq += 1
        await client.ws.send(encode_pose(seq, x + offset, y, z, 0.0, 0.0))
        await asyncio.sleep(0.04)


async def count_walker(
    observer: Client, walker_net: int, server: RealtimeServer, until: Callable[[], bool]
) -> tuple[int, int]:
    """Snapshots the observer receives with the walker in them, and the server's ticks
    meanwhile, from now until ``until()`` (looked at after every frame)."""
    first_tick = server.core.tick_count
    seen = 0
    while not until():
        got = await observer.receive()
        if isinstance(got, protocol.Snapshot) and walker_net in got.entries["net"].tolist():
            seen += 1
    return seen, server.core.tick_count - first_tick


# --- readers that stop reading ------------------------------------------------------------


async def test_a_reader_that_stops_reading_is_closed_and_the_observer_keeps_the_tick_rate(
    start: Start, clients: Any, raw: Any
) -> None:
    server = await start(slow_client_limit_s=2.0)
    observer, walker = await clients(server), await clients(server)
    await observer.hello("Olga")
    _, joined = await walker.hello("Walt")
    stop = asyncio.Event()
    walking = asyncio.create_task(walk(walker, joined["pose"]["pos"], stop))
    slow = await raw(server)
    await slow.hello("Sloane")
    slow_conn = newest(server)
    # from here on the slow reader reads nothing more; the room sends it 240 KB/s
    most_unsent = 0

    async def pump() -> None:
        nonlocal most_unsent
        frame = crowd_snapshot()
        while slow_conn.id in server.connections:
            server.apply(Effects(snapshots=[(frame, [slow_conn.id])]))
            if slow_conn.transport is not None and not slow_conn.transport.is_closing():
                most_unsent = max(most_unsent, unsent(slow_conn))
            await asyncio.sleep(0.05)

    pumping = asyncio.create_task(pump())
    deadline = time.monotonic() + 15
    seen, ticks = await count_walker(
        observer,
        joined["you"],
        server,
        lambda: slow_conn.id not in server.connections or time.monotonic() > deadline,
    )
    stop.set()
    await asyncio.gather(walking, pumping)
    assert slow_conn.id not in server.connections, "the slow reader is still connected"
    assert 'hubtwin_errors_total{code="too_slow"} 1.0' in server.metrics.render()
    assert ticks > 20 and seen >= 0.8 * ticks, f"{seen} snapshots with the walker in {ticks} ticks"
    assert most_unsent < 200 * 1024, f"{most_unsent} bytes held unsent"

    # the place is held like for any dropped connection: the same person comes back to it
    back = await clients(server)
    welcome, joined_again = await back.hello("Sloane", resume=slow.welcome["resume"])
    assert welcome["resumed"] is True and joined_again["via"] == "resume"


async def read_at(client: RawClient, bytes_per_s: int) -> None:
    """Read about ``bytes_per_s`` (in ten sips a second) until the server ends the
    connection; what was read is dropped."""
    loop = asyncio.get_running_loop()
    sip = max(1, bytes_per_s // 10)
    while True:
        began = loop.time()
        try:
            data = await asyncio.wait_for(loop.sock_recv(client.sock, sip), 30.0)
        except (ConnectionError, OSError):
            return
        if not data:
            return
        await asyncio.sleep(max(0.0, len(data) / bytes_per_s - (loop.time() - began)))


async def read_everything(client: RawClient) -> None:
    """Read as fast as the server sends, until it ends the connection."""
    loop = asyncio.get_running_loop()
    while True:
        try:
            data = await asyncio.wait_for(loop.sock_recv(client.sock, 65536), 30.0)
        except (ConnectionError, OSError):
            return
        if not data:
            return


async def snapshots_per_second(
    observer: Client, walker_net: int, until: Callable[[], bool]
) -> tuple[float, int]:
    """The rate of the observer's snapshots with the walker in them, over the time from the
    first to the last such snapshot before ``until()``, and how many there were."""
    loop = asyncio.get_running_loop()
    times: list[float] = []
    while not until():
        got = await observer.receive()
        if isinstance(got, protocol.Snapshot) and walker_net in got.entries["net"].tolist():
            times.append(loop.time())
    if len(times) < 2:
        return 0.0, len(times)
    return (len(times) - 1) / (times[-1] - times[0]), len(times)


async def test_a_trickle_reader_and_a_stopped_one_are_closed_in_seconds_at_20_hz_for_others(
    start: Start, clients: Any, raw: Any
) -> None:
    server = await start()
    limit = server.settings.slow_client_limit_s  # the shipped one: its drains come faster
    observer, walker = await clients(server), await clients(server)
    await observer.hello("Olga")
    _, joined = await walker.hello("Walt")
    stop = asyncio.Event()
    walking = asyncio.create_task(walk(walker, joined["pose"]["pos"], stop))
    # reads 8 KB/s through a small receive buffer, as over a slow network
    trickle = await raw(server, receive_buffer=8 * 1024)
    await trickle.hello("Tina")
    trickle_conn = newest(server)
    stopped = await raw(server)
    await stopped.hello("Stan")
    stopped_conn = newest(server)
    reading = asyncio.create_task(read_at(trickle, 8 * 1024))
    slow = (trickle_conn, stopped_conn)
    closed_after: dict[int, float] = {}
    loop = asyncio.get_running_loop()
    began = loop.time()

    async def pump() -> None:
        """Both are sent a crowded room's stream: 12 KB snapshots at 20 Hz (240 KB/s)."""
        frame = crowd_snapshot()
        while len(closed_after) < len(slow) and loop.time() - began < 20:
            server.apply(Effects(snapshots=[(frame, [c.id for c in slow if c.open])]))
            for conn in slow:
                if not conn.open and conn.id not in closed_after:
                    closed_after[conn.id] = loop.time() - began
            await asyncio.sleep(0.05)

    pumping = asyncio.create_task(pump())
    rate, seen = await snapshots_per_second(observer, joined["you"], pumping.done)
    stop.set()
    await asyncio.gather(walking, pumping)
    reading.cancel()
    bound = limit + 3.0  # the first snapshot held, then the housekeeping's half second
    for name, conn in (("trickle", trickle_conn), ("stopped", stopped_conn)):
        assert conn.id in closed_after, f"the {name} reader was not closed within 20 s"
        assert closed_after[conn.id] < bound, f"{name}: closed after {closed_after[conn.id]:.1f} s"
    assert 'hubtwin_errors_total{code="too_slow"} 2.0' in server.metrics.render()
    tick_hz = server.settings.tick_hz
    assert rate >= 0.8 * tick_hz, f"the observer saw the walker at {rate:.1f} Hz ({seen} snapshots)"


async def test_a_reader_with_a_short_hiccup_catches_up_and_stays(start: Start, raw: Any) -> None:
    limit = 2.0
    server = await start(slow_client_limit_s=limit)
    client = await raw(server)
    await client.hello("Hanna")
    conn = newest(server)
    loop = asyncio.get_running_loop()
    frame = crowd_snapshot()
    # the client reads nothing for a while: it falls behind
    while conn.behind_since is None:
        server.apply(Effects(snapshots=[(frame, [conn.id])]))
        await asyncio.sleep(0.05)
    behind_from = loop.time()
    reading = asyncio.create_task(read_everything(client))
    # then reads all: once caught up it is no longer behind, well within the limit
    while conn.behind_since is not None:
        assert loop.time() - behind_from < limit, "still behind after catching up"
        server.apply(Effects(snapshots=[(frame, [conn.id])]))
        await asyncio.sleep(0.05)
    # and the stream goes on for twice the limit without closing it
    ticks = server.core.tick_count + int(2 * limit * server.settings.tick_hz)
    while server.core.tick_count < ticks:
        server.apply(Effects(snapshots=[(frame, [conn.id])]))
        await asyncio.sleep(0.05)
    assert conn.open and conn.id in server.connections
    assert "too_slow" not in server.metrics.render()
    reading.cancel()


async def test_twenty_readers_that_stop_reading_hold_little_memory(start: Start, raw: Any) -> None:
    server = await start(slow_client_limit_s=2.0)
    readers = []
    for number in range(20):
        reader = await raw(server)
        await reader.hello(f"Slow{number}")
        readers.append(newest(server))
    for conn in readers:
        assert conn.transport is not None
        sock = conn.transport.get_extra_info("socket")
        kernel = sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
        assert kernel == 2 * SEND_BUFFER_BYTES  # what was set, doubled (Linux)
    frame = crowd_snapshot()
    most_unsent = 0
    deadline = time.monotonic() + 20
    while any(c.id in server.connections for c in readers) and time.monotonic() < deadline:
        server.apply(Effects(snapshots=[(frame, [c.id for c in readers])]))
        total = 0
        for conn in readers:
            if conn.transport is not None and not conn.transport.is_closing():
                total += unsent(conn)
        most_unsent = max(most_unsent, total)
        await asyncio.sleep(0.05)
    assert not [c.id for c in readers if c.id in server.connections]
    assert 'hubtwin_errors_total{code="too_slow"} 20.0' in server.metrics.render()
    assert most_unsent < 20 * 200 * 1024, f"{most_unsent / 2**20:.1f} MB held unsent"
    assert server.health()["sessions"] == 20, "their places wait for them to come back"


async def test_the_cap_holds_for_connections_from_the_http_ports_ws_too(start: Start) -> None:
    from server.net.shared_port import PortRouter

    server = await start()
    loop = asyncio.get_running_loop()
    shared = await loop.create_server(
        lambda: PortRouter(asyncio.Protocol, server.new_connection), "127.0.0.1", 0
    )
    client = await RawClient.open(shared.sockets[0].getsockname()[1])
    try:
        await client.hello("Pia")
        conn = newest(server)
        assert conn.transport is not None
        sock = conn.transport.get_extra_info("socket")
        kernel = sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
        assert kernel == 2 * SEND_BUFFER_BYTES  # what was set, doubled (Linux)
    finally:
        client.close()
        shared.close()


# --- interest -----------------------------------------------------------------------------


async def test_a_crowd_standing_near_the_observer_does_not_hide_a_walker(
    start: Start, clients: Any
) -> None:
    server = await start()
    observer = await clients(server)
    await observer.hello("Olga")
    crowd = [await clients(server) for _ in range(40)]
    for number, person in enumerate(crowd):
        await person.hello(f"Idle{number}")
    walker = await clients(server)
    _, joined = await walker.hello("Walt")
    assert len(server.core.sessions) == 42
    stop = asyncio.Event()
    walking = asyncio.create_task(walk(walker, joined["pose"]["pos"], stop))
    # the crowd stands within 1.5 m of the observer; wait until the walker is beyond 3 m
    session = server.core.session_of(newest(server).id)
    assert session is not None and session.instance is not None
    start_x = joined["pose"]["pos"][0]
    while session.instance.poses.pos[session.slot][0] < start_x + 3.0:
        await observer.receive()
    start_tick = server.core.tick_count
    seen, ticks = await count_walker(
        observer, joined["you"], server, lambda: server.core.tick_count > start_tick + 60
    )
    stop.set()
    await walking
    assert seen >= 0.8 * ticks, f"{seen} snapshots with the walker in {ticks} ticks"


# --- broken frames ------------------------------------------------------------------------


async def test_a_text_frame_that_is_not_utf8_closes_with_1007(start: Start, raw: Any) -> None:
    server = await start()
    client = await raw(server)
    await client.hello("Ute")
    await client.send(client_frame(b"\xff\xfe{not text", opcode=OP_TEXT))
    code, seen = await client.closed(5.0)
    assert code == 1007
    assert [m["code"] for m in seen if m["t"] == "error"] == ["bad_frame"]


@pytest.mark.parametrize("parser", ["fast", "library"])
async def test_a_frame_that_lies_about_its_length_times_out_and_closes(
    start: Start, raw: Any, parser: str
) -> None:
    server = await start()
    client = await raw(server)
    await client.hello("Lia")
    conn = newest(server)
    if parser == "library":  # a WebSocket ping hands the connection to the library's parser
        await client.send(client_frame(b"hi", opcode=OP_PING))
        while (await client.frame())[0] != 0xA:
            pass
        assert not conn._fast
    announced = client_frame(msgpack.packb({"t": "ping", "c": 1, "pad": "x" * 90}))
    await client.send(announced[:20])  # the header says about 100 bytes; 14 arrive
    code, seen = await client.closed(FRAME_TIMEOUT_S + 5)
    assert code == protocol.ERRORS["timeout"].close
    (error,) = [m for m in seen if m["t"] == "error"]
    assert error["code"] == "timeout" and "has not ended" in error["message"]
    for _ in range(100):
        if conn.id not in server.connections:
            break
        await asyncio.sleep(0.05)
    assert conn.id not in server.connections
