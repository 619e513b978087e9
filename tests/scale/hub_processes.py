"""Several real ``hubtwin serve --redis`` processes for the tests, and WebSocket visitors
that follow redirects the way the web client does.

* ``small_site``: the benchmark hall (a big hall and an entrance behind a door), with the
  entrance's capacity lowered so capacity tests are quick; its world is built once.
* ``HubProcess``: one process on free ports with a data folder of its own, the shared
  token secret, stopped by its process id (SIGTERM, or SIGKILL to test a crash).
* ``processes_after_planning``: two processes started after a workshop was saved in Redis
  (they read the workshops at start); ``led_by_sven`` makes a typical one.
* ``Visitor``: one WebSocket connection with a background reader; ``enter`` says hello and
  follows ``redirect`` messages until joined.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgpack
from redis_process import free_port
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from server.base.identity import Identity, Role
from server.base.tokens import TokenSigner
from server.domain.workshops import Person, Workshop
from server.protocol.table import PROTOCOL_VERSION, SNAPSHOT_TAG, decode_snapshot, encode_pose
from server.store.redis import RedisStore
from world.builder import build_world
from world.site import PROJECT_ROOT, load_site

SECRET = "scale-test-secret-of-the-hub-processes-0123456789"
START_TIMEOUT_S = 40.0
MESSAGE_TIMEOUT_S = 10.0
#: a hello may wait for a dead process's lease to run out (5 s) before it is answered
HELLO_TIMEOUT_S = 15.0
RETRIES = 20
RETRY_AFTER_S = 0.5
ENTRANCE_CAPACITY = 6


def small_site(folder: Path) -> tuple[Path, Path]:
    """The test site (bench hall with a small entrance) and its built world folder."""
    site = folder / "site"
    shutil.copytree(PROJECT_ROOT / "bench" / "bench-hall", site)
    building = site / "building.toml"
    text = building.read_text(encoding="utf-8")
    building.write_text(
        text.replace("capacity = 40", f"capacity = {ENTRANCE_CAPACITY}"), encoding="utf-8"
    )
    world = folder / "world"
    build_world(load_site(site), world / "hub.glb", quiet=True)
    return site, world


#: long enough for a whole test run: test modules make tokens when they are collected, which
#: can be more than an hour before their tests run
TOKEN_TTL_S = 24 * 3600


def token(name: str, role: Role = Role.VISITOR) -> str:
    identity = Identity(f"id-{name}", name, role, guest=role is Role.VISITOR)
    return TokenSigner(SECRET).issue(identity, ttl_s=TOKEN_TTL_S, now=time.time())


def get_json(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@dataclass
class HubProcess:
    """One ``hubtwin serve --redis`` of the test (``redis_url`` empty: a single process on
    its own SQLite file)."""

    site: Path
    world: Path
    folder: Path
    redis_url: str
    http_port: int = 0
    ws_port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.ws_port}/ws"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/"

    def start(self) -> None:
        data = self.folder / "data"
        if not data.exists():
            shutil.copytree(self.world, data / "world")
        self.http_port, self.ws_port = free_port(), free_port()
        env = dict(
            os.environ,
            HUBTWIN_SECRET=SECRET,
            HUBTWIN_LOG_LEVEL="info",
            HUBTWIN_RECONNECT_GRACE_S="30",
        )
        command = [
            str(PROJECT_ROOT / ".venv" / "bin" / "hubtwin"),
            "serve",
            "--site",
            str(self.site),
            "--port",
            str(self.http_port),
            "--ws-port",
            str(self.ws_port),
            "--data-dir",
            str(data),
        ]
        if self.redis_url:
            command += ["--redis", self.redis_url]
        with (self.folder / "server.log").open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    def wait_ready(self, timeout_s: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"hubtwin serve exited:\n{self.log()[-3000:]}")
            try:
                status, _ = get_json(self.http_url + "healthz")
                if status == 200:
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"hubtwin serve not ready:\n{self.log()[-3000:]}")

    def health(self) -> tuple[int, dict[str, Any]]:
        return get_json(self.http_url + "healthz")

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no goodbye, leases stay in Redis until they run out."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def pause(self) -> None:
        """SIGSTOP: the process stops answering (and renewing) but keeps its sockets."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def carry_on(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGCONT)
        stop_process(process)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, and SIGKILL if it has not ended 15 s later."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def start_processes(
    count: int, site: Path, world: Path, folder: Path, redis_url: str
) -> list[HubProcess]:
    hubs = []
    for n in range(count):
        place = folder / f"process-{n}"
        place.mkdir()
        hubs.append(HubProcess(site, world, place, redis_url))
    try:
        for hub in hubs:
            hub.start()
        for hub in hubs:
            hub.wait_ready()
    except BaseException:
        for hub in hubs:  # none left running when the start fails
            hub.stop()
        raise
    return hubs


def led_by_sven(workshop_id: str, title: str, room: str, **fields: Any) -> Workshop:
    """A workshop Sven leads, begun a minute ago and two hours long (``fields`` say
    otherwise)."""
    now = time.time()
    return Workshop(
        **{
            "id": workshop_id,
            "title": title,
            "description": "",
            "room": room,
            "starts_at": now - 60,
            "ends_at": now + 7200,
            "facilitators": (Person("id-Sven", "Sven"),),
            "updated_at": now,
        }
        | fields
    )


async def save_workshop(redis_url: str, workshop: Workshop) -> None:
    """A workshop planned in the hub's Redis store (of the site ``small_site`` builds)."""
    store = await RedisStore.connect(redis_url, site="site")
    try:
        await store.save_workshop(workshop)
    finally:
        await store.close()


@contextlib.contextmanager
def processes_after_planning(
    workshop: Workshop, redis_url: str, site: tuple[Path, Path], folder: Path
) -> Iterator[list[HubProcess]]:
    """Two processes, started after the workshop was planned (they read it at start),
    stopped at the end."""
    asyncio.run(save_workshop(redis_url, workshop))
    started = start_processes(2, *site, folder, redis_url)
    try:
        yield started
    finally:
        for hub in started:
            hub.stop()


@dataclass
class Visitor:
    """One person: a token, the connection of the moment, what it received."""

    name: str
    token: str = ""
    connection: ClientConnection | None = None
    url: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)
    redirects: list[dict[str, Any]] = field(default_factory=list)
    welcome: dict[str, Any] = field(default_factory=dict)
    joined: dict[str, Any] = field(default_factory=dict)
    seen_nets: set[int] = field(default_factory=set)
    unavailable: int = 0
    _reader: asyncio.Task[None] | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.token = self.token or token(self.name)

    @property
    def session(self) -> str:
        return str(self.welcome["session"])

    @property
    def resume(self) -> str | None:
        value = self.welcome.get("resume")
        return None if value is None else str(value)

    async def enter(
        self,
        url: str,
        *,
        room: str | None = None,
        instance: int | None = None,
        resume: str | None = None,
        until: tuple[str, ...] = ("joined",),
    ) -> dict[str, Any]:
        """Connect at ``url`` and say hello; follow redirects (as the web client does)
        until a message of a kind in ``until`` arrives, which is returned. Like the web
        client, a redirect to a process that is gone sends it back to ``url``, and
        ``room_unavailable`` makes it try again a moment later."""
        start = url
        for _ in range(RETRIES):
            await self.close()
            self.url = url
            try:
                self.connection = await connect(url, max_size=None, open_timeout=5)
            except OSError:
                # a redirect to a process that has just died: back to where we started
                # (the load balancer, for a browser), after a moment
                url = start
                await asyncio.sleep(RETRY_AFTER_S)
                continue
            self.messages = []
            self._arrived = asyncio.Event()
            self._reader = asyncio.create_task(self._read(self.connection))
            hello: dict[str, Any] = {
                "t": "hello",
                "v": PROTOCOL_VERSION,
                "token": self.token,
                "lang": "de",
                "appearance": {"color": "#336699", "shape": "capsule"},
            }
            if room is not None:
                hello["room"] = room
            if instance is not None:
                hello["instance"] = instance
            if resume is not None:
                hello["resume"] = resume
            await self.connection.send(msgpack.packb(hello))
            first = await self.next(("redirect", "error", *until), timeout_s=HELLO_TIMEOUT_S)
            if first["t"] == "redirect":
                self.redirects.append(first)
                url, room, instance = first["url"], first["room"], first["instance"]
                resume = self.resume or resume
                continue
            if first["t"] == "error" and first["code"] == "room_unavailable":
                self.unavailable += 1
                await asyncio.sleep(RETRY_AFTER_S)
                continue
            if first["t"] == "error":
                raise AssertionError(f"{self.name}: refused at {url}: {first}")
            if first["t"] == "joined":
                self.joined = first
            return first
        raise AssertionError(f"{self.name}: not in after {RETRIES} tries: {self.redirects}")

    async def _read(self, connection: ClientConnection) -> None:
        try:
            async for frame in connection:
                if isinstance(frame, bytes) and frame[:1] == bytes((SNAPSHOT_TAG,)):
                    snap = decode_snapshot(frame)
                    self.seen_nets.update(int(n) for n in snap.entries["net"].tolist())
                    continue
                message = msgpack.unpackb(frame)
                if message.get("t") == "welcome":
                    self.welcome = message
                self.messages.append(message)
                self._arrived.set()
        except ConnectionClosed:
            pass
        finally:
            self._arrived.set()

    async def next(
        self, kinds: tuple[str, ...], timeout_s: float = MESSAGE_TIMEOUT_S, **match: Any
    ) -> dict[str, Any]:
        """The first message received (since ``enter``) of one of ``kinds`` whose fields
        equal ``match``; removed from the list."""
        deadline = time.monotonic() + timeout_s
        while True:
            for i, message in enumerate(self.messages):
                if message.get("t") in kinds and all(message.get(k) == v for k, v in match.items()):
                    del self.messages[i]
                    return message
            left = deadline - time.monotonic()
            if left <= 0:
                seen = [m.get("t") for m in self.messages]
                raise AssertionError(f"{self.name}: no {kinds} {match} in {left:.0f} s: {seen}")
            if self._reader is not None and self._reader.done():
                raise AssertionError(f"{self.name}: connection closed waiting for {kinds}")
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), left)

    async def send(self, kind: str, **fields: Any) -> None:
        assert self.connection is not None
        await self.connection.send(msgpack.packb({"t": kind, **fields}))

    async def pose(self, seq: int, x: float, y: float, z: float, yaw: float = 0.0) -> None:
        assert self.connection is not None
        await self.connection.send(encode_pose(seq, x, y, z, yaw, 0.0))

    async def closed(self, timeout_s: float = MESSAGE_TIMEOUT_S) -> None:
        """Wait until the server has closed the connection."""
        assert self._reader is not None
        await asyncio.wait_for(asyncio.shield(self._reader), timeout_s)

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
        self.connection = None
        self._reader = None
