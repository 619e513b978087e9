"""Breakout groups by profile, in the browser: at a session of the exchange series a
facilitator asks her workshop panel for groups by industry; the proposal fills in each
person's group beside what their profile shows (nothing of a hidden one), and "Gruppen
bilden" starts exactly those groups."""

from __future__ import annotations

import time

import pytest
from conftest import HubServer, Visitors
from test_plans_breakouts_browser import token_of
from test_plans_screen_browser import call
from test_polls_browser import by_link, facilitator_account, post

pytestmark = pytest.mark.e2e


@pytest.fixture
def hub(hub_per_test: HubServer) -> HubServer:
    """A hub for each attempt: a workshop an earlier attempt started stands in the way."""
    return hub_per_test


@pytest.mark.timeout(600)
def test_the_facilitator_forms_groups_by_industry_from_shown_profiles(
    visitors: Visitors, hub: HubServer
) -> None:
    username, password = facilitator_account(hub, "Mara")
    token = post(hub, "/api/session", {"username": username, "password": password})["token"]
    workshop = post(
        hub,
        "/api/workshops",
        {"title": "Austauschreihe: Wie weit sind wir?", "room": "workshop",
         "starts": time.time() - 60, "minutes": 60, "force": True},
        token,
    )["id"]  # fmt: skip
    mara = by_link(visitors, hub, "Mara", workshop)
    mara.sign_in_as_staff(username, password)
    mara.wait_for("s.room === 'workshop'", timeout_ms=20000)
    mara.page.locator("#toggle-workshop").click()
    mara.page.wait_for_selector(f"#ws-start-pick option[value='{workshop}']", state="attached")
    mara.page.select_option("#ws-start-pick", workshop)
    mara.page.locator("#ws-start").click()
    mara.wait_for("s.workshops.live && s.workshops.live.id === arg", workshop)

    industries = {"Ada": "Handwerk", "Ben": "Handwerk", "Cleo": "Logistik", "Dan": "Logistik"}
    people = {name: by_link(visitors, hub, name, workshop) for name in industries}
    for person in people.values():
        Visitors.enter(person)
    for name, person in people.items():
        person.wait_for("s.room === 'workshop'", timeout_ms=30000)
        profile = {"visible": name != "Dan", "industry": industries[name]}
        call(hub, "PUT", "/api/me/profile", token_of(person), profile)
    sessions = {name: person.state()["session"] for name, person in people.items()}
    mara.wait_for("s.workshops.live.youLead && s.people.length === 5")
    panel = mara.page.locator("#panel-workshop")
    panel.locator(f"#ws-pick-{sessions['Dan']}").wait_for(state="attached")

    mara.page.locator("#ws-groups-industry").click()
    proposal = mara.page.locator("#ws-proposal li")
    proposal.first.wait_for()
    assert proposal.all_inner_texts() == [
        "Gruppe 1: Handwerk – Ada, Ben",
        "Gruppe 2: Logistik – Cleo",
        "Gruppe 3: Weitere / others – Dan",
    ]
    assert mara.page.input_value("#ws-group-count") == "3"
    picks = {name: mara.page.input_value(f"#ws-pick-{s}") for name, s in sessions.items()}
    assert picks == {"Ada": "0", "Ben": "0", "Cleo": "1", "Dan": "2"}
    rows = panel.locator(".ws-group-picks li")
    dan_row = rows.filter(has_text="Dan").inner_text()
    assert "kein Profil gezeigt" in dan_row and "Logistik" not in dan_row  # hidden stays hidden
    assert "Handwerk" in rows.filter(has_text="Ada").inner_text()

    mara.page.locator("#ws-groups-start").click()
    mara.wait_for("s.workshops.live.breakout !== null")
    groups = mara.state()["workshops"]["live"]["breakout"]
    assert [sorted(g["members"]) for g in groups] == [
        sorted([sessions["Ada"], sessions["Ben"]]),
        [sessions["Cleo"]],
        [sessions["Dan"]],
    ]
    for person in (mara, *people.values()):
        assert person.problems == [], person.problems
