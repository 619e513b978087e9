"""Breakout groups by team and a team's plan on its group's board: the rules, without
sockets (``server/breakouts.py`` ``split_by_teams``, ``server/board_plans.py``)."""

from __future__ import annotations

import dataclasses

import pytest

from server.action_plans import STATUSES, TITLE_MAX_CHARS, PlanRefused, Team
from server.board_plans import PlanRequest, apply_request, board_view, title_of
from server.breakouts import MAX_GROUPS, BreakoutInvalid, split_by_teams
from server.identity import Identity, Role

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
