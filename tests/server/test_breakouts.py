"""Breakout groups, without sockets: the split (even, everyone once, chosen groups kept),
the groups' rooms, facilitators visiting, recall and the group timer; places in the main
room are kept meanwhile; nobody is lost or doubled (hypothesis)."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from workshop_harness import WorkshopHub

from server.base.identity import Role
from server.domain.breakouts import BreakoutInvalid, split


def test_a_random_split_is_even_and_has_everyone_once() -> None:
    people = [f"p{i}" for i in range(11)]
    groups = split(people, 3, random.Random(5))
    assert sorted(len(g) for g in groups) == [3, 4, 4]
    assert sorted(p for g in groups for p in g) == sorted(people)


def test_a_chosen_split_keeps_the_choice_and_deals_the_rest() -> None:
    people = ["a", "b", "c", "d", "e"]
    groups = split(people, 2, random.Random(1), [["a", "b", "c"], []])
    assert groups[0] == ["a", "b", "c"] and sorted(groups[1]) == ["d", "e"]


@pytest.mark.parametrize(
    ("people", "count", "chosen", "code"),
    [
        ([], 2, None, "no_participants"),
        (["a"], 2, None, "breakout_invalid"),
        (["a", "b"], 3, None, "breakout_invalid"),
        (["a", "b"], 2, [["a"], ["a"]], "breakout_invalid"),
        (["a", "b"], 2, [["x"]], "breakout_invalid"),
        (["a", "b"], 2, [["a"], ["b"], []], "breakout_invalid"),
    ],
)
def test_impossible_splits_are_refused(
    people: list[str], count: int, chosen: list[list[str]] | None, code: str
) -> None:
    with pytest.raises(BreakoutInvalid) as refused:
        split(people, count, random.Random(0), chosen)
    assert refused.value.code == code


def started(hub: WorkshopHub, visitors: int) -> None:
    hub.enter(1, "Mara", Role.FACILITATOR)
    for conn in range(2, 2 + visitors):
        hub.enter(conn, f"v{conn}")
    hub.do(1, "workshop_start", workshop="w1")


def test_groups_meet_in_rooms_of_their_own_and_come_back() -> None:
    hub = WorkshopHub()
    started(hub, 10)
    answer = hub.do(1, "breakout", groups=3, mode="random", minutes=10)
    assert hub.codes(answer) == []
    state = hub.last(1, "workshop_state")["workshop"]
    groups = state["breakout"]["groups"]
    assert sorted(len(g["members"]) for g in groups) == [3, 3, 4]
    assert len({g["instance"] for g in groups}) == 3 and 0 not in {g["instance"] for g in groups}
    for group in groups:
        for conn in range(2, 12):
            if hub.session(conn) in group["members"]:
                assert hub.where(conn) == ("workshop", group["instance"])
                assert hub.last(conn, "workshop_state")["workshop"]["group"] == group["group"]
    assert hub.where(1) == ("workshop", 0)
    # the facilitator visits a group, then comes back, then calls everyone back
    hub.do(1, "breakout_visit", group=1)
    assert hub.where(1) == ("workshop", groups[1]["instance"])
    assert hub.codes(hub.do(1, "breakout_visit", group=7)) == ["group_unknown"]
    hub.do(1, "breakout_visit", group=-1)
    assert hub.where(1) == ("workshop", 0)
    assert hub.codes(hub.do(1, "breakout", groups=2, mode="random", minutes=5)) == [
        "breakout_running"
    ]
    hub.do(1, "breakout_recall")
    assert all(hub.where(conn) == ("workshop", 0) for conn in range(1, 12))
    assert hub.last(2, "workshop_state")["workshop"]["breakout"] is None
    assert hub.codes(hub.do(1, "breakout_recall")) == ["no_breakout"]
    # going back and forth is not leaving: attendance has one arrival per person
    arrivals = Counter(e.identity_id for e in hub.attendance() if e.joined)
    assert set(arrivals.values()) == {1}


def test_the_group_timer_calls_everyone_back() -> None:
    hub = WorkshopHub()
    started(hub, 4)
    hub.do(1, "breakout", groups=2, mode="random", minutes=1)
    hub.tick(30)
    assert hub.where(2)[1] != 0
    hub.tick(31)
    assert all(hub.where(conn) == ("workshop", 0) for conn in range(1, 6))


def test_chosen_groups_are_kept() -> None:
    hub = WorkshopHub()
    started(hub, 4)
    pair = [hub.session(2), hub.session(5)]
    hub.do(1, "breakout", groups=2, mode="chosen", minutes=5, assign=[pair])
    assert hub.where(2) == hub.where(5)
    assert hub.where(3) == hub.where(4) != hub.where(2)
    assert hub.codes(hub.do(1, "breakout_recall")) == []
    assert hub.codes(
        hub.do(1, "breakout", groups=2, mode="chosen", minutes=5, assign=[["someone"]])
    ) == ["breakout_invalid"]


def test_places_are_kept_in_the_main_room_and_groups_stay_private() -> None:
    hub = WorkshopHub(workshop_capacity=6)
    started(hub, 5)  # full: 6 of 6
    hub.do(1, "breakout", groups=2, mode="random", minutes=5)
    assert hub.core.instances["workshop"][0].occupancy == 1
    hub.enter(20, "Late", room="foyer")
    answer = hub.do(20, "go", room="workshop")
    assert hub.codes(answer) == ["places_reserved"]
    assert hub.where(20) == ("foyer", 0)
    group_instance = hub.where(2)[1]
    assert hub.codes(hub.do(20, "go", room="workshop", instance=group_instance)) == ["room_locked"]
    hub.do(1, "breakout_recall")
    assert hub.core.instances["workshop"][0].occupancy == 6


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    visitors=st.integers(min_value=2, max_value=23),
    groups=st.integers(min_value=2, max_value=20),
    leavers=st.lists(st.integers(min_value=0, max_value=22), max_size=5),
    late=st.integers(min_value=0, max_value=4),
    seed=st.integers(min_value=0, max_value=1000),
)
def test_split_and_recall_lose_and_double_nobody(
    visitors: int, groups: int, leavers: list[int], late: int, seed: int
) -> None:
    groups = min(groups, visitors)
    hub = WorkshopHub()
    hub.lead._random.seed(seed)
    started(hub, visitors)
    before = {hub.session(conn) for conn in range(1, 2 + visitors)}
    assert hub.codes(hub.do(1, "breakout", groups=groups, mode="random", minutes=5)) == []
    sent = hub.lead.lives["w1"].breakout
    assert sent is not None and len(sent.groups) == groups
    assert sorted(m for g in sent.groups for m in g.members) == sorted(before - {hub.session(1)})
    sizes = [len(g.members) for g in sent.groups]
    assert max(sizes) - min(sizes) <= 1
    gone = set()
    for index in leavers:
        conn = 2 + index % visitors
        if conn not in gone:
            gone.add(conn)
            hub.do(conn, "bye")
    for extra in range(late):  # latecomers wait in the foyer meanwhile, or get in if there is room
        hub.enter(100 + extra, f"late{extra}", room="foyer")
        hub.do(100 + extra, "go", room="workshop")
    hub.do(1, "breakout_recall")
    main = hub.core.instances["workshop"][0]
    expected = {hub.session(c) for c in range(1, 2 + visitors) if c not in gone}
    inside = {s.id for s in main.members.values()}
    assert expected <= inside
    assert len(inside) == main.occupancy <= main.capacity
    everyone = [
        s.id for inst in hub.core.instances["workshop"].values() for s in inst.members.values()
    ]
    assert len(everyone) == len(set(everyone))
    assert all(not inst.members for n, inst in hub.core.instances["workshop"].items() if n != 0)
