"""Consulting in the hub core (server/features/consulting/realtime.py), without sockets: desks,
queues, calling in, the booth as a room of its own (entry refused, a hearing group of its own with
the voice feature), the booth chat, handed notes, ending, and what visitors may not do."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import msgpack
import numpy as np
import pytest
from realtime_harness import Harness, person
from realtime_world import box_world
from test_voice_feature import RecordingPort

from server.base.identity import Identity, Role
from server.base.settings import Settings
from server.core.hub import Effects, HubCore
from server.features.consulting.cluster_side import (
    DeskRelay,
    DeskView,
    merge_views,
    pack_view,
    unpack_view,
)
from server.features.consulting.realtime import SWEEP_EVERY_S, ConsultingDesks
from server.features.voice.voice import HEAR_EVERY_S, VoiceRooms
from server.protocol.table import decode_client

CORNER = "corner-1"


def msg(**fields: Any) -> Any:
    return decode_client(msgpack.packb(fields))


class Scene:
    def __init__(self) -> None:
        self.desks = ConsultingDesks(
            {CORNER: ("hall", np.array([40.0, 0.0, 20.0]), 0.0)},
            advisors={"id-Beratung", "id-Zweite"},
        )
        self.port = RecordingPort()
        self.voice = VoiceRooms(self.port)
        core = HubCore(
            box_world(),
            Settings(),
            seed=7,
            # the hub's order (server/app/assembly.py): consulting last, as its tick moves people
            features=[self.voice, self.desks],
            rules=[self.desks],
        )
        self.desks.attach(core)
        self.h = Harness(core)
        self.h.hello(1, "Beratung", identity=person("Beratung", Role.FACILITATOR), room="hall")
        self.h.hello(2, "Ada", room="hall")
        self.h.hello(3, "Bo", room="hall")
        self.h.tick()
        for conn in (1, 2, 3):
            self.h.take(conn)

    def sid(self, conn: int) -> str:
        return self.h.session(conn)

    def session(self, conn: int) -> Any:
        found = self.h.core.session_of(conn)
        assert found is not None
        return found

    def send(self, conn: int, **fields: Any) -> list[dict[str, Any]]:
        """What ``conn`` got for it (kept in its inbox for ``state`` and ``take``)."""
        before = len(self.h.inbox[conn])
        self.h.apply(self.h.core.handle(conn, msg(**fields), self.h.now))
        return list(self.h.inbox[conn][before:])

    def errors(self, replies: list[dict[str, Any]]) -> list[str]:
        return [r["code"] for r in replies if r["t"] == "error"]

    def state(self, conn: int) -> dict[str, Any]:
        states = self.h.take(conn, "consult_state")
        assert states, f"no consult_state for {conn}"
        return states[-1]

    def place(self, conn: int, x: float, z: float) -> None:
        fx = Effects()
        self.h.core.place(self.session(conn), np.array([x, 0.0, z]), 0.0, "gather", fx)
        self.h.apply(fx)

    def voice_on(self, conn: int) -> None:
        self.send(conn, t="voice", on=True, mic=True)
        member = self.voice.members[self.sid(conn)]
        self.voice.sending(member.session_id, member.gen, True)

    def hearing_round(self) -> None:
        self.h.tick(HEAR_EVERY_S + 0.01)

    def called_in(self) -> None:
        self.send(1, t="consult_desk", open=True, corner=CORNER)
        self.send(2, t="consult_queue", advisor=self.sid(1), topic="CO2-Bilanz für unser Lager")
        self.send(1, t="consult_call")
        self.h.take(1)
        self.h.take(2)


def test_a_visitor_queues_with_a_topic_and_the_advisor_sees_it_and_calls_them_in() -> None:
    s = Scene()
    s.send(1, t="consult_desk", open=True, corner=CORNER)
    s.send(2, t="consult_queue", advisor=s.sid(1), topic="  Förderung  für PV ")
    desk = s.state(1)["desk"]
    assert desk["corner"] == CORNER
    assert [(w["name"], w["topic"]) for w in desk["queue"]] == [("Ada", "Förderung für PV")]
    assert s.state(2)["queued"]["position"] == 1
    s.send(3, t="consult_queue", advisor=s.sid(1), topic="Bericht")
    assert s.state(3)["queued"]["position"] == 2

    s.send(1, t="consult_call")
    advisor, ada, bo = s.session(1), s.session(2), s.session(3)
    assert advisor.instance is ada.instance, "both are in the booth"
    assert ada.instance.room_id == "hall" and ada.instance.number != 0
    assert bo.instance.number == 0, "the other visitor stays outside"
    booth = s.state(2)["booth"]
    assert booth == {
        "corner": CORNER,
        "room": "hall",
        "instance": ada.instance.number,
        "with": "Beratung",
        "role": "visitor",
        "topic": "Förderung für PV",
    }
    assert s.state(1)["desk"]["queue"][0]["name"] == "Bo"
    assert s.state(3)["queued"]["position"] == 1, "Bo moved up"
    assert s.desks.corners_taken() == {CORNER: {"room": "hall", "instance": ada.instance.number}}


def test_nobody_else_enters_the_booth_whatever_they_send() -> None:
    s = Scene()
    s.called_in()
    number = s.session(2).instance.number
    replies = s.send(3, t="go", room="hall", instance=number)
    assert "booth_private" in s.errors(replies)
    assert s.session(3).instance.number == 0
    replies = s.send(3, t="wait", room="hall", instance=number)
    assert s.session(3).instance.number == 0
    assert s.session(3).waiting is None or "booth_private" in s.errors(replies)


def test_the_booth_is_a_hearing_group_of_its_own() -> None:
    s = Scene()
    for conn, x in ((1, 40.0), (2, 41.0), (3, 42.0)):
        s.place(conn, x, 20.0)
        s.voice_on(conn)
    s.hearing_round()
    everyone = {s.sid(1), s.sid(2), s.sid(3)}
    assert all(s.voice.sets[sid] == everyone - {sid} for sid in everyone), "before: all near"

    s.called_in()
    for conn, x in ((1, 40.0), (2, 41.0)):
        s.place(conn, x, 20.0)  # the booth stands where Bo stands, in another instance
    s.voice.sending(s.sid(1), s.voice.members[s.sid(1)].gen, True)
    s.voice.sending(s.sid(2), s.voice.members[s.sid(2)].gen, True)
    s.hearing_round()
    assert s.voice.sets[s.sid(1)] == {s.sid(2)}
    assert s.voice.sets[s.sid(2)] == {s.sid(1)}
    assert s.voice.sets[s.sid(3)] == frozenset(), "Bo hears nobody in the booth"
    assert s.port.heard[s.sid(3)] == frozenset(), "and the media server was told so"
    joins = [c for c in s.port.calls if c[0] == "join" and c[1] == s.sid(2)]
    assert joins[-1][2] == ("hall", s.session(2).instance.number), "its own voice room"


def test_booth_chat_goes_to_the_two_only_and_room_chat_is_refused_there() -> None:
    s = Scene()
    s.called_in()
    s.h.take(3)
    replies = s.send(2, t="chat", text="Hallo")
    assert s.errors(replies) == ["booth_chat"]
    assert not s.h.records, "nothing stored"
    s.send(2, t="consult_say", text="https://example.org/vsme")
    lines = s.h.take(1, "consult_line")
    assert [(line["name"], line["mine"], line["text"]) for line in lines] == [
        ("Ada", False, "https://example.org/vsme")
    ]
    assert s.h.take(3, "consult_line") == []
    assert s.errors(s.send(3, t="consult_say", text="hi")) == ["not_in_booth"]


def test_handed_notes_are_held_for_the_visitor_until_saved() -> None:
    s = Scene()
    s.called_in()
    s.send(1, t="consult_notes", text="VSME-Basismodul", checklist=["Scope 1 erfassen", " "])
    handed = s.h.take(2, "consult_handed")[-1]
    assert handed["text"] == "VSME-Basismodul" and handed["checklist"] == ["Scope 1 erfassen"]
    assert s.errors(s.send(2, t="consult_notes", text="x")) == ["not_advisor"]
    assert s.errors(s.send(3, t="consult_notes", text="x")) == ["not_in_booth"]
    identity = s.session(2).identity.id
    assert s.desks.take_notes("someone-else", handed["id"]) is None
    notes = s.desks.take_notes(identity, handed["id"])
    assert (
        notes is not None
        and notes.advisor == "Beratung"
        and notes.checklist == ("Scope 1 erfassen",)
    )
    assert s.desks.take_notes(identity, handed["id"]) is None, "saved once"


def test_either_side_ends_it_and_leaving_the_booth_ends_it() -> None:
    s = Scene()
    s.called_in()
    assert s.errors(s.send(3, t="consult_end")) == ["not_in_booth"]
    s.send(2, t="consult_end")
    assert s.session(1).instance.number == 0 and s.session(2).instance.number == 0
    assert s.h.take(1, "consult_ended")[-1] == {
        "t": "consult_ended",
        "by": "Ada",
        "reason": "ended",
    }
    assert s.desks.booths == {}

    s.send(3, t="consult_queue", advisor=s.sid(1), topic="Bericht")
    s.send(1, t="consult_call")
    assert s.session(3).instance.number != 0
    s.send(3, t="go", room="foyer")
    s.h.tick()
    assert s.desks.booths == {}
    assert s.session(1).instance.number == 0, "the advisor is back in the room"
    assert s.h.take(1, "consult_ended")[-1]["reason"] == "left"


def test_visitors_may_not_open_a_desk_or_call_anyone_and_bad_input_is_refused() -> None:
    s = Scene()
    assert s.errors(s.send(2, t="consult_desk", open=True, corner=CORNER)) == ["not_advisor"]
    assert s.errors(s.send(2, t="consult_call")) == ["not_advisor"]
    assert s.errors(s.send(1, t="consult_desk", open=True, corner="nowhere")) == ["corner_unknown"]
    assert s.errors(s.send(2, t="consult_queue", advisor=s.sid(1), topic="x")) == ["desk_closed"]
    s.send(1, t="consult_desk", open=True, corner=CORNER)
    assert s.errors(s.send(2, t="consult_queue", advisor=s.sid(1), topic="   ")) == [
        "consult_invalid"
    ]
    assert s.errors(s.send(1, t="consult_call")) == ["queue_empty"]
    s.h.hello(4, "Zweite", identity=person("Zweite", Role.STAFF), room="hall")
    assert s.errors(s.send(4, t="consult_desk", open=True, corner=CORNER)) == ["corner_taken"]


def test_only_accounts_marked_as_advisors_advise_whatever_their_role() -> None:
    s = Scene()
    s.h.hello(4, "Chefin", identity=person("Chefin", Role.STAFF), room="hall")
    s.h.hello(5, "Gast", identity=Identity("id-Gast", "Gast", Role.VISITOR, True), room="hall")
    # staff without the mark is no advisor; a guest never is, even with a marked id
    s.desks.advisor_marked("id-Gast", True)
    for conn in (4, 5):
        assert s.errors(s.send(conn, t="consult_desk", open=True, corner=CORNER)) == ["not_advisor"]
        assert s.errors(s.send(conn, t="consult_call")) == ["not_advisor"]
    s.desks.advisor_marked("id-Chefin", True)
    assert s.errors(s.send(4, t="consult_desk", open=True, corner=CORNER)) == []
    assert s.state(4)["desk"]["corner"] == CORNER


def test_a_desk_closes_when_its_advisor_loses_the_mark_and_notes_are_refused() -> None:
    s = Scene()
    s.send(1, t="consult_desk", open=True, corner=CORNER)
    s.send(2, t="consult_queue", advisor=s.sid(1), topic="Bericht")
    s.send(3, t="consult_queue", advisor=s.sid(1), topic="Förderung")
    s.send(1, t="consult_call")
    assert s.desks.booths, "Ada is in the booth"
    s.h.take(1)
    s.h.take(3)
    s.desks.advisor_marked("id-Beratung", False)
    assert s.errors(s.send(1, t="consult_notes", text="Lesen")) == ["not_advisor"]
    s.h.tick(1.1)
    assert s.desks.open_desks() == []
    assert s.state(1)["desk"] is None
    assert s.state(3)["queued"] is None, "Bo's queue closed with the desk"
    assert s.errors(s.send(1, t="consult_desk", open=True, corner=CORNER)) == ["not_advisor"]


def test_a_closed_desk_tells_its_queue_and_a_gone_visitor_leaves_it() -> None:
    s = Scene()
    s.send(1, t="consult_desk", open=True, corner=CORNER)
    s.send(2, t="consult_queue", advisor=s.sid(1), topic="Bericht")
    s.send(3, t="consult_queue", advisor=s.sid(1), topic="Förderung")
    s.h.take(1)
    s.send(3, t="bye")
    s.h.tick(1.1)
    assert [w["name"] for w in s.state(1)["desk"]["queue"]] == ["Ada"]
    s.send(1, t="consult_desk", open=False)
    assert s.state(2)["queued"] is None
    assert s.desks.open_desks() == []


def test_the_desks_of_several_processes_merge_alike_from_each() -> None:
    def desk(session: str, corner: str, name: str) -> dict[str, Any]:
        return {"session": session, "name": name, "corner": corner, "waiting": 0, "busy": False}

    one = DeskView([desk("s1", "b", "Ada")], {"b"})
    two = DeskView([desk("s2", "a", "Bo"), desk("s1", "b", "Ada (old)")])
    through_one = merge_views(one, [unpack_view(pack_view(two))])
    through_two = merge_views(two, [unpack_view(pack_view(one))])
    assert [d["session"] for d in through_one.desks] == ["s2", "s1"]
    assert through_one.desks[1]["name"] == "Ada", "a process's own entry first"
    assert through_one.taken == through_two.taken == {"b"}
    assert unpack_view("not json").desks == []
    assert unpack_view('{"desks": [{"session": 1}], "taken": ["a", 2]}') == DeskView([], {"a"})


class Elsewhere:
    """The cluster layer as the feature sees it (``DeskElsewhere``), recording what it was
    asked to carry."""

    def __init__(self) -> None:
        self.queued: list[dict[str, Any]] = []
        self.left: list[str] = []
        self.told: list[tuple[str, str, dict[str, Any]]] = []
        self.called: list[tuple[str, str, str, int, Any]] = []

    def queue(self, request: dict[str, Any]) -> None:
        self.queued.append(request)

    def leave(self, visitor: str) -> None:
        self.left.append(visitor)

    def tell(self, visitor: str, process: str, frame: bytes) -> None:
        self.told.append((visitor, process, msgpack.unpackb(frame)))

    def call(self, visitor: str, process: str, room: str, instance: int, seat: Any) -> None:
        self.called.append((visitor, process, room, instance, seat))

    def last_told(self, visitor: str) -> dict[str, Any]:
        return next(m for v, _, m in reversed(self.told) if v == visitor)


def remote(visitor: str, advisor: str, topic: str = "Bericht") -> dict[str, Any]:
    return {"visitor": visitor, "advisor": advisor, "name": "Zoe", "topic": topic, "lang": "de"}


def test_a_visitor_here_queueing_for_a_desk_elsewhere_is_carried_there() -> None:
    s = Scene()
    away = s.desks.elsewhere = Elsewhere()
    s.send(1, t="consult_desk", open=True, corner=CORNER)
    s.send(2, t="consult_queue", advisor=s.sid(1), topic="Bericht")
    assert away.left == [s.sid(2)], "queueing here lets go of any queue elsewhere"
    assert away.queued == []
    replies = s.send(2, t="consult_queue", advisor="desk-of-another-process", topic=" PV  ")
    assert s.errors(replies) == []
    assert away.queued == [
        {
            "visitor": s.sid(2),
            "advisor": "desk-of-another-process",
            "name": "Ada",
            "topic": "PV",
            "lang": "de",
        }
    ]
    assert s.desks.queued == {s.sid(2): s.sid(1)}, "the desk elsewhere decides first"
    # the process that holds that desk takes her: this one lets her go (one queue at a time)
    fx = Effects()
    s.desks.queued_elsewhere("here", away.queued[0], fx, s.h.now)
    s.h.apply(fx)
    assert s.desks.queued == {}
    assert s.state(1)["desk"]["queue"] == []
    # a bad topic is refused here, before anything is carried
    replies = s.send(3, t="consult_queue", advisor="desk-of-another-process", topic=" ")
    assert s.errors(replies) == ["consult_invalid"]
    s.send(2, t="consult_leave")
    assert away.left[-1] == s.sid(2)


def test_a_visitor_of_another_process_queues_here_in_order_and_is_told_there() -> None:
    s = Scene()
    away = s.desks.elsewhere = Elsewhere()
    advisor = s.sid(1)
    s.send(1, t="consult_desk", open=True, corner=CORNER)
    s.send(2, t="consult_queue", advisor=advisor, topic="Förderung")
    fx = Effects()
    s.desks.queued_elsewhere("p2", remote("zoe-1", advisor, "  CO2  Bilanz "), fx, s.h.now)
    s.h.apply(fx)
    queue = s.state(1)["desk"]["queue"]
    assert [(w["session"], w["name"], w["topic"]) for w in queue] == [
        (s.sid(2), "Ada", "Förderung"),
        ("zoe-1", "Zoe", "CO2 Bilanz"),
    ]
    told = away.last_told("zoe-1")
    assert told["t"] == "consult_state" and told["queued"]["position"] == 2
    assert {p for v, p, _ in away.told if v == "zoe-1"} == {"p2"}
    # the sweep does not take her out for not being here; leaving through her process does
    s.h.tick(1.1)
    assert "zoe-1" in s.desks.queued
    s.desks.remote_moved("zoe-1", "p3")
    s.send(2, t="consult_leave")
    assert away.last_told("zoe-1")["queued"]["position"] == 1
    assert away.told[-1][1] == "p3", "told where she is served now"
    s.desks.left_elsewhere("zoe-1", Effects())
    assert s.desks.queued == {}
    # a bad topic and a desk whose advisor is gone are answered there
    fx = Effects()
    s.desks.queued_elsewhere("p2", remote("zoe-1", advisor, ""), fx, s.h.now)
    assert away.last_told("zoe-1")["code"] == "consult_invalid"
    s.send(1, t="bye")
    s.desks.queued_elsewhere("p2", remote("zoe-1", advisor), fx, s.h.now)
    assert away.last_told("zoe-1")["code"] == "desk_closed"


def test_a_visitor_of_another_process_called_in_is_brought_and_only_they_enter() -> None:
    s = Scene()
    away = s.desks.elsewhere = Elsewhere()
    s.send(1, t="consult_desk", open=True, corner=CORNER)
    fx = Effects()
    s.desks.queued_elsewhere("p2", remote("zoe-1", s.sid(1)), fx, s.h.now)
    s.h.apply(fx)
    s.send(1, t="consult_call")
    advisor = s.session(1)
    number = advisor.instance.number
    assert advisor.instance.room_id == "hall" and number != 0
    [(visitor, process, room, instance, seat)] = away.called
    assert (visitor, process, room, instance) == ("zoe-1", "p2", "hall", number)
    position, yaw = seat
    assert position == pytest.approx((40.0, 0.0, 21.4)) and yaw == pytest.approx(np.pi)
    assert s.state(1)["booth"]["with"] == "Zoe"
    assert s.desks.queued == {}
    # the booth is kept for her alone: anyone else is refused
    booth_instance = advisor.instance
    assert s.desks.refuse_entry(s.session(3), booth_instance, s.h.now) == "booth_private"
    # she never arrives: the conversation ends as one she left, and her process is told
    s.h.tick(21.0)
    assert s.h.take(1, "consult_ended")[0]["reason"] == "left"
    assert s.session(1).instance.number == 0
    assert away.last_told("zoe-1")["booth"] is None
    assert any(m["t"] == "consult_ended" for v, _, m in away.told if v == "zoe-1")
    # her process answering that she is not there ends it at once
    fx = Effects()
    s.desks.queued_elsewhere("p2", remote("zoe-1", s.sid(1)), fx, s.h.now)
    s.send(1, t="consult_call")
    assert s.desks.booths
    fx = Effects()
    s.desks.remote_gone("zoe-1", fx, s.h.now)
    s.h.apply(fx)
    assert not s.desks.booths


class FakeBus:
    def __init__(self) -> None:
        self.posted: list[tuple[str, Any, str | None]] = []

    def on(self, kind: str, handler: Any) -> None:
        return None

    def post(self, kind: str, payload: Any, *, to: str | None = None) -> None:
        self.posted.append((kind, payload, to))


class FakeCluster:
    """Where sessions are, as their grace states say (``Cluster.locate``)."""

    process_id = "p1"

    def __init__(self, located: dict[str, str]) -> None:
        self.bus = FakeBus()
        self.located = located

    async def locate(self, session_id: str) -> str | None:
        return self.located.get(session_id)


def test_the_relay_follows_who_waits_from_elsewhere_by_their_grace_state() -> None:
    s = Scene()
    cluster = FakeCluster({"zoe-1": "p3", "kim-1": "p1"})
    relay = DeskRelay(cast(Any, cluster), s.desks, cast(Any, None), s.h.apply, lambda *a: None)
    s.desks.elsewhere = relay
    advisor = s.sid(1)
    s.send(1, t="consult_desk", open=True, corner=CORNER)
    for visitor in ("zoe-1", "yan-1", "kim-1"):
        fx = Effects()
        s.desks.queued_elsewhere("p2", remote(visitor, advisor), fx, s.h.now)
        s.h.apply(fx)
    cluster.bus.posted.clear()
    asyncio.run(relay.check())
    # Zoe is served by p3 now, Yan's session is over, Kim walked into this process
    assert {w.session_id: w.process for w in s.desks.waiting_elsewhere()} == {"zoe-1": "p3"}
    assert [w["session"] for w in s.state(1)["desk"]["queue"]] == ["zoe-1", "kim-1"]
    told = [(p["session"], to) for kind, p, to in cluster.bus.posted if kind == "consult:tell"]
    assert ("zoe-1", "p3") in told and all(who != "yan-1" for who, _ in told)


def test_a_visitor_sent_to_another_process_and_back_keeps_the_place() -> None:
    """Someone queued here whose session leaves this process (sent to another, as one
    refused at a booth's door is, and back) keeps their place: the relay finds where the
    session went on. Only a session found nowhere leaves the queue; a hub of one process
    lets it go at once."""
    for clustered in (True, False):
        s = Scene()
        cluster = FakeCluster({})
        relay = DeskRelay(cast(Any, cluster), s.desks, cast(Any, None), s.h.apply, lambda *a: None)
        if clustered:
            s.desks.elsewhere = relay
        s.send(1, t="consult_desk", open=True, corner=CORNER)
        ada, bo = s.sid(2), s.sid(3)
        s.send(2, t="consult_queue", advisor=s.sid(1), topic="Bericht")
        s.send(3, t="consult_queue", advisor=s.sid(1), topic="PV")
        s.h.drop(2)
        s.h.tick(Settings().reconnect_grace_s + 0.5)  # her session is gone from here
        s.h.tick(SWEEP_EVERY_S + 0.1)
        queue = [w["session"] for w in s.state(1)["desk"]["queue"]]
        if not clustered:
            assert queue == [bo], "a hub of one process lets a session gone go"
            continue
        assert queue == [ada, bo]
        replies = s.send(1, t="consult_call", visitor=ada)
        assert s.errors(replies) == ["queue_empty"], "not called in while being looked up"
        cluster.located[ada] = "p2"
        cluster.bus.posted.clear()
        asyncio.run(relay.check())
        assert {w.session_id: w.process for w in s.desks.waiting_elsewhere()} == {ada: "p2"}
        told = [(p["session"], to) for kind, p, to in cluster.bus.posted if kind == "consult:tell"]
        assert told == [(ada, "p2")], "she is told her place where she is now"
        del cluster.located[ada]
        asyncio.run(relay.check())
        assert [w["session"] for w in s.state(1)["desk"]["queue"]] == [bo], "found nowhere"
