"""Frame time and draw calls of a crowd of avatars in view, in Debian's Chromium.

Starts ``hubtwin serve`` from a project folder (this one, or ``--root`` another checkout,
e.g. an older commit unpacked with ``git archive``) on a free port with a fresh data
folder, enters the biggest room in Chromium (SwiftShader WebGL, as in the browser tests)
and fills it with guests that speak the real protocol from Python. The guests walk slowly
in small circles, so the walk is drawn too (``--standing``: they stand, sending their
unchanged pose every few seconds, since the hub closes a silent connection). The visitor
turns to face the crowd; then, for each crowd size, the page records the time between its
animation frames for a few seconds and reads the draw calls and triangles of the client's
test hook. It prints, per crowd size, the median and 95th percentile frame time, the
frames per second, draw calls and triangles, and how busy the shared machine was
meanwhile: the CPU used by processes other than this run's (the bench, its hub, Chromium
and their children) and the load average.

    .venv/bin/python -m bench.avatar_crowd
    .venv/bin/python -m bench.avatar_crowd --root /tmp/before --sizes 50 300

It never asserts a time: it reports. The machine's load shows in the figures; compare
runs made one after the other.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import msgpack
from playwright.sync_api import Page, ViewportSize, sync_playwright
from websockets.asyncio.client import ClientConnection, connect

from bench import machine
from bench.first_frame import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PROJECT_ROOT,
    VIEWPORT,
    _free_port,
    _wait_healthy,
)
from server.app.smoke_check import websocket_address
from server.base.identity import Identity, Role
from server.base.tokens import TokenSigner
from server.protocol.table import encode_pose

SAMPLE_S = 6.0
WALK_RADIUS = 0.8
WALK_SPEED = 0.9  # metres per second, an unhurried walk
POSE_HZ = 10
STAND_POSE_S = 3.0  # how often a standing guest sends its (unchanged) pose

# Collects the intervals between animation frames for `ms` milliseconds (no string eval:
# the page's CSP allows none, so this is a function Playwright passes as source).
FRAME_TIMES_JS = """(ms) => new Promise((resolve) => {
  const times = [];
  let last = performance.now();
  const end = last + ms;
  const step = (now) => {
    times.push(now - last);
    last = now;
    if (now < end) requestAnimationFrame(step); else resolve(times);
  };
  requestAnimationFrame(step);
})"""


def _big_site(root: Path, into: Path, capacity: int) -> Path:
    """A copy of the served project's site whose biggest room holds ``capacity`` people
    (the real hall holds fewer than the largest crowd measured)."""
    site = into / "site"
    shutil.copytree(root / "assets" / "sites" / "oekohub-dortmund", site)
    building = site / "building.toml"
    text = building.read_text(encoding="utf-8")
    biggest = max(int(n) for n in re.findall(r"^capacity = (\d+)$", text, re.M))
    text = text.replace(f"capacity = {biggest}\n", f"capacity = {capacity}\n", 1)
    building.write_text(text, encoding="utf-8")
    return site


def _serve(root: Path, site: Path, data_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HUBTWIN_LOG_LEVEL": "warning", "PYTHONPATH": str(root)}
    with log.open("wb") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; from server.app.cli import main; sys.exit(main())",
                *("serve", "--port", str(port), "--data-dir", str(data_dir)),
                *("--site", str(site)),
            ],
            cwd=root,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )


def _appearance(config: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """An appearance the served hub accepts: before bodies there were shapes."""
    colour = "#" + "".join(rng.choice("3456789abc") + "0" for _ in range(3))
    if "avatar_shapes" in config:
        return {"color": colour, "shape": rng.choice(config["avatar_shapes"])}
    choices: dict[str, list[str]] = config["appearance"]
    look: dict[str, Any] = {"color": colour, "legs": "#2a3440"}
    for name, values in choices.items():
        look[name] = rng.choice(values)
    return look


class Crowd:
    """Guests on an event loop of their own thread: connected, kept read, walking."""

    def __init__(self, url: str, data_dir: Path, room: str, walk: bool) -> None:
        with urllib.request.urlopen(url + "api/config") as response:
            self.config = json.loads(response.read())
        with urllib.request.urlopen(url + "api/protocol") as response:
            self.protocol = json.loads(response.read())
        self.address = websocket_address(url, self.config["ws_url"])
        self.secret = (data_dir / "secret.key").read_text(encoding="ascii").strip()
        self.room = room
        self.walk = walk
        self.rng = random.Random(7)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.guests: list[dict[str, Any]] = []
        self.seq = 0

    def add(self, count: int) -> None:
        asyncio.run_coroutine_threadsafe(self._add(count), self.loop).result(1200)

    async def _add(self, count: int) -> None:
        for _ in range(count):
            await self._join(f"Gast {len(self.guests) + 1}")

    async def _join(self, name: str) -> None:
        identity = Identity(f"g-{uuid.uuid4().hex}", name, Role.VISITOR, guest=True)
        token = TokenSigner(self.secret).issue(identity, ttl_s=3600, now=time.time())
        ws = await connect(self.address, open_timeout=20, max_size=None)
        hello = {
            "t": "hello",
            "v": self.protocol["version"],
            "token": token,
            "lang": "de",
            "appearance": _appearance(self.protocol, self.rng),
            "room": self.room,
        }
        await ws.send(msgpack.packb(hello))
        while True:
            frame = await asyncio.wait_for(ws.recv(), 20)
            if isinstance(frame, bytes) and frame[:1] != b"S":
                message = msgpack.unpackb(frame)
                if message.get("t") == "joined":
                    x, y, z = message["pose"]["pos"]
                    yaw = float(message["pose"].get("yaw", 0.0))
                    break
                if message.get("t") in ("room_full", "error"):
                    raise SystemExit(f"{name} could not enter {self.room}: {message}")
        guest = {"ws": ws, "x": x, "y": y, "z": z, "yaw": yaw}
        guest["phase"] = self.rng.uniform(0, 2 * math.pi)
        guest["drain"] = asyncio.ensure_future(self._drain(ws))
        mover = self._walk(guest) if self.walk else self._stand(guest)
        guest["walker"] = asyncio.ensure_future(mover)
        self.guests.append(guest)

    @staticmethod
    async def _drain(ws: ClientConnection) -> None:
        with contextlib.suppress(Exception):
            async for _ in ws:
                pass

    async def _stand(self, guest: dict[str, Any]) -> None:
        """Standing still, saying so every few seconds: the hub closes a connection that
        sends nothing for too long, and filling a hall on a busy machine takes minutes."""
        with contextlib.suppress(Exception):
            while True:
                await asyncio.sleep(STAND_POSE_S)
                self.seq += 1
                await guest["ws"].send(
                    encode_pose(self.seq, guest["x"], guest["y"], guest["z"], guest["yaw"], 0)
                )

    async def _walk(self, guest: dict[str, Any]) -> None:
        """Round and round a small circle through the spawn point, at walking pace."""
        omega = WALK_SPEED / WALK_RADIUS
        cx = guest["x"] - WALK_RADIUS * math.cos(guest["phase"])
        cz = guest["z"] - WALK_RADIUS * math.sin(guest["phase"])
        started = time.monotonic()
        with contextlib.suppress(Exception):
            while True:
                await asyncio.sleep(1 / POSE_HZ)
                angle = guest["phase"] + omega * (time.monotonic() - started)
                x = cx + WALK_RADIUS * math.cos(angle)
                z = cz + WALK_RADIUS * math.sin(angle)
                # facing along the circle: three.js yaw 0 looks along -Z
                dx, dz = -math.sin(angle), math.cos(angle)
                yaw = math.atan2(-dx, -dz)
                self.seq += 1
                await guest["ws"].send(encode_pose(self.seq, x, guest["y"], z, yaw, 0.0))

    def close(self) -> None:
        async def _close() -> None:
            for guest in self.guests:
                for task in ("walker", "drain"):
                    if task in guest:
                        guest[task].cancel()
                with contextlib.suppress(Exception):
                    await guest["ws"].send(msgpack.packb({"t": "bye"}))
                    await guest["ws"].close()

        asyncio.run_coroutine_threadsafe(_close(), self.loop).result(60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def _wait(page: Page, check: str, arg: object, limit_s: float) -> None:
    deadline = time.monotonic() + limit_s
    while not page.evaluate(
        f"(arg) => {{ const s = window.hubtwin.state(); return {check}; }}", arg
    ):
        if time.monotonic() > deadline:
            state = page.evaluate("window.hubtwin.state()")
            brief = {k: state.get(k) for k in ("phase", "connection", "room", "drawCalls")}
            page.screenshot(path="/tmp/avatar-crowd-timeout.png")
            raise SystemExit(f"timed out waiting for {check}: {brief}")
        page.wait_for_timeout(100)


def _step_back(page: Page, room: dict[str, Any], cx: float, cz: float) -> None:
    """Walk to the corner of the room farthest from the crowd's middle, so the crowd is in
    front of the visitor rather than around them."""
    bounds = room["bounds"]
    x0, x1, z0, z1 = bounds["x0"], bounds["x1"], bounds["z0"], bounds["z1"]
    corners = [(x, z) for x in (x0 + 1.5, x1 - 1.5) for z in (z0 + 1.5, z1 - 1.5)]
    x, z = max(corners, key=lambda c: math.hypot(c[0] - cx, c[1] - cz))
    page.evaluate("([x, z]) => window.hubtwin.walkTo(x, z)", [x, z])


def _family(root: int) -> list[int]:
    """A process and every process it started, however deep (the hub, Chromium's helpers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
        children.setdefault(parent, []).append(int(entry.name))
    family, todo = [], [root]
    while todo:
        pid = todo.pop()
        family.append(pid)
        todo.extend(children.get(pid, []))
    return family


def _cpu_of(pids: list[int]) -> dict[int, float]:
    used = {}
    for pid in pids:
        try:
            used[pid] = machine.process_cpu_s(pid)
        except (OSError, ValueError, IndexError):
            continue
    return used


class ForeignLoad:
    """What the rest of the machine did while we measured: the CPU of processes that are
    not this run's, in % of one core, and the 1-minute load average at the end."""

    def start(self) -> None:
        self.started = time.monotonic()
        self.busy = machine.busy_s()
        self.ours = _cpu_of(_family(os.getpid()))

    def stop(self) -> dict[str, float]:
        seconds = time.monotonic() - self.started
        now = _cpu_of(_family(os.getpid()))
        ours = sum(now[pid] - before for pid, before in self.ours.items() if pid in now)
        ours += sum(used for pid, used in now.items() if pid not in self.ours)
        foreign = machine.busy_s() - self.busy - ours
        with open("/proc/loadavg", encoding="ascii") as loadavg:
            load = float(loadavg.read().split()[0])
        return {
            "ours_pct": 100 * ours / seconds,
            "foreign_pct": max(0.0, 100 * foreign / seconds),
            "load": load,
        }


def _measure(page: Page) -> dict[str, float]:
    meter = ForeignLoad()
    meter.start()
    times = page.evaluate(FRAME_TIMES_JS, SAMPLE_S * 1000)[1:]
    busy = meter.stop()
    times.sort()
    state = page.evaluate("window.hubtwin.state()")
    return {
        "median_ms": statistics.median(times),
        "p95_ms": times[int(0.95 * (len(times) - 1))],
        "fps": 1000 * len(times) / sum(times),
        "drawCalls": state["drawCalls"],
        "triangles": state["triangles"],
        "shown": len(state["others"]),
        **busy,
    }


def _print_load(figures: dict[str, float]) -> None:
    print(
        f"  meanwhile: this run {figures['ours_pct']:.0f} %, other processes "
        f"{figures['foreign_pct']:.0f} % of one core (of {100 * (os.cpu_count() or 1)} %), "
        f"load average {figures['load']:.1f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=PROJECT_ROOT, help="project to serve")
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 300], help="crowd sizes")
    parser.add_argument("--standing", action="store_true", help="the guests stand still")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    with tempfile.TemporaryDirectory(prefix="avatar-crowd-") as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        port = _free_port()
        url = f"http://127.0.0.1:{port}/"
        site = _big_site(root, Path(tmp), max(args.sizes) + 20)
        process = _serve(root, site, data_dir, port, Path(tmp) / "server.log")
        crowd: Crowd | None = None
        try:
            _wait_healthy(url, process)
            print(f"serving {root}; guests {'standing' if args.standing else 'walking'}")
            info = machine.describe()
            print(f"machine: {info['cpu']}, {info['cores']} cores")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    size = ViewportSize(width=VIEWPORT["width"], height=VIEWPORT["height"])
                    page = browser.new_context(viewport=size).new_page()
                    page.goto(url)
                    page.wait_for_function("window.hubtwin !== undefined", timeout=60000)
                    page.fill("#display-name", "Watcher")
                    page.dispatch_event("#enter-button", "click")
                    _wait(page, "s.phase === 'hub' && s.room !== null", None, 120)
                    rooms = page.evaluate("window.hubtwin.venue()")["rooms"]
                    hall = max(rooms, key=lambda r: r["capacity"])
                    if hall["capacity"] < max(args.sizes):
                        print(f"note: {hall['id']} holds {hall['capacity']} people")
                    # clicks without waiting for the page to call the buttons steady (its
                    # frames, on a busy machine, come seconds apart)
                    page.dispatch_event("#toggle-rooms", "click")
                    hall_button = f'#room-list li[data-room-id="{hall["id"]}"] button'
                    page.dispatch_event(hall_button, "click")
                    _wait(page, "s.room === arg", hall["id"], 30)
                    page.dispatch_event("#toggle-rooms", "click")
                    crowd = Crowd(url, data_dir, hall["id"], walk=not args.standing)
                    page.wait_for_timeout(2000)
                    alone = _measure(page)
                    print(
                        f"alone: {alone['median_ms']:.1f} ms median, {alone['p95_ms']:.1f} ms "
                        f"p95, {alone['fps']:.1f} fps, {alone['drawCalls']} draw calls, "
                        f"{alone['triangles']:,} triangles"
                    )
                    _print_load(alone)
                    for size in sorted(args.sizes):
                        crowd.add(min(size, hall["capacity"] - 1) - len(crowd.guests))
                        _wait(page, "s.others.length >= arg", len(crowd.guests), 600)
                        others = page.evaluate("window.hubtwin.state()")["others"]
                        cx = sum(o["x"] for o in others) / len(others)
                        cz = sum(o["z"] for o in others) / len(others)
                        spread = max(math.hypot(o["x"] - cx, o["z"] - cz) for o in others)
                        _step_back(page, hall, cx, cz)
                        page.evaluate("([x, z]) => window.hubtwin.lookAt(x, z)", [cx, cz])
                        page.wait_for_timeout(2000)
                        figures = _measure(page)
                        print(
                            f"{len(crowd.guests)} avatars (spread {spread:.1f} m, "
                            f"{figures['shown']:.0f} drawn): {figures['median_ms']:.1f} ms "
                            f"median, {figures['p95_ms']:.1f} ms p95, {figures['fps']:.1f} fps, "
                            f"{figures['drawCalls']} draw calls, "
                            f"{figures['triangles']:,} triangles"
                        )
                        _print_load(figures)
                        shot = Path(tmp).parent / f"avatar-crowd-{len(crowd.guests)}.png"
                        page.screenshot(path=str(shot))
                        print(f"  screenshot {shot}")
                finally:
                    browser.close()
        finally:
            try:
                if crowd is not None:
                    crowd.close()
            finally:
                process.terminate()
            try:
                process.wait(timeout=10)
            except Exception:
                process.kill()
                process.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
