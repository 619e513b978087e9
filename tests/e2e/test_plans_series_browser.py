"""A plan carried from one session of a series to the next, in the browser: a facilitator
plans a series of two sessions; a team shares its first session (and so the series) and
agreed to show its progress; in session 1 a member joins the team by its link and adds a
measure in the plan panel; the facilitator ends session 1, session 2 is moved to now and
started, and there the facilitator sees the team's plan with that measure and shows its
progress on the room's screen."""

from __future__ import annotations

import time

import pytest
from conftest import HubServer, Visitors
from test_plans_browser import add_measure, open_plans
from test_plans_screen_browser import call
from test_polls_browser import by_link, facilitator_account, post

pytestmark = pytest.mark.e2e


@pytest.mark.timeout(600)
def test_a_plan_comes_along_from_one_session_of_a_series_to_the_next(
    visitors: Visitors, hub: HubServer
) -> None:
    username, password = facilitator_account(hub, "Mara")
    token = post(hub, "/api/session", {"username": username, "password": password})["token"]
    series = post(
        hub,
        "/api/workshop-series",
        {"title": "Austauschreihe Klima", "room": "workshop", "first": time.time() + 300,
         "minutes": 60, "repeat": "weekly", "count": 2, "force": True},
        token,
    )  # fmt: skip
    first, second = (w["id"] for w in sorted(series["sessions"], key=lambda w: w["starts"]))
    kai = post(hub, "/api/session", {"name": "Kai"})["token"]
    team = post(hub, "/api/teams", {"name": "Grüne Backstube", "firm": "Korn GmbH"}, kai)
    post(hub, f"/api/teams/{team['id']}/workshops", {"workshop": first}, kai)
    call(hub, "PATCH", f"/api/teams/{team['id']}", kai, {"show_progress": True})
    secret = call(hub, "GET", f"/api/teams/{team['id']}", kai)["link"]

    # session 1 (begun a little early)
    mara = by_link(visitors, hub, "Mara", first)
    mara.sign_in_as_staff(username, password)
    mara.wait_for("s.room === 'workshop'", timeout_ms=20000)
    mara.page.locator("#toggle-workshop").click()
    mara.page.wait_for_selector(f"#ws-start-pick option[value='{first}']", state="attached")
    mara.page.select_option("#ws-start-pick", first)
    mara.page.locator("#ws-start").click()
    mara.wait_for("s.polls.workshop && s.polls.workshop.id === arg", first)

    anna = visitors.open("Anna")
    anna.page.goto(f"{hub.url}?team={team['id']}&join={secret}&workshop={first}")
    anna.page.wait_for_function("window.hubtwin !== undefined")
    visitors.enter(anna)
    anna.wait_for("s.polls.workshop && s.polls.workshop.id === arg", first, timeout_ms=20000)
    open_plans(anna)
    anna.page.get_by_role("button", name="Dem Team beitreten").click()
    anna.page.wait_for_selector("#plans-body .plans-link input")
    anna.page.locator("#panel-plans").get_by_label("CO2e (kg pro Jahr)").fill("250")
    add_measure(anna, "LED in der Backstube", "energy", "7200")

    # session 1 ends; session 2 (moved to now) starts
    mara.page.get_by_role("button", name="Workshop beenden").click()
    mara.wait_for("s.polls.workshop === null")
    call(hub, "PUT", f"/api/workshops/{second}", token,
         {"starts": time.time() - 30, "minutes": 60, "force": True})  # fmt: skip
    mara.page.wait_for_selector(f"#ws-start-pick option[value='{second}']", state="attached")
    mara.page.select_option("#ws-start-pick", second)
    mara.page.locator("#ws-start").click()
    mara.wait_for("s.polls.workshop && s.polls.workshop.id === arg", second)
    mara.page.locator("#toggle-workshop").click()

    # in session 2 the facilitator sees the team's plan and shows its progress
    open_plans(mara)
    mara.wait_for(
        "s.plans.teams.some((t) => t.id === arg && t.measures.includes('LED in der Backstube'))",
        team["id"],
    )
    mara.page.get_by_role("button", name="Fortschritt der Teams auf dem Bildschirm zeigen").click()
    mara.wait_for("s.plans.screen && s.plans.screen.screen === 'workshop-screen'")
    assert mara.state()["plans"]["screen"]["teams"] == [
        {"name": "Grüne Backstube", "done": 0, "measures": 1, "co2Done": 0, "co2Planned": 250}
    ]
    anna.wait_for("s.plans.screen && s.plans.screen.teams.length === 1")
    mara.screenshot("plans-series-session-2.png")
