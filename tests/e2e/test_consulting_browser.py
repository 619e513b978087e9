"""Consulting hours in real browsers: an advisor (a facilitator account marked as advisor
with ``hubtwin accounts add --advisor``) opens a desk at a consulting corner in the panel
(key R); visitor Ada queues with her topic, the advisor sees it and calls her in; both are
in the corner's booth, a room instance of their own: visitor Bo, in the consulting room,
does not see them, is refused when he asks to go into the booth, gets none of the booth
chat, and the sign over the corner says a conversation is running; the advisor hands over
notes and a checklist, Ada saves them and finds them in her passport; Ada ends the
conversation and both are back in the room. The server's own view of the booth (staff:
GET /api/consulting/booths) names exactly the two."""

from __future__ import annotations

import json
import subprocess
import urllib.request
import uuid
from typing import Any

import pytest
from conftest import HubServer, Visitor, Visitors
from playwright.sync_api import Locator

from world.site import PROJECT_ROOT

pytestmark = pytest.mark.e2e

WAIT_MS = 30000
TOPIC = "CO2-Bilanz für unsere Spedition"
NOTES = "Scope 1 und 2 aus den Tankkarten und der Stromrechnung erfassen."


@pytest.fixture
def hub(hub_per_test: HubServer) -> HubServer:
    """A hub for each attempt: desks and booths are held by the running hub."""
    return hub_per_test


def account(hub: HubServer, name: str, role: str, *, advisor: bool = False) -> tuple[str, str]:
    username, password = f"{role}-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex
    subprocess.run(
        [str(PROJECT_ROOT / ".venv" / "bin" / "hubtwin"), "accounts", "--data-dir",
         str(hub.data_dir), "add", username, "--name", name, "--role", role,
         *(["--advisor"] if advisor else []), "--password-stdin"],
        input=password.encode(),
        check=True,
        cwd=PROJECT_ROOT,
        capture_output=True,
    )  # fmt: skip
    return username, password


def api(hub: HubServer, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(hub.url + path.lstrip("/"), data, headers, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def press(button: Locator) -> None:
    """Work the panel with the keyboard, as someone without a mouse does (and without
    waiting for a busy page's frames to call the button steady)."""
    button.focus()
    button.press("Enter")


def into_consulting(visitor: Visitor) -> None:
    """Into the consulting room's main instance (asked again if the first ask is lost, as
    someone would click again; the server's answer, if any, is in the banner)."""
    for _ in range(3):
        visitor.wait_for("s.connection === 'open' && s.session !== null", timeout_ms=WAIT_MS)
        if not visitor.page.evaluate("window.hubtwin.go('consulting', 0)"):
            continue  # the connection went at that moment: ask again once it is back
        try:
            visitor.wait_for("s.room === 'consulting' && s.instance === 0", timeout_ms=WAIT_MS / 3)
            return
        except AssertionError:
            continue
    banner = visitor.page.locator("#banner-text").inner_text()
    raise AssertionError(f"{visitor.name} is not in the consulting room: {banner!r}")


def open_panel(visitor: Visitor) -> None:
    visitor.page.locator("#view").focus()
    visitor.page.keyboard.press("r")
    visitor.wait_for("s.consulting.open && s.consulting.desks !== null")


@pytest.mark.timeout(600)
def test_a_visitor_queues_is_called_in_privately_and_saves_the_notes(
    visitors: Visitors, hub: HubServer
) -> None:
    username, password = account(hub, "Team Beratung", "facilitator", advisor=True)
    staff = api(hub, "POST", "/api/session", account_body(*account(hub, "Empfang", "staff")))
    advisor = visitors.open("Team Beratung")
    advisor.sign_in_as_staff(username, password)
    ada, bo = visitors.together(("Ada", {}), ("Bo", {}))
    for person in (advisor, ada, bo):
        into_consulting(person)
        open_panel(person)

    # only the advisor has a desk to open; Bo's panel has none
    assert bo.page.locator("#consult-desk").count() == 0
    advisor.page.select_option("#consult-corner", "consulting-1")
    press(advisor.page.locator("#consult-open"))
    advisor.wait_for("s.consulting.desk && s.consulting.desk.corner === 'consulting-1'")
    advisor_session = advisor.state()["session"]

    # Ada queues with her topic
    ada.wait_for("s.consulting.desks.some((d) => d.session === arg)", advisor_session)
    ada.page.fill("#consult-topic", TOPIC)
    press(ada.page.locator(f'#consult-desks li[data-session="{advisor_session}"] .consult-queue'))
    ada.wait_for("s.consulting.queued && s.consulting.queued.position === 1")
    advisor.wait_for("s.consulting.desk.queue.some((w) => w.topic === arg)", TOPIC)
    assert TOPIC in advisor.page.locator("#consult-queue").inner_text()

    # the advisor calls her in: both are in the booth, a room instance of its own
    press(advisor.page.locator("#consult-call-next"))
    ada.wait_for(
        "s.consulting.booth && s.instance === s.consulting.booth.instance", timeout_ms=WAIT_MS
    )
    booth = ada.state()["consulting"]["booth"]
    assert booth["room"] == "consulting" and booth["instance"] != 0 and booth["topic"] == TOPIC
    advisor.wait_for(
        "s.instance === arg && s.consulting.booth.role === 'advisor'", booth["instance"]
    )
    seen = api(hub, "GET", "/api/consulting/booths", token=staff["token"])
    assert seen == [
        {
            "corner": "consulting-1",
            "room": "consulting",
            "instance": booth["instance"],
            "advisor": advisor_session,
            "visitor": ada.state()["session"],
        }
    ]

    # Bo stays outside: he does not see them, cannot go in, and the sign says it is taken
    bo.wait_for("!s.others.some((o) => o.name === 'Ada' || o.name === 'Team Beratung')")
    bo.page.evaluate("([room, n]) => window.hubtwin.go(room, n)", ["consulting", booth["instance"]])
    bo.page.locator("#banner-text", has_text="vertrauliches Beratungsgespräch").wait_for()
    assert bo.state()["instance"] == 0
    bo.wait_for(
        "(s.consulting.signs['consulting-1'] || []).some((line) => line.includes(arg))",
        "Gespräch läuft",
        timeout_ms=WAIT_MS,
    )

    # the booth chat goes to the two only
    ada.page.fill("#consult-say", "Unser letzter Bericht: https://example.org/bericht-2025")
    press(ada.page.locator("#consult-send"))
    advisor.wait_for(
        "s.consulting.lines.some((l) => l.name === 'Ada' && l.text.includes('example.org'))"
    )
    assert bo.state()["consulting"]["lines"] == []

    # notes and a checklist handed over, saved by Ada, in her passport
    advisor.page.fill("#consult-notes", NOTES)
    advisor.page.fill("#consult-checklist", "Tankkarten sammeln\nStromrechnung 2025")
    press(advisor.page.locator("#consult-hand"))
    ada.wait_for("s.consulting.handed.length === 1")
    press(ada.page.locator("#consult-handed .consult-save"))
    ada.wait_for("s.consulting.saved.length === 1 && s.consulting.handed.length === 0")
    saved = ada.state()["consulting"]["saved"][0]
    assert saved["text"] == NOTES and saved["checklist"] == [
        "Tankkarten sammeln",
        "Stromrechnung 2025",
    ]
    ada.page.locator("#view").focus()
    ada.page.keyboard.press("i")
    ada.page.locator("#passport-consulting", has_text="Tankkarten sammeln").wait_for()

    # Ada ends it: both are back in the consulting room
    if not ada.state()["consulting"]["open"]:
        ada.page.locator("#view").focus()
        ada.page.keyboard.press("r")
        ada.wait_for("s.consulting.open")
    press(ada.page.locator("#consult-end"))
    ada.wait_for("s.consulting.booth === null && s.instance === 0", timeout_ms=WAIT_MS)
    advisor.wait_for("s.consulting.booth === null && s.instance === 0", timeout_ms=WAIT_MS)
    assert api(hub, "GET", "/api/consulting/booths", token=staff["token"]) == []


def account_body(username: str, password: str) -> dict[str, str]:
    return {"username": username, "password": password}
