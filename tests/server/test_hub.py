"""The hub core without sockets: joining, capacity, overflow, queues, doors, reconnection,
chat, corrections and snapshots."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from realtime_harness import Harness, person
from realtime_harness import hello as make_hello
from realtime_world import box_world

from server.base.identity import Role
from server.base.records import ChatRecord
from server.base.settings import Settings
from server.core.hub import OVERFLOW_IDLE_S, HubCore
from server.protocol import table as protocol
from server.protocol.table import Bye, CancelWait, Chat, Go, Ping, React, Wait, encode_pose


def joined_to(h: Harness, conn: int, room: str = "foyer") -> dict:
    messages = h.hello(conn, f"p{conn}", room=room)
    assert [m["t"] for m in messages] == ["welcome", "joined"], messages
    return messages[1]


def test_hello_welcomes_and_joins_the_entrance() -> None:
    h = Harness()
    welcome, joined = h.hello(1, "Ada")
    assert welcome["t"] == "welcome" and joined["t"] == "joined"
    assert welcome["identity"] == {"id": "id-Ada", "name": "Ada", "role": "visitor", "guest": True}
    assert welcome["tick_hz"] == 20 and welcome["resumed"] is False
    assert welcome["grid"]["step"] == 0.01
    assert [r["id"] for r in welcome["rooms"]] == ["foyer", "hall", "workshop", "lab"]
    assert len(welcome["resume"]) >= 24
    assert joined["room"] == "foyer" and joined["instance"] == 0 and joined["via"] == "hello"
    assert [p["name"] for p in joined["presence"]] == ["Ada"]
    x, y, z = joined["pose"]["pos"]
    assert 0 < x < 20 and 0 < z < 20 and y == 0


def test_presence_is_announced_to_the_others() -> None:
    h = Harness()
    joined_to(h, 1)
    second = joined_to(h, 2)
    assert {p["name"] for p in second["presence"]} == {"p1", "p2"}
    (join,) = h.take(1)
    assert join["t"] == "presence_join" and join["name"] == "p2" and join["net"] == second["you"]
    assert join["appearance"]["color"] == "#336699" and join["appearance"]["shape"] == "capsule"
    h.send(2, Go("hall"))
    (leave,) = h.take(1)
    assert leave == {"t": "presence_leave", "net": second["you"], "session": h.session(2)}


def test_unknown_start_room_falls_back_to_the_entrance() -> None:
    h = Harness()
    messages = h.hello(1, "Ada", room="cellar")
    assert [m["t"] for m in messages] == ["welcome", "error", "joined"]
    assert messages[1]["code"] == "room_unknown" and messages[1]["about"] == "hello"
    assert messages[2]["room"] == "foyer"


def test_hundred_at_once_into_a_room_for_24_lets_exactly_24_in() -> None:
    h = Harness()
    joined: list[tuple[int, dict]] = []
    full: list[tuple[int, dict]] = []
    for conn in range(1, 101):
        messages = h.hello(conn, f"p{conn}", room="workshop")
        last = messages[-1]
        (joined if last["t"] == "joined" else full).append((conn, last))
    assert len(joined) == 24
    assert len(full) == 76
    assert all(m["t"] == "room_full" for _, m in full)
    main = h.core.instances["workshop"][0]
    assert main.occupancy == 24
    offer = full[0][1]
    assert offer["suggested"] == 1
    assert {"instance": 1, "occupancy": 0, "waiting": 0} in offer["instances"]
    for conn, message in full:
        reply = h.send(conn, Go("workshop", message["suggested"]))
        while reply[-1]["t"] == "room_full":
            reply = h.send(conn, Go("workshop", reply[-1]["suggested"]))
        assert reply[-1]["t"] == "joined"
    occupancy = sorted((i.number, i.occupancy) for i in h.core.instances["workshop"].values())
    assert occupancy == [(0, 24), (1, 24), (2, 24), (3, 24), (4, 4)]


def test_waiting_people_are_admitted_in_order() -> None:
    h = Harness(HubCore(box_world(workshop_capacity=2), Settings(), seed=1))
    joined_to(h, 1, "workshop")
    joined_to(h, 2, "workshop")
    for conn in (3, 4):
        assert h.hello(conn, f"p{conn}", room="workshop")[-1]["t"] == "room_full"
    assert h.send(3, Wait("workshop", 0)) == [
        {"t": "queued", "room": "workshop", "instance": 0, "position": 1}
    ]
    assert h.send(4, Wait("workshop", 0))[-1]["position"] == 2
    h.send(1, Bye())
    assert h.closed[1].code == 1000
    joined = h.take(3)
    assert joined[-1]["t"] == "joined" and joined[-1]["via"] == "queue"
    assert any(m["t"] == "queued" and m["position"] == 0 for m in joined)
    assert h.take(4, "queued")[-1]["position"] == 1
    assert h.send(4, CancelWait())[-1] == {
        "t": "queued",
        "room": "workshop",
        "instance": 0,
        "position": 0,
    }
    assert h.send(4, CancelWait())[-1]["code"] == "not_waiting"
    h.send(2, Go("foyer"))
    assert h.take(4, "joined") == []


def test_waiting_for_an_instance_with_room_joins_at_once() -> None:
    h = Harness()
    joined_to(h, 1)
    reply = h.send(1, Wait("hall", 0))
    assert reply[-1]["t"] == "joined" and reply[-1]["room"] == "hall"
    assert h.send(1, Wait("hall", 7))[-1]["code"] == "instance_unknown"
    assert h.send(1, Wait("attic", 0))[-1]["code"] == "room_unknown"


def test_idle_overflow_instances_are_removed() -> None:
    h = Harness(HubCore(box_world(workshop_capacity=1), Settings(), seed=1))
    joined_to(h, 1, "workshop")
    offer = h.hello(2, "p2", room="workshop")[-1]
    assert offer["t"] == "room_full" and offer["suggested"] == 1
    h.send(2, Go("workshop", 1))
    h.send(2, Go("foyer"))
    h.tick()
    assert 1 in h.core.instances["workshop"]
    h.tick(OVERFLOW_IDLE_S + 1)
    assert 1 not in h.core.instances["workshop"]
    rooms = h.take(1, "rooms")[-1]["rooms"]
    workshop = next(r for r in rooms if r["id"] == "workshop")
    assert [i["instance"] for i in workshop["instances"]] == [0]


def test_go_respawns_in_the_same_room_and_refuses_unknown_places() -> None:
    h = Harness()
    joined_to(h, 1)
    fix = h.send(1, Go("foyer"))[-1]
    assert fix["t"] == "pose_fix" and fix["reason"] == "spawn"
    assert h.send(1, Go("attic"))[-1]["code"] == "room_unknown"
    assert h.send(1, Go("hall", 3))[-1]["code"] == "instance_unknown"


def test_reconnection_within_grace_is_seamless_for_the_others() -> None:
    h = Harness(reconnect_grace_s=30.0)
    joined_to(h, 1)
    first = h.hello(2, "Ada")
    key, place = first[0]["resume"], first[1]["you"]
    h.take(1)
    h.drop(2)
    assert h.take(1) == [
        {"t": "presence_update", "net": place, "session": first[0]["session"], "away": True}
    ]
    h.tick(10.0)
    again = h.hello(3, "Ada", resume=key)
    welcome, joined = again[0], again[-1]
    assert welcome["resumed"] is True and welcome["session"] == first[0]["session"]
    assert joined["via"] == "resume" and joined["you"] == place
    assert joined["pose"] == first[1]["pose"]
    others = h.take(1)
    assert [m["t"] for m in others if m["t"] != "rooms"] == ["presence_update"]
    assert others[-1]["away"] is False


def test_grace_runs_out_then_the_place_is_freed() -> None:
    h = Harness(reconnect_grace_s=5.0)
    joined_to(h, 1)
    first = h.hello(2, "Ada")
    h.take(1)
    h.drop(2)
    h.tick(4.0)
    assert h.take(1, "presence_leave") == []
    h.tick(2.0)
    assert h.take(1, "presence_leave")[0]["session"] == first[0]["session"]
    late = h.hello(3, "Ada", resume=first[0]["resume"])
    assert late[0]["resumed"] is False and late[0]["session"] != first[0]["session"]


def test_resume_needs_the_same_identity() -> None:
    h = Harness()
    key = h.hello(1, "Ada")[0]["resume"]
    h.drop(1)
    other = h.hello(2, "Eve", resume=key)
    assert other[0]["resumed"] is False


def test_resume_while_the_old_connection_lives_replaces_it() -> None:
    h = Harness()
    first = h.hello(1, "Ada")
    again = h.hello(2, "Ada", resume=first[0]["resume"])
    assert again[0]["resumed"] is True
    assert h.closed[1].error == "replaced" and h.closed[1].code == 4007
    assert h.take(1)[-1]["code"] == "replaced"
    assert h.core.session_of(1) is None and h.core.session_of(2) is not None
    h.apply(h.core.disconnected(1, h.now))
    assert h.core.session_of(2) is not None


def test_bye_leaves_at_once() -> None:
    h = Harness()
    joined_to(h, 1)
    joined_to(h, 2)
    h.take(1)
    h.send(2, Bye())
    assert h.take(1)[0]["t"] == "presence_leave"
    assert h.closed[2].code == 1000
    h.apply(h.core.disconnected(2, h.now))
    assert h.core.sessions.keys() == {h.session(1)}


def test_room_chat_direct_messages_and_history() -> None:
    h = Harness(chat_history=2)
    joined_to(h, 1)
    joined_to(h, 2)
    h.take(1)
    sent = h.send(1, Chat("  Hallo\x00 <b>zusammen</b>  "))
    assert sent[0]["text"] == "Hallo <b>zusammen</b>" and sent[0]["to"] is None
    assert h.take(2) == sent
    assert h.records[-1].text == "Hallo <b>zusammen</b>" and h.records[-1].to_id is None
    for text in ("zwei", "drei"):
        h.send(1, Chat(text))
    late = joined_to(h, 3)
    assert [line["text"] for line in late["chat"]] == ["zwei", "drei"]
    h.take(1)
    h.take(2)
    direct = h.send(2, Chat("psst", to=h.session(3)))
    assert direct[0]["to"] == h.session(3)
    assert h.take(3, "chat")[0]["text"] == "psst"
    assert h.take(1, "chat") == []
    assert h.records[-1].to_id == "id-p3" and h.records[-1].sender_id == "id-p2"
    later = joined_to(h, 4)
    assert "psst" not in [line["text"] for line in later["chat"]]


@pytest.mark.parametrize(
    ("message", "code"),
    [
        (Chat("   \n\t "), "chat_empty"),
        (Chat("x" * 501), "chat_too_long"),
        (Chat("hi", to="nobody"), "recipient_unknown"),
        (React("💩"), "emoji_unknown"),
    ],
)
def test_chat_refusals(message: protocol.ClientMessage, code: str) -> None:
    h = Harness()
    joined_to(h, 1)
    reply = h.send(1, message)
    assert reply[-1]["t"] == "error" and reply[-1]["code"] == code
    assert 1 not in h.closed
    assert h.records == []


def test_chat_and_reactions_are_rate_limited() -> None:
    h = Harness()
    joined_to(h, 1)
    codes = [h.send(1, Chat(f"m{i}"))[-1].get("code") for i in range(8)]
    assert codes[:5] == [None] * 5 and codes[5:] == ["rate_limited"] * 3
    h.now += 2.0
    assert h.send(1, Chat("again"))[-1]["t"] == "chat"
    reactions = [h.send(1, React("👍"))[-1] for _ in range(7)]
    assert reactions[0] == {"t": "reaction", "from": h.session(1), "net": 0, "emoji": "👍"}
    assert reactions[-1]["code"] == "rate_limited"


def test_chat_needs_a_room() -> None:
    h = Harness(HubCore(box_world(workshop_capacity=1), Settings(), seed=1))
    joined_to(h, 1, "workshop")
    assert h.hello(2, "p2", room="workshop")[-1]["t"] == "room_full"
    assert h.send(2, Chat("hallo"))[-1]["code"] == "not_in_room"
    assert h.send(2, React("👍"))[-1]["code"] == "not_in_room"


def test_seeded_history_and_forgetting() -> None:
    h = Harness()
    old = ChatRecord("a" * 32, "foyer", 0, "id-Old", "Old", "von gestern", None, 5.0)
    h.core.seed_chat("foyer", [old])
    joined = joined_to(h, 1)
    assert joined["chat"] == [
        {
            "id": "a" * 32,
            "room": "foyer",
            "instance": 0,
            "from": None,
            "name": "Old",
            "text": "von gestern",
            "to": None,
            "ts": 5.0,
        }
    ]
    assert h.core.forget("id-Old") == 1
    assert joined_to(h, 2)["chat"] == []


def test_ping_answers_with_server_time() -> None:
    h = Harness()
    joined_to(h, 1)
    assert h.send(1, Ping(12.5)) == [{"t": "pong", "c": 12.5, "s": h.now}]


def test_messages_without_hello_close_the_connection() -> None:
    h = Harness()
    h.apply(h.core.handle(9, Ping(1.0), h.now))
    assert h.closed[9].error == "hello_required"


def test_second_hello_is_refused_but_harmless() -> None:
    h = Harness()
    joined_to(h, 1)
    again = h.hello(1, "p1")
    assert again == [again[0]] and again[0]["code"] == "already_welcomed"
    assert 1 not in h.closed


# --- poses ------------------------------------------------------------------------------


def walk(h: Harness, conn: int, start: np.ndarray, end: np.ndarray, step: float = 0.25) -> None:
    """Walk in steps (below max speed at 20 Hz), one pose per tick."""
    distance = float(np.linalg.norm(end - start))
    count = max(1, math.ceil(distance / step))
    for i in range(1, count + 1):
        p = start + (end - start) * i / count
        h.core.pose(conn, encode_pose(i, p[0], p[1], p[2], 0.0, 0.0))
        h.tick()


def place(h: Harness, conn: int, position: tuple[float, float, float]) -> None:
    session = h.core.session_of(conn)
    assert session is not None and session.instance is not None
    session.instance.poses.place(session.slot, position, 0.0, 0.0, h.core.tick_count, snap=True)


def test_walking_through_a_door_moves_you_to_the_linked_room() -> None:
    h = Harness()
    joined_to(h, 1)
    watcher = joined_to(h, 2, "hall")
    place(h, 1, (18.0, 0.0, 10.0))
    walk(h, 1, np.array([18.0, 0.0, 10.0]), np.array([22.0, 0.0, 10.0]))
    joined = h.take(1, "joined")
    assert len(joined) == 1 and joined[0]["room"] == "hall" and joined[0]["via"] == "door"
    assert joined[0]["pose"]["pos"][0] > 20
    assert h.take(1, "pose_fix") == []
    arrivals = h.take(2, "presence_join")
    assert [a["name"] for a in arrivals] == ["p1"] and watcher["room"] == "hall"
    assert h.core.session_of(1).instance.room_id == "hall"  # type: ignore[union-attr]


def test_walls_between_unlinked_rooms_hold() -> None:
    h = Harness()
    joined_to(h, 1)
    place(h, 1, (10.0, 0.0, 19.0))
    walk(h, 1, np.array([10.0, 0.0, 19.0]), np.array([10.0, 0.0, 22.0]))
    assert h.take(1, "joined") == []
    fixes = h.take(1, "pose_fix")
    assert fixes and all(f["reason"] == "wall" for f in fixes)
    assert fixes[-1]["pos"][2] < 20
    session = h.core.session_of(1)
    assert session is not None and session.instance is not None
    assert session.instance.room_id == "foyer"


def test_a_door_into_a_full_room_puts_you_back_and_offers_a_choice() -> None:
    h = Harness(HubCore(box_world(workshop_capacity=1), Settings(), seed=1))
    joined_to(h, 1, "workshop")
    joined_to(h, 2)
    place(h, 2, (10.0, 0.0, 1.0))
    walk(h, 2, np.array([10.0, 0.0, 1.0]), np.array([10.0, 0.0, -1.0]))
    fixes = h.take(2, "pose_fix")
    assert fixes and fixes[-1]["reason"] == "full"
    assert fixes[-1]["pos"][2] >= 0  # back on the foyer side of the door
    offers = h.take(2, "room_full")
    assert len(offers) == 1 and offers[0]["room"] == "workshop"


def test_too_fast_is_corrected() -> None:
    h = Harness()
    joined_to(h, 1)
    place(h, 1, (5.0, 0.0, 5.0))
    h.tick()
    h.core.pose(1, encode_pose(9, 15.0, 0.0, 5.0, 0.0, 0.0))
    h.tick()
    (fix,) = h.take(1, "pose_fix")
    assert fix["reason"] == "speed" and fix["seq"] == 9
    assert 5.0 < fix["pos"][0] < 5.0 + 6.0 * 0.5 * 1.25 + 1e-6


def test_nan_pose_is_refused_and_corrected() -> None:
    h = Harness()
    joined_to(h, 1)
    before = h.core.session_of(1).instance.poses.pose_of(0)  # type: ignore[union-attr]
    h.core.pose(1, encode_pose(3, math.nan, 0.0, 1.0, 0.0, 0.0))
    h.tick()
    messages = h.take(1)
    error = next(m for m in messages if m["t"] == "error")
    fix = next(m for m in messages if m["t"] == "pose_fix")
    assert error["code"] == "bad_pose" and fix["reason"] == "invalid" and fix["seq"] == 3
    assert fix["pos"] == before[0]
    h.core.pose(1, encode_pose(4, 1.0, 0.0, math.inf, 0.0, 0.0))
    h.tick()
    assert 1 not in h.closed


def test_snapshots_full_for_newcomers_then_only_changes() -> None:
    h = Harness()
    joined_to(h, 1)
    joined_to(h, 2)
    h.tick()
    for conn in (1, 2):
        (snap,) = h.snapshots.pop(conn)
        assert snap.full and sorted(snap.entries["net"].tolist()) == [0, 1]
    h.tick(0.05)
    h.tick(0.05)
    h.tick(0.05)
    h.tick(0.05)
    h.tick(0.05)
    h.snapshots.clear()
    place(h, 1, (4.0, 0.0, 4.0))
    h.tick()
    h.core.pose(1, encode_pose(1, 4.2, 0.0, 4.0, 1.0, 0.2))
    h.tick()
    got = h.snapshots[2][-1]
    mine = got.entries[got.entries["net"] == 0]
    assert len(mine) == 1
    assert mine["x"][0] == round((4.2 - h.core.grid.origin[0]) / 0.01)
    assert mine["yaw"][0] == round(1.0 * 32768 / math.pi)


def test_behind_clients_get_a_full_snapshot() -> None:
    h = Harness()
    joined_to(h, 1)
    joined_to(h, 2)
    for _ in range(12):
        h.tick()
    h.snapshots.clear()
    h.tick(behind=(2,))
    assert h.snapshots[2][-1].full


def test_expected_error_codes_do_not_close() -> None:
    for code in ("room_unknown", "chat_empty", "bad_pose", "rate_limited"):
        assert protocol.ERRORS[code].close is None


# --- a random walk through the verbs, checking the invariants after every step -------------


class HubMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.h = Harness(HubCore(box_world(workshop_capacity=3), Settings(), seed=3))
        self.next_conn = 1
        self.live: list[int] = []
        self.keys: dict[str, str] = {}

    @rule(room=st.sampled_from(["foyer", "workshop", "lab", None]), name=st.sampled_from("abcdef"))
    def connect(self, room: str | None, name: str) -> None:
        conn = self.next_conn
        self.next_conn += 1
        resume = self.keys.get(name)
        messages = self.h.hello(conn, name, room=room, resume=resume)
        self.keys[name] = messages[0]["resume"]
        self.live = [c for c in self.live if c not in self.h.closed] + [conn]

    @rule(data=st.data(), room=st.sampled_from(["foyer", "workshop", "lab", "hall"]))
    def go(self, data: st.DataObject, room: str) -> None:
        if self.live:
            conn = data.draw(st.sampled_from(self.live))
            number = data.draw(st.sampled_from([None, 0, 1, 2]))
            self.h.send(conn, Go(room, number))

    @rule(data=st.data(), number=st.integers(0, 2))
    def wait(self, data: st.DataObject, number: int) -> None:
        if self.live:
            self.h.send(data.draw(st.sampled_from(self.live)), Wait("workshop", number))

    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        if self.live:
            self.h.send(data.draw(st.sampled_from(self.live)), CancelWait())

    @rule(data=st.data(), bye=st.booleans())
    def leave(self, data: st.DataObject, bye: bool) -> None:
        if self.live:
            conn = data.draw(st.sampled_from(self.live))
            self.live.remove(conn)
            if bye:
                self.h.send(conn, Bye())
            self.h.drop(conn)

    @rule(dt=st.sampled_from([0.05, 1.0, 31.0, 61.0]))
    def tick(self, dt: float) -> None:
        self.h.tick(dt)

    @invariant()
    def consistent(self) -> None:
        core = self.h.core
        seen: set[str] = set()
        for room_id, by_number in core.instances.items():
            assert 0 in by_number
            for inst in by_number.values():
                assert inst.occupancy <= inst.capacity
                for slot, session in inst.members.items():
                    assert session.instance is inst and session.slot == slot
                    assert session.id not in seen
                    seen.add(session.id)
                    assert bool(inst.poses.active[slot])
                assert int(inst.poses.active.sum()) == inst.occupancy
                for session in inst.queue:
                    assert session.waiting is inst and session.instance is not inst
                assert len(set(map(id, inst.queue))) == len(inst.queue)
                assert room_id == inst.room_id
        assert seen <= set(core.sessions)
        for session in core.sessions.values():
            if session.conn is not None:
                assert core.session_of(session.conn) is session


TestHubMachine = HubMachine.TestCase
TestHubMachine.settings = settings(
    max_examples=60,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def test_staff_role_is_in_presence() -> None:
    h = Harness()
    h.apply(h.core.hello(1, person("Ida", Role.STAFF), make_hello(), h.now))
    joined = h.take(1, "joined")[0]
    assert joined["presence"][0]["role"] == "staff" and joined["presence"][0]["guest"] is False


def test_room_changes_are_rate_limited() -> None:
    h = Harness()
    joined_to(h, 1)
    rooms = ["hall", "foyer"] * 4
    last = [h.send(1, Go(room))[-1] for room in rooms[:6]]
    assert [m["t"] for m in last[:5]] == ["joined"] * 5
    assert last[5]["t"] == "error" and last[5]["code"] == "rate_limited"
    h.now += 1.0
    assert h.send(1, Go("foyer"))[-1]["t"] == "joined"
