"""Shared fixtures of the browser tests: the real hub server and Debian's chromium.

* ``hub`` starts ``hubtwin serve`` on free ports with a fresh data folder (the built world
  and the produced sample talks are copied in so they are not rebuilt), waits for
  ``/healthz`` and stops the server after the test module.
* ``browser`` is one chromium (SwiftShader WebGL) per test module (so no Playwright
  instance outlives its module); each visitor is a browser context of its own, so several
  visitors are cheap.
* ``visitors`` opens visitors (``visitors.new("Anna")``) and fails the test on any console
  error or uncaught exception in any of their pages.

Screenshots go to ``test-artifacts/`` at the project root.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgpack
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Route,
    sync_playwright,
)
from websockets.sync.client import ClientConnection, connect

from server.app.smoke_check import websocket_address
from server.base.identity import Identity, Role
from server.base.tokens import TokenSigner
from server.protocol.table import encode_pose
from world.model import World
from world.model import load as load_world
from world.site import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--no-sandbox",
    "--disable-dev-shm-usage",
]
# SwiftShader renders on the CPU: a small view keeps two or three visitors quick.
VIEWPORT = {"width": 480, "height": 360}
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
HUBTWIN = str(PROJECT_ROOT / ".venv" / "bin" / "hubtwin")
BUILT_WORLD = PROJECT_ROOT / "var" / "oekohub-dortmund" / "world"
# The sample talks set-up produced (hubtwin talks build-samples), for the screens.
BUILT_TALKS = PROJECT_ROOT / "var" / "oekohub-dortmund" / "talks"
SERVER_START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class HubServer:
    """A running ``hubtwin serve``: its URL, data folder and process."""

    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"hubtwin serve exited with {process.returncode}:\n{log_path.read_text()[-4000:]}"
            )
        try:
            with urllib.request.urlopen(url + "healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"hubtwin serve not healthy after {SERVER_START_TIMEOUT_S:.0f} s")


@contextlib.contextmanager
def running_hub(
    data_dir: Path, *options: str, env: dict[str, str] | None = None
) -> Iterator[HubServer]:
    """``hubtwin serve`` on a free port (one port: the browser reaches the realtime endpoint
    at /ws on it) with ``data_dir`` and ``options``, healthy; stopped afterwards."""
    port = free_port()
    log_path = data_dir / "server.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, "HUBTWIN_LOG_LEVEL": "warning", **(env or {})}
    command = [HUBTWIN, "serve", "--port", str(port), "--data-dir", str(data_dir), *options]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT, env=environment
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_healthy(url, process, log_path)
        yield HubServer(url, data_dir, process, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def copy_built(data_dir: Path, *, talks: bool = True) -> None:
    """The world (and sample talks) built at set-up, copied into a test hub's data folder."""
    if (BUILT_WORLD / "hub.glb").is_file():
        shutil.copytree(BUILT_WORLD, data_dir / "world")
    if talks and BUILT_TALKS.is_dir():
        shutil.copytree(BUILT_TALKS, data_dir / "talks")


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubServer]:
    data_dir = tmp_path_factory.mktemp("hub-data")
    copy_built(data_dir)
    with running_hub(data_dir) as server:
        yield server


@pytest.fixture
def hub_per_test(tmp_path: Path) -> Iterator[HubServer]:
    """A hub of one test's own, started again for each attempt of it (a module asks for it
    as its ``hub`` where an attempt would meet what an earlier one left)."""
    copy_built(tmp_path / "hub-data", talks=False)
    with running_hub(tmp_path / "hub-data") as server:
        yield server


@pytest.fixture(scope="module")
def world_model(hub: HubServer) -> World:
    """The world the server serves, loaded in the test (to pick places one can reach)."""
    return load_world(hub.data_dir / "world" / "hub.glb")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


IN_HUB = "s.phase === 'hub' && s.room !== null && s.connection === 'open' && s.fps > 0"
"""The hub is shown, its room joined and its view drawn."""


DRAW_FRAMES = (
    "(n) => new Promise((done) => {"
    " const next = (k) => (k ? requestAnimationFrame(() => next(k - 1)) : done()); next(n); })"
)


@dataclass
class Visitor:
    """One person in their own browser context."""

    name: str
    context: BrowserContext
    page: Page
    problems: list[str] = field(default_factory=list)

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = self.page.evaluate("window.hubtwin.state()")
        return result

    def venue(self) -> dict[str, Any]:
        result: dict[str, Any] = self.page.evaluate("window.hubtwin.venue()")
        return result

    def sign_in_as_staff(self, username: str, password: str, timeout_ms: float = 60000) -> None:
        """Sign in on the start page with a facilitator's or staff account and wait until
        the hub is shown and joined."""
        self.page.locator(".staff-login summary").click()
        self.page.fill("#staff-username", username)
        self.page.fill("#staff-password", password)
        self.page.locator("#staff-form button[type=submit]").click()
        self.wait_for(IN_HUB, timeout_ms=timeout_ms)

    def walk_to(self, x: float, z: float) -> dict[str, Any]:
        result: dict[str, Any] = self.page.evaluate(
            "([x, z]) => window.hubtwin.walkTo(x, z)", [x, z]
        )
        return result

    def wait_for(self, expression: str, arg: Any = None, timeout_ms: float = 15000) -> float:
        """Wait until a JavaScript predicate (of window.hubtwin.state() as s, and arg) holds;
        returns the seconds it took.

        Polled with evaluate(): wait_for_function would evaluate a string in the page,
        which the client's Content-Security-Policy (rightly) forbids."""
        script = (
            "(arg) => { if (window.hubtwin === undefined) return false;"  # still loading
            f" const s = window.hubtwin.state(); return Boolean({expression}); }}"
        )
        started = time.monotonic()
        while True:
            if self.page.evaluate(script, arg):
                return time.monotonic() - started
            if (time.monotonic() - started) * 1000 > timeout_ms:
                state = self.page.evaluate("window.hubtwin && window.hubtwin.state()")
                raise AssertionError(f"{self.name}: timed out waiting for {expression}: {state}")
            self.page.wait_for_timeout(25)

    def first(self, expression: str, arg: Any = None, timeout_ms: float = 15000) -> Any:
        """The first truthy value of a JavaScript expression (of s and arg), polled."""
        script = f"(arg) => {{ const s = window.hubtwin.state(); return {expression}; }}"
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            value = self.page.evaluate(script, arg)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: timed out waiting for {expression}")
            self.page.wait_for_timeout(20)

    def frames(self, count: int = 3) -> None:
        """Let the page draw ``count`` more frames (a turn of the view, a new texture)."""
        self.page.evaluate(DRAW_FRAMES, count)

    def clear_view(self) -> None:
        """Close the panel a learning station nearby opens by itself: on the test's small
        window it covers most of the view."""
        if self.page.locator("#panel-station").is_visible():
            self.page.locator("#panel-station button.close").click()
            self.page.locator("#panel-station").wait_for(state="hidden")

    def hold_requests(self, pattern: str) -> list[Route]:
        """From now on the page's requests to pattern wait, as on a slow connection, until
        the test continues them (``route.continue_()``); the list fills as they come."""
        held: list[Route] = []

        def hold(route: Route) -> None:
            held.append(route)

        self.page.route(pattern, hold)
        return held

    def until_held(self, held: list[Route], count: int) -> None:
        """Wait until count requests are held (the page's events, held requests among
        them, come in while it waits)."""
        while len(held) < count:
            self.page.wait_for_timeout(20)

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        self.page.screenshot(path=str(path))
        return path


class Visitors:
    """Opens visitors against one hub and collects every console error of their pages."""

    def __init__(self, browser: Browser, hub: HubServer) -> None:
        self.browser = browser
        self.hub = hub
        self.opened: list[Visitor] = []

    def open(self, name: str, *, language: str = "de", touch: bool = False) -> Visitor:
        """A fresh browser context on the start page (nothing entered yet); touch makes it
        a phone (touch screen, coarse pointer)."""
        context = self.browser.new_context(
            viewport=VIEWPORT, locale=f"{language}-DE", has_touch=touch, is_mobile=touch
        )
        page = context.new_page()
        visitor = Visitor(name, context, page)
        page.on("console", lambda message: self._console(visitor, message))
        page.on("pageerror", lambda error: visitor.problems.append(f"page error: {error}"))
        page.goto(self.hub.url)
        deadline = time.monotonic() + 15
        while not page.evaluate("window.hubtwin !== undefined"):
            if time.monotonic() > deadline:
                raise AssertionError(f"{name}: the client did not start")
            page.wait_for_timeout(50)
        self.opened.append(visitor)
        return visitor

    def new(
        self, name: str, *, colour: str | None = None, shape: str | None = None, touch: bool = False
    ) -> Visitor:
        """A visitor who has entered the hub and is standing in a room."""
        visitor = self.open(name, touch=touch)
        self.enter(visitor, colour=colour, shape=shape)
        return visitor

    def together(self, *people: tuple[str, dict[str, str]]) -> list[Visitor]:
        """Several visitors entering at the same time (their pages load side by side):
        together(("Anna", {}), ("Ben", {"colour": "#c23b3b", "shape": "cone"}))."""
        group = [self.open(name) for name, _ in people]
        for visitor, (_, look) in zip(group, people, strict=True):
            self.fill_in(visitor, **look)
        for visitor in group:
            self.wait_entered(visitor)
        return group

    @staticmethod
    def enter(visitor: Visitor, *, colour: str | None = None, shape: str | None = None) -> None:
        """Fill in the start page as a guest and wait until the hub is shown and joined."""
        Visitors.fill_in(visitor, colour=colour, shape=shape)
        Visitors.wait_entered(visitor)

    @staticmethod
    def fill_in(visitor: Visitor, *, colour: str | None = None, shape: str | None = None) -> None:
        page = visitor.page
        page.fill("#display-name", visitor.name)
        if colour:
            page.locator(f'input[name="colour"][value="{colour}"]').check()
        if shape:
            page.locator(f'input[name="shape"][value="{shape}"]').check()
        page.locator("#enter-button").click()

    @staticmethod
    def wait_entered(visitor: Visitor) -> None:
        visitor.wait_for(
            "s.phase === 'hub' && s.room !== null && s.connection === 'open' && s.fps > 0",
            timeout_ms=60000,
        )

    @staticmethod
    def _console(visitor: Visitor, message: ConsoleMessage) -> None:
        if message.type == "error":
            visitor.problems.append(f"console error: {message.text} ({message.location})")

    def problems(self) -> list[str]:
        return [f"{v.name}: {p}" for v in self.opened for p in v.problems]

    def close(self) -> None:
        """Everyone leaves as with the "leave" button (a bye: the server ends their sessions
        at once, so no one stays in a room as "away" into the next test), then the pages close."""
        for visitor in self.opened:
            with contextlib.suppress(Exception):
                if visitor.page.evaluate(IN_HUB_SCRIPT):
                    # the button says bye, closes the socket and goes back to the start page
                    with visitor.page.expect_navigation(wait_until="commit", timeout=5000):
                        visitor.page.evaluate("document.getElementById('leave-hub').click()")
            visitor.context.close()


IN_HUB_SCRIPT = "() => window.hubtwin !== undefined && window.hubtwin.state().phase === 'hub'"


@pytest.fixture
def visitors(browser: Browser, hub: HubServer) -> Iterator[Visitors]:
    group = Visitors(browser, hub)
    try:
        yield group
        assert group.problems() == [], "the browser reported errors"
    finally:
        group.close()


class Guests:
    """People who speak the real protocol from Python (no browser): to fill a room or to
    make a crowd. Each reads its frames on a thread of its own so the server never sees
    a slow client."""

    def __init__(self, hub: HubServer) -> None:
        self.hub = hub
        with urllib.request.urlopen(hub.url + "api/config") as response:
            self.config = json.loads(response.read())
        self.sockets: list[ClientConnection] = []
        self.stack = contextlib.ExitStack()
        self.threads: list[threading.Thread] = []
        self.seq = 0

    def _sign_in(self, name: str) -> str:
        """A guest token signed with the server's key, as a load generator makes them
        (POST /api/session would rightly rate-limit fifty sign-ins from one address)."""
        secret = (self.hub.data_dir / "secret.key").read_text(encoding="ascii").strip()
        guest = Identity(f"g-{uuid.uuid4().hex}", name, Role.VISITOR, guest=True)
        return TokenSigner(secret).issue(guest, ttl_s=3600, now=time.time())

    def join(
        self,
        name: str,
        room: str,
        colour: str = "#1f5fae",
        appearance: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Connect as a guest standing in room (looking as appearance says, or a default
        body in colour); returns the joined message."""
        address = websocket_address(self.hub.url, self.config["ws_url"])
        ws = self.stack.enter_context(connect(address, open_timeout=10))
        hello = {
            "t": "hello",
            "v": self.config["protocol_version"],
            "token": self._sign_in(name),
            "lang": "de",
            "appearance": appearance or {"color": colour, "shape": "average"},
            "room": room,
        }
        ws.send(msgpack.packb(hello))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            frame = ws.recv(timeout=10)
            if isinstance(frame, bytes) and frame[:1] != b"S":
                message: dict[str, Any] = msgpack.unpackb(frame)
                if message.get("t") == "joined":
                    self.sockets.append(ws)
                    reader = threading.Thread(target=self._drain, args=(ws,), daemon=True)
                    reader.start()
                    self.threads.append(reader)
                    return message
        raise AssertionError(f"{name} did not get into {room}")

    @staticmethod
    def _drain(ws: ClientConnection) -> None:
        try:
            for _ in ws:
                pass
        except Exception:
            return

    def pose(self, index: int, x: float, y: float, z: float, yaw: float) -> None:
        self.seq += 1
        self.sockets[index].send(encode_pose(self.seq, x, y, z, yaw, 0.0))

    def close(self) -> None:
        """Everyone says bye (no reconnection grace); the server closes each connection once
        it has read the bye, which ends the connection's reader."""
        for ws in self.sockets:
            with contextlib.suppress(Exception):
                ws.send(msgpack.packb({"t": "bye"}))
        for thread in self.threads:
            thread.join(5)
        self.stack.close()
        self.sockets.clear()
        self.threads.clear()


@pytest.fixture
def guests(hub: HubServer) -> Iterator[Guests]:
    group = Guests(hub)
    try:
        yield group
    finally:
        group.close()
