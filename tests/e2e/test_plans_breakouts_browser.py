"""Two teams in breakout groups, in the browser: a facilitator starts a workshop that two
teams of two share; she forms the breakout groups by team in her workshop panel; each team
sees its own plan on its group's board (the board panel and the board on the wall), one team
moves a measure on, the other turns a sticky note into a measure; neither sees anything of
the other's plan; after the groups are called back the plans hold the changes (HTTP)."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

import pytest
from conftest import HubServer, Visitor, Visitors
from test_polls_browser import by_link, facilitator_account, post

pytestmark = pytest.mark.e2e


def get(hub: HubServer, path: str, token: str) -> Any:
    request = urllib.request.Request(
        hub.url + path.lstrip("/"), headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def token_of(visitor: Visitor) -> str:
    """The session token the page keeps (the same person over HTTP)."""
    return str(
        visitor.page.evaluate("() => JSON.parse(localStorage.getItem('hubtwin.session')).token")
    )


def team_of(hub: HubServer, lead: str, mate: str, name: str, workshop: str, first: str) -> str:
    """A team made by ``lead``, joined by ``mate`` by its link, sharing the workshop, with
    one measure."""
    team = post(hub, "/api/teams", {"name": name, "firm": f"{name} GmbH"}, lead)
    post(hub, f"/api/teams/{team['id']}/join", {"link": team["link"]}, mate)
    post(hub, f"/api/teams/{team['id']}/workshops", {"workshop": workshop}, lead)
    post(hub, f"/api/teams/{team['id']}/measures", {"title": first, "area": "energy"}, lead)
    return str(team["id"])


@pytest.fixture
def hub(hub_per_test: HubServer) -> HubServer:
    """A hub for each attempt: a workshop an earlier attempt started in the room would
    stand in the way of this one."""
    return hub_per_test


SHOWN = "s.board.plan && s.board.plan.team === arg"
"""The board shows this team's plan (arg: its id)."""


@pytest.mark.timeout(600)
def test_two_teams_work_on_their_plans_on_their_breakout_boards(
    visitors: Visitors, hub: HubServer
) -> None:
    username, password = facilitator_account(hub, "Mara")
    token = post(hub, "/api/session", {"username": username, "password": password})["token"]
    workshop = post(
        hub,
        "/api/workshops",
        {"title": "Grüne Maßnahmen", "room": "workshop", "starts": time.time() - 60,
         "minutes": 60, "force": True},
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

    names = ("Ada", "Ben", "Cleo", "Dan")
    people = {name: by_link(visitors, hub, name, workshop) for name in names}
    for person in people.values():
        Visitors.enter(person)
    for person in people.values():
        person.wait_for("s.room === 'workshop' && s.board.board !== null", timeout_ms=30000)
    ada, ben, cleo, dan = people.values()
    bakery = team_of(hub, token_of(ada), token_of(ben), "Backstube Korn", workshop, "LED im Laden")
    printer = team_of(hub, token_of(cleo), token_of(dan), "Druckerei Blau", workshop, "Ökostrom")
    for person in people.values():  # the main room's board shows no plan
        assert person.state()["board"]["plan"] is None

    # the facilitator forms the groups by team in her panel
    mara.wait_for("s.workshops.live.youLead")
    mara.page.locator("#ws-groups-teams").click()
    mara.wait_for("s.workshops.live.breakout !== null")
    groups = mara.state()["workshops"]["live"]["breakout"]
    sessions = {name: person.state()["session"] for name, person in people.items()}
    assert [(g["team"], sorted(g["members"])) for g in groups] == [
        (bakery, sorted([sessions["Ada"], sessions["Ben"]])),
        (printer, sorted([sessions["Cleo"], sessions["Dan"]])),
    ]

    # each team sees its own plan on its group's board: in the panel and on the wall
    for person, team, first in (
        (ada, bakery, "LED im Laden"),
        (ben, bakery, "LED im Laden"),
        (cleo, printer, "Ökostrom"),
        (dan, printer, "Ökostrom"),
    ):
        person.wait_for(SHOWN, team, timeout_ms=20000)
        board = person.state()["board"]
        assert board["board"]["group"] >= 0
        assert [m["title"] for m in board["plan"]["measures"]] == [first]
        assert any(first in lines for lines in board["wall"]), board["wall"]
        assert any(
            {"Idee", "Geplant", "In Umsetzung", "Erledigt"} <= set(lines) for lines in board["wall"]
        ), board["wall"]
        person.page.locator("#view").focus()
        person.page.keyboard.press("b")
        person.page.locator("#panel-board .board-plan").wait_for(state="visible")
        column = person.page.locator("#panel-board .board-plan-column[data-status='idea']")
        assert first in column.inner_text()
        assert "Maßnahmenplan" in person.page.locator("#board-plan-heading").inner_text()

    # Ada moves the bakery's measure on: "Geplant"; Ben sees it in his panel and on the wall
    ada.page.locator("[data-key='plan:m1:on']").click()
    ben.wait_for(
        SHOWN + " && s.board.plan.measures[0].status === 'planned'", bakery, timeout_ms=15000
    )
    ben.page.locator(
        "#panel-board .board-plan-column[data-status='planned']", has_text="LED im Laden"
    ).wait_for(timeout=15000)

    # Cleo pins up a note and turns it into a measure of the printer's plan; it leaves the board
    cleo.page.locator("#board-new-text").fill("Papier aus Recycling")
    cleo.page.locator(".board-add button[type=submit]").click()
    note = dan.first(
        "s.board.board.notes.find((n) => n.text === 'Papier aus Recycling')", timeout_ms=15000
    )
    cleo.page.locator("#panel-board li.board-note", has_text="Papier aus Recycling").wait_for()
    cleo.page.locator(f"[data-key='{note['id']}:adopt']").click()
    dan.wait_for(
        SHOWN + " && s.board.plan.measures.some((m) => m.title === 'Papier aus Recycling')"
        " && !s.board.board.notes.some((n) => n.text === 'Papier aus Recycling')",
        printer,
        timeout_ms=15000,
    )
    dan.wait_for(
        "s.board.wall.some((lines) => lines.includes('Papier aus Recycling'))", timeout_ms=15000
    )

    # neither team saw anything of the other's plan
    for person, other in ((ada, "Ökostrom"), (ben, "Papier aus Recycling"),
                          (cleo, "LED im Laden"), (dan, "Backstube Korn")):  # fmt: skip
        state = person.state()["board"]
        assert other not in json.dumps(state, ensure_ascii=False)
        assert other not in person.page.locator("#panel-board").inner_text()
    assert ada.state()["board"]["plan"]["team"] == bakery
    assert cleo.state()["board"]["plan"]["team"] == printer
    mara.screenshot("plans-breakouts-facilitator.png")
    ben.screenshot("plans-breakouts-team.png")

    # the groups are called back: no plan on the main room's board; the plans kept the changes
    mara.page.get_by_role("button", name="Alle zurückholen").click()
    for person in people.values():
        person.wait_for(
            "s.board.board && s.board.board.group === -1 && s.board.plan === null",
            timeout_ms=20000,
        )
    bakery_now = get(hub, f"/api/teams/{bakery}", token_of(ben))
    assert [(m["title"], m["status"]) for m in bakery_now["measures"]] == [
        ("LED im Laden", "planned")
    ]
    printer_now = get(hub, f"/api/teams/{printer}", token)  # the workshop's facilitator
    assert [(m["title"], m["status"]) for m in printer_now["measures"]] == [
        ("Ökostrom", "idea"),
        ("Papier aus Recycling", "idea"),
    ]
