"""Two teams in breakout groups on real sockets: a started hub (``start_hub``), people on
the realtime endpoint and the REST API. Groups formed by team, each team's plan on its own
group's board and nowhere else, moving a measure and turning a note into a measure there,
changes over HTTP reaching the board, and who may not: someone of no team, the other team,
a member who left the team during the breakout."""

from __future__ import annotations

from typing import Any

from test_board_socket import Hub, Person, running_workshop
from test_board_socket import hub as hub  # the fixture


async def plan_shown(person: Person, **match: Any) -> dict[str, Any] | None:
    """The next board_plan (whose plan matches ``match``: team, or a measure's status)."""
    while True:
        got = await person.next("board_plan")
        plan = got["plan"]
        if not match:
            return plan if plan is None else dict(plan)
        if plan is None:
            continue
        statuses = {m["id"]: m["status"] for m in plan["measures"]}
        titles = {m["title"] for m in plan["measures"]}
        if all(
            plan.get(k) == v
            or (k == "title" and v in titles)
            or (k in statuses and statuses[k] == v)
            for k, v in match.items()
        ):
            return dict(plan)


async def plan_gone(person: Person) -> None:
    """Waits for the board_plan that takes the plan off this person's board."""
    while (await person.next("board_plan"))["plan"] is not None:
        pass


async def make_team(hub: Hub, lead: str, mate: str, name: str, workshop: str, first: str) -> str:
    """A team made by ``lead``, joined by ``mate`` through its link, sharing the workshop,
    with one measure (m1)."""
    status, team = await hub.call("POST", "/api/teams", lead, {"name": name, "firm": name})
    assert status == 201, team
    tid = str(team["id"])
    status, _ = await hub.call("POST", f"/api/teams/{tid}/join", mate, {"link": team["link"]})
    assert status == 200
    status, _ = await hub.call("POST", f"/api/teams/{tid}/workshops", lead, {"workshop": workshop})
    assert status == 200
    status, measure = await hub.call("POST", f"/api/teams/{tid}/measures", lead, {"title": first})
    assert status == 201 and measure["id"] == "m1"
    return tid


async def test_two_teams_in_breakout_groups_each_work_on_their_own_plan(hub: Hub) -> None:
    mara_token, workshop_id, mara = await running_workshop(hub)
    tokens = {name: await hub.token(name=name) for name in ("Ada", "Ben", "Cleo", "Dan", "Eve")}
    team_a = await make_team(hub, tokens["Ada"], tokens["Ben"], "Bäckerei", workshop_id, "LED")
    team_b = await make_team(hub, tokens["Cleo"], tokens["Dan"], "Druckerei", workshop_id, "PV")
    people = {name: await hub.enter(token) for name, token in tokens.items()}
    ada, ben, cleo, dan, eve = people.values()
    for person in people.values():
        await person.next("board_state")
    # not before the breakout: the main room's board shows no plan
    assert await ada.refused("board_plan_move", measure="m1", status="done") == "board_plan_none"

    await mara.send("breakout", groups=2, mode="teams", minutes=10)
    state = None
    while state is None or not state["workshop"]["breakout"]:
        state = await mara.next("workshop_state")
    groups = state["workshop"]["breakout"]["groups"]
    assert [g["team"] for g in groups] == [team_a, team_b, None]
    assert [sorted(g["members"]) for g in groups] == [
        sorted([ada.session, ben.session]),
        sorted([cleo.session, dan.session]),
        [eve.session],
    ]

    for person, team, first in ((ada, team_a, "LED"), (ben, team_a, "LED")):
        plan = await plan_shown(person, team=team)
        assert plan is not None and [m["title"] for m in plan["measures"]] == [first]
        assert [s["de"] for s in plan["statuses"]] == [
            "Idee",
            "Geplant",
            "In Umsetzung",
            "Erledigt",
        ]
    for person in (cleo, dan):
        assert (await plan_shown(person, team=team_b)) is not None

    # a member moves a measure: both members see it; the other team's plan stays as it was
    await ada.send("board_plan_move", measure="m1", status="in_progress")
    for person in (ada, ben):
        await plan_shown(person, m1="in_progress")
    # the other team "moves m1" on its own board: its own plan's m1, never team A's
    await cleo.send("board_plan_move", measure="m1", status="done")
    await plan_shown(dan, m1="done")
    status, a_now = await hub.call("GET", f"/api/teams/{team_a}", tokens["Ada"])
    assert status == 200 and a_now["measures"][0]["status"] == "in_progress"
    # someone of no team, in the last group, has no plan on their board
    assert await eve.refused("board_plan_move", measure="m1", status="done") == "board_plan_none"
    status, _ = await hub.call("GET", f"/api/teams/{team_a}", tokens["Eve"])
    assert status == 404

    # a note on team A's board becomes a measure; it leaves the board
    await ben.send("board_add", column=0, text="Ofenabwärme für das Wasser nutzen")
    note = (await ada.next("board_note"))["id"]
    await ben.next("board_note", id=note)
    await ada.send("board_plan_adopt", note=note, status="planned")
    for person in (ada, ben):
        gone = await person.next("board_note", id=note)
        assert gone["note"] is None
        plan = await plan_shown(person, title="Ofenabwärme für das Wasser nutzen")
        assert plan is not None and plan["measures"][1]["status"] == "planned"
    assert await ada.refused("board_plan_adopt", note=note) == "board_note_unknown"
    status, a_now = await hub.call("GET", f"/api/teams/{team_a}", tokens["Ben"])
    assert [m["title"] for m in a_now["measures"]] == ["LED", "Ofenabwärme für das Wasser nutzen"]

    # a change over HTTP (the workshop's facilitator) reaches the board at once
    status, _ = await hub.call(
        "PATCH", f"/api/teams/{team_a}/measures/m2", mara_token, {"status": "done"}
    )
    assert status == 200
    await plan_shown(ben, m2="done")
    # refused by the plan's rules: a status it does not have (the protocol), a measure not there
    assert await ada.refused("board_plan_move", measure="m9", status="done") == "plan_refused"
    await ada.send("board_plan_move", measure="m1", status="fertig")
    assert (await ada.next("error"))["code"] == "bad_field"

    # Ben leaves team A during the breakout: his board no longer shows its plan, he changes
    # nothing of it
    status, _ = await hub.call("POST", f"/api/teams/{team_a}/leave", tokens["Ben"])
    assert status == 200
    await plan_gone(ben)
    assert await ben.refused("board_plan_move", measure="m1", status="idea") == "board_plan_none"
    await ada.next("board_plan")  # the team changed (a member fewer)

    # the other team never saw anything of team A
    for person in (cleo, dan, eve):
        seen = [m for m in person.messages if m["t"] == "board_plan" and m["plan"] is not None]
        assert all(m["plan"]["team"] == team_b for m in seen), seen
    assert all(m["t"] != "board_plan" or m["plan"] is None for m in eve.messages), (
        "someone of no team was shown a plan"
    )

    # recall: the boards show no plan any more; the plan holds the changes
    await mara.send("breakout_recall")
    for person in (ada, cleo, dan):
        await plan_gone(person)
    status, a_end = await hub.call("GET", f"/api/teams/{team_a}", tokens["Ada"])
    assert [(m["title"], m["status"]) for m in a_end["measures"]] == [
        ("LED", "in_progress"),
        ("Ofenabwärme für das Wasser nutzen", "done"),
    ]
    for person in (*people.values(), mara):
        await person.close()


async def test_groups_by_team_need_a_team_here(hub: Hub) -> None:
    _, _, mara = await running_workshop(hub)
    ada = await hub.enter(await hub.token(name="Ada"))
    await ada.next("board_state")
    assert await mara.refused("breakout", groups=2, mode="teams", minutes=5) == "breakout_no_teams"
    await ada.close()
    await mara.close()
