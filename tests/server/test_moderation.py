"""Moderation, without sockets: mute, chat and reactions off, removal, bans (surviving a
reconnect), locks and invitations, screen control, who may moderate whom, the audit log."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from realtime_harness import hello, person
from workshop_harness import WorkshopHub, workshop

from server.base.identity import Role
from server.core.hub import Effects
from server.core.room import RoomInstance
from server.domain.playback import ControlMode, ControlPolicy, RoomScreens
from server.domain.workshop_records import Ban
from server.domain.workshops import Access
from server.protocol.table import encode_pose
from server.workshop.moderation import Moderation


def room_with(hub: WorkshopHub, *names: str) -> list[str]:
    """Mara (conn 1, facilitator) and visitors on conns 2, 3, ... in the workshop room."""
    hub.enter(1, "Mara", Role.FACILITATOR)
    people = [hub.enter(conn, name) for conn, name in enumerate(names, start=2)]
    for conn in range(1, 2 + len(names)):
        hub.take(conn)
    return people


def test_a_muted_person_cannot_chat_until_let_again_or_the_time_is_up() -> None:
    hub = WorkshopHub()
    vera, otto = room_with(hub, "Vera", "Otto")
    hub.do(1, "mute", session=vera, on=True)
    told = hub.last(2, "moderated")
    assert told == {
        "t": "moderated",
        "action": "muted",
        "by": "Mara",
        "room": "workshop",
        "until": None,
    }
    assert hub.last(2, "room_rules")["muted"] is True
    assert hub.codes(hub.do(2, "chat", text="Hallo")) == ["chat_muted"]
    assert hub.codes(hub.do(2, "chat", text="psst", to=otto)) == ["chat_muted"]
    assert hub.take(3, "chat") == []
    hub.do(1, "mute", session=vera, on=False)
    assert hub.last(2, "moderated")["action"] == "unmuted"
    assert hub.codes(hub.do(2, "chat", text="Danke")) == []
    hub.do(1, "mute", session=vera, on=True, minutes=2)
    assert hub.last(2, "room_rules")["muted_until"] == pytest.approx(hub.now + 120)
    hub.tick(121)
    assert hub.last(2, "room_rules")["muted"] is False
    assert hub.codes(hub.do(2, "chat", text="wieder da")) == []


def test_a_mute_follows_the_person_not_the_connection() -> None:
    hub = WorkshopHub()
    (vera,) = room_with(hub, "Vera")
    resume = hub.core.session_of(2)
    assert resume is not None
    hub.do(1, "mute", session=vera, on=True)
    hub.drop(2)
    hub.apply(hub.core.hello(12, person("Vera"), hello(resume=resume.resume_key), hub.now))
    assert hub.codes(hub.do(12, "chat", text="hallo?")) == ["chat_muted"]


def test_chat_and_reactions_off_leave_facilitators_and_direct_messages() -> None:
    hub = WorkshopHub()
    vera, _ = room_with(hub, "Vera", "Otto")
    hub.do(1, "permissions", chat="facilitators", reactions="facilitators")
    rules = hub.last(3, "room_rules")
    assert (rules["chat"], rules["reactions"]) == ("facilitators", "facilitators")
    assert hub.codes(hub.do(3, "chat", text="Frage")) == ["chat_off"]
    assert hub.codes(hub.do(3, "react", emoji="👍")) == ["reactions_off"]
    assert hub.codes(hub.do(3, "chat", text="nur an dich", to=vera)) == []
    assert hub.codes(hub.do(1, "chat", text="Bitte zuhören")) == []
    assert hub.last(2, "chat")["text"] == "Bitte zuhören"
    # other rooms are not touched
    hub.do(3, "go", room="foyer")
    assert hub.codes(hub.do(3, "chat", text="im Foyer")) == []
    hub.do(1, "permissions", chat="everyone", reactions="everyone")
    assert hub.codes(hub.do(2, "react", emoji="👏")) == []


def test_removal_sends_out_and_keeps_out_for_a_while() -> None:
    hub = WorkshopHub()
    vera, _ = room_with(hub, "Vera", "Otto")
    hub.do(1, "remove", session=vera, minutes=10)
    assert hub.where(2) == ("foyer", 0)
    told = hub.last(2, "moderated")
    assert told["action"] == "removed" and told["until"] == pytest.approx(hub.now + 600)
    assert hub.codes(hub.do(2, "go", room="workshop")) == ["removed_from_room"]
    assert hub.codes(hub.do(2, "wait", room="workshop", instance=0)) == ["removed_from_room"]
    assert hub.codes(hub.do(2, "workshop_join", workshop="w1")) == ["removed_from_room"]
    assert hub.where(2) == ("foyer", 0)
    # walking through the door does not work either: pushed back, told why
    for step in range(1, 40):
        hub.core.pose(2, encode_pose(step, 10.0, 0.0, 2.0 - step * 0.07, 0.0, 0.0))
        hub.tick()
    assert hub.where(2) == ("foyer", 0)
    assert "removed_from_room" in hub.codes(hub.take(2))
    assert hub.codes(hub.do(2, "go", room="lab")) == []  # other rooms are open to them
    hub.tick(601)
    hub.now += 1
    assert hub.codes(hub.do(2, "go", room="workshop")) == []
    assert hub.where(2) == ("workshop", 0)


def test_nobody_is_removed_from_the_entrance_and_it_is_never_locked() -> None:
    hub = WorkshopHub()
    hub.enter(1, "Mara", Role.FACILITATOR, room="foyer")
    vera = hub.enter(2, "Vera", room="foyer")
    assert hub.codes(hub.do(1, "remove", session=vera)) == ["entrance_protected"]
    assert hub.codes(hub.do(1, "lock", on=True)) == ["entrance_protected"]


def test_a_locked_room_lets_in_only_the_invited() -> None:
    hub = WorkshopHub(workshop(access=Access.CODE, code="ABCD"))
    room_with(hub, "Vera")
    hub.do(1, "lock", on=True)
    assert hub.last(2, "room_rules")["locked"] is True
    hub.enter(5, "Olga", room="foyer")
    hub.enter(6, "Ina", room="foyer")
    hub.enter(7, "Fritz", Role.FACILITATOR, room="foyer")
    hub.enter(8, "Kim", room="foyer")
    for conn in (5, 6, 7, 8):
        hub.take(conn)
    assert hub.codes(hub.do(5, "go", room="workshop")) == ["room_locked"]
    assert hub.where(5) == ("foyer", 0)
    # a hello straight into the room lands in the entrance instead
    hub.enter(9, "Quinn", room="workshop")
    assert hub.where(9) == ("foyer", 0) and "room_locked" in hub.codes(hub.take(9))
    # facilitators pass, the invited pass; the workshop's code does not (a lock beats it)
    assert hub.codes(hub.do(7, "go", room="workshop")) == []
    hub.do(1, "invite", session=hub.session(6))
    assert hub.last(6, "moderated") == {
        "t": "moderated",
        "action": "invited",
        "by": "Mara",
        "room": "workshop",
        "until": None,
    }
    assert hub.codes(hub.do(6, "go", room="workshop")) == []
    assert hub.codes(hub.do(8, "workshop_join", workshop="w1", code="ABCD")) == ["room_locked"]
    assert hub.where(8) == ("foyer", 0)
    hub.do(1, "lock", on=False)
    hub.now += 2
    assert hub.codes(hub.do(5, "go", room="workshop")) == []
    assert hub.codes(hub.do(8, "workshop_join", workshop="w1", code="ABCD")) == []
    assert hub.where(8) == ("workshop", 0)


def test_a_ban_ends_the_session_at_once_and_keeps_the_person_out() -> None:
    hub = WorkshopHub()
    vera, _ = room_with(hub, "Vera", "Otto")
    session = hub.core.session_of(2)
    assert session is not None
    resume = session.resume_key
    hub.do(1, "ban", session=vera, hours=24, reason="Beleidigungen")
    assert hub.take(2, "moderated")[0]["action"] == "banned"
    assert hub.codes(hub.take(2)) == ["banned"]
    assert hub.closed[2].code == 4009
    assert vera not in hub.core.sessions  # no reconnection grace
    assert hub.take(3, "presence_leave")[0]["session"] == vera
    # coming back: with the resume key, or as a fresh hello, is refused and closed
    fx = hub.apply(hub.core.hello(20, person("Vera"), hello(resume=resume), hub.now))
    assert [c.code for c in fx.closes] == [4009]
    assert hub.codes(hub.take(20)) == ["banned"]
    fx = hub.apply(hub.core.hello(21, person("Vera"), hello(), hub.now))
    assert [c.code for c in fx.closes] == [4009]
    (ban,) = [r for r in hub.kept if isinstance(r, Ban)]
    assert ban.identity_id == "id-Vera" and ban.by_name == "Mara"
    assert ban.expires_at == pytest.approx(hub.now + 24 * 3600) and ban.reason == "Beleidigungen"
    # it ends when it expires
    hub.now += 24 * 3600 + 1
    fx = hub.apply(hub.core.hello(22, person("Vera"), hello(), hub.now))
    assert fx.closes == []


def test_bans_from_the_store_are_in_force_from_the_start() -> None:
    ban = Ban("b1", "id-Vera", "Vera", "id-Sven", "Sven", "", 0.0, None)
    hub = WorkshopHub(bans=(ban,))
    fx = hub.apply(hub.core.hello(1, person("Vera"), hello(), hub.now))
    assert [c.code for c in fx.closes] == [4009]
    assert hub.core.sessions == {}


def test_nobody_moderates_their_own_rank_or_above() -> None:
    hub = WorkshopHub()
    room_with(hub)
    fritz = hub.enter(2, "Fritz", Role.FACILITATOR)
    sven = hub.enter(3, "Sven", Role.STAFF)
    for target in (fritz, sven):
        assert hub.codes(hub.do(1, "mute", session=target, on=True)) == ["target_protected"]
        assert hub.codes(hub.do(1, "ban", session=target)) == ["target_protected"]
    # staff may moderate facilitators, and people anywhere in the hub
    vera = hub.enter(4, "Vera", room="lab")
    assert hub.codes(hub.do(1, "mute", session=vera, on=True)) == ["recipient_unknown"]
    assert hub.codes(hub.do(3, "mute", session=vera, on=True)) == []
    assert hub.codes(hub.do(3, "mute", session=fritz, on=True)) == []
    assert hub.codes(hub.do(2, "chat", text="hm")) == ["chat_muted"]


class Screens:
    """The screens feature's control rules, as TalkScreens has them."""

    def __init__(self) -> None:
        self.policies: Mapping[str, ControlPolicy] = {
            "workshop": ControlPolicy(ControlMode.FACILITATORS)
        }
        self.rooms: dict[tuple[str, int], RoomScreens] = {}

    def screens_of(self, instance: RoomInstance) -> RoomScreens | None:
        key = (instance.room_id, instance.number)
        return self.rooms.setdefault(key, RoomScreens(["s1"], self.policies.get(instance.room_id)))


def test_who_moves_the_screens_is_set_on_the_screens_feature() -> None:
    hub = WorkshopHub()
    screens = Screens()
    hub.moderation.screens = screens
    room_with(hub, "Vera")
    hub.enter(3, "Fritz", Role.FACILITATOR)
    assert hub.last(3, "room_rules")["screens"] == "facilitators"
    hub.enter(4, "Olga")  # a room that allows everything needs no word to visitors
    assert hub.take(4, "room_rules") == []
    existing = screens.screens_of(hub.core.instances["workshop"][0])
    assert existing is not None
    hub.do(1, "permissions", screens="anyone")
    assert screens.policies["workshop"].mode is ControlMode.ANYONE
    assert existing.policy.mode is ControlMode.ANYONE
    assert existing.policy.allows(Role.VISITOR, facilitates_here=False)
    assert hub.last(2, "room_rules")["screens"] == "anyone"


def test_every_action_is_in_the_audit_log() -> None:
    hub = WorkshopHub()
    vera, otto = room_with(hub, "Vera", "Otto")
    hub.do(1, "mute", session=vera, on=True, minutes=5)
    hub.do(1, "mute", session=vera, on=False)
    hub.do(1, "lock", on=True)
    hub.do(1, "permissions", chat="facilitators")
    hub.do(1, "invite", session=otto)
    hub.do(1, "remove", session=otto)
    hub.do(1, "ban", session=vera, reason="Spam")
    entries = [(e.action, e.target_name, e.room, e.detail) for e in hub.audit()]
    assert entries == [
        ("mute", "Vera", "workshop", "5 min"),
        ("unmute", "Vera", "workshop", ""),
        ("lock", None, "workshop", ""),
        ("permissions", None, "workshop", "chat=facilitators"),
        ("invite", "Otto", "workshop", ""),
        ("remove", "Otto", "workshop", "30 min"),
        ("ban", "Vera", None, "Spam"),
    ]
    assert {e.actor_name for e in hub.audit()} == {"Mara"}
    assert all(e.at == hub.now and e.id.startswith("e") for e in hub.audit())
    assert len({e.id for e in hub.audit()}) == len(entries)


def test_lifting_a_ban_lets_the_person_back_and_is_audited() -> None:
    sven = person("Sven", Role.STAFF)
    moderation = Moderation(bans=[Ban("b1", "id-Vera", "Vera", sven.id, "Sven", "", 0.0, None)])
    assert moderation.refuse_hello(person("Vera"), 5.0) == "banned"
    kept: list[object] = []
    moderation.sink = kept.append
    assert moderation.forget_ban("b1", sven, 6.0) is not None
    assert moderation.refuse_hello(person("Vera"), 7.0) is None
    assert [getattr(e, "action", None) for e in kept] == ["unban"]


def test_hub_wide_events_reach_the_other_processes_of_a_hub() -> None:
    """Two processes of one hub, their bus a list: a ban made in one ends the banned
    person's session in the other (a second tab of theirs); a hub-wide announcement reaches
    everyone in both."""
    here, there = WorkshopHub(), WorkshopHub()
    posted: list[tuple[str, dict[str, object]]] = []
    here.moderation.hub_events = here.lead.hub_events = lambda kind, payload: posted.append(
        (kind, payload)
    )
    (otto,) = room_with(here, "Otto")
    elsewhere = there.enter(5, "Otto", room="foyer")
    there.enter(6, "Ina", room="foyer")
    here.do(1, "announce", text="Pause bis 11 Uhr", scope="hub")
    here.do(1, "ban", session=otto, reason="Spam")
    for kind, payload in posted:  # the bus delivers to the other process
        fx = Effects()
        if kind == "announce":
            there.lead.announced_elsewhere(payload, fx)
        elif kind == "ban":
            there.moderation.enforce(Ban.from_dict(payload), fx, there.now)
        there.apply(fx)
    assert [k for k, _ in posted] == ["announce", "ban"]
    assert there.last(6, "announcement")["text"] == "Pause bis 11 Uhr"
    assert there.closed[5].code == 4009 and elsewhere not in there.core.sessions
    assert 6 not in there.closed
    fx = there.apply(there.core.hello(7, person("Otto"), hello(), there.now))
    assert [c.code for c in fx.closes] == [4009]
