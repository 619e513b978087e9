"""The workshop board in the browser: a facilitator (speaking the protocol from Python) starts
a workshop in the workshop room; two visitors who came by its link open the board (key B),
pin up notes and give each other's notes a dot, and each sees the other's notes and dots
arrive live, in the panel and on the board on the room's wall; axe-core finds nothing in the
panel."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import msgpack
import pytest
from conftest import HubServer, Visitor, Visitors
from test_accessibility import assert_clean
from test_workshop import account, by_link, open_spot, post
from websockets.sync.client import ClientConnection, connect

from server.protocol import table as protocol
from world.model import World

pytestmark = pytest.mark.e2e


@contextlib.contextmanager
def leading(hub: HubServer, token: str, workshop_id: str) -> Iterator[ClientConnection]:
    """The facilitator in the workshop room, the workshop started (frames read on a thread
    of their own so the server never sees a slow client)."""
    ws_url = hub.url.replace("http", "ws", 1) + "ws"
    with connect(ws_url, open_timeout=10) as ws:
        ws.send(
            msgpack.packb(
                {
                    "t": "hello",
                    "v": protocol.PROTOCOL_VERSION,
                    "token": token,
                    "lang": "de",
                    "appearance": {"color": "#2f7d4f", "shape": "cube"},
                    "room": "workshop",
                }
            )
        )
        seen: list[dict[str, Any]] = []

        def read() -> None:
            with contextlib.suppress(Exception):
                for frame in ws:
                    if isinstance(frame, bytes) and frame[:1] != b"S":
                        seen.append(msgpack.unpackb(frame))

        stop = threading.Event()

        def keep_alive() -> None:  # as a client does: a ping now and then
            with contextlib.suppress(Exception):
                while not stop.wait(protocol.PING_INTERVAL_S):
                    ws.send(msgpack.packb({"t": "ping", "c": time.time()}))

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        threading.Thread(target=keep_alive, daemon=True).start()
        deadline = time.monotonic() + 15
        while not any(m.get("t") == "joined" for m in seen):
            assert time.monotonic() < deadline, f"the facilitator did not get in: {seen}"
            time.sleep(0.05)
        ws.send(msgpack.packb({"t": "workshop_start", "workshop": workshop_id}))
        while not any(m.get("t") == "board_state" and m.get("board") for m in seen):
            assert time.monotonic() < deadline, f"the workshop did not start: {seen}"
            time.sleep(0.05)
        try:
            yield ws
        finally:  # a rerun of the test starts its own workshop in the room
            stop.set()
            ws.send(msgpack.packb({"t": "workshop_end"}))


def note_item(visitor: Visitor, text: str) -> Any:
    return visitor.page.locator("#panel-board li.board-note", has_text=text)


@pytest.mark.timeout(600)  # two browsers on a shared machine, axe-core in one of them
def test_two_people_pin_up_notes_and_vote_and_see_each_other_live(
    visitors: Visitors, hub: HubServer, world_model: World
) -> None:
    username, password = account(hub, "Mara")
    token = post(hub, "/api/session", {"username": username, "password": password})["token"]
    workshop = post(
        hub,
        "/api/workshops",
        {
            "title": "Klimabilanz",
            "room": "workshop",
            "starts": time.time() - 60,
            "minutes": 60,
            "force": True,
        },
        token,
    )
    with leading(hub, token, workshop["id"]):
        ada = by_link(visitors, hub, "Ada", workshop["id"])
        ben = by_link(visitors, hub, "Ben", workshop["id"])
        for person in (ada, ben):
            Visitors.enter(person)
        for person in (ada, ben):
            person.wait_for("s.room === 'workshop' && s.board.board !== null", timeout_ms=30000)
            person.page.locator("#view").focus()
            person.page.keyboard.press("b")  # the board panel, from the keyboard
            person.page.locator("#board-new-text").wait_for(state="visible")
            assert person.page.evaluate("document.activeElement.id") == "board-new-text"
        assert ada.page.locator("#panel-board h3").all_inner_texts() == [
            "Ideen",
            "Maßnahmen",
            "Nächste Schritte",
        ]

        # Ada pins up a note (from the keyboard); Ben sees it at once, as plain text
        ada.page.keyboard.type("<b>LED</b> in der Halle")
        ada.page.locator("#board-new-column").select_option("1")
        ada.page.locator(".board-add button[type=submit]").click()
        note_item(ben, "<b>LED</b> in der Halle").wait_for(timeout=15000)
        assert ben.page.locator("#panel-board b").count() == 0  # text, never markup
        assert "von Ada" in note_item(ben, "<b>LED</b> in der Halle").inner_text()
        assert "Ihr Zettel" in note_item(ada, "<b>LED</b> in der Halle").inner_text()

        # Ben pins up one too and gives Ada's a dot; Ada sees both
        ben.page.locator("#board-new-text").fill("Jobrad für alle")
        ben.page.locator(".board-add button[type=submit]").click()
        note_item(ada, "Jobrad für alle").wait_for(timeout=15000)
        note_item(ben, "<b>LED</b> in der Halle").get_by_role("button", name="Punkt geben").click()
        ada.wait_for(
            "s.board.board.notes.some((n) => n.text === '<b>LED</b> in der Halle' && n.dots === 1)"
        )
        assert "1 Punkte" in note_item(ada, "<b>LED</b> in der Halle").inner_text()
        ben.wait_for("s.board.board.dots_left === 4")
        assert ben.page.locator("#board-dots").inner_text() == "Ihre Punkte: noch 4 von 5"

        # Ada gives Ben's note a dot back; Ben sees it
        note_item(ada, "Jobrad für alle").get_by_role("button", name="Punkt geben").click()
        ben.wait_for(
            "s.board.board.notes.some((n) => n.text === 'Jobrad für alle' && n.dots === 1)"
        )
        pressed = note_item(ada, "Jobrad für alle").get_by_role("button", name="Punkt zurücknehmen")
        assert pressed.get_attribute("aria-pressed") == "true"

        # Ben may not edit Ada's note: no button for it
        assert (
            note_item(ben, "<b>LED</b> in der Halle")
            .get_by_role("button", name="Bearbeiten")
            .count()
            == 0
        )

        # the board on the wall shows both notes to both
        for person in (ada, ben):
            person.wait_for(
                "s.board.wall.some((lines) => lines.includes('<b>LED</b> in der Halle')"
                " && lines.includes('Jobrad für alle'))"
            )
        assert_clean(ada.page, "#panel-board")  # axe-core finds nothing in the panel
        ada.screenshot("board-panel.png")
        # standing at the wall board (a picture to look at, test-artifacts/board-wall.png)
        wall = next(a for a in world_model.anchors_of("board") if a.extras.get("shows") == "notes")
        x, z = open_spot(
            world_model, "workshop", float(wall.position[0]) - 1.6, float(wall.position[2])
        )
        ben.page.keyboard.press("Escape")
        assert ben.walk_to(x, z)["arrived"]
        ben.page.evaluate(
            f"window.hubtwin.lookAt({float(wall.position[0])}, {float(wall.position[2])})"
        )
        ben.clear_view()
        ben.frames(3)
        ben.screenshot("board-wall.png")
    assert visitors.problems() == []
