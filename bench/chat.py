"""The chat benchmark: how fast chat is stored and acknowledged, and what it costs the tick.

It starts the real server (``hubtwin serve`` on the benchmark hall, pinned to one core; its
own SQLite file, or with ``--redis`` a private redis-server that writes an append-only
file every second, as docs/scale-out.md asks of a production Redis) and the realtime load
generator (``bench.loadgen``, on the other core) with ``--walkers`` avatars walking in the
hall. This process, on the load generator's core, adds ``--chatters`` people in the
entrance room (and its overflow instances, so their messages are not fanned out to the
walkers and no snapshots of the hall reach them), in pairs, sending each other direct
messages: a direct message goes to two people only, so what is measured is the way to the
store and back, not the fan-out of a room. Three windows:

``quiet``   the walkers only: the server's tick time.
``steady``  every chatter sends one message a second (the chat rate limit), spread evenly.
``burst``   every chatter sends its whole chat burst at once (``CHAT_BURST`` messages).

For each: messages committed per second (counted in the database), the acknowledgement
latency p50 / p99 (from sending a message to receiving its own copy back, the sender's
acknowledgement), messages refused (``chat_not_stored``) and the server's mean tick time
(from its metrics). Then the machine. It never asserts a time: it reports.

On a shared machine the windows' times move with other people's load. ``--cpu`` runs the
chat path alone in this process instead, on stand-in sockets that only count bytes (as
``bench.tick`` does) and a real store (SQLite in a temporary folder, or ``--redis``): the
chatters' whole bursts are handed to the connections at once, and it reports CPU time per
message (this process and its store thread, ``time.process_time``, which other processes
cannot inflate), the wall time until every message is committed and acknowledged, and how
many commits that took.

    .venv/bin/python -m bench.chat                      # SQLite, 400 walkers, 200 chatters
    .venv/bin/python -m bench.chat --redis
    .venv/bin/python -m bench.chat --walkers 0 --chatters 400 --window 5
    .venv/bin/python -m bench.chat --cpu --chatters 1000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgpack
import numpy as np

from bench import machine
from bench.loadgen import ws_endpoint
from bench.realtime import (
    FOREIGN_MAX,
    HALL_ROOM,
    HALL_SITE,
    READY_TIMEOUT_S,
    LoadGenerator,
    Scenario,
    Server,
    fmt,
    machine_text,
    server_and_load_cores,
    server_metrics,
)
from bench.tick import _connect, hall_world
from bench.wsclient import WsClient, client_frame
from server.base.identity import Identity, Role
from server.base.redis_names import RedisNames
from server.base.settings import Settings
from server.base.tokens import TokenSigner
from server.core.hub import HubCore
from server.net.metrics import Metrics
from server.net.transport import RealtimeServer
from server.protocol.table import CHAT_BURST, CHAT_PER_S, PROTOCOL_VERSION, SNAPSHOT_TAG
from server.store.redis import RedisStore
from server.store.sqlite import Store
from world.errors import UsageError
from world.site import PROJECT_ROOT

SECRET = "chat-benchmark-secret-0123456789abcdef"
ENTRANCE = "entrance"
JOIN_TIMEOUT_S = 60.0
#: After the window, how long acknowledgements still on their way are waited for.
SETTLE_S = 10.0


@dataclass
class Chatter:
    """One person chatting: a connection, a partner, and the messages on their way."""

    index: int
    ws: WsClient | None = None
    session: str = ""
    partner: Chatter | None = None
    joined: asyncio.Future[None] | None = None
    sent: dict[str, float] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    refused: int = 0
    count: int = 0

    def received(self, payload: bytes) -> None:
        if not payload or payload[0] == SNAPSHOT_TAG:
            return
        message = msgpack.unpackb(payload)
        kind = message.get("t")
        if kind == "welcome":
            self.session = message["session"]
        elif kind == "joined" and self.joined is not None and not self.joined.done():
            self.joined.set_result(None)
        elif kind == "room_full" and self.ws is not None:
            self.ws.send(
                msgpack.packb(
                    {"t": "go", "room": message["room"], "instance": message["suggested"]}
                )
            )
        elif kind == "chat" and message.get("from") == self.session:
            started = self.sent.pop(message["text"], None)
            if started is not None:
                self.latencies.append(time.monotonic() - started)
        elif kind == "error" and message.get("about") == "chat":
            self.refused += 1

    def say(self) -> None:
        assert self.ws is not None and self.partner is not None
        self.count += 1
        text = f"{self.index}-{self.count}"
        self.sent[text] = time.monotonic()
        self.ws.send(msgpack.packb({"t": "chat", "text": text, "to": self.partner.session}))


async def connect(chatters: list[Chatter], ws_url: str) -> None:
    """Everyone in the entrance (overflow instances when it is full), paired up."""
    loop = asyncio.get_running_loop()
    host, port, path = ws_endpoint(ws_url)
    signer = TokenSigner(SECRET)

    async def one(chatter: Chatter) -> None:
        ws = WsClient(host, port, path, on_message=lambda payload, _: chatter.received(payload))
        chatter.ws, chatter.joined = ws, loop.create_future()
        await loop.create_connection(lambda: ws, host, port)
        await asyncio.wait_for(ws.opened, JOIN_TIMEOUT_S)
        who = Identity(f"chatter-{chatter.index}", f"Chat {chatter.index}", Role.VISITOR, True)
        hello = {
            "t": "hello",
            "v": PROTOCOL_VERSION,
            "token": signer.issue(who, ttl_s=3600, now=time.time()),
            "lang": "de",
            "appearance": {"color": "#336699", "shape": "capsule"},
            "room": ENTRANCE,
        }
        ws.send(msgpack.packb(hello))
        await asyncio.wait_for(chatter.joined, JOIN_TIMEOUT_S)

    for start in range(0, len(chatters), 50):
        await asyncio.gather(*(one(c) for c in chatters[start : start + 50]))
    for a, b in zip(chatters[0::2], chatters[1::2], strict=False):
        a.partner, b.partner = b, a
    if len(chatters) % 2:
        chatters[-1].partner = chatters[-1]


class Committed:
    """Chat messages in the server's database."""

    def __init__(self, data_dir: Path, redis_url: str | None) -> None:
        self.path = data_dir / "hub.sqlite3"
        self.redis_url = redis_url
        self.key = RedisNames(HALL_SITE.name).store("chat-all")

    def count(self) -> int:
        if self.redis_url is None:
            with contextlib.closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)) as db:
                return int(db.execute("SELECT count(*) FROM chat_messages").fetchone()[0])
        host, port = self.redis_url.removeprefix("redis://").split("/")[0].split(":")
        with socket.create_connection((host, int(port)), 5) as conn:
            key = self.key.encode()
            conn.sendall(b"*2\r\n$5\r\nZCARD\r\n$%d\r\n%s\r\n" % (len(key), key))
            reply = conn.recv(64)
        return int(reply[1:].split(b"\r\n")[0])


@dataclass
class Window:
    name: str
    seconds: float
    sent: int
    committed: int
    acked: int
    refused: int
    latencies: list[float]
    tick_ms: float
    cpu: dict[str, float]

    def row(self) -> dict[str, Any]:
        lat = np.array(self.latencies) * 1000 if self.latencies else None
        return {
            "window": self.name,
            "sent": self.sent,
            "committed_per_s": self.committed / self.seconds,
            "acked": self.acked,
            "refused": self.refused,
            "ack_ms_p50": float(np.percentile(lat, 50)) if lat is not None else None,
            "ack_ms_p99": float(np.percentile(lat, 99)) if lat is not None else None,
            "ack_ms_max": float(lat.max()) if lat is not None else None,
            "tick_ms": self.tick_ms,
            "server_cpu_pct": self.cpu["server"],
            "foreign_cpu_pct": self.cpu["foreign"],
        }


async def measure(
    name: str,
    chatters: list[Chatter],
    server: Server,
    committed: Committed,
    seconds: float,
    send: str,
    pids: dict[str, int],
) -> Window:
    for chatter in chatters:
        chatter.latencies, chatter.refused, chatter.sent = [], 0, {}
    meter = machine.Meter(pids)
    before, stored_before = server_metrics(server.http_port), committed.count()
    meter.start()
    started = time.monotonic()
    sent = 0
    if send == "burst":
        for _ in range(CHAT_BURST):
            for chatter in chatters:
                chatter.say()
                sent += 1
        await asyncio.sleep(seconds)
    elif send == "steady":
        # one message a second per chatter, spread evenly; the first second of tokens is
        # left alone so the rate limit never refuses one
        interval = 1.0 / (CHAT_PER_S * 0.98 * len(chatters))
        due = started
        turn = 0
        while time.monotonic() - started < seconds:
            now = time.monotonic()
            while due <= now:
                chatters[turn % len(chatters)].say()
                turn += 1
                sent += 1
                due += interval
            await asyncio.sleep(max(0.0, due - time.monotonic()))
    else:
        await asyncio.sleep(seconds)
    elapsed = time.monotonic() - started
    cpu = meter.stop()
    after = server_metrics(server.http_port)
    deadline = time.monotonic() + SETTLE_S
    while any(c.sent for c in chatters) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    stored_after = committed.count()
    ticks = after["ticks"] - before["ticks"]
    return Window(
        name,
        elapsed,
        sent,
        stored_after - stored_before,
        sum(len(c.latencies) for c in chatters),
        sum(c.refused for c in chatters),
        [x for c in chatters for x in c.latencies],
        1000 * (after["tick_s"] - before["tick_s"]) / ticks if ticks else 0.0,
        cpu,
    )


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A private redis-server that keeps an append-only file, fsynced every second."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise UsageError("redis-server is not installed: scripts/setup.sh --test installs it")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir"]
    command += [str(folder), "--appendonly", "yes", "--appendfsync", "everysec"]
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5) as s:
            s.sendall(b"PING\r\n")
            if s.recv(16).startswith(b"+PONG"):
                return process, f"redis://127.0.0.1:{port}/0"
        time.sleep(0.05)
    process.kill()
    raise UsageError("redis-server did not start")


def table(windows: list[Window]) -> str:
    lines = [
        "| window | messages sent | committed per s | acknowledged | refused"
        " | ack ms p50 / p99 / max | tick ms | server CPU % | foreign CPU % |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for w in windows:
        r = w.row()
        foreign = f"{w.cpu['foreign']:.0f}" + (" ⚠" if w.cpu["foreign"] > FOREIGN_MAX else "")
        latency = " / ".join(fmt(r[f"ack_ms_{q}"], 2) for q in ("p50", "p99", "max"))
        lines.append(
            f"| {w.name} | {w.sent} | {r['committed_per_s']:.0f} | {w.acked} | {w.refused}"
            f" | {latency} | {w.tick_ms:.2f} | {w.cpu['server']:.1f} | {foreign} |"
        )
    return "\n".join(lines)


async def chat_windows(
    args: argparse.Namespace, server: Server, committed: Committed, pids: dict[str, int]
) -> list[Window]:
    chatters = [Chatter(i) for i in range(args.chatters)]
    await connect(chatters, server.ws_url)
    await asyncio.sleep(args.warmup)
    windows = []
    for name in ("quiet", "steady", "burst"):
        if name == "burst":  # the rate limit's burst refills at one message a second
            await asyncio.sleep(CHAT_BURST / CHAT_PER_S + 1)
        window = await measure(name, chatters, server, committed, args.window, name, pids)
        windows.append(window)
    for chatter in chatters:
        if chatter.ws is not None:
            chatter.ws.close()
    return windows


async def cpu_rounds(args: argparse.Namespace, folder: Path, redis_url: str | None) -> str:
    """The chat path alone on stand-in sockets (``--cpu``): a table row per round."""
    world = hall_world(folder)
    settings = Settings()
    signer = TokenSigner(SECRET)
    store: Any = (
        await RedisStore.connect(redis_url, site="chat-bench")
        if redis_url is not None
        else await Store.open(folder / "hub.sqlite3")
    )
    core = HubCore(world, settings, seed=1)
    server = RealtimeServer(core, settings=settings, signer=signer, store=store, metrics=Metrics())
    writer = asyncio.create_task(server.chat_writer.run())
    count = args.chatters + args.chatters % 2
    transports = []
    for conn_id in range(1, count + 1):
        who = Identity(f"c-{conn_id}", f"Chat {conn_id}", Role.VISITOR, True)
        token = signer.issue(who, ttl_s=3600, now=time.time())
        transports.append(_connect(server, conn_id, token, HALL_ROOM))
    sessions = [core.session_of(conn_id) for conn_id in range(1, count + 1)]
    partners = [
        s.id for pair in zip(sessions[1::2], sessions[0::2], strict=True) for s in pair if s
    ]
    rows = []
    try:
        for round_number in range(args.rounds):
            if round_number:  # the rate limit's burst refills at one message a second
                await asyncio.sleep(CHAT_BURST / CHAT_PER_S + 0.5)
            frames = [
                [
                    client_frame(msgpack.packb({"t": "chat", "text": f"{n}-{k}", "to": to}))
                    for n, to in enumerate(partners)
                ]
                for k in range(CHAT_BURST)
            ]
            batches, written = server.chat_writer.batches, sum(t.writes for t in transports)
            wall, cpu = time.perf_counter(), time.process_time()
            for burst in frames:
                for conn_id, frame in enumerate(burst, start=1):
                    server.connections[conn_id].data_received(frame)
            await server.chat_writer.drain()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            messages = count * CHAT_BURST
            acks = sum(t.writes for t in transports) - written
            commits = server.chat_writer.batches - batches
            rows.append(
                f"| {messages} | {cpu / messages * 1e6:.1f} | {wall * 1000:.1f}"
                f" | {messages / wall:.0f} | {commits} | {acks} |"
            )
    finally:
        writer.cancel()
        await store.close()
    head = (
        "| messages at once | CPU µs per message | all committed and acknowledged after ms"
        " | committed per s | commits | frames written |\n|---|---|---|---|---|---|\n"
    )
    return head + "\n".join(rows)


def run_cpu(args: argparse.Namespace) -> int:
    info = machine.describe()
    folder = Path(tempfile.mkdtemp(prefix="hubtwin-chat-cpu-"))
    redis: subprocess.Popen[bytes] | None = None
    redis_url = None
    try:
        if args.redis:
            redis, redis_url = start_redis(folder)
        text = asyncio.run(cpu_rounds(args, folder, redis_url))
    finally:
        if redis is not None:
            redis.terminate()
            redis.wait()
        shutil.rmtree(folder, ignore_errors=True)
    store = "Redis (appendonly, fsync every second)" if args.redis else "SQLite (WAL)"
    print(f"Chat path alone, stand-in sockets; store {store}; direct messages in pairs\n")
    print(text)
    print(f"\nMachine: {info['cpu']}, {info['cores']} cores, Python {info['python']}")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.cpu:
        return run_cpu(args)
    if args.nice < 0 and os.geteuid() != 0:
        raise UsageError("--nice below 0 needs root")
    info = machine.describe()
    cores = server_and_load_cores()
    folder = Path(tempfile.mkdtemp(prefix="hubtwin-chat-bench-"))
    redis: subprocess.Popen[bytes] | None = None
    redis_url = None
    if args.redis:
        redis, redis_url = start_redis(folder)
    data_dir = args.data_dir / ("chat-redis" if args.redis else "chat")
    if args.quiet_wait > 0:
        machine.wait_until_quiet(15.0, max_wait_s=args.quiet_wait)
    server = Server(HALL_SITE, data_dir, cores[0], args.nice, redis_url=redis_url, secret=SECRET)
    load: LoadGenerator | None = None
    try:
        server.wait_ready()
        if args.walkers:
            scenario = Scenario("one room", args.walkers, HALL_SITE, HALL_ROOM)
            load = LoadGenerator([server], scenario, 1, cores[1], args.nice)
            ready = load.read(READY_TIMEOUT_S)
            if ready.get("event") != "ready":
                raise UsageError(f"the load generator could not join: {ready.get('reason')}")
        pids = {"server": server.pid, "runner": os.getpid()}
        if load is not None:
            pids["loadgen"] = load.pid
        committed = Committed(data_dir, redis_url)
        windows = asyncio.run(chat_windows(args, server, committed, pids))
    finally:
        if load is not None:
            load.stop()
        server.stop()
        if redis is not None:
            redis.terminate()
            redis.wait()
        shutil.rmtree(folder, ignore_errors=True)
    store = "Redis (appendonly, fsync every second)" if args.redis else "SQLite (WAL)"
    print(f"Chat: {args.chatters} people in pairs, direct messages; {args.walkers} walkers")
    print(f"in the hall; store {store}; windows of {args.window:g} s\n")
    print(table(windows))
    print()
    print(machine_text(info, cores, args.nice))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        rows = [w.row() for w in windows]
        args.json.write_text(json.dumps({"windows": rows, "machine": info}, indent=2))
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--walkers", type=int, default=400, help="avatars walking in the hall")
    parser.add_argument("--chatters", type=int, default=200, help="people chatting in pairs")
    parser.add_argument("--window", type=float, default=10.0, help="seconds per window")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds before measuring")
    parser.add_argument("--redis", action="store_true", help="the server stores in Redis")
    parser.add_argument(
        "--cpu", action="store_true", help="the chat path alone in this process, in CPU time"
    )
    parser.add_argument("--rounds", type=int, default=3, help="bursts measured with --cpu")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=PROJECT_ROOT / "var" / "bench",
        help="the server's data folder goes here (default var/bench)",
    )
    parser.add_argument(
        "--nice", type=int, default=0, help="niceness of the server and load generator"
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=60.0,
        help="before starting, wait up to this long for other processes to calm down",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.chat", description=__doc__)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except UsageError as exc:
        print(f"bench.chat: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
