"""The reminder of a booked consulting slot in a real browser: visitor Ada books a slot in
the consulting panel (key R) and walks on with the panel closed; while her slot is far
ahead nothing reminds her; when her browser's clock says it is two minutes before the slot
(Playwright's clock moves the page's time; the hub's time is untouched), the hub reminds
her once, in the banner and the panel's status, with the hours' title and the corner.
"""

from __future__ import annotations

import json
import time
import urllib.request
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import HubServer, Visitor, Visitors

pytestmark = pytest.mark.e2e

WAIT_MS = 30000
#: with the panel closed the client reads its bookings again every 30 s
BACKGROUND_MS = 75000
REMINDER = "Ihr Beratungstermin"
TOPIC = "Förderung für die Weiterbildung"


def overview(hub: HubServer) -> dict[str, Any]:
    with urllib.request.urlopen(hub.url + "api/consulting", timeout=10) as response:
        answer: dict[str, Any] = json.loads(response.read())
        return answer


def toggle_panel(visitor: Visitor, open_: bool) -> None:
    visitor.page.locator("#view").focus()
    visitor.page.keyboard.press("r")
    visitor.wait_for("s.consulting.open === arg", open_)


@pytest.mark.timeout(300)
def test_a_booked_slot_is_recalled_in_the_hub_when_it_is_time(
    visitors: Visitors, hub: HubServer
) -> None:
    # the first slot at least a quarter of an hour ahead, among the buttons the panel shows
    now = time.time()
    hours, start = next(
        (h, start) for h in overview(hub)["hours"] for start in h["free"][:3] if start > now + 900
    )
    ada = visitors.new("Ada")
    toggle_panel(ada, True)
    ada.page.fill("#consult-topic", TOPIC)
    book = ada.page.locator(
        f'li[data-hours="{hours["id"]}"] .consult-book[data-start="{int(start)}"]'
    )
    book.focus()
    book.press("Enter")
    ada.wait_for("s.consulting.bookings.length === 1", timeout_ms=WAIT_MS)
    booking = ada.state()["consulting"]["bookings"][0]
    toggle_panel(ada, False)

    # far ahead: a background reading of the bookings goes by without a reminder
    seen = ada.state()["consulting"]["refreshes"]
    ada.wait_for("s.consulting.refreshes > arg", seen, timeout_ms=BACKGROUND_MS)
    assert ada.state()["consulting"]["reminded"] == []
    assert REMINDER not in ada.state()["consulting"]["status"]

    # two minutes before the slot, as Ada's browser sees the time
    ada.context.clock.set_system_time(datetime.fromtimestamp(start - 120, UTC))
    ada.wait_for("s.consulting.reminded.includes(arg)", booking, timeout_ms=BACKGROUND_MS)
    ada.wait_for("document.getElementById('banner-text').textContent.includes(arg)", REMINDER)
    status = ada.state()["consulting"]["status"]
    assert REMINDER in status and hours["title"] in status
    assert ada.page.evaluate("document.getElementById('banner').hidden") is False
    assert ada.state()["consulting"]["reminded"] == [booking], "said once"
    assert visitors.problems() == []
