"""The server's own Python work per tick, without the kernel: N walking avatars in the hall.

The realtime benchmark (``bench.realtime``) measures the whole server on a shared machine,
where other people's processes and the kernel's socket work blur small differences. This
one runs the same code on stand-in sockets that only count bytes, and times it in CPU time
of this process (``time.process_time``), which other processes cannot inflate. Every pose
frame goes through ``WsConnection.data_received`` (frame parsing, edge, core), every tick
through ``RealtimeServer._tick`` (poses checked against the world, nearest avatars,
snapshots packed, frames handed to the connections). What is left out is what the kernel
does with the bytes. So a change to ``server/net/transport.py``, ``sync.py`` or ``hub.py`` can
be judged in seconds:

    .venv/bin/python -m bench.tick                        # 50 … 800 in the benchmark hall
    .venv/bin/python -m bench.tick --sizes 400 --profile  # where the time goes (cProfile)
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

import msgpack
import numpy as np

from bench.realtime import HALL_SITE
from bench.walker import Path as WalkPath
from bench.walker import plan_paths
from bench.wsclient import client_frame
from server.base.identity import Identity, Role
from server.base.settings import Settings
from server.base.tokens import TokenSigner
from server.core.hub import HubCore
from server.net.metrics import Metrics
from server.net.transport import RealtimeServer, WsConnection
from server.protocol.table import PROTOCOL_VERSION, encode_pose
from world.builder import build_world
from world.model import World, load
from world.site import DEFAULT_SITE, load_site

TICK_S = 0.05
WARM_TICKS = 20


class CountingTransport(asyncio.Transport):
    """A socket that takes every write at once and only counts it."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0
        self.bytes = 0
        self.last = b""

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes += 1
        self.bytes += len(data)
        self.last = data  # type: ignore[assignment]

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        pass

    def is_closing(self) -> bool:
        return False

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        pass

    def abort(self) -> None:
        pass


def site_world(site: Path, data_dir: Path) -> World:
    """The site's hub model, built into ``data_dir`` (or found there already built)."""
    target = data_dir / site.name / "world" / "hub.glb"
    build_world(load_site(site), target, quiet=True)
    return load(target)


def hall_world(data_dir: Path) -> World:
    return site_world(HALL_SITE, data_dir)


def _connect(server: RealtimeServer, conn_id: int, token: str, room: str) -> CountingTransport:
    """A connection through handshake and hello into ``room``, or the overflow instance
    the server suggests when it is full."""
    conn = WsConnection(server, conn_id)
    server._next_id = conn_id + 1
    transport = CountingTransport()
    conn.connection_made(transport)
    key = base64.b64encode(os.urandom(16))
    conn.data_received(
        b"GET /ws HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    hello = {
        "t": "hello",
        "v": PROTOCOL_VERSION,
        "token": token,
        "lang": "de",
        "appearance": {"color": "#336699", "shape": "capsule"},
        "room": room,
    }
    conn.data_received(client_frame(msgpack.packb(hello)))
    last = transport.last
    head = {126: 4, 127: 10}.get(last[1], 2)
    message = msgpack.unpackb(last[head:])
    if message.get("t") == "room_full":
        go = {"t": "go", "room": room, "instance": message["suggested"]}
        conn.data_received(client_frame(msgpack.packb(go)))
    return transport


async def measure(
    world: World, count: int, ticks: int, profile: bool, *, spread: bool = False
) -> dict[str, float]:
    """Join ``count`` clients (all in the first room, or ``spread`` over all rooms in turn),
    walk them for ``ticks`` ticks; time receiving and ticking."""
    settings = Settings()
    signer = TokenSigner("bench-tick-secret-long-enough")
    core = HubCore(world, settings, seed=1)
    server = RealtimeServer(core, settings=settings, signer=signer, store=None, metrics=Metrics())
    transports = []
    now = time.time()
    for conn_id in range(1, count + 1):
        identity = Identity(f"g-{conn_id}", f"Last {conn_id}", Role.VISITOR, True)
        token = signer.issue(identity, ttl_s=3600, now=now)
        room = world.rooms[conn_id % len(world.rooms)].id if spread else world.rooms[0].id
        transports.append(_connect(server, conn_id, token, room))
    starts = []
    room_of = []
    for conn_id in range(1, count + 1):
        session = core.session_of(conn_id)
        assert session is not None and session.instance is not None
        starts.append(session.instance.poses.pose_of(session.slot)[0])
        room_of.append(session.instance.room_index)
    start = np.array(starts, dtype=np.float64)
    start[:, 1] = world.floor_height(start)
    rooms = np.array(room_of, dtype=np.intp)
    paths: list[WalkPath] = plan_paths(world, start, rooms, np.random.default_rng(1))
    connections = [server.connections[conn_id] for conn_id in range(1, count + 1)]
    receive_s: list[float] = []
    tick_s: list[float] = []
    profiler = cProfile.Profile(time.process_time) if profile else None
    written_before = 0
    for tick in range(ticks + WARM_TICKS):
        t = tick * TICK_S
        frames = []
        for path in paths:
            x, y, z, yaw = path.at(t)
            frames.append(client_frame(encode_pose(tick + 1, x, y, z, yaw, 0.0)))
        measuring = tick >= WARM_TICKS
        if tick == WARM_TICKS:
            written_before = sum(tr.bytes for tr in transports)
        if measuring and profiler is not None:
            profiler.enable()
        started = time.process_time()
        for conn, frame in zip(connections, frames, strict=True):
            conn.data_received(frame)
        received = time.process_time()
        server._tick()
        ticked = time.process_time()
        if measuring and profiler is not None:
            profiler.disable()
        if measuring:
            receive_s.append(received - started)
            tick_s.append(ticked - received)
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(22)
        sys.stderr.write(f"--- {count} avatars ---\n{out.getvalue()}")
    rx = np.array(receive_s) * 1000
    tx = np.array(tick_s) * 1000
    down = (sum(tr.bytes for tr in transports) - written_before) / (ticks * TICK_S) / count
    return {
        "instances": sum(1 for by in core.instances.values() for i in by.values() if i.members),
        "receive_us_per_pose": float(np.median(rx)) * 1000 / count,
        "tick_ms_p50": float(np.median(tx)),
        "tick_ms_p99": float(np.percentile(tx, 99)),
        "core_pct": float(rx.mean() + tx.mean()) / (TICK_S * 1000) * 100,
        "down_kBps": down / 1024,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tick", description=__doc__)
    parser.add_argument("--sizes", default="50,100,200,400,800")
    parser.add_argument("--ticks", type=int, default=100)
    parser.add_argument(
        "--spread",
        type=int,
        default=1000,
        help="avatars over all rooms of the Dortmund hub (0: skip)",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile, to stderr")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        hall = hall_world(Path(tmp))
        hub = site_world(DEFAULT_SITE, Path(tmp)) if args.spread else None
    sys.stdout.write(
        "| scenario | N | instances | receive µs per pose | tick ms p50 | tick ms p99 "
        "| Python work, % of a core at 20 Hz | down KB/s per client |\n"
        "|---|---|---|---|---|---|---|---|\n"
    )
    runs: list[tuple[str, World, int, bool]] = [
        ("one room", hall, int(v), False) for v in args.sizes.split(",") if v.strip()
    ]
    if hub is not None:
        runs.append(("all rooms", hub, args.spread, True))
    for name, world, count, spread in runs:
        r = asyncio.run(measure(world, count, args.ticks, args.profile, spread=spread))
        sys.stdout.write(
            f"| {name} | {count} | {r['instances']:.0f} | {r['receive_us_per_pose']:.1f} "
            f"| {r['tick_ms_p50']:.2f} | {r['tick_ms_p99']:.2f} | {r['core_pct']:.1f} "
            f"| {r['down_kBps']:.1f} |\n"
        )
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
