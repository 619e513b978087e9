"""The hub core as one of several processes, driven without sockets: a placement that says
which room instances are this process's, and what the core hands off, adopts and hands
over (server/cluster/realtime.py resolves the hand-offs against Redis)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import numpy as np
from realtime_harness import Harness, person
from realtime_world import box_world

from server.base.identity import Role
from server.base.settings import Settings
from server.core.chat import ChatLine
from server.core.effects import Effects
from server.core.hub import Handoff, HubCore
from server.core.powers import Returning
from server.protocol.table import Appearance, Bye, Chat, Go, Hello, Wait, encode_pose


class FakePlacement:
    """Owns what ``here`` lists; ``elsewhere`` are other processes' instances (occupancy)."""

    def __init__(self, here: set[tuple[str, int]]) -> None:
        self.here = here
        self.elsewhere: dict[tuple[str, int], int] = {}

    def is_here(self, room: str, instance: int) -> bool:
        return (room, instance) in self.here

    def may_offer(self, room: str, instance: int) -> bool:
        return self.is_here(room, instance) or (room, instance) not in self.elsewhere

    def overflow_number(self, room: str, taken: Collection[int]) -> int:
        number = 1
        while number in taken or (room, number) in self.elsewhere:
            number += 1
        return number

    def rooms_summary(self, local: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for room in local:
            instances = {i["instance"]: i for i in room["instances"]}
            for (room_id, number), occupancy in self.elsewhere.items():
                if room_id == room["id"]:
                    instances[number] = {"instance": number, "occupancy": occupancy, "waiting": 0}
            out.append({**room, "instances": [instances[n] for n in sorted(instances)]})
        return out


def cluster_harness(here: set[tuple[str, int]], **world: Any) -> tuple[Harness, FakePlacement]:
    placement = FakePlacement(here)
    core = HubCore(box_world(**world), Settings(), seed=3, placement=placement)
    return Harness(core), placement


def test_go_to_an_instance_owned_elsewhere_is_handed_off_and_continues_once_ours() -> None:
    h, placement = cluster_harness({("foyer", 0)})
    h.hello(1, "Ada")
    fx = h.apply(h.core.handle(1, Go("hall"), h.now))
    assert fx.handoffs == [Handoff(h.session(1), "hall", 0, "go")]
    assert h.take(1) == []  # nothing happens until the cluster side knows
    # asked again meanwhile: no second hand-off
    assert h.apply(h.core.handle(1, Go("hall"), h.now + 1)).handoffs == []
    placement.here.add(("hall", 0))
    h.apply(h.core.continue_handoff(fx.handoffs[0], h.now))
    (joined,) = h.take(1, "joined")
    assert (joined["room"], joined["via"]) == ("hall", "go")


def test_a_session_handed_over_is_redirected_and_nothing_ends() -> None:
    h, _ = cluster_harness({("foyer", 0)})
    h.hello(1, "Ada")
    h.hello(2, "Ben")
    session = h.session(1)
    fx = h.apply(h.core.hand_over(session, "ws://p2:8081/ws", "hall", 0, "owner", h.now))
    (redirect,) = h.take(1, "redirect")
    assert redirect == {
        "t": "redirect",
        "url": "ws://p2:8081/ws",
        "room": "hall",
        "instance": 0,
        "reason": "owner",
    }
    assert h.closed[1].code == 1000
    assert fx.ended == []
    assert session not in h.core.sessions
    (left,) = h.take(2, "presence_leave")
    assert left["session"] == session


def test_sessions_that_end_are_reported_for_the_cluster() -> None:
    h, _ = cluster_harness({("foyer", 0)})
    h.hello(1, "Ada")
    session = h.core.session_of(1)
    assert session is not None
    fx = h.apply(h.core.handle(1, Bye(), h.now))
    assert fx.ended == [(session.id, session.resume_key)]


def test_a_door_into_a_room_owned_elsewhere_holds_you_back_and_hands_off_with_the_pose() -> None:
    h, placement = cluster_harness({("foyer", 0)})
    h.hello(1, "Ada", room="foyer")
    session = h.core.session_of(1)
    assert session is not None and session.instance is not None
    session.instance.poses.place(session.slot, (18.0, 0.0, 10.0), 0.0, 0.0, 0, snap=True)
    handoffs = []
    for i, x in enumerate(np.linspace(18.0, 22.0, 12), start=1):
        h.core.pose(1, encode_pose(i, float(x), 0.0, 10.0, 0.0, 0.0))
        handoffs += h.tick().handoffs
    assert len(handoffs) == 1
    handoff = handoffs[0]
    assert (handoff.room, handoff.instance, handoff.via) == ("hall", 0, "door")
    assert handoff.position is not None and handoff.position[0] > 20.0
    assert session.instance.room_id == "foyer"
    assert session.instance.poses.pose_of(session.slot)[0][0] < 20.0  # held on this side
    placement.here.add(("hall", 0))
    h.apply(h.core.continue_handoff(handoff, h.now))
    (joined,) = h.take(1, "joined")
    assert (joined["room"], joined["via"]) == ("hall", "door")
    assert joined["pose"]["pos"][0] > 20.0


def test_wait_for_an_instance_owned_elsewhere_is_handed_off() -> None:
    h, _ = cluster_harness({("foyer", 0)})
    h.hello(1, "Ada")
    fx = h.apply(h.core.handle(1, Wait("workshop", 2), h.now))
    assert fx.handoffs == [Handoff(h.session(1), "workshop", 2, "wait")]


def test_a_returning_session_is_adopted_with_its_id_appearance_and_pose() -> None:
    h, _ = cluster_harness({("hall", 0)})
    ada = person("Ada", Role.FACILITATOR)
    returning = Returning(
        "session-from-p1", Appearance("#aa0000", "cone"), "hall", 0, (30.0, 0.0, 20.0), 1.0, 0.1
    )
    hello = Hello(1, "token", "en", Appearance("#336699", "capsule"), "hall", "resume-key", 0)
    h.apply(h.core.adopt(1, ada, hello, returning, h.now))
    welcome, joined = h.take(1)
    assert welcome["t"] == "welcome" and welcome["resumed"] is True
    assert welcome["session"] == "session-from-p1" and welcome["resume"] == "resume-key"
    assert welcome["identity"]["role"] == "facilitator"
    assert (joined["room"], joined["via"]) == ("hall", "resume")
    assert np.allclose(joined["pose"]["pos"], [30.0, 0.0, 20.0])
    me = next(p for p in joined["presence"] if p["session"] == "session-from-p1")
    assert (me["appearance"]["color"], me["appearance"]["shape"]) == ("#aa0000", "cone")
    assert h.core.has_resume("resume-key")


def test_a_direct_message_to_someone_elsewhere_goes_to_the_cluster_checked() -> None:
    h, _ = cluster_harness({("foyer", 0)})
    h.hello(1, "Ada")
    fx = h.apply(h.core.handle(1, Chat("  Hallo  ", to="session-on-p2"), h.now))
    (remote,) = fx.remote_chats
    assert (remote.session_id, remote.to, remote.text) == (h.session(1), "session-on-p2", "Hallo")
    assert fx.records == [] and h.take(1) == []
    fx = h.apply(h.core.handle(1, Chat("", to="session-on-p2"), h.now))
    assert fx.remote_chats == [] and h.take(1, "error")[0]["code"] == "chat_empty"


def test_the_core_makes_the_direct_line_for_elsewhere_and_answers_its_sender() -> None:
    h, _ = cluster_harness({("foyer", 0)})
    h.hello(1, "Ada")
    h.take(1)
    fx = h.apply(h.core.handle(1, Chat("Hallo", to="session-on-p2"), h.now))
    (remote,) = fx.remote_chats

    # nobody has that session: the sender is told, nothing to store
    refused = h.core.remote_chat_line(remote, None)
    assert isinstance(refused, Effects) and refused.records == []
    h.apply(refused)
    assert h.take(1, "error")[0]["code"] == "recipient_unknown"

    # found on another process: the line to store, addressed by session, stored by identity
    line = h.core.remote_chat_line(remote, "id-Ben")
    assert isinstance(line, ChatLine)
    assert (line.from_session, line.to_session) == (h.session(1), "session-on-p2")
    assert (line.record.sender_id, line.record.to_id, line.record.text) == (
        "id-Ada",
        "id-Ben",
        "Hallo",
    )
    assert (line.record.room, line.record.instance) == ("foyer", 0)
    assert h.take(1) == []  # nothing for the sender until it is stored

    h.apply(h.core.remote_chat_sent(line, stored=True))
    (echo,) = h.take(1, "chat")
    assert (echo["text"], echo["to"], echo["id"]) == ("Hallo", "session-on-p2", line.record.id)
    h.apply(h.core.remote_chat_sent(line, stored=False))
    assert h.take(1, "error")[0]["code"] == "chat_not_stored"

    # and a line from elsewhere reaches the session it is for
    h.hello(2, "Ben")
    h.take(2)
    arriving = {**line.as_dict(), "to": h.session(2)}
    h.apply(h.core.remote_chat_arrived(arriving))
    assert h.take(2, "chat")[0]["text"] == "Hallo"


def test_overflow_numbers_skip_instances_of_other_processes_and_the_room_list_has_them() -> None:
    h, placement = cluster_harness({("foyer", 0), ("workshop", 0)}, workshop_capacity=1)
    placement.elsewhere[("workshop", 1)] = 1
    h.hello(1, "Ada", room="workshop")
    welcome, offer = h.hello(2, "Ben", room="workshop")
    assert offer["t"] == "room_full" and offer["suggested"] == 2
    workshop = next(r for r in welcome["rooms"] if r["id"] == "workshop")
    assert [i["instance"] for i in workshop["instances"]] == [0, 1]
    assert workshop["instances"][1]["occupancy"] == 1


def test_people_facing_a_full_room_are_offered_the_same_new_overflow_instance() -> None:
    """The overflow instance opened for the first is not ours until someone goes in (its
    lease), yet it is what the next ones are offered too: no instance per person."""
    h, placement = cluster_harness({("foyer", 0), ("workshop", 0)}, workshop_capacity=1)
    h.hello(1, "Ada", room="workshop")
    offers = [h.hello(conn, name, room="workshop")[1] for conn, name in ((2, "Ben"), (3, "Cem"))]
    assert [o["suggested"] for o in offers] == [1, 1]
    assert sorted(h.core.instances["workshop"]) == [0, 1]
    placement.elsewhere[("workshop", 1)] = 1  # another process took number 1 meanwhile
    _, offer = h.hello(4, "Dora", room="workshop")
    assert offer["suggested"] == 2


def test_without_placement_nothing_is_handed_off() -> None:
    h = Harness()
    h.hello(1, "Ada")
    fx = h.apply(h.core.handle(1, Go("hall"), h.now))
    assert fx.handoffs == [] and fx.ended == []
    assert h.take(1, "joined")[0]["room"] == "hall"
