"""The web client in a hub of two processes (real chromium, real processes, real Redis):
sent to the process that owns its room by ``redirect``, it goes there without the
reconnection banner and keeps its session; when that process is killed it comes back
through its first address and is put back in the room."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgpack
import pytest
from hub_processes import HubProcess, small_site, start_processes, token
from playwright.sync_api import Page, sync_playwright
from websockets.sync.client import ClientConnection, connect

from server.protocol.table import PROTOCOL_VERSION, SNAPSHOT_TAG

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--no-sandbox",
    "--disable-dev-shm-usage",
]


@pytest.fixture
def two(redis_url: str, tmp_path: Path) -> Iterator[list[HubProcess]]:
    hubs = start_processes(2, *small_site(tmp_path / "site"), tmp_path, redis_url)
    yield hubs
    for hub in hubs:
        hub.stop()


class Holder:
    """A protocol-level visitor standing in the hall, reading everything on a thread."""

    def __init__(self, url: str) -> None:
        self.stack = contextlib.ExitStack()
        self.ws: ClientConnection = self.stack.enter_context(connect(url, open_timeout=10))
        self.messages: list[dict[str, Any]] = []
        hello = {
            "t": "hello",
            "v": PROTOCOL_VERSION,
            "token": token("Holger"),
            "lang": "de",
            "appearance": {"color": "#336699", "shape": "capsule"},
            "room": "hall",
        }
        self.ws.send(msgpack.packb(hello))
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            for frame in self.ws:
                if isinstance(frame, bytes) and frame[:1] != bytes((SNAPSHOT_TAG,)):
                    self.messages.append(msgpack.unpackb(frame))
        except Exception:
            return

    def wait(self, kind: str, timeout_s: float = 15.0, **match: Any) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for message in list(self.messages):
                if message.get("t") == kind and all(message.get(k) == v for k, v in match.items()):
                    return message
            time.sleep(0.05)
        raise AssertionError(f"no {kind} {match}: {[m.get('t') for m in self.messages]}")

    def close(self) -> None:
        self.stack.close()
        self.thread.join(timeout=5)


def state(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate("window.hubtwin.state()")
    return result


def wait_for(page: Page, check: Any, what: str, timeout_s: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        current = state(page) if page.evaluate("Boolean(window.hubtwin)") else {}
        if current and check(current):
            return current
        page.wait_for_timeout(100)
    raise AssertionError(f"timed out waiting for {what}: {state(page)}")


def test_the_web_client_follows_a_redirect_and_comes_back_after_a_crash(
    two: list[HubProcess],
) -> None:
    first, second = two
    holder = Holder(first.ws_url)
    problems: list[str] = []
    try:
        holder.wait("joined", room="hall")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                context = browser.new_context(viewport={"width": 480, "height": 360})
                page = context.new_page()
                page.on("pageerror", lambda error: problems.append(str(error)))
                # (a socket to the killed process failing is expected, and logged by chromium)
                page.on(
                    "console",
                    lambda m: (
                        problems.append(m.text)
                        if m.type == "error" and "WebSocket connection" not in m.text
                        else None
                    ),
                )
                page.goto(second.http_url)
                page.fill("#display-name", "Lena")
                page.locator("#enter-button").click()
                entered = wait_for(
                    page,
                    lambda s: (
                        s["phase"] == "hub" and s["room"] == "hall" and s["connection"] == "open"
                    ),
                    "Lena in the hall",
                )
                # she is on the first process: the holder there sees her come in
                arrived = holder.wait("presence_join", name="Lena")
                assert arrived["session"] == entered["session"]
                assert page.evaluate("document.getElementById('banner').hidden") is True

                page.wait_for_timeout(1500)  # a round writes her grace state
                first.kill()
                wait_for(page, lambda s: s["connection"] != "open", "Lena to notice the crash")
                back = wait_for(
                    page,
                    lambda s: s["connection"] == "open" and s["room"] == "hall",
                    "Lena back after the crash",
                    timeout_s=30,
                )
                assert back["session"] == entered["session"]
                assert back["identity"] == entered["identity"]
            finally:
                browser.close()
    finally:
        holder.close()
    assert problems == []
