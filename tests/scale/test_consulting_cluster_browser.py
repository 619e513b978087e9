"""Consulting across two real ``hubtwin serve --redis`` processes with the web client (real
chromium, real Redis): the advisor (a protocol client) has their desk open on one process;
Ada's browser is served by the other. She finds the desk in the consulting panel (key R),
queues with her topic and learns her place; called in, her client follows the hand-over to
the advisor's process without reconnecting (the banner says who calls her), keeps its
session and is in the booth, where her line in the booth chat reaches the advisor; when
the advisor ends the conversation she is back in the corner's room."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgpack
import pytest
from hub_processes import HubProcess, start_processes
from playwright.sync_api import Page, sync_playwright
from test_consulting_cluster import PASSWORD, consulting_site, http
from websockets.sync.client import ClientConnection, connect

from server.base.identity import Role
from server.protocol.table import PROTOCOL_VERSION, SNAPSHOT_TAG
from server.store.redis import RedisStore

__all__ = ["consulting_site"]  # the module fixture used here

pytestmark = pytest.mark.scale

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--no-sandbox",
    "--disable-dev-shm-usage",
]
TOPIC = "Förderung für eine Wärmepumpe"


async def _advisor_account(redis_url: str) -> None:
    store = await RedisStore.connect(redis_url, site="site")
    try:
        await store.create_account("beratung", PASSWORD, Role.FACILITATOR, "Beratung", True)
    finally:
        await store.close()


@pytest.fixture
def two(
    redis_url: str, consulting_site: tuple[Path, Path], tmp_path: Path
) -> Iterator[list[HubProcess]]:
    asyncio.run(_advisor_account(redis_url))
    hubs = start_processes(2, *consulting_site, tmp_path, redis_url)
    try:
        yield hubs
    finally:
        for hub in hubs:
            hub.stop()


class Advisor:
    """The advisor as a protocol client in the entrance room, reading on a thread."""

    def __init__(self, url: str, token: str) -> None:
        self.stack = contextlib.ExitStack()
        self.messages: list[dict[str, Any]] = []
        self.url = url
        self.ws: ClientConnection = self.stack.enter_context(connect(url, open_timeout=10))
        self.ws.send(msgpack.packb(self._hello(token)))
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    @staticmethod
    def _hello(token: str) -> dict[str, Any]:
        return {
            "t": "hello",
            "v": PROTOCOL_VERSION,
            "token": token,
            "lang": "de",
            "appearance": {"color": "#336699", "shape": "capsule"},
            "room": "entrance",
        }

    def _read(self) -> None:
        try:
            for frame in self.ws:
                if isinstance(frame, bytes) and frame[:1] != bytes((SNAPSHOT_TAG,)):
                    self.messages.append(msgpack.unpackb(frame))
        except Exception:
            return

    def send(self, kind: str, **fields: Any) -> None:
        self.ws.send(msgpack.packb({"t": kind, **fields}))

    def wait(self, kind: str, check: Any = None, timeout_s: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for message in list(self.messages):
                if message.get("t") == kind and (check is None or check(message)):
                    return message
            time.sleep(0.05)
        raise AssertionError(f"no {kind}: {[m.get('t') for m in self.messages]}")

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


def sessions_on(hub: HubProcess) -> int:
    status, report = hub.health()
    assert status == 200, report
    return int(report["checks"]["realtime"]["sessions"])


@pytest.mark.timeout(600)
def test_the_web_client_queues_on_one_process_and_is_called_into_the_booth_on_the_other(
    two: list[HubProcess],
) -> None:
    status, answer = http(
        two[0], "POST", "/api/session", None, {"username": "beratung", "password": PASSWORD}
    )
    assert status == 200, answer
    advisor = Advisor(two[0].ws_url, answer["token"])
    problems: list[str] = []
    try:
        advisor.wait("joined")
        advisor.send("consult_desk", open=True, corner="corner-a")
        advisor_session = advisor.wait("welcome")["session"]
        advisor.wait("consult_state", lambda m: m["desk"] is not None)
        served = next(hub for hub in two if sessions_on(hub) == 1)
        other = next(hub for hub in two if hub is not served)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_context(viewport={"width": 800, "height": 600}).new_page()
                page.on("pageerror", lambda error: problems.append(str(error)))
                page.on(
                    "console",
                    lambda m: problems.append(m.text) if m.type == "error" else None,
                )
                page.goto(other.http_url)
                page.fill("#display-name", "Ada")
                page.locator("#enter-button").click()
                entered = wait_for(
                    page,
                    lambda s: s["phase"] == "hub" and s["room"] == "hall"
                    and s["connection"] == "open",
                    "Ada in the hall",
                )  # fmt: skip
                assert sessions_on(other) == 1, "Ada must be on the other process"

                # she finds the desk in the panel and queues with her topic
                page.locator("#view").focus()
                page.keyboard.press("r")
                wait_for(
                    page,
                    lambda s: any(
                        d["session"] == advisor_session for d in s["consulting"]["desks"] or []
                    ),
                    "the advisor's desk in Ada's panel",
                )
                page.fill("#consult-topic", TOPIC)
                button = page.locator(f'#consult-desks li[data-session="{advisor_session}"]')
                button.locator(".consult-queue").click()
                wait_for(
                    page,
                    lambda s: (s["consulting"]["queued"] or {}).get("position") == 1,
                    "Ada told her place",
                )
                queue = advisor.wait("consult_state", lambda m: m["desk"]["queue"])
                assert [(w["name"], w["topic"]) for w in queue["desk"]["queue"]] == [("Ada", TOPIC)]

                # called in: her client follows the hand-over into the booth
                advisor.send("consult_call")
                booth = advisor.wait("consult_state", lambda m: m["booth"] is not None)["booth"]
                assert (booth["with"], booth["role"]) == ("Ada", "advisor")
                inside = wait_for(
                    page,
                    lambda s: s["connection"] == "open" and s["room"] == "entrance"
                    and s["instance"] == booth["instance"]
                    and (s["consulting"]["booth"] or {}).get("role") == "visitor",
                    "Ada in the booth",
                )  # fmt: skip
                assert inside["session"] == entered["session"]
                assert inside["consulting"]["booth"]["with"] == "Beratung"
                # the banner tells her who calls her, as in one process (no reconnecting)
                banner = page.locator("#banner-text").inner_text()
                assert banner == "Beratung ruft Sie in die Beratungsecke."
                assert sessions_on(served) == 2 and sessions_on(other) == 0

                # the booth chat reaches the advisor; the advisor ends it
                page.fill("#consult-say", "Hier ist unser Angebot")
                page.locator("#consult-send").click()
                line = advisor.wait("consult_line")
                assert (line["name"], line["text"]) == ("Ada", "Hier ist unser Angebot")
                advisor.send("consult_end")
                wait_for(
                    page,
                    lambda s: s["consulting"]["booth"] is None and s["room"] == "entrance"
                    and s["instance"] == 0,
                    "Ada back in the room",
                )  # fmt: skip
            finally:
                browser.close()
    finally:
        advisor.close()
    assert problems == []
