"""A page that stands still keeps its connection, in real Chromium against a real hub.

On a slow machine building the 3D world can hold a page's main thread for many seconds;
the answers to its heartbeat then wait behind its own timer. The connection must not be
taken for dead and dropped then: what others said meanwhile arrives, on the same
WebSocket, without a reconnection."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Visitors
    from playwright.sync_api import WebSocket

pytestmark = pytest.mark.e2e

#: Longer than two heartbeat intervals (5 s each) and the old 12.5 s silence limit.
STALL_MS = 16000


def test_a_page_that_stands_still_keeps_its_connection_and_gets_what_was_said(
    visitors: Visitors,
) -> None:
    anna = visitors.open(f"Anna {secrets.token_hex(2)}")
    sockets: list[WebSocket] = []
    anna.page.on("websocket", lambda socket: sockets.append(socket))
    visitors.enter(anna)
    ben = visitors.new(f"Ben {secrets.token_hex(2)}")
    ben.wait_for("s.people.length >= 2")
    assert len(sockets) == 1
    # anna's page is busy for 16 s, from a timer so that this call returns at once
    anna.page.evaluate(
        """(ms) => setTimeout(() => {
            const end = performance.now() + ms;
            while (performance.now() < end) {}
        }, 0)""",
        STALL_MS,
    )
    ben.wait_for("true")  # ben's own page runs on
    text = f"Während du hängst {secrets.token_hex(3)}"
    ben.page.click("#toggle-chat")
    ben.page.fill("#chat-input", text)
    ben.page.press("#chat-input", "Enter")
    ben.wait_for("s.chat.some((m) => m.text === arg)", text)
    # once anna's page runs again: the line, the same socket, no reconnection after
    anna.wait_for("s.chat.some((m) => m.text === arg)", text, timeout_ms=60000)
    anna.wait_for("s.connection === 'open'")
    # two more heartbeat intervals: a wrongly counted silence would close it now
    anna.page.wait_for_timeout(11000)
    assert anna.state()["connection"] == "open"
    assert len(sockets) == 1, "the connection was dropped and made again"
    assert not sockets[0].is_closed()
    assert visitors.problems() == []
