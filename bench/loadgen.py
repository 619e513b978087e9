"""The load generator: many real clients of one hub in one process, and what they measured.

Every client signs in (``POST /api/session``), opens a WebSocket, says ``hello``, joins a
room (taking the suggested overflow instance when the room is full), then walks a path on
walkable floor (``bench.walker``) sending a pose frame 20 times a second. All clients count
what they receive; a few *observers* also decode every snapshot entry and match it to the
pose another client of this process sent, by its quantised position: the time from that
client's send to the observer's first receipt of the pose is the pose-to-peer latency, on
one clock (``time.monotonic``) in one process.

Run by ``bench.realtime``, which talks to it over stdin/stdout, one JSON object per line:
it prints ``{"event": "ready", ...}`` when every client has joined, then measures between
the lines ``start`` and ``stop`` it reads on stdin and prints ``{"event": "result", ...}``;
``quit`` closes the clients and ends the process.

Sign-ins are rate-limited per address, so the clients connect from several loopback
addresses (127.0.0.2, 127.0.0.3, …), ``PER_ADDRESS`` each.

Several processes of one hub (``--ws-url`` for each, ``--http-port`` a list): clients sign
in and connect round-robin over them and follow ``redirect`` as a browser does — close,
connect to the named URL, ``hello`` again with the room instance and the resume key. Net
numbers and instance serials are per process, so clients are matched by the URL they are
connected to as well.
"""

from __future__ import annotations

import argparse
import asyncio
import struct
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import msgpack
import numpy as np
import orjson

from bench.walker import Path as WalkPath
from bench.walker import plan_paths
from bench.wsclient import WsClient, WsClosed
from server.protocol.table import (
    PROTOCOL_VERSION,
    SNAPSHOT_ENTRY,
    SNAPSHOT_HEADER,
    SNAPSHOT_HEADER_SIZE,
    SNAPSHOT_TAG,
    encode_pose,
)
from world.model import World, load

#: Sign-ins allowed from one address before the server's limiter says no (its burst is 20).
PER_ADDRESS = 20
#: Poses are sent in this many groups spread over a tick, as independent browsers would.
PHASES = 10
POSE_HZ = 20
PING_EVERY_S = 5.0
#: Sent poses remembered per client for matching (2.4 s at 20 Hz).
SENT_MEMORY = 48
JOIN_TIMEOUT_S = 60.0
#: Redirects followed in a row before a join counts as failed (a loop between processes).
MAX_REDIRECTS = 4
#: A room being taken over answers ``room_unavailable``: ask again this often, this late.
MAX_RETRIES = 20
RETRY_AFTER_S = 0.5
_ENTRY = SNAPSHOT_ENTRY.itemsize
_U16 = np.uint32(0xFFFF)


def client_address(index: int) -> str:
    """The loopback address client ``index`` connects from."""
    return f"127.0.0.{2 + index // PER_ADDRESS}"


def ws_endpoint(url: str) -> tuple[str, int, str]:
    """Host, port and path of a ``ws://`` URL (the load generator speaks no TLS)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "ws" or not parts.hostname:
        raise ValueError(f"{url!r} is not a ws:// URL")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.hostname, parts.port or 80, path


class JoinFailed(Exception):
    """A client could not get into a room (too many redirects, refused)."""


@dataclass
class Client:
    """One simulated visitor."""

    index: int
    room: str | None
    observer: bool
    #: the realtime URL it connects to first, then the one it was last redirected to
    url: str = ""
    token: str = ""
    resume: str | None = None
    ws: WsClient | None = None
    serial: int = -1
    net: int = -1
    room_index: int = -1
    start: tuple[float, float, float] = (0.0, 0.0, 0.0)
    path: WalkPath | None = None
    t0: float = 0.0
    seq: int = 0
    next_ping: float = 0.0
    #: the current connection's outcome: None when joined, the message when redirected
    joined: asyncio.Future[dict[str, Any] | None] | None = None
    redirects: int = 0
    #: quantised position of each recent pose -> when it was first sent (oldest first)
    sent: dict[int, float] = field(default_factory=dict)
    #: observers: the last pose key seen per sender, so only first receipts count
    seen: dict[int, int] = field(default_factory=dict)
    snapshots: int = 0
    snapshot_wire: int = 0
    entries: int = 0
    controls: int = 0
    fixes: int = 0


class Fleet:
    """All clients of this process and what they measured."""

    def __init__(self, args: argparse.Namespace, world: World) -> None:
        self.args = args
        self.world = world
        self.host = args.host
        self.clients: list[Client] = []
        self.by_net: dict[tuple[str, int, int], Client] = {}
        self.grid_origin = (0.0, 0.0, 0.0)
        self.grid_step = 0.01
        self.measuring = False
        self.latencies: list[float] = []
        self.lags: list[float] = []
        self.errors: dict[str, int] = {}
        self.fix_reasons: dict[str, int] = {}
        #: clients the server corrected: they get a new path from where it put them
        self.corrected: list[Client] = []
        self.rng = np.random.default_rng(args.seed)
        self.closes: dict[str, int] = {}
        #: per realtime URL: (time, tick) of the first and the last snapshot observed
        self.first_tick: dict[str, tuple[float, int]] = {}
        self.last_tick: dict[str, tuple[float, int]] = {}
        self.redirects_in_window = 0
        self.following: set[asyncio.Task[None]] = set()
        self.window_started = 0.0
        self.baseline: list[tuple[int, int, int, int, int]] = []
        rooms = [r.id for r in world.rooms]
        urls = args.ws_url or [f"ws://{self.host}:{args.ws_port}/ws"]
        for i in range(args.clients):
            if args.room:
                room: str | None = args.room
            else:
                room = rooms[i % len(rooms)]
            observer = i % max(1, args.clients // args.observers) == 0
            self.clients.append(Client(i, room, observer, url=urls[i % len(urls)]))

    # --- joining --------------------------------------------------------------------------

    async def sign_in(self) -> None:
        groups: dict[str, list[Client]] = {}
        for client in self.clients:
            groups.setdefault(client_address(client.index), []).append(client)
        limit = asyncio.Semaphore(8)
        ports = self.args.http_port

        async def group(address: str, members: list[Client]) -> None:
            async with limit:
                connector = aiohttp.TCPConnector(local_addr=(address, 0), limit=1)
                async with aiohttp.ClientSession(connector=connector) as http:
                    for client in members:
                        port = ports[client.index % len(ports)]
                        url = f"http://{self.host}:{port}/api/session"
                        body = {"name": f"Last {client.index}"}
                        async with http.post(url, json=body) as response:
                            data = await response.json()
                            if response.status != 200:
                                raise RuntimeError(f"sign-in refused: {response.status} {data}")
                            client.token = data["token"]

        await asyncio.gather(*(group(a, m) for a, m in groups.items()))

    async def connect_all(self) -> None:
        limit = asyncio.Semaphore(self.args.connect_parallel)

        async def one(client: Client) -> None:
            async with limit:
                await self._connect(client)

        await asyncio.gather(*(one(c) for c in self.clients))

    async def _connect(self, client: Client, instance: int | None = None) -> None:
        """Connect at ``client.url`` and join ``client.room``, following redirects and
        asking again while the room is being taken over."""
        redirects = retries = 0
        while True:
            outcome = await self._connect_once(client, instance)
            if outcome is None:
                return
            if outcome.get("t") == "error":
                retries += 1
                if retries > MAX_RETRIES:
                    raise JoinFailed(f"client {client.index}: {outcome.get('code')}")
                await asyncio.sleep(RETRY_AFTER_S)
                continue
            redirects += 1
            if redirects > MAX_REDIRECTS:
                raise JoinFailed(f"client {client.index}: more than {MAX_REDIRECTS} redirects")
            client.redirects += 1
            if self.measuring:
                self.redirects_in_window += 1
            client.url = urllib.parse.urljoin(client.url, str(outcome["url"]))
            client.room = str(outcome["room"])
            instance = int(outcome["instance"])

    async def _connect_once(self, client: Client, instance: int | None) -> dict[str, Any] | None:
        """One connection's hello: None when joined, else the ``redirect`` message or the
        ``room_unavailable`` error."""
        loop = asyncio.get_running_loop()
        host, port, path = ws_endpoint(client.url)
        ws = WsClient(
            host,
            port,
            path,
            on_message=lambda payload, wire: self._received(client, ws, payload, wire),
            on_close=lambda reason: self._closed(reason),
        )
        client.ws = ws
        joined: asyncio.Future[dict[str, Any] | None] = loop.create_future()
        client.joined = joined
        await loop.create_connection(
            lambda: ws, host, port, local_addr=(client_address(client.index), 0)
        )
        await asyncio.wait_for(ws.opened, timeout=JOIN_TIMEOUT_S)
        hello: dict[str, Any] = {
            "t": "hello",
            "v": PROTOCOL_VERSION,
            "token": client.token,
            "lang": "de",
            "appearance": {
                "color": f"#{(client.index * 2654435761) & 0xFFFFFF:06x}",
                "shape": "capsule",
            },
        }
        if client.room is not None:
            hello["room"] = client.room
        if instance is not None:
            hello["instance"] = instance
        if client.resume is not None:
            hello["resume"] = client.resume
        ws.send(msgpack.packb(hello))
        outcome = await asyncio.wait_for(joined, timeout=JOIN_TIMEOUT_S)
        if outcome is not None:
            ws.close()
        return outcome

    def plan(self, clients: list[Client] | None = None) -> None:
        """Give every joined client (or these) a path from its ``start`` (all at once:
        the checks are vectorised)."""
        joined = [c for c in (self.clients if clients is None else clients) if c.net >= 0]
        if not joined:
            return
        starts = np.array([c.start for c in joined], dtype=np.float64)
        floor = np.asarray(self.world.floor_height(starts), dtype=np.float64)
        starts[:, 1] = np.where(np.isnan(floor), starts[:, 1], floor)
        rooms = np.array([c.room_index for c in joined], dtype=np.intp)
        paths = plan_paths(self.world, starts, rooms, self.rng)
        now = time.monotonic()
        for client, path in zip(joined, paths, strict=True):
            client.path = path
            client.t0 = now
            client.next_ping = now + PING_EVERY_S * (client.index % 97) / 97

    # --- receiving ------------------------------------------------------------------------

    def _received(self, client: Client, ws: WsClient, payload: bytes, wire: int) -> None:
        if ws is not client.ws:  # a connection the client has left (redirected)
            return
        if payload and payload[0] == SNAPSHOT_TAG:
            client.snapshots += 1
            client.snapshot_wire += wire
            client.entries += (len(payload) - SNAPSHOT_HEADER_SIZE) // _ENTRY
            if client.observer and self.measuring:
                self._observe(client, payload)
            return
        client.controls += 1
        try:
            message = msgpack.unpackb(payload)
        except (ValueError, msgpack.ExtraData) as exc:
            self.errors["undecodable"] = self.errors.get("undecodable", 0) + 1
            sys.stderr.write(f"loadgen: undecodable frame: {exc}\n")
            return
        kind = message.get("t") if isinstance(message, dict) else None
        if kind == "joined":
            self._joined(client, message)
        elif kind == "redirect":
            self._redirected(client, message)
        elif kind == "welcome":
            client.resume = message.get("resume") or client.resume
            grid = message["grid"]
            self.grid_origin = tuple(float(v) for v in grid["origin"])  # type: ignore[assignment]
            self.grid_step = float(grid["step"])
        elif kind == "room_full":
            assert client.ws is not None
            go = {"t": "go", "room": message["room"], "instance": message["suggested"]}
            client.ws.send(msgpack.packb(go))
        elif kind == "pose_fix":
            # as a browser does: put the avatar where the server says, walk on from there
            pos = message["pos"]
            client.start = (float(pos[0]), float(pos[1]), float(pos[2]))
            self.corrected.append(client)
            client.fixes += 1
            if self.measuring:
                reason = str(message.get("reason"))
                self.fix_reasons[reason] = self.fix_reasons.get(reason, 0) + 1
        elif kind == "error":
            code = str(message.get("code"))
            self.errors[code] = self.errors.get(code, 0) + 1
            joining = client.joined is not None and not client.joined.done()
            if joining and code == "room_unavailable":
                assert client.joined is not None
                client.joined.set_result(message)

    def _joined(self, client: Client, message: dict[str, Any]) -> None:
        self.by_net.pop((client.url, client.serial, client.net), None)
        client.serial = int(message["serial"])
        client.net = int(message["you"])
        client.room = str(message["room"])
        client.room_index = self.world.room_index(message["room"])
        pos = message["pose"]["pos"]
        client.start = (float(pos[0]), float(pos[1]), float(pos[2]))
        self.by_net[(client.url, client.serial, client.net)] = client
        if client.joined is not None and not client.joined.done():
            client.joined.set_result(None)
        elif client.path is not None:  # moved after the start (go, overflow): walk on there
            self.corrected.append(client)

    def _redirected(self, client: Client, message: dict[str, Any]) -> None:
        """The process does not own the instance: while joining, ``_connect`` follows;
        later (a room change, a room handed over) the client reconnects by itself."""
        if client.joined is not None and not client.joined.done():
            client.joined.set_result(message)
            return
        self.by_net.pop((client.url, client.serial, client.net), None)
        client.net = -1
        if client.ws is not None:
            client.ws.close()
        client.url = urllib.parse.urljoin(client.url, str(message["url"]))
        client.room = str(message["room"])
        client.redirects += 1
        if self.measuring:
            self.redirects_in_window += 1
        task = asyncio.get_running_loop().create_task(
            self._follow(client, int(message["instance"]))
        )
        self.following.add(task)
        task.add_done_callback(self.following.discard)

    async def _follow(self, client: Client, instance: int) -> None:
        try:
            await self._connect(client, instance)
        except (WsClosed, OSError, TimeoutError, JoinFailed) as exc:
            reason = f"redirect: {type(exc).__name__}"
            self.errors[reason] = self.errors.get(reason, 0) + 1
            return
        self.corrected.append(client)  # walk on from where the new process put it

    def _closed(self, reason: str) -> None:
        self.closes[reason] = self.closes.get(reason, 0) + 1

    def _observe(self, client: Client, payload: bytes) -> None:
        now = time.monotonic()
        _, _, serial, tick, _ = SNAPSHOT_HEADER.unpack_from(payload)
        url = client.url
        if url not in self.first_tick:
            self.first_tick[url] = (now, tick)
        self.last_tick[url] = (now, tick)
        entries = np.frombuffer(payload, SNAPSHOT_ENTRY, offset=SNAPSHOT_HEADER_SIZE)
        if entries.size == 0:
            return
        keys = (entries["x"].astype(np.uint32) & _U16) << 16 | (
            entries["z"].astype(np.uint32) & _U16
        )
        by_net = self.by_net
        seen = client.seen
        latencies = self.latencies
        for net, key in zip(entries["net"].tolist(), keys.tolist(), strict=True):
            sender = by_net.get((url, serial, net))
            if sender is None or sender is client:
                continue
            if seen.get(sender.index) == key:
                continue
            sent_at = sender.sent.get(key)
            if sent_at is None:
                continue
            seen[sender.index] = key
            latencies.append(now - sent_at)

    # --- sending --------------------------------------------------------------------------

    def _key(self, frame: bytes) -> int:
        x, _, z = struct.unpack_from("<fff", frame, 3)
        ox, _, oz = self.grid_origin
        step = self.grid_step
        qx = min(max(round((x - ox) / step), -32768), 32767)
        qz = min(max(round((z - oz) / step), -32768), 32767)
        return ((qx & 0xFFFF) << 16) | (qz & 0xFFFF)

    def send_phase(self, phase: int, now: float) -> None:
        for client in self.clients[phase::PHASES]:
            path, ws = client.path, client.ws
            if path is None or ws is None or client.net < 0:
                continue
            x, y, z, yaw = path.at(now - client.t0)
            client.seq = (client.seq + 1) & 0xFFFF
            frame = encode_pose(client.seq, x, y, z, yaw, 0.0)
            sent_at = time.monotonic()
            if not ws.send(frame):
                continue
            sent = client.sent
            key = self._key(frame)
            if key not in sent:  # standing still: the pose was first sent earlier
                sent[key] = sent_at
                if len(sent) > SENT_MEMORY:
                    del sent[next(iter(sent))]
            if now >= client.next_ping:
                client.next_ping = now + PING_EVERY_S
                ws.send(msgpack.packb({"t": "ping", "c": now * 1000.0}))

    async def walk(self) -> None:
        """Send every client's pose at POSE_HZ, in PHASES groups spread over each tick."""
        loop = asyncio.get_running_loop()
        slot = 1.0 / (POSE_HZ * PHASES)
        due = loop.time()
        phase = 0
        while True:
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            now = time.monotonic()
            late = loop.time() - due
            if self.measuring:
                self.lags.append(late)
            if phase == 0 and self.corrected:
                corrected, self.corrected = self.corrected, []
                self.plan(list({c.index: c for c in corrected}.values()))
            self.send_phase(phase, now)
            phase = (phase + 1) % PHASES
            due += slot
            if loop.time() - due > 4 * slot:  # overloaded: skip ahead, never burst
                due = loop.time() + slot

    # --- the window -----------------------------------------------------------------------

    def start_window(self) -> None:
        self.baseline = [self._counters(c) for c in self.clients]
        self.latencies.clear()
        self.lags.clear()
        self.first_tick.clear()
        self.last_tick.clear()
        self.redirects_in_window = 0
        self.errors.clear()
        self.fix_reasons.clear()
        self.window_started = time.monotonic()
        self.measuring = True

    @staticmethod
    def _counters(c: Client) -> tuple[int, int, int, int, int]:
        bytes_in = c.ws.bytes_in if c.ws is not None else 0
        return (bytes_in, c.snapshots, c.snapshot_wire, c.entries, c.fixes)

    def result(self) -> dict[str, Any]:
        self.measuring = False
        seconds = time.monotonic() - self.window_started
        deltas = np.array(
            [
                np.subtract(self._counters(c), base)
                for c, base in zip(self.clients, self.baseline, strict=True)
            ],
            dtype=np.float64,
        ).reshape(-1, 5)
        down = deltas[:, 0] / seconds / 1024
        frames = deltas[:, 1] / seconds
        entries = float(deltas[:, 3].sum())
        lat = np.array(self.latencies) * 1000
        lags = np.array(self.lags) * 1000
        rates = [
            (last[1] - first[1]) / (last[0] - first[0])
            for url, first in self.first_tick.items()
            if (last := self.last_tick[url])[0] > first[0]
        ]
        tick_hz = sum(rates) / len(rates) if rates else None

        def pct(values: np.ndarray, q: float) -> float | None:
            return float(np.percentile(values, q)) if values.size else None

        return {
            "event": "result",
            "clients": len(self.clients),
            "connected": sum(
                1 for c in self.clients if c.ws is not None and not c.ws.closed.done()
            ),
            "window_s": seconds,
            "down_kBps_mean": float(down.mean()) if down.size else 0.0,
            "down_kBps_max": float(down.max()) if down.size else 0.0,
            "snapshots_per_s_mean": float(frames.mean()) if frames.size else 0.0,
            "snapshots_per_s_min": float(frames.min()) if frames.size else 0.0,
            "entries_per_client_s": entries / seconds / max(1, len(self.clients)),
            "wire_bytes_per_entry": float(deltas[:, 2].sum()) / entries if entries else None,
            "entry_bytes": _ENTRY,
            "latency_ms": {
                "samples": int(lat.size),
                "p50": pct(lat, 50),
                "p90": pct(lat, 90),
                "p99": pct(lat, 99),
                "max": float(lat.max()) if lat.size else None,
            },
            "observed_tick_hz": tick_hz,
            "observed_tick_hz_min": min(rates) if rates else None,
            "redirects": self.redirects_in_window,
            "fixes": int(deltas[:, 4].sum()),
            "fix_reasons": dict(self.fix_reasons),
            "errors": dict(self.errors),
            "closes": dict(self.closes),
            "loadgen_lag_ms_p99": pct(lags, 99),
        }

    async def close(self) -> None:
        for client in self.clients:
            if client.ws is not None:
                client.ws.close()
        await asyncio.sleep(0.2)
        for client in self.clients:
            if client.ws is not None:
                client.ws.abort()


def _emit(data: dict[str, Any]) -> None:
    sys.stdout.write(orjson.dumps(data).decode() + "\n")
    sys.stdout.flush()


async def _commands() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


async def run(args: argparse.Namespace) -> int:
    world = load(args.world)
    fleet = Fleet(args, world)
    started = time.monotonic()
    await fleet.sign_in()
    signed_in = time.monotonic()
    try:
        await fleet.connect_all()
    except (WsClosed, OSError, TimeoutError, JoinFailed, ValueError) as exc:
        _emit({"event": "failed", "reason": f"{type(exc).__name__}: {exc}"})
        await fleet.close()
        return 1
    fleet.plan()
    walking = asyncio.create_task(fleet.walk())
    _emit(
        {
            "event": "ready",
            "joined": sum(1 for c in fleet.clients if c.net >= 0),
            "instances": len({(c.url, c.serial) for c in fleet.clients}),
            "processes_used": len({c.url for c in fleet.clients}),
            "redirects": sum(c.redirects for c in fleet.clients),
            "sign_in_s": round(signed_in - started, 2),
            "join_s": round(time.monotonic() - signed_in, 2),
        }
    )
    commands = await _commands()
    while True:
        line = (await commands.readline()).decode().strip()
        if line == "start":
            fleet.start_window()
        elif line == "stop":
            _emit(fleet.result())
        elif line in ("quit", ""):
            break
    walking.cancel()
    await fleet.close()
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen", description=__doc__)

    def ports(text: str) -> list[int]:
        try:
            return [int(p) for p in text.split(",") if p.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a list of ports") from None

    def ws_url(text: str) -> str:
        try:
            ws_endpoint(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        return text

    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--http-port", type=ports, required=True, help="HTTP port(s), comma-separated"
    )
    parser.add_argument("--ws-port", type=int, help="the realtime port (one process)")
    parser.add_argument(
        "--ws-url",
        type=ws_url,
        action="append",
        help="a process's realtime URL (ws://host:port/ws); repeat for several processes",
    )
    parser.add_argument("--world", type=Path, required=True, help="the hub.glb the server serves")
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument(
        "--room", help="every client starts in this room (default: all rooms in turn)"
    )
    parser.add_argument("--observers", type=int, default=20, help="clients that decode entries")
    parser.add_argument("--connect-parallel", type=int, default=32)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.clients < 1 or args.observers < 1:
        parser.error("--clients and --observers must be at least 1")
    if not args.http_port or (args.ws_port is None and not args.ws_url):
        parser.error("give --http-port and --ws-port or --ws-url")
    if 2 + (args.clients - 1) // PER_ADDRESS > 254:
        parser.error(
            f"at most {253 * PER_ADDRESS} clients (one loopback address per {PER_ADDRESS})"
        )
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        import uvloop
    except ImportError:
        return asyncio.run(run(args))
    return uvloop.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
