"""Leading a workshop, without sockets: who may do what (the permission matrix), and what
each facilitator action does to the participants: gather, follow me, spotlight and stage,
hands, reactions, announcements, timer, agenda, joining by link, attendance."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from workshop_harness import WorkshopHub, workshop

from server.base.identity import Role
from server.core.workshop_context import StageArea
from server.domain.workshops import Access
from server.protocol.table import encode_pose
from server.workshop.facilitation import Facilitation, stage_areas
from server.workshop.formation import MIN_GAP_M

#: every message only facilitators may send, with fields that are valid on the wire
LEADING: list[tuple[str, dict[str, Any]]] = [
    ("workshop_start", {"workshop": "w1"}),
    ("workshop_end", {}),
    ("gather", {}),
    ("follow", {"on": True}),
    ("spotlight", {"on": True}),
    ("hands", {"action": "next"}),
    ("announce", {"text": "Pause!", "scope": "hub"}),
    ("timer", {"seconds": 60}),
    ("agenda", {"item": 1}),
    ("breakout", {"groups": 2, "mode": "random", "minutes": 5}),
    ("breakout_visit", {"group": 0}),
    ("breakout_recall", {}),
]
MODERATING: list[tuple[str, dict[str, Any]]] = [
    ("mute", {"on": True}),
    ("remove", {}),
    ("ban", {"hours": 1}),
    ("lock", {"on": True}),
    ("permissions", {"chat": "facilitators", "reactions": "facilitators", "screens": "staff"}),
    ("invite", {}),
]


def running(hub: WorkshopHub, visitors: int = 2) -> tuple[str, list[str]]:
    """Mara (conn 1) starts w1 in the workshop room; visitors on conns 2, 3, ..."""
    lead = hub.enter(1, "Mara", Role.FACILITATOR)
    people = [hub.enter(conn, f"v{conn}") for conn in range(2, 2 + visitors)]
    assert hub.codes(hub.do(1, "workshop_start", workshop="w1")) == []
    for conn in range(1, 2 + visitors):
        hub.take(conn)
    return lead, people


# --- the permission matrix ---------------------------------------------------------------


@pytest.mark.parametrize("live", [True, False], ids=["workshop running", "no workshop"])
@pytest.mark.parametrize(("kind", "fields"), LEADING + MODERATING, ids=lambda v: str(v)[:20])
def test_a_visitor_is_refused_every_facilitator_action(
    live: bool, kind: str, fields: dict[str, Any]
) -> None:
    hub = WorkshopHub()
    hub.enter(1, "Mara", Role.FACILITATOR)
    visitor = hub.enter(2, "Vera")
    other = hub.enter(3, "Otto")
    if live:
        hub.do(1, "workshop_start", workshop="w1")
    if kind in ("mute", "remove", "ban", "invite"):
        fields = {**fields, "session": other}
    before = {conn: hub.position(conn).copy() for conn in (1, 2, 3)}
    hub.take(2)
    answer = hub.do(2, kind, **fields)
    expected = "not_moderator" if kind in dict(MODERATING) else "not_facilitator"
    assert hub.codes(answer) == [expected], answer
    assert answer[0]["about"] == kind
    # and nothing happened: nobody moved, nothing is locked, muted, banned or recorded
    hub.tick()
    for conn in (1, 2, 3):
        assert np.allclose(hub.position(conn), before[conn])
        assert hub.where(conn) == ("workshop", 0)
    assert hub.moderation.rooms.get("workshop") is None
    assert hub.moderation.mutes == {} and hub.moderation.barred == {}
    assert hub.moderation.ban_of("id-Otto", hub.now) is None
    assert hub.audit() == []
    assert (hub.lead.lives != {}) == live
    spotlight = hub.lead.lives["w1"].spotlight if live else []
    assert visitor not in spotlight


@pytest.mark.parametrize(("kind", "fields"), LEADING[1:], ids=lambda v: str(v)[:20])
def test_a_facilitator_who_does_not_lead_this_workshop_is_refused(
    kind: str, fields: dict[str, Any]
) -> None:
    hub = WorkshopHub()
    running(hub)
    hub.enter(9, "Fritz", Role.FACILITATOR)
    hub.take(9)
    assert hub.codes(hub.do(9, kind, **fields)) == ["not_facilitator"]


def test_a_facilitator_who_does_not_lead_this_workshop_cannot_moderate_in_it() -> None:
    hub = WorkshopHub()
    _, (vera, _) = running(hub)
    hub.enter(9, "Fritz", Role.FACILITATOR)
    hub.take(9)
    assert hub.codes(hub.do(9, "mute", session=vera, on=True)) == ["not_moderator"]
    assert hub.codes(hub.do(9, "lock", on=True)) == ["not_moderator"]


def test_staff_lead_every_workshop() -> None:
    hub = WorkshopHub()
    running(hub)
    hub.enter(9, "Sven", Role.STAFF)
    hub.take(9)
    assert hub.codes(hub.do(9, "timer", seconds=30)) == []
    assert hub.lead.lives["w1"].timer_ends == pytest.approx(hub.now + 30)


# --- starting, ending, state -------------------------------------------------------------


def test_starting_needs_its_room_and_a_known_workshop() -> None:
    hub = WorkshopHub()
    hub.enter(1, "Mara", Role.FACILITATOR, room="foyer")
    assert hub.codes(hub.do(1, "workshop_start", workshop="nope")) == ["workshop_unknown"]
    assert hub.codes(hub.do(1, "workshop_start", workshop="w1")) == ["workshop_elsewhere"]
    hub.do(1, "go", room="workshop")
    assert hub.codes(hub.do(1, "workshop_start", workshop="w1")) == []


def test_everyone_in_the_room_gets_the_state_and_the_leader_knows_it() -> None:
    hub = WorkshopHub()
    lead = hub.enter(1, "Mara", Role.FACILITATOR)
    hub.enter(2, "Vera")
    hub.take(2)
    hub.do(1, "workshop_start", workshop="w1")
    mine = hub.last(1, "workshop_state")["workshop"]
    theirs = hub.last(2, "workshop_state")["workshop"]
    assert mine["you_lead"] is True and theirs["you_lead"] is False
    assert theirs["id"] == "w1" and theirs["leaders"] == [lead]
    assert [a["title"] for a in theirs["agenda"]] == ["Einstieg", "Station"]
    assert theirs["item"] == -1 and theirs["group"] == -1 and theirs["breakout"] is None
    # someone coming in later gets it on entering; ending clears it for everyone
    hub.enter(3, "Otto")
    assert hub.last(3, "workshop_state")["workshop"]["id"] == "w1"
    hub.do(1, "workshop_end")
    assert hub.last(2, "workshop_state")["workshop"] is None
    assert hub.lead.lives == {}


def test_a_second_workshop_cannot_start_in_a_busy_room() -> None:
    hub = WorkshopHub(workshop("w1"), workshop("w2"))
    running(hub)
    assert hub.codes(hub.do(1, "workshop_start", workshop="w2")) == ["workshop_live"]


# --- gather ------------------------------------------------------------------------------


def test_gather_puts_everyone_around_the_facilitator_not_stacked_on_the_floor() -> None:
    hub = WorkshopHub()
    running(hub, visitors=12)
    hub.apply(hub.core.tick(hub.now))
    centre = hub.position(1)
    hub.do(1, "gather")
    spots = []
    for conn in range(2, 14):
        (fix,) = hub.take(conn, "pose_fix")
        assert fix["reason"] == "gather"
        spot = hub.position(conn)
        assert np.allclose(fix["pos"], spot)
        spots.append(spot)
        distance = math.hypot(spot[0] - centre[0], spot[2] - centre[2])
        assert MIN_GAP_M <= distance <= 4.0
        # facing the facilitator: yaw 0 looks along -Z
        look = np.array([-math.sin(fix["yaw"]), -math.cos(fix["yaw"])])
        towards = np.array([centre[0] - spot[0], centre[2] - spot[2]]) / distance
        assert float(look @ towards) > 0.99
    spots_array = np.array(spots)
    assert hub.core.world.is_walkable(spots_array).all()
    assert (hub.core.world.room_at(spots_array) == hub.core.world.room_index("workshop")).all()
    gaps = np.hypot(
        *(spots_array[:, None, [0, 2]] - spots_array[None, :, [0, 2]]).transpose(2, 0, 1)
    )
    assert gaps[~np.eye(len(spots), dtype=bool)].min() >= MIN_GAP_M - 1e-9
    assert hub.take(1, "pose_fix") == []  # the facilitator stays where they are


def test_gather_in_a_corner_still_finds_room_for_everyone() -> None:
    hub = WorkshopHub()
    running(hub, visitors=10)
    session = hub.core.session_of(1)
    assert session is not None and session.instance is not None
    session.instance.poses.pos[session.slot] = [0.4, 0.0, -11.6]  # the room's north-west corner
    hub.do(1, "gather")
    spots = np.array([hub.position(conn) for conn in range(2, 12)])
    assert (hub.core.world.room_at(spots) == hub.core.world.room_index("workshop")).all()
    assert len({(round(x, 2), round(z, 2)) for x, _, z in spots}) == 10


# --- follow me ---------------------------------------------------------------------------


def walk(hub: WorkshopHub, conn: int, to: tuple[float, float], steps: int = 60) -> None:
    """Walk a client towards a point at about 1.4 m/s, one pose a tick."""
    for seq in range(1, steps + 1):
        here = hub.position(conn)
        delta = np.array([to[0] - here[0], to[1] - here[2]])
        length = float(np.hypot(*delta))
        if length < 0.05:
            break
        step = delta / length * min(length, 0.07)
        hub.core.pose(conn, encode_pose(seq, here[0] + step[0], 0.0, here[2] + step[1], 0.0, 0.0))
        hub.tick()


def test_follow_me_walks_the_group_behind_the_facilitator_and_lets_go_when_stopped() -> None:
    hub = WorkshopHub()
    running(hub, visitors=4)
    hub.tick()
    hub.do(1, "follow", on=True)
    assert hub.last(2, "workshop_state")["workshop"]["follow"] == hub.session(1)
    walk(hub, 1, (4.0, -9.0))
    walk(hub, 1, (15.0, -9.0), steps=200)
    leader = hub.position(1)
    for conn in range(2, 6):
        spot = hub.position(conn)
        assert math.hypot(spot[0] - leader[0], spot[2] - leader[2]) < 4.0
        assert spot[0] < leader[0]  # behind: the leader walked east
        assert "follow" in [m["reason"] for m in hub.take(conn, "pose_fix")]
    # a follower's own steps are overridden while the tour runs
    mine = hub.position(2)
    hub.core.pose(2, encode_pose(1, mine[0], 0.0, mine[2] + 0.5, 0.0, 0.0))
    for _ in range(3):
        hub.tick()
    assert abs(hub.position(2)[2] - mine[2]) < 0.2
    hub.do(1, "follow", on=False)
    assert hub.last(3, "workshop_state")["workshop"]["follow"] is None
    here = hub.position(2)
    hub.core.pose(2, encode_pose(500, here[0], 0.0, here[2] + 0.3, 0.0, 0.0))
    for _ in range(3):
        hub.tick()
    assert hub.position(2)[2] == pytest.approx(here[2] + 0.3, abs=0.01)


def test_the_tour_takes_its_followers_through_a_door() -> None:
    hub = WorkshopHub()
    running(hub, visitors=3)
    hub.tick()
    hub.do(1, "follow", on=True)
    walk(hub, 1, (10.0, -1.0), steps=300)
    walk(hub, 1, (10.0, 3.0), steps=100)
    assert hub.where(1) == ("foyer", 0)
    for _ in range(4):
        hub.tick()
    for conn in (2, 3, 4):
        assert hub.where(conn) == ("foyer", 0)
    # they still take part (a tour leaves the room, not the workshop)
    assert len(hub.lead.lives["w1"].present) == 4
    assert hub.last(2, "workshop_state")["workshop"]["follow"] == hub.session(1)


def test_a_tour_ends_when_its_leader_leaves() -> None:
    hub = WorkshopHub()
    running(hub, visitors=2)
    hub.do(1, "follow", on=True)
    hub.do(1, "bye")
    hub.tick(0.2)
    assert hub.lead.lives["w1"].tour is None


# --- spotlight, stage, hands, reactions ----------------------------------------------------


def test_spotlight_and_the_hand_queue() -> None:
    hub = WorkshopHub()
    lead, (vera, otto) = running(hub)
    hub.do(3, "hand", up=True)
    hub.do(2, "hand", up=True)
    assert hub.last(1, "hand_queue")["sessions"] == [otto, vera]
    hub.do(2, "hand", up=True)  # twice is once
    assert hub.last(2, "hand_queue")["sessions"] == [otto, vera]
    hub.do(1, "hands", action="next")
    assert hub.last(3, "hand_queue")["sessions"] == [vera]
    assert hub.last(3, "workshop_state")["workshop"]["spotlight"] == [otto]
    hub.do(1, "hands", action="lower", session=vera)
    assert hub.last(2, "hand_queue")["sessions"] == []
    assert hub.codes(hub.do(1, "hands", action="next")) == ["hands_empty"]
    hub.do(1, "spotlight", on=True)
    assert hub.last(2, "workshop_state")["workshop"]["spotlight"] == [otto, lead]
    hub.do(1, "spotlight", on=False)
    assert hub.last(2, "workshop_state")["workshop"]["spotlight"] == []
    assert hub.codes(hub.do(1, "spotlight", on=True, session="nobody")) == ["recipient_unknown"]


def test_a_hand_goes_down_when_its_owner_leaves_the_room() -> None:
    hub = WorkshopHub()
    _, (_, otto) = running(hub)
    hub.do(2, "hand", up=True)
    hub.do(3, "hand", up=True)
    hub.do(2, "go", room="foyer")
    assert hub.last(3, "hand_queue")["sessions"] == [otto]


def test_reactions_are_counted_per_agenda_item() -> None:
    hub = WorkshopHub()
    running(hub, visitors=3)
    for conn in (2, 3, 4):
        hub.do(conn, "react", emoji="👍")
    hub.do(2, "react", emoji="💡")
    hub.tick(1.1)
    counts = hub.last(2, "workshop_state")["workshop"]["reactions"]
    assert counts == [{"emoji": "👍", "count": 3}, {"emoji": "💡", "count": 1}]
    hub.do(1, "agenda", item=0)
    state = hub.last(2, "workshop_state")["workshop"]
    assert state["reactions"] == [] and state["item"] == 0
    assert state["item_started"] == pytest.approx(hub.now)
    assert hub.codes(hub.do(1, "agenda", item=5)) == ["agenda_item_unknown"]


def test_whoever_stands_on_a_stage_is_shown_to_the_room() -> None:
    hub = WorkshopHub()
    stage = StageArea("workshop", 10.0, -10.0, 0.0, 2.0, 1.0, -0.2)
    lead = Facilitation(hub.book, stages=[stage])
    lead.attach(hub.core)
    hub.core.features = (*hub.core.features, lead)
    hub.enter(1, "Mara", Role.FACILITATOR)
    hub.enter(2, "Vera")
    session = hub.core.session_of(1)
    assert session is not None and session.instance is not None
    session.instance.poses.pos[session.slot] = [10.5, 0.0, -10.2]
    hub.tick(0.3)
    assert hub.last(2, "stage")["sessions"] == [hub.session(1)]
    session.instance.poses.pos[session.slot] = [10.5, 0.0, -5.0]
    hub.tick(0.3)
    assert hub.last(2, "stage")["sessions"] == []


def test_stage_areas_come_from_stage_anchors() -> None:
    class Anchor:
        room_id = "auditorium"
        position = (9.0, 0.45, -10.8)
        yaw = math.pi / 2
        size = None

    (area,) = stage_areas([Anchor()])
    on_stage = np.array([[9.0, 0.45, -6.5], [9.0, 0.0, -6.5], [12.0, 0.45, -10.8]])
    # turned a quarter: 10 m along z, 3.2 m along x; the floor in front is not the stage
    assert area.holds(on_stage).tolist() == [True, False, False]


# --- announcements and the timer -----------------------------------------------------------


def test_announcements_reach_the_workshop_or_the_whole_hub() -> None:
    hub = WorkshopHub()
    lead, _ = running(hub)
    hub.enter(7, "Far", room="lab")
    hub.take(7)
    hub.do(1, "announce", text="  Gleich geht es weiter  ", scope="room")
    message = hub.last(2, "announcement")
    assert message["text"] == "Gleich geht es weiter" and message["from"] == lead
    assert message["name"] == "Mara" and message["scope"] == "room"
    assert hub.take(7, "announcement") == []
    assert hub.codes(hub.do(1, "announce", text="zu schnell", scope="room")) == ["rate_limited"]
    hub.now += 3
    hub.do(1, "announce", text="Alle in den Saal", scope="hub")
    assert hub.last(7, "announcement")["scope"] == "hub"
    hub.now += 3
    assert hub.codes(hub.do(1, "announce", text="   ", scope="room")) == ["announcement_invalid"]


def test_the_countdown_is_part_of_the_state() -> None:
    hub = WorkshopHub()
    running(hub)
    hub.do(1, "timer", seconds=300)
    assert hub.last(2, "workshop_state")["workshop"]["timer_ends"] == pytest.approx(hub.now + 300)
    hub.do(1, "timer", seconds=0)
    assert hub.last(2, "workshop_state")["workshop"]["timer_ends"] is None


# --- joining by link, access, attendance ------------------------------------------------------


def test_joining_by_link_takes_you_to_the_room_when_the_rule_lets_you() -> None:
    hub = WorkshopHub(
        workshop("open"),
        workshop("coded", access=Access.CODE, code="KLIMA-24"),
        workshop("listed", access=Access.LIST, invited=("id-Ina",)),
    )
    hub.enter(2, "Vera", room="foyer")
    assert hub.codes(hub.do(2, "workshop_join", workshop="nope")) == ["workshop_unknown"]
    assert hub.codes(hub.do(2, "workshop_join", workshop="coded", code="wrong")) == [
        "workshop_access"
    ]
    assert hub.codes(hub.do(2, "workshop_join", workshop="listed")) == ["workshop_access"]
    assert hub.where(2) == ("foyer", 0)
    answer = hub.do(2, "workshop_join", workshop="coded", code="KLIMA-24")
    assert [m["via"] for m in answer if m["t"] == "joined"] == ["moved"]
    assert hub.where(2) == ("workshop", 0)
    hub.enter(3, "Ina", room="foyer")
    hub.do(3, "workshop_join", workshop="listed")
    assert hub.where(3) == ("workshop", 0)
    hub.enter(4, "Olga", room="lab")
    hub.do(4, "workshop_join", workshop="open")
    assert hub.where(4) == ("workshop", 0)


def test_attendance_follows_who_is_in_the_workshop() -> None:
    hub = WorkshopHub()
    hub.enter(1, "Mara", Role.FACILITATOR)
    hub.enter(2, "Vera")
    hub.do(1, "workshop_start", workshop="w1")
    start = hub.now
    hub.now += 60
    hub.enter(3, "Otto")
    hub.now += 60
    hub.do(2, "go", room="foyer")
    hub.now += 60
    hub.do(3, "bye")
    hub.tick(1.5)
    hub.now += 60
    hub.do(1, "workshop_end")
    events = [(e.display_name, e.joined, round(e.at - start)) for e in hub.attendance()]
    assert events == [
        ("Mara", True, 0),
        ("Vera", True, 0),
        ("Otto", True, 60),
        ("Vera", False, 120),
        ("Otto", False, 180),
        ("Mara", False, 242),
    ]
    assert all(e.workshop_id == "w1" for e in hub.attendance())
    assert hub.attendance()[1].guest is True and hub.attendance()[0].guest is False


def test_nothing_is_recorded_without_a_running_workshop() -> None:
    hub = WorkshopHub()
    hub.enter(1, "Mara", Role.FACILITATOR)
    hub.enter(2, "Vera")
    hub.do(2, "go", room="foyer")
    hub.tick(2)
    assert hub.attendance() == []


def test_a_running_workshop_with_a_code_or_a_list_lets_in_only_those_it_admits() -> None:
    hub = WorkshopHub(workshop(access=Access.CODE, code="KLIMA-24"))
    running(hub, visitors=0)
    for conn, name in ((5, "Olga"), (6, "Ina"), (7, "Kim")):
        hub.enter(conn, name, room="foyer")
    assert hub.codes(hub.do(5, "go", room="workshop")) == ["workshop_access"]
    assert hub.where(5) == ("foyer", 0)
    # the code (from the link) lets in, and then the door too
    assert hub.codes(hub.do(6, "workshop_join", workshop="w1", code="KLIMA-24")) == []
    assert hub.where(6) == ("workshop", 0)
    hub.now += 2
    hub.do(6, "go", room="foyer")
    hub.now += 2
    assert hub.codes(hub.do(6, "go", room="workshop")) == []
    # a facilitator's invitation lets in as well
    hub.do(1, "invite", session=hub.session(7))
    assert hub.codes(hub.do(7, "go", room="workshop")) == []
    # once it has ended, the room is open again
    hub.do(1, "workshop_end")
    hub.now += 2
    assert hub.codes(hub.do(5, "go", room="workshop")) == []
