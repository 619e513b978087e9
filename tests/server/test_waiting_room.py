"""The waiting room of a workshop, without sockets: while a workshop with ``admission``
runs, visitors wait in the foyer until a facilitator admits them (one or all) or declines
(with a message); the facilitators see who waits, since when, and who was sent out of the
room earlier (the same identity, or a fresh guest of the same name); a restart keeps who
was let in.
"""

from __future__ import annotations

from typing import Any

import pytest
from realtime_harness import hello, person
from workshop_harness import WorkshopHub, workshop

from server.base.identity import Identity, Role
from server.core.hub import Effects
from server.domain.workshops import Access, WorkshopInvalid, parse_workshop


def waiting_hub(**kw: Any) -> WorkshopHub:
    """Mara (conn 1) runs w1 (a waiting room) in the workshop room; nobody else there."""
    hub = WorkshopHub(workshop(admission=True, **kw))
    hub.enter(1, "Mara", Role.FACILITATOR)
    assert hub.codes(hub.do(1, "workshop_start", workshop="w1")) == []
    hub.take(1)
    return hub


def waiting_list(hub: WorkshopHub) -> list[dict[str, Any]]:
    return list(hub.last(1, "waiting_list")["people"])


def test_a_visitor_waits_in_the_foyer_until_admitted() -> None:
    hub = waiting_hub()
    ina = hub.enter(2, "Ina", room="foyer")
    assert hub.codes(hub.do(2, "go", room="workshop")) == ["waiting_room"]
    assert hub.where(2) == ("foyer", 0)
    hub.tick()
    told = hub.last(2, "admission")
    assert (told["state"], told["workshop"], told["title"]) == (
        "waiting",
        "w1",
        "Klimabilanz im Betrieb",
    )
    (waiting,) = waiting_list(hub)
    assert (waiting["session"], waiting["name"], waiting["removed"]) == (ina, "Ina", None)
    assert waiting["since"] == hub.now - 0.05
    # asking again does not queue twice (nor start the clock again)
    hub.now += 2
    hub.do(2, "go", room="workshop")
    hub.tick()
    assert hub.take(1, "waiting_list") == []
    # a visitor may not admit
    hub.enter(3, "Olga", room="foyer")
    assert hub.codes(hub.do(3, "admit", session=ina)) == ["not_facilitator"]
    assert hub.codes(hub.do(1, "admit", session="gibt-es-nicht")) == ["nobody_waiting"]
    assert hub.codes(hub.do(1, "admit", session=ina)) == []
    assert hub.last(2, "admission")["state"] == "admitted"
    assert hub.where(2) == ("workshop", 0)
    assert waiting_list(hub) == []
    # once let in, the door is open for her
    hub.now += 2
    hub.do(2, "go", room="foyer")
    hub.now += 2
    assert hub.codes(hub.do(2, "go", room="workshop")) == []
    assert [e.action for e in hub.audit()] == ["admit"]


def test_admit_all_and_decline_with_a_message() -> None:
    hub = waiting_hub()
    for conn, name in ((2, "Ina"), (3, "Olga"), (4, "Kim")):
        hub.enter(conn, name, room="foyer")
        hub.do(conn, "go", room="workshop")
        hub.now += 1
    hub.tick()
    assert [w["name"] for w in waiting_list(hub)] == ["Ina", "Olga", "Kim"]
    kim = hub.session(4)
    assert hub.codes(hub.do(1, "decline", session=kim, message="Heute leider voll.")) == []
    declined = hub.last(4, "admission")
    assert (declined["state"], declined["message"]) == ("declined", "Heute leider voll.")
    assert hub.where(4) == ("foyer", 0)
    assert hub.codes(hub.do(1, "admit", all=True)) == []
    assert hub.where(2) == hub.where(3) == ("workshop", 0)
    assert waiting_list(hub) == []
    assert [e.action for e in hub.audit()] == ["decline", "admit"]


def test_who_leaves_the_hub_stops_waiting_and_staff_and_leaders_never_wait() -> None:
    hub = waiting_hub()
    hub.enter(2, "Ina", room="foyer")
    hub.do(2, "go", room="workshop")
    hub.tick()
    assert len(waiting_list(hub)) == 1
    gone = hub.core.session_of(2)
    assert gone is not None
    fx = Effects()
    hub.core.end_session(gone, "banned", fx, hub.now)
    hub.apply(fx)
    hub.tick()
    assert waiting_list(hub) == []
    hub.enter(5, "Sven", Role.STAFF, room="foyer")
    assert hub.codes(hub.do(5, "go", room="workshop")) == []


def test_someone_sent_out_waits_marked_and_so_does_a_fresh_guest_of_their_name() -> None:
    hub = waiting_hub()
    hub.enter(2, "Ina", room="foyer")
    hub.do(2, "go", room="workshop")
    hub.do(1, "admit", all=True)
    assert hub.where(2) == ("workshop", 0)
    assert hub.codes(hub.do(1, "remove", session=hub.session(2), minutes=30)) == []
    assert hub.where(2) == ("foyer", 0)
    hub.now += 2
    # she is not let in again by herself: she waits, marked
    assert hub.codes(hub.do(2, "go", room="workshop")) == ["waiting_room"]
    # a fresh guest (another identity) of the same name waits too, marked by name
    fresh = Identity("id-Ina-neu", "ina", Role.VISITOR, guest=True)
    hub.apply(hub.core.hello(7, fresh, hello(room="workshop"), hub.now))
    assert "waiting_room" in hub.codes(hub.take(7))
    hub.tick()
    marks = {w["session"]: w["removed"] for w in waiting_list(hub)}
    assert marks == {hub.session(2): "identity", hub.session(7): "name"}
    # the facilitator may let her in after all
    hub.do(1, "admit", session=hub.session(2))
    assert hub.where(2) == ("workshop", 0)


def test_who_was_in_the_room_at_the_start_comes_back_without_waiting() -> None:
    hub = WorkshopHub(workshop(admission=True))
    hub.enter(1, "Mara", Role.FACILITATOR)
    hub.enter(2, "Ina")
    hub.do(1, "workshop_start", workshop="w1")
    hub.now += 2
    hub.do(2, "go", room="foyer")
    hub.now += 2
    assert hub.codes(hub.do(2, "go", room="workshop")) == []


def test_without_a_waiting_room_nobody_waits() -> None:
    hub = WorkshopHub(workshop())
    hub.enter(1, "Mara", Role.FACILITATOR)
    hub.do(1, "workshop_start", workshop="w1")
    hub.enter(2, "Ina", room="foyer")
    assert hub.codes(hub.do(2, "go", room="workshop")) == []
    assert hub.codes(hub.do(1, "admit", all=True)) == []  # nobody waits: nothing to do


def test_a_code_still_comes_first() -> None:
    hub = waiting_hub(access=Access.CODE, code="KLIMA-24")
    hub.enter(2, "Ina", room="foyer")
    assert hub.codes(hub.do(2, "go", room="workshop")) == ["workshop_access"]
    assert hub.codes(hub.do(2, "workshop_join", workshop="w1", code="KLIMA-24")) == ["waiting_room"]


def test_admission_is_a_workshop_field_that_must_be_true_or_false() -> None:
    base = {"title": "T", "room": "workshop", "starts": 2_000_000_000, "minutes": 60}
    facilitators = [workshop().facilitators[0]]
    made = parse_workshop({**base, "admission": True}, rooms=["workshop"],
                          facilitators=facilitators, workshop_id="w9")  # fmt: skip
    assert made.admission is True and made.public_dict()["admission"] is True
    assert type(made).from_record(made.record()).admission is True
    with pytest.raises(WorkshopInvalid, match="admission"):
        parse_workshop({**base, "admission": "ja"}, rooms=["workshop"],
                       facilitators=facilitators, workshop_id="w9")  # fmt: skip


def test_the_groups_say_how_many_are_in_their_rooms() -> None:
    hub = WorkshopHub(workshop())
    hub.enter(1, "Mara", Role.FACILITATOR)
    people = [hub.enter(conn, f"v{conn}") for conn in range(2, 6)]
    hub.do(1, "workshop_start", workshop="w1")
    hub.do(1, "breakout", groups=2, mode="chosen", minutes=5, assign=[people[:3], people[3:]])
    groups = hub.last(1, "workshop_state")["workshop"]["breakout"]["groups"]
    assert [(g["members"], g["present"]) for g in groups] == [(people[:3], 3), (people[3:], 1)]
    hub.now += 2
    hub.do(2, "go", room="foyer")  # one leaves her group
    hub.tick(1.0)
    groups = hub.last(1, "workshop_state")["workshop"]["breakout"]["groups"]
    assert [g["present"] for g in groups] == [2, 1]


def test_a_decision_made_while_the_visitor_reconnects_reaches_them_when_back() -> None:
    hub = waiting_hub()
    hub.enter(2, "Ina", room="foyer")
    (welcome,) = hub.take(2, "welcome")
    hub.do(2, "go", room="workshop")
    hub.tick()
    ina = hub.session(2)
    hub.drop(2)
    assert hub.codes(hub.do(1, "decline", session=ina, message="Heute leider voll.")) == []
    assert waiting_list(hub) == []
    hub.apply(
        hub.core.hello(7, person("Ina"), hello(room="foyer", resume=welcome["resume"]), hub.now)
    )
    assert hub.session(7) == ina
    kinds = hub.kinds(7)
    assert kinds[0] == "welcome" and "admission" in kinds
    told = hub.last(7, "admission")
    assert (told["state"], told["message"]) == ("declined", "Heute leider voll.")
    # said once: a second reconnection does not bring it again
    (again,) = hub.take(7, "welcome")
    hub.drop(7)
    hub.apply(
        hub.core.hello(8, person("Ina"), hello(room="foyer", resume=again["resume"]), hub.now)
    )
    assert hub.take(8, "admission") == []
