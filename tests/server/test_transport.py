"""The realtime endpoint over real sockets: handshake, messages both ways, snapshots, bad
input, floods, slow clients, reconnection, capacity under concurrent joins, shutdown, chat
acknowledged only once stored (and an error when the database refuses it)."""

from __future__ import annotations

import asyncio
import math
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import msgpack
import pytest
from realtime_world import box_world
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from server.base.identity import Identity, Role
from server.base.records import ChatRecord
from server.base.settings import Settings
from server.base.tokens import TokenSigner
from server.core.hub import Effects, HubCore
from server.net.metrics import Metrics
from server.net.transport import RealtimeServer, start_realtime
from server.protocol import table as protocol
from server.protocol.table import decode_snapshot, encode_pose
from server.store.sqlite import Store

SIGNER = TokenSigner("another-test-secret-long-enough")


def token(name: str, ttl: int = 600) -> str:
    return SIGNER.issue(
        Identity(f"id-{name}", name, Role.VISITOR, True), ttl_s=ttl, now=time.time()
    )


class Client:
    """A test client speaking the real protocol over a real WebSocket."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.snapshots: list[protocol.Snapshot] = []
        self.control: list[dict[str, Any]] = []

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(msgpack.packb(message))

    async def hello(self, name: str, **fields: Any) -> list[dict[str, Any]]:
        message = {
            "t": "hello",
            "v": protocol.PROTOCOL_VERSION,
            "token": token(name),
            "lang": "en",
            "appearance": {"color": "#00aa55", "shape": "sphere"},
            **fields,
        }
        await self.send(message)
        first = await self.expect("welcome")
        last = await self.expect("joined", "room_full")
        return [first, last]

    async def receive(self, timeout: float = 3.0) -> dict[str, Any] | protocol.Snapshot:
        frame = await asyncio.wait_for(self.ws.recv(), timeout)
        assert isinstance(frame, bytes)
        if frame[0] == protocol.SNAPSHOT_TAG:
            snap = decode_snapshot(frame)
            self.snapshots.append(snap)
            return snap
        message = protocol.decode_server(frame)
        protocol.validate_server(message)
        self.control.append(message)
        return message

    async def expect(self, *kinds: str, timeout: float = 3.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {kinds} within {timeout} s; got {self.control[-5:]}")
            got = await self.receive(left)
            if isinstance(got, dict) and got["t"] in kinds:
                return got

    async def closed(self, timeout: float = 5.0) -> tuple[int | None, str | None, list[dict]]:
        """Read until the server closes; the close code, reason and the messages before."""
        seen: list[dict[str, Any]] = []
        try:
            async with asyncio.timeout(timeout):
                while True:
                    got = await self.receive(timeout)
                    if isinstance(got, dict):
                        seen.append(got)
        except ConnectionClosed as exc:
            close = exc.rcvd
            return (close.code, close.reason, seen) if close else (None, None, seen)


Start = Callable[..., Awaitable[RealtimeServer]]


@pytest.fixture
async def start() -> AsyncIterator[Start]:
    servers: list[RealtimeServer] = []

    async def _start(
        world: Any = None, store: Store | None = None, **overrides: Any
    ) -> RealtimeServer:
        settings = Settings(host="127.0.0.1", ws_port=0, **overrides)
        core = HubCore(world or box_world(), settings, seed=2)
        server = await start_realtime(
            core, settings=settings, signer=SIGNER, store=store, metrics=Metrics()
        )
        servers.append(server)
        return server

    yield _start
    for server in servers:
        await server.close()


@pytest.fixture
async def client_for() -> AsyncIterator[Callable[[RealtimeServer], Awaitable[Client]]]:
    opened: list[ClientConnection] = []

    async def _open(server: RealtimeServer, **kw: Any) -> Client:
        ws = await connect(
            f"ws://127.0.0.1:{server.port}/ws",
            compression=None,
            max_size=None,
            close_timeout=1,
            **kw,
        )
        opened.append(ws)
        return Client(ws)

    yield _open
    await asyncio.gather(*(ws.close() for ws in opened))


async def test_hello_welcome_join_and_ping(start: Start, client_for: Any) -> None:
    server = await start()
    client = await client_for(server)
    welcome, joined = await client.hello("Ada")
    assert welcome["identity"]["name"] == "Ada" and welcome["resumed"] is False
    assert joined["room"] == "foyer"
    await client.send({"t": "ping", "c": 42.5})
    pong = await client.expect("pong")
    assert pong["c"] == 42.5 and abs(pong["s"] - time.time()) < 2
    snap = None
    while snap is None or not snap.full:
        got = await client.receive()
        snap = got if isinstance(got, protocol.Snapshot) else snap
    assert snap.serial == joined["serial"] and snap.entries["net"].tolist() == [joined["you"]]
    health = server.health()
    assert health["listening"] and health["clients"] == 1 and health["sessions"] == 1


async def test_wrong_path_is_refused(start: Start) -> None:
    server = await start()
    with pytest.raises(InvalidStatus) as info:
        await connect(f"ws://127.0.0.1:{server.port}/other")
    assert info.value.response.status_code == 404


async def test_poses_reach_the_others_quantised(start: Start, client_for: Any) -> None:
    server = await start()
    ada, bob = await client_for(server), await client_for(server)
    _, ada_joined = await ada.hello("Ada")
    await bob.hello("Bob")
    x, y, z = ada_joined["pose"]["pos"]
    grid = (await asyncio.sleep(0)) or server.core.grid
    for seq in range(1, 6):
        await ada.ws.send(encode_pose(seq, x + 0.1 * seq, y, z, 0.5, 0.25))
        await asyncio.sleep(0.05)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        got = await bob.receive()
        if isinstance(got, protocol.Snapshot):
            mine = got.entries[got.entries["net"] == ada_joined["you"]]
            if len(mine) and abs(grid.dequantise(mine["x"])[0] - (x + 0.5)) < 0.006:
                assert abs(mine["yaw"][0] * math.pi / 32768 - 0.5) < 1e-3
                assert abs(mine["pitch"][0] * (math.pi / 2) / 127 - 0.25) < 0.01
                break
    else:
        raise AssertionError("Bob never saw Ada's last pose")


async def test_unsupported_version_closes_with_a_reason(start: Start, client_for: Any) -> None:
    server = await start()
    client = await client_for(server)
    await client.send(
        {
            "t": "hello",
            "v": 99,
            "token": token("Ada"),
            "lang": "de",
            "appearance": {"color": "#000000", "shape": "cube"},
        }
    )
    code, reason, seen = await client.closed()
    assert code == 4002 and reason is not None and reason.startswith("version_unsupported")
    assert seen[0]["code"] == "version_unsupported"
    assert "Protokollversion" in seen[0]["message"]


@pytest.mark.parametrize(
    ("tok", "code", "close"), [("nope.nope", "token_invalid", 4003), (None, "token_expired", 4004)]
)
async def test_bad_tokens_close(
    start: Start, client_for: Any, tok: str | None, code: str, close: int
) -> None:
    server = await start()
    client = await client_for(server)
    await client.send(
        {
            "t": "hello",
            "v": 1,
            "token": tok or token("Old", ttl=-10),
            "lang": "en",
            "appearance": {"color": "#000000", "shape": "cube"},
        }
    )
    closed_with, reason, seen = await client.closed()
    assert closed_with == close and seen[0]["code"] == code and reason.startswith(code)  # type: ignore[union-attr]


async def test_messages_before_hello_close(start: Start, client_for: Any) -> None:
    server = await start()
    client = await client_for(server)
    await client.send({"t": "ping", "c": 1})
    code, _, seen = await client.closed()
    assert code == 4001 and seen[0]["code"] == "hello_required"


async def test_bad_input_is_answered_and_the_connection_survives(
    start: Start, client_for: Any
) -> None:
    server = await start()
    client, other = await client_for(server), await client_for(server)
    await client.hello("Ada")
    await other.hello("Bob")
    cases = [
        (b"\xc1\xc1\xc1", "bad_frame"),
        (msgpack.packb([1, 2]), "bad_frame"),
        (msgpack.packb({"t": "fly"}), "unknown_type"),
        (msgpack.packb({"t": "chat", "text": 7}), "bad_field"),
        (msgpack.packb({"t": "ping", "c": float("nan")}), "bad_field"),
        (msgpack.packb({"t": "ping", "c": float("inf")}), "bad_field"),
        (b"P\x00", "bad_frame"),
        ("a text frame", "bad_frame"),
    ]
    for frame, code in cases:
        await client.ws.send(frame)
        error = await client.expect("error")
        assert error["code"] == code
    await client.ws.send(encode_pose(1, float("nan"), 0, 0, 0, 0))
    assert (await client.expect("error"))["code"] == "bad_pose"
    await client.send({"t": "ping", "c": 1})
    assert (await client.expect("pong"))["c"] == 1
    await other.send({"t": "ping", "c": 2})
    assert (await other.expect("pong"))["c"] == 2
    text = server.metrics.render()
    assert 'hubtwin_errors_total{code="bad_frame"} 4.0' in text
    assert 'hubtwin_errors_total{code="bad_pose"} 1.0' in text


async def test_oversized_frames_close_with_1009(start: Start, client_for: Any) -> None:
    server = await start(max_frame_bytes=1024)
    client, other = await client_for(server), await client_for(server)
    await client.hello("Ada")
    await other.hello("Bob")
    await client.ws.send(msgpack.packb({"t": "chat", "text": "x" * 2000}))
    code, _, seen = await client.closed()
    assert code == 1009 and seen[-1]["code"] == "frame_too_large"
    await other.send({"t": "ping", "c": 3})
    assert (await other.expect("pong"))["c"] == 3


async def test_flooding_closes_only_the_flooder(start: Start, client_for: Any) -> None:
    server = await start(max_messages_per_s=20.0)
    flooder, other = await client_for(server), await client_for(server)
    await flooder.hello("Flo")
    await other.hello("Bob")
    for _ in range(200):
        await flooder.ws.send(msgpack.packb({"t": "ping", "c": 0}))
    code, reason, seen = await flooder.closed()
    assert code == 4005 and reason.startswith("flooding")  # type: ignore[union-attr]
    assert [m["code"] for m in seen if m["t"] == "error"] == ["rate_limited", "flooding"]
    await other.send({"t": "ping", "c": 4})
    assert (await other.expect("pong"))["c"] == 4


async def test_a_pose_flood_is_limited_and_closed_like_any_other(
    start: Start, client_for: Any
) -> None:
    """Poses take a short way to the core; the rate limit still counts every one."""
    server = await start(max_messages_per_s=20.0)
    flooder, other = await client_for(server), await client_for(server)
    await flooder.hello("Flo")
    await other.hello("Bob")
    for seq in range(200):
        await flooder.ws.send(encode_pose(seq, 5.0, 0.0, 5.0, 0.0, 0.0))
    code, reason, seen = await flooder.closed()
    assert code == 4005 and reason.startswith("flooding")  # type: ignore[union-attr]
    assert [m["code"] for m in seen if m["t"] == "error"] == ["rate_limited", "flooding"]
    assert 0 < server.poses_in < 100  # about the burst (40), not all 200
    await other.send({"t": "ping", "c": 4})
    assert (await other.expect("pong"))["c"] == 4


async def test_hundred_concurrent_joins_into_24_places(start: Start, client_for: Any) -> None:
    server = await start()
    clients = await asyncio.gather(*(client_for(server) for _ in range(100)))
    results = await asyncio.gather(
        *(c.hello(f"p{i}", room="workshop") for i, c in enumerate(clients))
    )
    outcomes = [last["t"] for _, last in results]
    assert outcomes.count("joined") == 24 and outcomes.count("room_full") == 76
    assert server.core.instances["workshop"][0].occupancy == 24
    offer = next(last for _, last in results if last["t"] == "room_full")
    assert offer["suggested"] == 1


async def test_chat_reaches_the_room_and_is_stored(
    start: Start, client_for: Any, tmp_path: Path
) -> None:
    store = await Store.open(tmp_path / "hub.sqlite3")
    try:
        server = await start(store=store)
        ada, bob = await client_for(server), await client_for(server)
        await ada.hello("Ada")
        await bob.hello("Bob")
        await ada.send({"t": "chat", "text": "Hallo <i>Bob</i>"})
        line = await bob.expect("chat")
        assert line["text"] == "Hallo <i>Bob</i>" and line["name"] == "Ada"
        for _ in range(100):
            if await store.recent_chat("foyer", 0, 10):
                break
            await asyncio.sleep(0.02)
        (stored,) = await store.recent_chat("foyer", 0, 10)
        assert isinstance(stored, ChatRecord) and stored.sender_id == "id-Ada"
        again = await start(store=store)
        late = await client_for(again)
        _, joined = await late.hello("Cleo")
        assert [m["text"] for m in joined["chat"]] == ["Hallo <i>Bob</i>"]
    finally:
        await store.close()


async def test_reconnection_keeps_the_place(start: Start, client_for: Any) -> None:
    server = await start(reconnect_grace_s=10.0)
    ada, bob = await client_for(server), await client_for(server)
    welcome, joined = await ada.hello("Ada")
    await bob.hello("Bob")
    ada.ws.transport.abort()
    away = await bob.expect("presence_update")
    assert away["away"] is True and away["net"] == joined["you"]
    back = await client_for(server)
    welcome2, joined2 = await back.hello("Ada", resume=welcome["resume"])
    assert welcome2["resumed"] is True and welcome2["session"] == welcome["session"]
    assert joined2["via"] == "resume" and joined2["you"] == joined["you"]
    assert (await bob.expect("presence_update"))["away"] is False
    assert not [m for m in bob.control if m["t"] in ("presence_leave", "presence_join")]


async def test_a_client_that_stops_reading_is_closed_without_hurting_others(
    start: Start, client_for: Any
) -> None:
    server = await start(slow_client_limit_s=1.0)
    slow = await client_for(server, max_queue=1)
    other = await client_for(server)
    await slow.hello("Slo")
    await other.hello("Bob")
    slow_id = next(c for c in server.connections.values() if c.welcomed).id
    line = {
        "id": "0" * 32,
        "room": "foyer",
        "instance": 0,
        "from": None,
        "name": "X",
        "text": "ä" * 2000,
        "to": None,
        "ts": 0.0,
    }
    bulky = protocol.encode("chat", **line)
    started = time.monotonic()
    replies = 0
    while time.monotonic() - started < 8 and slow_id in server.connections:
        server.apply(Effects(sends=[(bulky, [slow_id])] * 20))
        await asyncio.sleep(0.02)
        await other.send({"t": "ping", "c": replies})
        assert (await other.expect("pong", timeout=2.0))["c"] == replies
        replies += 1
        if 'code="too_slow"' in server.metrics.render():
            break
    assert 'hubtwin_errors_total{code="too_slow"} 1.0' in server.metrics.render()
    for _ in range(100):
        if len(server.connections) == 1:
            break
        await asyncio.sleep(0.05)
    assert len(server.connections) == 1


async def test_shutdown_tells_clients(start: Start, client_for: Any) -> None:
    server = await start()
    client = await client_for(server)
    await client.hello("Ada")
    closing = asyncio.create_task(client.closed())
    await server.close()
    code, _, seen = await closing
    assert code == 1001 and seen[-1]["code"] == "server_closing"


async def test_metrics_count_traffic(start: Start, client_for: Any) -> None:
    server = await start()
    client = await client_for(server)
    await client.hello("Ada")
    await client.send({"t": "ping", "c": 1})
    await client.expect("pong")
    wanted = (
        'hubtwin_messages_received_total{type="hello"} 1.0',
        'hubtwin_messages_received_total{type="ping"} 1.0',
        'hubtwin_room_occupancy{instance="0",room="foyer"} 1.0',
        'hubtwin_sessions{state="connected"} 1.0',
        "hubtwin_ws_connections 1.0",
        'hubtwin_messages_sent_total{kind="snapshot"}',
        "hubtwin_tick_duration_seconds_count",
    )
    deadline = time.monotonic() + 10
    while True:  # the gauges are set by the tick: wait for the next ones
        text = server.metrics.render()
        missing = [line for line in wanted if line not in text]
        if not missing and server.health()["tick_hz"] > 0:  # (a rate needs two ticks)
            break
        assert time.monotonic() < deadline, f"not in /metrics: {missing}"
        await asyncio.sleep(0.05)


class _Transport(asyncio.Transport):
    """Records writes; the test plays the kernel by calling pause/resume_writing."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.eof = False
        self.aborted = False
        #: what the test says the transport holds unsent
        self.buffered = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self.eof:
            raise RuntimeError("Cannot call write() after write_eof()")
        self.written.append(bytes(data))

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self.eof = True

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return self.buffered

    def abort(self) -> None:
        self.aborted = True


def _snapshot(full: bool, tag: int) -> bytes:
    flags = protocol.SNAPSHOT_FULL if full else 0
    return protocol.SNAPSHOT_HEADER.pack(protocol.SNAPSHOT_TAG, flags, 1, tag, 0.0)


async def test_a_connection_behind_keeps_only_the_newest_snapshot() -> None:
    from server.net.transport import WsConnection

    settings = Settings()
    server = RealtimeServer(
        HubCore(box_world(), settings),
        settings=settings,
        signer=SIGNER,
        store=None,
        metrics=Metrics(),
    )
    conn = WsConnection(server, 1)
    transport = _Transport()
    conn.connection_made(transport)
    conn.open = True

    def payloads() -> list[bytes]:
        out = [frame[2:] for frame in transport.written]
        transport.written.clear()
        return out

    conn.send_snapshot(_snapshot(False, 1))
    assert payloads() == [_snapshot(False, 1)] and not conn.behind
    conn.pause_writing()
    assert conn.behind
    conn.send_snapshot(_snapshot(False, 2))
    conn.send_snapshot(_snapshot(False, 3))
    assert payloads() == [] and conn.pending == _snapshot(False, 3) and conn.needs_full
    conn.send_snapshot(_snapshot(True, 4))
    assert conn.pending == _snapshot(True, 4) and not conn.needs_full
    conn.send_control(b"\x81\xa1t\xa4pong")
    assert payloads() == [b"\x81\xa1t\xa4pong"] and conn.pending is None and conn.needs_full
    conn.send_snapshot(_snapshot(True, 5))
    conn.resume_writing()
    assert payloads() == [_snapshot(True, 5)] and not conn.behind
    assert "hubtwin_snapshots_replaced_total 3.0" in server.metrics.render()


async def test_behind_counts_from_the_first_snapshot_held_and_too_much_unsent_closes() -> None:
    from server.net.transport import UNSENT_MAX_BYTES, WsConnection

    settings = Settings()
    server = RealtimeServer(
        HubCore(box_world(), settings),
        settings=settings,
        signer=SIGNER,
        store=None,
        metrics=Metrics(),
    )
    conn = WsConnection(server, 1)
    transport = _Transport()
    conn.connection_made(transport)
    conn.ws.state = conn.ws.state.OPEN
    conn.open = True
    conn.pause_writing()
    assert conn.behind_since is None  # nothing was held back yet
    conn.send_snapshot(_snapshot(False, 1))
    held_since = conn.behind_since
    assert held_since is not None
    conn.send_snapshot(_snapshot(False, 2))
    assert conn.behind_since == held_since
    assert conn.send_control(b"\x81\xa1t\xa4pong") and conn.open
    transport.buffered = UNSENT_MAX_BYTES + 1
    transport.written.clear()
    assert not conn.send_control(b"\x81\xa1t\xa4pong")
    assert not conn.open and 'hubtwin_errors_total{code="too_slow"} 1.0' in server.metrics.render()
    assert [frame[0] for frame in transport.written] == [0x88]  # only the close frame
    assert int.from_bytes(transport.written[0][2:4], "big") == 4006


async def test_fragmented_messages_are_put_together(start: Start, client_for: Any) -> None:
    server = await start()
    client = await client_for(server)
    await client.hello("Ada")
    frame = msgpack.packb({"t": "ping", "c": 77})
    await client.ws.send([frame[:3], frame[3:6], frame[6:]])
    assert (await client.expect("pong"))["c"] == 77


def test_the_same_conversation_under_uvloop() -> None:
    import uvloop

    async def conversation() -> None:
        settings = Settings(host="127.0.0.1", ws_port=0)
        core = HubCore(box_world(), settings, seed=4)
        server = await start_realtime(
            core, settings=settings, signer=SIGNER, store=None, metrics=Metrics()
        )
        try:
            ws = await connect(f"ws://127.0.0.1:{server.port}/ws", close_timeout=1)
            client = Client(ws)
            _, joined = await client.hello("Ada")
            assert joined["t"] == "joined"
            await client.ws.send(encode_pose(1, *joined["pose"]["pos"], 0.0, 0.0))
            await client.send({"t": "ping", "c": 5})
            assert (await client.expect("pong"))["c"] == 5
            while not client.snapshots:
                await client.receive()
            await ws.close()
        finally:
            await server.close()

    uvloop.run(conversation())


async def test_writes_after_the_peer_left_are_dropped_quietly() -> None:
    from server.net.transport import WsConnection

    settings = Settings()
    core = HubCore(box_world(), settings)
    server = RealtimeServer(core, settings=settings, signer=SIGNER, store=None, metrics=Metrics())
    conn = WsConnection(server, 1)
    transport = _Transport()
    conn.connection_made(transport)
    conn.ws.state = conn.ws.state.OPEN
    conn.open = True
    conn.eof_received()
    assert transport.eof and not conn.open
    conn.send_snapshot(_snapshot(True, 1))
    conn.send_control(b"\x81\xa1t\xa4pong")
    conn.open = True  # a write racing the close: the transport refuses, the connection gives up
    conn.send_control(b"\x81\xa1t\xa4pong")
    assert transport.aborted and not conn.open


async def test_every_acknowledged_message_is_already_in_the_database(
    start: Start, client_for: Any, tmp_path: Path
) -> None:
    store = await Store.open(tmp_path / "hub.sqlite3")
    try:
        server = await start(store=store)
        people = [await client_for(server) for _ in range(6)]
        for n, person in enumerate(people):
            await person.hello(f"p{n}")
        for n, person in enumerate(people):
            for k in range(5):
                await person.send({"t": "chat", "text": f"p{n} sagt {k}"})
        for person in people:
            me = person.control[0]["session"]
            for _ in range(5):
                ack = await person.expect("chat")
                while ack["from"] != me:
                    ack = await person.expect("chat")
                # read at once, no waiting: what was acknowledged is committed
                stored = {r.id for r in await store.recent_chat("foyer", 0, -1)}
                assert ack["id"] in stored, ack
        assert server.chat_writer.committed == 30 and server.chat_writer.batches < 30
    finally:
        await store.close()


async def test_a_message_the_database_refuses_is_an_error_for_its_sender_only(
    start: Start, client_for: Any, tmp_path: Path
) -> None:
    path = tmp_path / "hub.sqlite3"
    store = await Store.open(path)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        server = await start(store=store)
        ada, bob = await client_for(server), await client_for(server)
        await ada.hello("Ada")
        await bob.hello("Bob")
        other.execute(
            "CREATE TRIGGER refuse_chat BEFORE INSERT ON chat_messages"
            " BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        )
        await ada.send({"t": "chat", "text": "Geht das?"})
        error = await ada.expect("error", "chat")
        assert error["t"] == "error" and error["code"] == "chat_not_stored"
        assert error["about"] == "chat" and "Geht das?" in error["message"]
        assert server.chat_writer.failed == 1
        other.execute("DROP TRIGGER refuse_chat")
        await ada.send({"t": "chat", "text": "Und jetzt?"})
        ack = await ada.expect("chat")
        # Bob's first chat message is the second one: the refused one never went out
        first = await bob.expect("chat")
        assert ack["text"] == first["text"] == "Und jetzt?"
        assert [r.text for r in await store.recent_chat("foyer", 0, -1)] == ["Und jetzt?"]
        late = await client_for(server)
        _, joined = await late.hello("Cleo")
        assert [m["text"] for m in joined["chat"]] == ["Und jetzt?"]
    finally:
        other.close()
        await store.close()
