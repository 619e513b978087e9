"""A poll in the browser: a facilitator starts a workshop and opens a poll from the poll
panel; two visitors who came by the workshop's link see the panel open and answer (one
with the mouse, one with the keyboard only); the facilitator sees the counts live in the
panel and as a bar chart on the room's screen, then closes the poll: everyone sees it closed
and the answer form is gone (late answers refused by the server: test_polls_socket.py)."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
import uuid
from typing import Any

import pytest
from conftest import HubServer, Visitor, Visitors
from test_accessibility import assert_clean

from world.site import PROJECT_ROOT

pytestmark = pytest.mark.e2e


def facilitator_account(hub: HubServer, name: str) -> tuple[str, str]:
    username, password = f"{name.lower()}-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex
    subprocess.run(
        [str(PROJECT_ROOT / ".venv" / "bin" / "hubtwin"), "accounts", "--data-dir",
         str(hub.data_dir), "add", username, "--name", name, "--role", "facilitator",
         "--password-stdin"],
        input=password.encode(),
        check=True,
        cwd=PROJECT_ROOT,
        capture_output=True,
    )  # fmt: skip
    return username, password


def post(hub: HubServer, path: str, body: dict[str, Any], token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        hub.url + path.lstrip("/"), data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def by_link(visitors: Visitors, hub: HubServer, name: str, workshop_id: str) -> Visitor:
    visitor = visitors.open(name)
    visitor.page.goto(f"{hub.url}?workshop={workshop_id}")
    deadline = time.monotonic() + 15
    while not visitor.page.evaluate("window.hubtwin !== undefined"):
        assert time.monotonic() < deadline, f"{name}: the client did not start"
        visitor.page.wait_for_timeout(50)
    return visitor


@pytest.mark.timeout(600)
def test_a_facilitator_polls_two_visitors_and_sees_the_counts_live(
    visitors: Visitors, hub: HubServer
) -> None:
    username, password = facilitator_account(hub, "Mara")
    token = post(hub, "/api/session", {"username": username, "password": password})["token"]
    workshop = post(
        hub,
        "/api/workshops",
        {
            "title": "Grüner Aktionsplan",
            "room": "workshop",
            "starts": time.time() - 60,
            "minutes": 60,
            "agenda": [{"title": "Maßnahmen sammeln", "minutes": 30}],
        },
        token,
    )
    mara = by_link(visitors, hub, "Mara", workshop["id"])
    mara.sign_in_as_staff(username, password)
    anna = by_link(visitors, hub, "Anna", workshop["id"])
    ben = by_link(visitors, hub, "Ben", workshop["id"])
    for person in (anna, ben):  # both pages load side by side
        Visitors.fill_in(person)
    for person in (anna, ben):
        Visitors.wait_entered(person)
    for person in (mara, anna, ben):
        person.wait_for("s.room === 'workshop'", timeout_ms=20000)
    # no workshop running yet: no poll button
    assert mara.page.locator("#toggle-poll").is_hidden()

    mara.page.locator("#toggle-workshop").click()
    mara.page.locator("#ws-start").click()
    for person in (mara, anna, ben):
        person.wait_for("s.polls.workshop && s.polls.workshop.id === arg", workshop["id"])
    assert mara.state()["polls"]["workshop"]["youLead"] is True
    assert anna.page.locator("#poll-lead").is_hidden()

    # the facilitator asks from the poll panel (opened with its shortcut U)
    mara.page.locator("#toggle-workshop").click()  # the workshop panel closes again
    mara.page.keyboard.press("u")
    mara.wait_for("s.polls.open")
    mara.page.fill("#poll-question", "Womit fangen wir an?")
    mara.page.select_option("#poll-kind", "single")
    mara.page.fill("#poll-options", "LED-Beleuchtung\nDachdämmung\nJobrad")
    mara.page.locator("#poll-start").click()
    for person in (anna, ben):
        person.wait_for("s.polls.current && s.polls.current.open && s.polls.open")
    question = anna.page.locator("#poll-answer-form legend")
    assert question.inner_text() == "Womit fangen wir an?"
    assert_clean(anna.page, "#panel-poll")
    assert_clean(mara.page, "#panel-poll")
    # the room's screen shows the chart
    mara.wait_for("s.polls.screen && s.polls.screen.screen === 'workshop-screen'")

    # Anna answers with the mouse, then changes her mind; Ben with the keyboard only
    anna.page.locator("label[for=poll-choice-0]").click()
    anna.page.locator("#poll-submit").click()
    anna.wait_for("JSON.stringify(Object.values(s.polls.mine)) === '[[0]]'")
    anna.page.locator("label[for=poll-choice-1]").click()
    anna.page.locator("#poll-submit").click()
    anna.wait_for("JSON.stringify(Object.values(s.polls.mine)) === '[[1]]'")
    ben.page.focus("#poll-choice-1")
    ben.page.keyboard.press("Space")
    ben.page.keyboard.press("Tab")
    ben.page.keyboard.press("Enter")
    ben.wait_for("JSON.stringify(Object.values(s.polls.mine)) === '[[1]]'")
    # the panel is drawn again with his answer; the keyboard stays on the button
    ben.wait_for("document.activeElement && document.activeElement.id === 'poll-submit'")

    # the facilitator sees the counts live: in the panel and on the screen
    mara.wait_for("s.polls.current.answered === 2 && s.polls.current.counts.join() === '0,2,0'")
    mara.wait_for("s.polls.screen.counts.join() === '0,2,0'")
    results = mara.page.locator("#poll-results").inner_text()
    assert "Dachdämmung: 2 (100 %)" in results and "Antworten bisher: 2" in results
    mara.screenshot("poll-results.png")

    # closed: everyone sees it closed, and there is nothing left to answer
    mara.page.locator("#poll-close").click()
    for person in (mara, anna, ben):
        person.wait_for("s.polls.current && s.polls.current.open === false")
    assert anna.page.locator("#poll-answer-form").count() == 0
    assert ben.state()["polls"]["current"]["counts"] == [0, 2, 0]
    assert visitors.problems() == []
