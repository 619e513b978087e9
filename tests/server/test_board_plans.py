"""Breakout groups by team and a team's plan on its group's board: the rules, without
sockets (``server/domain/breakouts.py`` ``split_by_teams``,
``server/features/board/plans_realtime.py``)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from realtime_harness import Harness
from realtime_world import box_world
from workshop_harness import WorkshopHub, workshop

from server.base.identity import Identity, Role
from server.base.settings import Settings
from server.core.hub import Effects, HubCore
from server.core.workshop_context import document, resume
from server.domain.action_plans import STATUSES, TITLE_MAX_CHARS, PlanRefused, Team
from server.domain.breakouts import MAX_GROUPS, BreakoutInvalid, split_by_teams
from server.domain.workshops import WorkshopBook
from server.features.board.plans_realtime import (
    BoardPlans,
    PlanRequest,
    apply_request,
    board_view,
    title_of,
)
from server.features.board.realtime import SharedBoards
from server.workshop.facilitation import Facilitation
from server.workshop.moderation import Moderation

IDS = {"s1": "ada", "s2": "ben", "s3": "cleo", "s4": "dan", "s5": "eve", "s6": "finn"}


def test_one_group_per_team_present_and_the_rest_together() -> None:
    teams = [("tA", {"ada", "ben"}), ("tB", {"cleo", "dan", "gone"}), ("tC", {"nobody"})]
    groups, formed_for = split_by_teams(["s1", "s3", "s2", "s5", "s4", "s6"], IDS, teams)
    assert groups == [["s1", "s2"], ["s3", "s4"], ["s5", "s6"]]
    assert formed_for == ["tA", "tB", None]


def test_without_people_of_no_team_there_is_no_last_group() -> None:
    groups, formed_for = split_by_teams(["s1", "s3"], IDS, [("tA", {"ada"}), ("tB", {"cleo"})])
    assert (groups, formed_for) == ([["s1"], ["s3"]], ["tA", "tB"])


def test_someone_in_two_teams_goes_with_the_first() -> None:
    groups, formed_for = split_by_teams(
        ["s1", "s2"], IDS, [("tA", {"ada", "ben"}), ("tB", {"ben"})]
    )
    assert (groups, formed_for) == ([["s1", "s2"]], ["tA"])


def test_no_team_here_or_nobody_here_is_refused() -> None:
    with pytest.raises(BreakoutInvalid) as refused:
        split_by_teams(["s1", "s2"], IDS, [("tA", {"someone"})])
    assert refused.value.code == "breakout_no_teams"
    with pytest.raises(BreakoutInvalid) as nobody:
        split_by_teams([], IDS, [("tA", {"ada"})])
    assert nobody.value.code == "no_participants"


def test_more_teams_than_groups_may_be_is_refused() -> None:
    people = [f"s{i}" for i in range(MAX_GROUPS + 1)]
    identity_of = {p: f"p{p}" for p in people}
    teams = [(f"t{i}", {f"ps{i}"}) for i in range(MAX_GROUPS + 1)]
    with pytest.raises(BreakoutInvalid) as refused:
        split_by_teams(people, identity_of, teams)
    assert refused.value.code == "breakout_invalid"
    groups, _ = split_by_teams(people[:MAX_GROUPS], identity_of, teams)
    assert len(groups) == MAX_GROUPS


def test_a_note_becomes_a_title_cut_at_a_word_with_the_whole_text_as_note() -> None:
    assert title_of("  LED   in der Backstube ") == ("LED in der Backstube", "")
    long = "Wärmerückgewinnung " * 12
    title, note = title_of(long)
    assert len(title) <= TITLE_MAX_CHARS and title.endswith("…")
    assert title[:-1] == title[:-1].rstrip() and "Wärmerückgewinnung" in title
    assert note == long.strip()


def _team() -> tuple[Team, Identity]:
    team = Team.new("t1", "Bäckerei Müller", firm="Müller GmbH", by=("ada", "Ada"), now=0.0)
    team.add_measure({"title": "LED", "area": "energy"}, by="ada", now=1.0)
    return team, Identity("ada", "Ada", Role.VISITOR, guest=False)


def _request(me: Identity, **fields: str) -> PlanRequest:
    base = PlanRequest("s1", me, "de", "t1", "w1", 0, "move", "idea")
    return dataclasses.replace(base, **fields)


def test_moving_a_measure_and_adopting_a_note_follow_the_plan_rules() -> None:
    team, ada = _team()
    moved = apply_request(team, _request(ada, measure="m1", status="in_progress"), now=5.0)
    assert (moved.status, moved.updated_by, moved.updated_at) == ("in_progress", "ada", 5.0)
    made = apply_request(team, _request(ada, kind="adopt", text="Dach begrünen"), now=6.0)
    assert (made.id, made.title, made.status, made.note) == ("m2", "Dach begrünen", "idea", "")
    with pytest.raises(PlanRefused) as unknown:
        apply_request(team, _request(ada, measure="m9", status="done"), now=7.0)
    assert unknown.value.code == "measure_unknown"
    with pytest.raises(PlanRefused) as bad:
        apply_request(team, _request(ada, measure="m1", status="fertig"), now=7.0)
    assert bad.value.code == "measure_invalid"
    with pytest.raises(PlanRefused) as empty:
        apply_request(team, _request(ada, kind="adopt", text="   "), now=7.0)
    assert empty.value.code == "measure_invalid"
    assert [m.status for m in team.measures] == ["in_progress", "idea"]


def test_the_board_shows_the_measures_with_the_plans_status_names_and_owner_names() -> None:
    team, _ = _team()
    team.update_measure("m1", {"owner": "ada", "status": "done"}, by="ada", now=2.0)
    shown = board_view(team.as_view("ada"))
    assert [s["status"] for s in shown["statuses"]] == list(STATUSES)
    assert [s["de"] for s in shown["statuses"]] == ["Idee", "Geplant", "In Umsetzung", "Erledigt"]
    assert shown["measures"][0]["owner"] == "Ada" and shown["measures"][0]["status"] == "done"
    assert (shown["team"], shown["name"]) == ("t1", "Bäckerei Müller")
    assert "link" not in shown and "members" not in shown


# --- the hub feature, without sockets ---------------------------------------------------------


class PlanHub(WorkshopHub):
    """The workshop hub with the boards and the plans on breakout boards; the plan service
    is the teams here (``view``) and the requests handed to it (``asked``)."""

    def __init__(self) -> None:
        self.kept = []
        self.book = WorkshopBook((workshop(),))
        self.lead = Facilitation(self.book, sink=self.kept.append, seed=3)
        self.moderation = Moderation(sink=self.kept.append, lead=self.lead)
        self.boards = SharedBoards(self.lead)
        self.teams: dict[str, Team] = {}
        self.asked: list[PlanRequest] = []
        self.plans = BoardPlans(self.lead, self.view, None, self.asked.append)
        self.lead.teams_of = lambda wid: [
            (t.id, set(t.members)) for t in self.teams.values() if wid in t.workshops
        ]
        core = HubCore(
            box_world(),
            Settings(),
            seed=7,
            features=[self.lead, self.moderation, self.boards, self.plans],
            rules=[self.moderation, self.lead],
        )
        for feature in (self.lead, self.moderation, self.boards, self.plans):
            feature.attach(core)
        Harness.__init__(self, core)

    def view(self, me: Identity, team_id: str) -> dict[str, Any] | None:
        team = self.teams.get(team_id)
        led = [w for w in team.workshops if self.book.get(w).led_by(me)] if team else []
        return team.as_view(me.id) if team and team.may_see(me.id, led) else None

    def serve(self) -> None:
        """The plan service makes the requests asked for (by the plan's rules)."""
        while self.asked:
            request = self.asked.pop(0)
            fx = Effects()
            try:
                apply_request(self.teams[request.team], request, self.now)
            except PlanRefused as refused:
                self.plans.done(request, refused, fx)
            else:
                self.plans.changed(request.team, fx)
                self.plans.done(request, None, fx)
            self.apply(fx)


def team_of(name: str, *members: str) -> Team:
    team = Team.new(f"t-{name}", name, firm="", by=(f"id-{members[0]}", members[0]), now=0.0)
    for member in members[1:]:
        team.add_member(f"id-{member}", member, now=0.0)
    team.share("w1", True)
    team.add_measure({"title": f"Erste von {name}"}, by=f"id-{members[0]}", now=0.0)
    return team


def plans_of(hub: PlanHub, conn: int) -> list[dict[str, Any] | None]:
    return [m["plan"] for m in hub.take(conn, "board_plan")]


def test_each_teams_group_board_shows_its_plan_to_its_members_and_the_facilitator_only() -> None:
    hub = PlanHub()
    hub.enter(1, "Mara", Role.FACILITATOR)
    for conn, name in enumerate(("Ada", "Ben", "Cleo", "Eve"), start=2):
        hub.enter(conn, name)
    hub.teams = {t.id: t for t in (team_of("Backstube", "Ada", "Ben"), team_of("Druck", "Cleo"))}
    assert hub.codes(hub.do(1, "workshop_start", workshop="w1")) == []
    assert hub.codes(hub.do(2, "board_plan_move", measure="m1", status="done")) == [
        "board_plan_none"
    ]
    assert hub.codes(hub.do(1, "breakout", groups=2, mode="teams", minutes=5)) == []
    hub.tick(0.25)
    assert [plans_of(hub, c)[-1]["team"] for c in (2, 3, 4)] == ["t-Backstube"] * 2 + ["t-Druck"]
    assert plans_of(hub, 5) == []  # Eve, in no team, in a last group of her own
    assert hub.codes(hub.do(5, "board_plan_move", measure="m1", status="done")) == [
        "board_plan_none"
    ]
    # the facilitator visiting a team's group sees its plan there, and none back home
    hub.do(1, "breakout_visit", group=1)
    assert plans_of(hub, 1)[-1]["team"] == "t-Druck"
    hub.do(1, "breakout_visit", group=-1)
    assert plans_of(hub, 1) == [None]

    # Ada moves a measure: both members get the plan anew, Cleo's group nothing
    assert hub.codes(hub.do(2, "board_plan_move", measure="m1", status="planned")) == []
    assert [(r.kind, r.team, r.measure, r.status) for r in hub.asked] == [
        ("move", "t-Backstube", "m1", "planned")
    ]
    hub.serve()
    for conn in (2, 3):
        assert plans_of(hub, conn)[-1]["measures"][0]["status"] == "planned"
    assert plans_of(hub, 4) == [] and plans_of(hub, 5) == []
    # refused by the plan's rules: the person hears why
    hub.take(2, "error")
    hub.do(2, "board_plan_move", measure="m7", status="done")
    hub.serve()
    assert hub.codes(hub.take(2, "error")) == ["plan_refused"]

    # Ben turns Ada's note into a measure: it leaves the board, the plan has it
    added = hub.do(2, "board_add", column=0, text="Ofenwärme nutzen")
    note = next(m["id"] for m in added if m["t"] == "board_note")
    hub.take(3, "board_note")
    assert hub.codes(hub.do(3, "board_plan_adopt", note=note, status="planned")) == []
    assert hub.codes(hub.do(3, "board_plan_adopt", note=note)) == ["board_note_unknown"]
    hub.serve()
    assert [m["note"] for m in hub.take(3, "board_note")] == [None]
    assert [m["title"] for m in plans_of(hub, 2)[-1]["measures"]] == [
        "Erste von Backstube",
        "Ofenwärme nutzen",
    ]
    assert hub.codes(hub.do(3, "board_plan_adopt", note=note)) == ["board_note_unknown"]

    # Ben leaves the team: his board shows no plan any more, he changes nothing of it
    assert plans_of(hub, 3)[-1]["measures"][1]["title"] == "Ofenwärme nutzen"
    hub.teams["t-Backstube"].leave("id-Ben")
    hub.tick(0.25)
    assert plans_of(hub, 3) == [None]
    assert hub.codes(hub.do(3, "board_plan_move", measure="m1", status="done")) == [
        "board_plan_none"
    ]
    # the groups come back: no plan on the main room's board
    assert hub.codes(hub.do(1, "breakout_recall")) == []
    hub.tick(0.25)
    assert plans_of(hub, 2) == [None] and plans_of(hub, 4) == [None]
    assert [m.status for m in hub.teams["t-Backstube"].measures] == ["planned", "planned"]


def test_the_team_of_each_group_is_kept_with_the_running_workshop() -> None:
    hub = PlanHub()
    hub.enter(1, "Mara", Role.FACILITATOR)
    hub.enter(2, "Ada")
    hub.enter(3, "Eve")
    hub.teams = {"t-Backstube": team_of("Backstube", "Ada")}
    hub.do(1, "workshop_start", workshop="w1")
    assert hub.codes(hub.do(1, "breakout", groups=2, mode="teams", minutes=5)) == []
    live = hub.lead.lives["w1"]
    kept = json.loads(json.dumps(document(live, {}, [], {})))
    back = resume(kept, live.workshop, live.home).live
    assert back.breakout is not None
    assert [(g.members, g.team) for g in back.breakout.groups] == [
        ([hub.session(2)], "t-Backstube"),
        ([hub.session(3)], None),
    ]
