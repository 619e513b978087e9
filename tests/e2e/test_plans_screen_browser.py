"""The teams' progress on the room's screen, in the browser: two teams share a running
workshop, one agreed to show its progress; the facilitator shows it from the plan panel and
everyone in the room sees that team (only that one) on the room's screen and as a table in
the panel; a measure set to done shows at once; the facilitator takes it off the screen.
A visitor has no button for it (the server refuses anyway: test_plans_http.py)."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

import pytest
from conftest import HubServer, Visitors
from test_accessibility import assert_clean
from test_plans_browser import open_plans
from test_polls_browser import by_link, facilitator_account, post

pytestmark = pytest.mark.e2e


def call(
    hub: HubServer, method: str, path: str, token: str, body: dict[str, Any] | None = None
) -> Any:
    request = urllib.request.Request(
        hub.url + path.lstrip("/"),
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method=method,
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.timeout(600)
def test_the_facilitator_shows_the_teams_progress_on_the_room_screen(
    visitors: Visitors, hub: HubServer
) -> None:
    username, password = facilitator_account(hub, "Mara")
    token = post(hub, "/api/session", {"username": username, "password": password})["token"]
    workshop = post(
        hub,
        "/api/workshops",
        {"title": "Austauschreihe", "room": "workshop", "starts": time.time() - 60,
         "minutes": 60, "agenda": [{"title": "Fortschritt", "minutes": 30}], "force": True},
        token,
    )  # fmt: skip
    kai = post(hub, "/api/session", {"name": "Kai"})["token"]
    shown = post(hub, "/api/teams", {"name": "Grüne Backstube", "firm": "Korn GmbH"}, kai)
    quiet = post(hub, "/api/teams", {"name": "Stille Werkstatt"}, kai)
    for team in (shown, quiet):
        post(hub, f"/api/teams/{team['id']}/workshops", {"workshop": workshop["id"]}, kai)
    call(hub, "PATCH", f"/api/teams/{shown['id']}", kai, {"show_progress": True})
    led = post(hub, f"/api/teams/{shown['id']}/measures", {"title": "LED", "co2e_kg": 300}, kai)
    post(hub, f"/api/teams/{shown['id']}/measures", {"title": "Jobrad", "co2e_kg": 200}, kai)
    post(hub, f"/api/teams/{quiet['id']}/measures", {"title": "Dach", "co2e_kg": 900}, kai)

    mara = by_link(visitors, hub, "Mara", workshop["id"])
    mara.sign_in_as_staff(username, password)
    anna = by_link(visitors, hub, "Anna", workshop["id"])
    Visitors.fill_in(anna)
    Visitors.wait_entered(anna)
    for person in (mara, anna):
        person.wait_for("s.room === 'workshop'", timeout_ms=20000)
    mara.page.locator("#toggle-workshop").click()
    mara.page.locator("#ws-start").click()
    for person in (mara, anna):
        person.wait_for("s.polls.workshop && s.polls.workshop.id === arg", workshop["id"])
    mara.page.locator("#toggle-workshop").click()

    open_plans(anna)
    assert anna.page.locator("#plans-screen-toggle").count() == 0
    open_plans(mara)
    mara.page.get_by_role("button", name="Fortschritt der Teams auf dem Bildschirm zeigen").click()
    for person in (mara, anna):
        person.wait_for("s.plans.screen && s.plans.screen.screen === 'workshop-screen'")
        screen = person.state()["plans"]["screen"]
        assert screen["teams"] == [
            {"name": "Grüne Backstube", "done": 0, "measures": 2, "co2Done": 0, "co2Planned": 500}
        ]
    table = anna.page.locator("#plans-progress")
    table.wait_for()
    assert table.locator("tbody tr").count() == 1
    assert table.locator("tbody tr").inner_text().split("\t") == [
        "Grüne Backstube (Korn GmbH)",
        "0 / 2",
        "0 / 500",
    ]
    assert_clean(anna.page, "#panel-plans")

    path = f"/api/teams/{shown['id']}/measures/{led['id']}"
    call(hub, "PATCH", path, kai, {"status": "done"})
    for person in (mara, anna):
        person.wait_for("s.plans.screen && s.plans.screen.teams[0].done === 1")
        assert person.state()["plans"]["screen"]["teams"][0]["co2Done"] == 300
    anna.page.wait_for_function(
        "() => document.querySelector('#plans-progress tbody td:last-child')"
        "?.textContent === '300 / 500'"
    )
    mara.screenshot("plans-progress-screen.png")

    mara.page.get_by_role("button", name="Fortschritt der Teams vom Bildschirm nehmen").click()
    for person in (mara, anna):
        person.wait_for("s.plans.screen === null && s.plans.progress === null")
    assert anna.page.locator("#plans-progress").count() == 0
