"""Planning workshops in a real Chromium against a real hub process: a facilitator makes a
weekly series in the panel, moves one session and then edits the series (the moved session
keeps its own time), cancels one session (the series does not bring it back); reschedules a
workshop (its length kept, a clash with another workshop refused and named, then forced)
while a participant sees the new time; registration with one seat (a seat, then the waiting
list, the calendar file, the facilitator's list); an invitation by username seen by the
invited person, who joins; and an agenda item's "go there" and "play" in a running
workshop."""

from __future__ import annotations

import math
import random
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from conftest import HubServer, Visitor, Visitors, copy_built, running_hub
from test_workshop_end_browser import account, call, guest_token, sign_in

from world.model import World

pytestmark = pytest.mark.e2e

TALK = "klimabilanz-in-5-schritten"
SEATED = "s.workshops.upcoming.some((w) => w.id === arg && w.yours?.status === 'registered')"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubServer]:
    """A hub of this module's own (its workshops and rooms clash with no other test's)."""
    data_dir = tmp_path_factory.mktemp("planning-hub")
    copy_built(data_dir)
    with running_hub(data_dir) as server:
        yield server


def signed_in(
    visitors: Visitors, name: str, username: str, password: str, link: str = ""
) -> Visitor:
    """A browser signed in with an account (come by ``link``), in the hub, the workshops
    panel open."""
    person = visitors.open(name)
    if link:
        person.page.goto(link)
    person.sign_in_as_staff(username, password)
    person.page.locator("#toggle-workshop").click()
    return person


def local_input(person: Visitor, at: float) -> str:
    """A time as the browser's datetime-local field takes it (the browser's own zone)."""
    return str(
        person.page.evaluate(
            """(at) => { const d = new Date(at * 1000);
                d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
                return d.toISOString().slice(0, 16); }""",
            at,
        )
    )


def far_ahead() -> int:
    """Days ahead where one attempt of a test plans (another attempt plans elsewhere)."""
    return random.randint(30, 3000)


def next_day_at(days: int, hour: int) -> float:
    day = datetime.now().astimezone() + timedelta(days=days)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0).timestamp()


def upcoming(person: Visitor) -> list[dict[str, Any]]:
    return list(person.state()["workshops"]["upcoming"])


def test_a_series_is_made_edited_and_a_session_cancelled_in_the_browser(
    hub: HubServer, visitors: Visitors
) -> None:
    username, password = account(hub, "Rita", "facilitator")
    token = sign_in(hub, username, password)
    rita = signed_in(visitors, "Rita", username, password)
    page = rita.page
    first = next_day_at(far_ahead(), 17)
    page.fill("#workshop-plan input[maxlength='120']", "Austauschrunde")
    page.select_option("#workshop-plan select >> nth=0", "lounge")
    page.fill("#workshop-plan input[type=datetime-local]", local_input(rita, first))
    page.fill("#workshop-plan input[type=number][max='720']", "60")
    page.select_option("#ws-repeat", "weekly")
    page.fill("#ws-count", "3")
    page.locator("#workshop-plan button[type=submit]").click()
    rita.wait_for("s.workshops.series.length === 1")
    (series,) = call(hub, "GET", "/api/workshop-series", token=token)["series"]
    assert (series["repeat"], series["count"], series["title"]) == ("weekly", 3, "Austauschrunde")
    rita.wait_for("s.workshops.upcoming.filter((w) => w.series === arg).length === 3", series["id"])
    sessions = [w for w in upcoming(rita) if w["series"] == series["id"]]
    assert [round((w["startsAt"] - first) / 86400) for w in sessions] == [0, 7, 14]
    assert page.locator("#ws-series li").first.text_content() or ""  # the series is listed

    # one session moved by an hour, on its own
    second = sessions[1]
    page.locator(f"#ws-mine li[data-workshop='{second['id']}'] .ws-edit").click()
    assert page.locator("#ws-repeat").is_disabled()
    page.fill(
        "#workshop-plan input[type=datetime-local]", local_input(rita, second["startsAt"] + 3600)
    )
    page.locator("#workshop-plan button[type=submit]").click()
    rita.wait_for(
        "s.workshops.upcoming.some((w) => w.id === arg[0] && w.startsAt === arg[1])",
        [second["id"], second["startsAt"] + 3600],
    )
    # the third cancelled
    third = sessions[2]
    page.locator(f"#ws-mine li[data-workshop='{third['id']}'] .ws-delete").click()
    rita.wait_for("!s.workshops.upcoming.some((w) => w.id === arg)", third["id"])

    # the series edited: a new title for its sessions; the moved one keeps its time, the
    # cancelled one stays cancelled
    page.locator(f"#ws-series li[data-series='{series['id']}'] .ws-edit-series").click()
    assert page.locator("#ws-repeat").input_value() == "weekly"
    assert page.locator("#ws-count").input_value() == "3"
    page.fill("#workshop-plan input[maxlength='120']", "Austauschrunde Energie")
    page.locator("#workshop-plan button[type=submit]").click()
    rita.wait_for(
        "s.workshops.upcoming.some((w) => w.id === arg && w.title === 'Austauschrunde Energie')",
        sessions[0]["id"],
    )
    after = {w["id"]: w for w in call(hub, "GET", "/api/workshops")["workshops"]}
    assert after[sessions[0]["id"]]["title"] == "Austauschrunde Energie"
    assert after[second["id"]]["starts_at"] == second["startsAt"] + 3600  # kept its own time
    assert third["id"] not in after
    assert rita.state()["workshops"]["series"][0]["title"] == "Austauschrunde Energie"
    assert visitors.problems() == []


def test_rescheduling_keeps_the_length_refuses_a_clash_and_participants_see_it(
    hub: HubServer, visitors: Visitors
) -> None:
    username, password = account(hub, "Lea", "facilitator")
    token = sign_in(hub, username, password)
    ahead = far_ahead()
    start, other_start = next_day_at(ahead, 10), next_day_at(ahead + 1, 10)
    moving = {"title": "Bilanzwerkstatt", "room": "consulting", "starts": start, "minutes": 90}
    fixed = {"title": "Sprechstunde", "room": "consulting", "starts": other_start, "minutes": 60}
    workshop = call(hub, "POST", "/api/workshops", moving, token)
    call(hub, "POST", "/api/workshops", fixed, token)
    paul = visitors.new("Paul")
    paul.page.locator("#toggle-workshop").click()
    paul.wait_for("s.workshops.upcoming.some((w) => w.id === arg)", workshop["id"])
    lea = signed_in(visitors, "Lea", username, password)
    page = lea.page
    row = page.locator(f"#ws-mine li[data-workshop='{workshop['id']}']")
    row.locator(".ws-edit").click()
    # onto the other workshop's time: refused, and the message names it
    page.fill("#workshop-plan input[type=datetime-local]", local_input(lea, other_start + 1800))
    page.locator("#workshop-plan button[type=submit]").click()
    lea.wait_for("document.getElementById('workshop-status').textContent.includes('Sprechstunde')")
    status = page.locator("#workshop-status").text_content() or ""
    assert status.startswith("Überschneidung: ") and "Sprechstunde" in status
    assert call(hub, "GET", f"/api/workshops/{workshop['id']}")["starts_at"] == start
    # the refused request is the one resource Chromium reports as failed
    refused = [p for p in lea.problems if "409 (Conflict)" in p]
    assert len(refused) == 1
    lea.problems.remove(refused[0])
    # forced: moved, and 90 minutes long still
    page.locator("#ws-force").check()
    page.locator("#workshop-plan button[type=submit]").click()
    moved_to = other_start + 1800
    lea.wait_for(
        "s.workshops.upcoming.some((w) => w.id === arg[0] && w.startsAt === arg[1])",
        [workshop["id"], moved_to],
    )
    saved = call(hub, "GET", f"/api/workshops/{workshop['id']}")
    assert (saved["starts_at"], saved["ends_at"]) == (moved_to, moved_to + 90 * 60)
    # then to a free time without forcing: its length stays too
    row.locator(".ws-edit").click()
    free = next_day_at(ahead + 3, 14)
    page.fill("#workshop-plan input[type=datetime-local]", local_input(lea, free))
    page.locator("#workshop-plan button[type=submit]").click()
    lea.wait_for(
        "s.workshops.upcoming.some((w) => w.id === arg[0] && w.endsAt === arg[1])",
        [workshop["id"], free + 90 * 60],
    )
    # the participant opening the panel again sees the new time
    paul.page.locator("#toggle-workshop").click()
    paul.page.locator("#toggle-workshop").click()
    paul.wait_for(
        "s.workshops.upcoming.some((w) => w.id === arg[0] && w.startsAt === arg[1])",
        [workshop["id"], free],
    )
    shown = paul.page.locator(f"#workshop-upcoming li[data-workshop='{workshop['id']}'] .meta")
    expected = str(
        paul.page.evaluate(
            "(at) => new Date(at * 1000).toLocaleTimeString('de-DE', "
            "{hour: '2-digit', minute: '2-digit'})",
            free,
        )
    )
    assert expected in (shown.first.text_content() or "")
    assert visitors.problems() == []


def test_one_seat_a_waiting_list_the_calendar_and_the_facilitators_list(
    hub: HubServer, visitors: Visitors
) -> None:
    username, password = account(hub, "Nora", "facilitator")
    token = sign_in(hub, username, password)
    planned = {"title": "Kleine Runde", "room": "lab", "starts": next_day_at(far_ahead(), 9)}
    workshop = call(hub, "POST", "/api/workshops", {**planned, "minutes": 45, "seats": 1}, token)
    path = f"/api/workshops/{workshop['id']}/registration"
    ina = visitors.new("Ina")
    ina.page.locator("#toggle-workshop").click()
    ina.wait_for("s.workshops.upcoming.some((w) => w.id === arg)", workshop["id"])
    row = f"#workshop-upcoming li[data-workshop='{workshop['id']}']"
    assert ina.page.locator(f"{row} .ws-register").text_content() == "Anmelden"
    ina.page.locator(f"{row} .ws-register").click()
    ina.wait_for(SEATED, workshop["id"])
    assert (ina.page.locator("#workshop-status").text_content() or "").startswith("Angemeldet")
    # the calendar file the registered get
    href = ina.page.locator(f"{row} a[download]").get_attribute("href") or ""
    with urllib.request.urlopen(hub.url + href.lstrip("/"), timeout=10) as response:
        assert b"SUMMARY:Kleine Runde" in response.read()
    # the seat is taken: the next one waits
    olaf = guest_token(hub, "Olaf")
    waiting = call(hub, "POST", path, None, olaf)
    assert (waiting["status"], waiting["position"]) == ("waitlist", 1)
    # the facilitator sees the seat taken and the list, in order
    nora = signed_in(visitors, "Nora", username, password)
    nora.wait_for(
        "s.workshops.upcoming.some((w) => w.id === arg && w.registration.waiting === 1)",
        workshop["id"],
    )
    assert nora.page.locator(f"{row} .ws-register").text_content() == "Auf die Warteliste"
    nora.page.locator(f"#ws-mine li[data-workshop='{workshop['id']}'] .ws-registrations").click()
    cells = nora.page.locator(".ws-registration-list tbody tr")
    cells.nth(1).wait_for(timeout=15000)
    rows = [r.locator("td").all_text_contents() for r in cells.all()]
    assert [(r[0], r[2]) for r in rows] == [("Ina", "Platz"), ("Olaf", "Warteliste (1)")]
    # Ina takes it back: Olaf moves up
    ina.page.locator(f"{row} .ws-unregister").click()
    ina.wait_for(
        "s.workshops.upcoming.some((w) => w.id === arg && w.yours === null)", workshop["id"]
    )
    assert call(hub, "GET", path, None, olaf)["status"] == "registered"
    assert visitors.problems() == []


def test_registering_for_a_code_protected_workshop_takes_its_code(
    hub: HubServer, visitors: Visitors
) -> None:
    username, password = account(hub, "Jonas", "facilitator")
    token = sign_in(hub, username, password)
    planned = {"title": "Mit Code", "room": "lab", "starts": next_day_at(far_ahead(), 14)}
    planned |= {"minutes": 45, "seats": 3, "access": "code", "code": "WERK-7"}
    workshop = call(hub, "POST", "/api/workshops", planned, token)
    kim = visitors.new("Kim")
    kim.page.locator("#toggle-workshop").click()
    kim.wait_for("s.workshops.upcoming.some((w) => w.id === arg)", workshop["id"])
    row = kim.page.locator(f"#workshop-upcoming li[data-workshop='{workshop['id']}']")
    row.locator(".ws-register").click()
    status = kim.page.locator("#workshop-status")
    kim.wait_for(
        "document.querySelector('#workshop-status').textContent.includes('Einladungscode')"
    )
    assert row.locator(".ws-unregister").count() == 0
    row.locator("input[type=text]").fill("WERK-7")
    row.locator(".ws-register").click()
    kim.wait_for(SEATED, workshop["id"])
    assert (status.text_content() or "").startswith("Angemeldet")
    assert visitors.problems() == []


def test_an_invitation_by_username_is_seen_and_the_invited_person_joins(
    hub: HubServer, visitors: Visitors
) -> None:
    lead, lead_password = account(hub, "Ute", "facilitator")
    token = sign_in(hub, lead, lead_password)
    guest_name, guest_password = account(hub, "Vera", "visitor")
    planned = {"title": "Geschlossene Runde", "room": "lounge", "minutes": 60}
    planned |= {"starts": time.time() - 60, "access": "list", "invited": [guest_name]}
    planned |= {"force": True}  # another attempt's workshop may still be planned there
    workshop = call(hub, "POST", "/api/workshops", planned, token)
    vera = signed_in(visitors, "Vera", guest_name, guest_password)
    vera.wait_for("s.workshops.upcoming.some((w) => w.id === arg && w.invitedYou)", workshop["id"])
    row = vera.page.locator(f"#workshop-upcoming li[data-workshop='{workshop['id']}']")
    assert row.locator(".ws-invited").text_content() == "Sie sind eingeladen."
    otto = visitors.new("Otto")
    otto.page.locator("#toggle-workshop").click()
    otto.wait_for("s.workshops.upcoming.some((w) => w.id === arg)", workshop["id"])
    assert otto.state()["workshops"]["upcoming"][0]["invitedYou"] in (False, None)
    # the uninvited is refused by the server, the invited goes in
    otto.page.locator(f"#workshop-upcoming button[data-workshop='{workshop['id']}']").click()
    otto.wait_for(
        "document.getElementById('workshop-status').textContent.length > 0 && s.room !== 'lounge'"
    )
    row.locator(f"button[data-workshop='{workshop['id']}']").click()
    vera.wait_for("s.room === 'lounge'", timeout_ms=20000)
    assert visitors.problems() == []


def test_go_there_and_play_from_the_agenda(
    hub: HubServer, visitors: Visitors, world_model: World
) -> None:
    username, password = account(hub, "Kai", "facilitator")
    token = sign_in(hub, username, password)
    agenda = [
        {"title": "Ankommen", "minutes": 5},
        {"title": "An der Station", "minutes": 20, "station": "workshop-3"},
        {"title": "Film", "minutes": 10, "talk": TALK},
    ]
    planned = {"title": "Rundgang", "room": "workshop", "starts": time.time() - 60, "force": True}
    workshop = call(
        hub, "POST", "/api/workshops", {**planned, "minutes": 60, "agenda": agenda}, token
    )
    try:
        go_there_and_play(hub, visitors, world_model, workshop["id"], username, password)
    finally:  # a workshop still running would keep another attempt from starting one here
        call(hub, "DELETE", f"/api/workshops/{workshop['id']}", None, token)


def go_there_and_play(
    hub: HubServer,
    visitors: Visitors,
    world_model: World,
    workshop_id: str,
    username: str,
    password: str,
) -> None:
    link = f"{hub.url}?workshop={workshop_id}"
    kai = signed_in(visitors, "Kai", username, password, link)
    kai.wait_for("s.room === 'workshop'", timeout_ms=20000)
    kai.page.locator("#ws-start").click()
    kai.wait_for("s.workshops.live !== null")
    mia = visitors.open("Mia")
    mia.page.goto(link)
    visitors.enter(mia)
    mia.wait_for("s.room === 'workshop' && s.workshops.live !== null", timeout_ms=20000)
    # "go there": both stand around the station, facing it
    anchor = next(a for a in world_model.anchors if a.id == "workshop-3")
    station = [float(v) for v in anchor.position]
    kai.wait_for("s.people.length === 2")
    kai.page.locator(".ws-agenda li[data-item='1'] .ws-go").click()
    for person in (kai, mia):
        person.wait_for("s.corrections.includes('gather')")
        person.wait_for(
            "Math.hypot(s.position.x - arg[0], s.position.z - arg[1]) < 4",
            [station[0], station[2]],
        )
        where = person.state()["position"]
        assert math.hypot(where["x"] - station[0], where["z"] - station[2]) > 0.5
    assert kai.page.locator(".ws-agenda li[data-item='0'] .ws-go").count() == 0
    # "play": the room's screen plays the talk, for the participant too
    kai.page.locator(".ws-agenda li[data-item='2'] .ws-play").click()
    mia.wait_for("s.talks.screens.some((x) => x.talk === arg && x.playing)", TALK, timeout_ms=20000)
    assert visitors.problems() == []
