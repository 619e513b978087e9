"""A running workshop ends at its scheduled end (the facilitators are warned before and may
extend it); a lock beats the invite code; a mute covers reactions. Driven through the hub
core with the workshop features and an injected clock (the harness's ``now``)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from workshop_harness import WorkshopHub, workshop

from server.base.identity import Role
from server.core.hub import Effects
from server.domain.workshop_records import AuditEntry, WorkshopExtended
from server.domain.workshops import Access, Workshop
from server.workshop.facilitation import ENDING_WARNING_S

START = 1000.0


def running(*others: Workshop, minutes: int = 30, **kw: Any) -> WorkshopHub:
    """A code workshop w1 in "workshop" from START for ``minutes``, started by Mara
    (conn 1) with Vera (conn 2) inside; Kim (conn 3, no code) waits in the foyer."""
    ws = workshop(access=Access.CODE, code="ABCD", **kw)
    ws = replace(ws, starts_at=START, ends_at=START + minutes * 60)
    hub = WorkshopHub(ws, *others)
    hub.now = START
    hub.enter(1, "Mara", Role.FACILITATOR)
    hub.enter(2, "Vera")
    hub.enter(3, "Kim", room="foyer")
    assert hub.codes(hub.do(1, "workshop_start", workshop="w1")) == []
    for conn in (1, 2, 3):
        hub.take(conn)
    return hub


def refresh_from_store(hub: WorkshopHub) -> None:
    """What the service does after reading the workshops again from the store."""
    fx = Effects()
    hub.lead.refresh_changed(fx, hub.now)
    hub.apply(fx)


def until(hub: WorkshopHub, at: float) -> None:
    """Tick the core up to ``at`` (a tick every half second)."""
    while hub.now < at:
        hub.tick(min(0.5, at - hub.now))


def test_the_facilitators_are_warned_five_minutes_before_the_end_and_only_once() -> None:
    hub = running(minutes=30)
    ends = START + 30 * 60
    until(hub, ends - ENDING_WARNING_S - 1)
    assert hub.take(1, "workshop_ending") == []
    until(hub, ends - ENDING_WARNING_S + 1)
    assert hub.take(1, "workshop_ending") == [
        {
            "t": "workshop_ending",
            "workshop": "w1",
            "title": "Klimabilanz im Betrieb",
            "ends_at": ends,
            "ended": False,
        }
    ]
    assert hub.take(2, "workshop_ending") == []  # participants are not told
    until(hub, ends - 10)
    assert hub.take(1, "workshop_ending") == []


def test_at_its_end_the_workshop_is_over_and_the_room_has_its_usual_rules() -> None:
    hub = running(minutes=30)
    ends = START + 30 * 60
    assert hub.codes(hub.do(3, "go", room="workshop")) == ["workshop_access"]
    hub.do(1, "lock", on=True)
    hub.do(1, "permissions", reactions="facilitators")
    until(hub, ends - 1)
    assert hub.lead.live_in(hub.core.instances["workshop"][0]) is not None
    hub.take(1)
    hub.take(2)
    until(hub, ends + 0.5)
    assert hub.lead.lives == {}
    assert hub.last(1, "workshop_ending")["ended"] is True
    assert hub.last(2, "workshop_state")["workshop"] is None
    rules = hub.last(2, "room_rules")
    assert (rules["locked"], rules["reactions"]) == (False, "everyone")
    assert [e.joined for e in hub.attendance() if e.identity_id.endswith("Vera")] == [True, False]
    hub.now += 2
    assert hub.codes(hub.do(3, "go", room="workshop")) == []  # no code needed any more
    assert hub.where(3) == ("workshop", 0)


def test_a_lock_made_before_the_workshop_stays_after_it() -> None:
    hub = running(minutes=30)
    assert hub.codes(hub.do(1, "workshop_end")) == []
    hub.do(1, "lock", on=True)
    assert hub.codes(hub.do(1, "workshop_start", workshop="w1")) == []
    until(hub, START + 30 * 60 + 1)
    assert hub.lead.lives == {}
    assert hub.moderation.rooms["workshop"].locked is True


def test_extending_moves_the_end_and_keeps_the_rules_until_then() -> None:
    hub = running(minutes=30)
    ends = START + 30 * 60
    until(hub, ends - ENDING_WARNING_S + 1)
    assert hub.take(1, "workshop_ending")
    assert hub.codes(hub.do(2, "workshop_extend", minutes=15)) == ["not_facilitator"]
    assert hub.codes(hub.do(1, "workshop_extend", minutes=15)) == []
    state = hub.last(2, "workshop_state")["workshop"]
    assert state["ends_at"] == ends + 15 * 60
    saved = [r for r in hub.kept if isinstance(r, WorkshopExtended)]
    assert [r.workshop.ends_at for r in saved] == [ends + 15 * 60]
    assert hub.book.get("w1").ends_at == ends + 15 * 60  # type: ignore[union-attr]
    extended = [e for e in hub.kept if isinstance(e, AuditEntry) and e.action == "extend"]
    assert [(e.actor_name, e.room, e.detail) for e in extended] == [("Mara", "workshop", "15 min")]
    until(hub, ends + 60)
    assert hub.lead.lives  # still running
    assert hub.codes(hub.do(3, "go", room="workshop")) == ["workshop_access"]
    assert hub.take(1, "workshop_ending") == []
    until(hub, ends + 15 * 60 - ENDING_WARNING_S + 1)
    assert hub.last(1, "workshop_ending")["ends_at"] == ends + 15 * 60  # warned again
    until(hub, ends + 15 * 60 + 1)
    assert hub.lead.lives == {}


def test_an_extension_into_the_next_workshop_in_the_room_is_refused_naming_it() -> None:
    ends = START + 30 * 60
    later = replace(workshop("w2"), starts_at=ends + 10 * 60, ends_at=ends + 70 * 60)
    hub = running(later, minutes=30)
    replies = hub.do(1, "workshop_extend", minutes=15)
    assert hub.codes(replies) == ["workshop_clash"]
    error = next(m for m in replies if m["t"] == "error")
    assert "Klimabilanz im Betrieb" in error["message"]
    assert hub.book.get("w1").ends_at == ends  # type: ignore[union-attr]
    assert hub.codes(hub.do(1, "workshop_extend", minutes=10)) == []  # up to the next one


def test_a_workshop_whose_time_is_over_cannot_be_started() -> None:
    hub = running(minutes=30)
    until(hub, START + 30 * 60 + 1)
    assert hub.codes(hub.do(1, "workshop_start", workshop="w1")) == ["workshop_over"]


def test_a_lock_beats_the_invite_code_but_not_the_list() -> None:
    hub = running(minutes=30, invited=("id-Olga",))
    hub.enter(4, "Olga", room="foyer")
    hub.do(1, "lock", on=True)
    for conn in (3, 4):
        hub.take(conn)
    assert hub.codes(hub.do(3, "workshop_join", workshop="w1", code="ABCD")) == ["room_locked"]
    assert hub.where(3) == ("foyer", 0)
    hub.now += 2
    assert hub.codes(hub.do(3, "go", room="workshop")) == ["room_locked"]
    assert hub.codes(hub.do(4, "workshop_join", workshop="w1")) == []
    assert hub.where(4) == ("workshop", 0)


def test_a_muted_person_cannot_react_until_let_again() -> None:
    hub = running(minutes=30)
    vera = hub.session(2)
    assert hub.codes(hub.do(2, "react", emoji="👍")) == []
    hub.do(1, "mute", session=vera, on=True)
    hub.take(1)
    assert hub.codes(hub.do(2, "react", emoji="👏")) == ["reactions_muted"]
    assert hub.take(1, "reaction") == []
    hub.do(1, "mute", session=vera, on=False)
    hub.now += 2
    assert hub.codes(hub.do(2, "react", emoji="👏")) == []


def test_a_change_read_from_the_store_moves_the_end_but_an_older_copy_does_not() -> None:
    hub = running(minutes=30)
    ends = START + 30 * 60
    assert hub.codes(hub.do(1, "workshop_extend", minutes=10)) == []
    extended = hub.book.get("w1")
    assert extended is not None and extended.ends_at == ends + 600
    # the store still has the plan from before the extension: it does not undo it
    hub.book.put(replace(extended, ends_at=ends, updated_at=extended.updated_at - 1))
    refresh_from_store(hub)
    assert hub.lead.lives["w1"].workshop.ends_at == ends + 600
    # an edit made later (on the command line) ends it earlier
    hub.book.put(replace(extended, ends_at=hub.now + 60, updated_at=hub.now))
    refresh_from_store(hub)
    assert hub.last(2, "workshop_state")["workshop"]["ends_at"] == hub.now + 60
    until(hub, hub.now + 61)
    assert hub.lead.lives == {}
