"""The waiting room in real Chromium against a real hub process: a workshop that requires
admission is started from the panel; a visitor who comes by its link waits in the foyer
with a clear message (German), the facilitator sees her in the panel's waiting list and
lets her in; another is declined with a message; a guest sent out of the room who comes
back as a fresh guest in a new browser context (a private window) lands in the waiting
list, marked. Then breakout groups chosen in the panel: the groups' rooms and their
occupancy, a message to all groups."""

from __future__ import annotations

import time

import pytest
from conftest import HubServer, Visitors
from test_workshop import account, by_link, post

pytestmark = pytest.mark.e2e

#: Waits are long: a busy machine draws several 3D pages at once.
WAIT_MS = 60000


@pytest.fixture
def hub(hub_per_test: HubServer) -> HubServer:
    """A hub for each test (and each attempt of it): a workshop an earlier attempt started
    in the same room would change what the panel offers."""
    return hub_per_test


@pytest.mark.timeout(900)
def test_visitors_wait_until_the_facilitator_lets_them_in_or_declines(
    visitors: Visitors, hub: HubServer
) -> None:
    username, password = account(hub, "Mara")
    token = post(hub, "/api/session", {"username": username, "password": password})["token"]
    workshop = post(
        hub,
        "/api/workshops",
        {"title": "Mit Einlass", "room": "workshop", "starts": time.time() - 60, "minutes": 60}
        | {"admission": True, "force": True},
        token,
    )
    assert workshop["admission"] is True
    mara = by_link(visitors, hub, "Mara", workshop["id"])
    mara.page.set_default_timeout(WAIT_MS)
    mara.sign_in_as_staff(username, password, timeout_ms=WAIT_MS)
    mara.wait_for("s.room === 'workshop'", timeout_ms=WAIT_MS)
    mara.page.locator("#toggle-workshop").click()
    mara.page.locator("#ws-start").click()
    mara.wait_for("s.workshops.live && s.workshops.live.admission === true", timeout_ms=WAIT_MS)
    mara.page.locator("#ws-waiting-none").wait_for(timeout=60000)

    # Anna comes by the link: she waits in the foyer and is told so, in German
    anna = by_link(visitors, hub, "Anna", workshop["id"])
    Visitors.enter(anna)
    anna.wait_for(
        "s.workshops.admissionState && s.workshops.admissionState.state === 'waiting'",
        timeout_ms=WAIT_MS,
    )
    assert anna.state()["room"] != "workshop"
    assert anna.page.locator("#announcement-title").text_content() == "Warteraum"
    waiting_text = anna.page.locator("#announcement-text").text_content() or ""
    assert "Warteraum von „Mit Einlass“" in waiting_text and "Bitte warten Sie" in waiting_text
    # the facilitator sees her (name, since when) and lets her in from the panel
    row = mara.page.locator("#ws-waiting li", has_text="Anna")
    row.wait_for(timeout=60000)
    assert "wartet seit" in (row.text_content() or "")
    mara.screenshot("waiting-room-panel-de.png")
    row.get_by_role("button", name="Einlassen").click()
    anna.wait_for(
        "s.room === 'workshop' && s.workshops.admissionState.state === 'admitted'",
        timeout_ms=WAIT_MS,
    )
    mara.page.locator("#ws-waiting-none").wait_for(timeout=60000)

    # Ben waits too and is declined, with a message
    ben = by_link(visitors, hub, "Ben", workshop["id"])
    Visitors.enter(ben)
    ben.wait_for(
        "s.workshops.admissionState && s.workshops.admissionState.state === 'waiting'",
        timeout_ms=WAIT_MS,
    )
    row = mara.page.locator("#ws-waiting li", has_text="Ben")
    row.wait_for(timeout=60000)
    mara.page.fill("#ws-decline-text", "Heute leider schon voll.")
    row.get_by_role("button", name="Ablehnen").click()
    ben.wait_for("s.workshops.admissionState.state === 'declined'", timeout_ms=WAIT_MS)
    assert ben.state()["room"] != "workshop"
    declined = ben.page.locator("#announcement-text").text_content() or ""
    assert (
        declined
        == "Die Moderation hat Sie nicht in „Mit Einlass“ eingelassen: Heute leider schon voll."
    )

    ben.context.close()

    # Anna is sent out; back as a fresh guest in a new context, she waits, marked
    people = mara.page.locator("#workshop-moderation .ws-people li", has_text="Anna")
    people.get_by_role("button", name="Hinausschicken").click()
    anna.wait_for("s.room !== 'workshop'", timeout_ms=WAIT_MS)
    anna.context.close()  # and opens a private window
    again = by_link(visitors, hub, "Anna", workshop["id"])
    Visitors.enter(again)
    again.wait_for(
        "s.workshops.admissionState && s.workshops.admissionState.state === 'waiting'",
        timeout_ms=WAIT_MS,
    )
    assert again.state()["room"] != "workshop"
    row = mara.page.locator("#ws-waiting li", has_text="Anna")
    row.wait_for(timeout=60000)
    assert "gleicher Name wie eine vorhin hinausgeschickte Person" in (row.text_content() or "")
    mara.wait_for(
        "s.workshops.waiting.length === 1 && s.workshops.waiting[0].removed === 'name'",
        timeout_ms=WAIT_MS,
    )


@pytest.mark.timeout(900)
def test_the_facilitator_chooses_the_groups_sees_them_fill_and_writes_to_all(
    visitors: Visitors, hub: HubServer
) -> None:
    username, password = account(hub, "Lena")
    token = post(hub, "/api/session", {"username": username, "password": password})["token"]
    workshop = post(
        hub,
        "/api/workshops",
        {"title": "Gruppenarbeit", "room": "lab", "starts": time.time() - 60, "minutes": 60}
        | {"force": True},
        token,
    )
    lena = by_link(visitors, hub, "Lena", workshop["id"])
    lena.page.set_default_timeout(WAIT_MS)
    lena.sign_in_as_staff(username, password, timeout_ms=WAIT_MS)
    lena.wait_for("s.room === 'lab'", timeout_ms=WAIT_MS)
    people = []
    for name in ("Olga", "Paul", "Rita"):
        person = by_link(visitors, hub, name, workshop["id"])
        Visitors.enter(person)
        person.wait_for("s.room === 'lab'", timeout_ms=WAIT_MS)
        people.append(person)
    olga, paul, rita = people
    lena.page.locator("#toggle-workshop").click()
    lena.page.locator("#ws-start").click()
    lena.wait_for("s.workshops.live && s.workshops.live.youLead", timeout_ms=WAIT_MS)
    # Olga and Paul together in group 2, Rita left to chance (so: group 1)
    for name in ("Olga", "Paul"):
        pick = lena.page.locator(".ws-group-picks li", has_text=name).locator("select")
        pick.select_option(label="Gruppe 2")
    lena.page.fill("#ws-group-minutes", "15")
    lena.page.locator("#ws-groups-start").click()
    lena.wait_for("s.workshops.live.breakout !== null", timeout_ms=WAIT_MS)
    groups = lena.state()["workshops"]["live"]["breakout"]
    olga_id, paul_id = (p.state()["session"] for p in (olga, paul))
    assert set(groups[1]["members"]) == {olga_id, paul_id} and len(groups[0]["members"]) == 1
    for person, group in ((olga, 1), (paul, 1), (rita, 0)):
        person.wait_for(
            "s.workshops.live && s.workshops.live.group === arg", group, timeout_ms=WAIT_MS
        )
    # the panel shows how many are in each group's room
    lena.wait_for(
        "s.workshops.live.breakout.map((g) => g.present).join() === '1,2'", timeout_ms=WAIT_MS
    )
    rows = lena.page.locator("#ws-groups li")
    assert "2 von 2 im Raum" in (rows.nth(1).text_content() or "")
    lena.screenshot("breakout-groups-panel-de.png")
    # a message to all groups reaches every group's room
    lena.page.fill("#ws-groups-text", "Noch fünf Minuten!")
    lena.page.locator("#ws-groups-send").click()
    for person in people:
        person.wait_for(
            "s.workshops.announcement && s.workshops.announcement.text === arg",
            "Noch fünf Minuten!",
        )
