"""Room instances: capacity taken atomically, avatar numbers, queue order."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from realtime_harness import person

from server.core.chat import ChatLimits
from server.core.room import RoomInstance, Session
from server.protocol.table import Appearance


def session(name: str) -> Session:
    return Session(
        name, person(name), Appearance("#000000", "cube"), "de", "k-" + name, ChatLimits(0)
    )


def instance(capacity: int) -> RoomInstance:
    return RoomInstance("workshop", 2, 0, 5, capacity, chat_history=10, now=0.0)


def test_admit_takes_a_place_until_full() -> None:
    room = instance(2)
    a, b, c = session("a"), session("b"), session("c")
    assert room.admit(a, (1.0, 0.0, 1.0), 0.0, 0.0, 1, snap=True)
    assert room.admit(b, (2.0, 0.0, 1.0), 0.0, 0.0, 1, snap=True)
    assert not room.has_room
    assert not room.admit(c, (3.0, 0.0, 1.0), 0.0, 0.0, 1, snap=True)
    assert c.instance is None and room.occupancy == 2
    assert (a.slot, b.slot) == (0, 1) and a.instance is room
    assert room.poses.active[:2].all() and room.empty_since is None


def test_admit_refuses_someone_already_in_a_room() -> None:
    room, other = instance(5), instance(5)
    a = session("a")
    assert room.admit(a, (1.0, 0.0, 1.0), 0.0, 0.0, 1, snap=True)
    assert not other.admit(a, (1.0, 0.0, 1.0), 0.0, 0.0, 1, snap=True)


def test_slots_are_reused_oldest_freed_first() -> None:
    room = instance(3)
    people = [session(n) for n in "abc"]
    for p in people:
        room.admit(p, (0.0, 0.0, 0.0), 0.0, 0.0, 1, snap=True)
    assert room.remove(people[1], now=5.0) == 1
    assert room.remove(people[0], now=5.0) == 0
    assert not room.poses.active[0] and not room.poses.active[1]
    d, e = session("d"), session("e")
    room.admit(d, (0.0, 0.0, 0.0), 0.0, 0.0, 2, snap=True)
    room.admit(e, (0.0, 0.0, 0.0), 0.0, 0.0, 2, snap=True)
    assert (d.slot, e.slot) == (1, 0)
    room.remove(people[2], now=6.0)
    room.remove(d, now=6.0)
    room.remove(e, now=7.0)
    assert room.empty_since == 7.0


def test_queue_positions() -> None:
    room = instance(1)
    a, b, c = session("a"), session("b"), session("c")
    assert room.enqueue(a) == 1 and room.enqueue(b) == 2 and room.enqueue(a) == 1
    assert room.position(c) == 0
    assert room.dequeue(a) and not room.dequeue(a)
    assert room.position(b) == 1
    room.enqueue(c)
    assert [s.id for s in room.queue] == ["b", "c"]


def test_recipients_follow_connections() -> None:
    room = instance(3)
    a, b = session("a"), session("b")
    a.conn, b.conn = 11, None
    room.admit(a, (0.0, 0.0, 0.0), 0.0, 0.0, 1, snap=True)
    room.admit(b, (0.0, 0.0, 0.0), 0.0, 0.0, 1, snap=True)
    slots, conns, _ = room.recipients()
    assert slots.tolist() == [0] and conns == [11]
    b.conn = 12
    room.changed()
    assert room.conns() == [11, 12] and room.conns(but=a) == [12]
    assert [p["name"] for p in room.presence()] == ["a", "b"]
    assert room.summary() == {"instance": 0, "occupancy": 2, "waiting": 0}


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 6), st.lists(st.tuples(st.booleans(), st.integers(0, 9)), max_size=60))
def test_capacity_is_never_exceeded_and_slots_stay_unique(
    capacity: int, steps: list[tuple[bool, int]]
) -> None:
    room = instance(capacity)
    people = [session(f"p{i}") for i in range(10)]
    for join, who in steps:
        person_ = people[who]
        if join:
            was_in = person_.instance is room
            admitted = room.admit(person_, (0.0, 0.0, 0.0), 0.0, 0.0, 1, snap=True)
            assert admitted == (not was_in and person_.instance is room)
        elif person_.instance is room:
            room.remove(person_, now=1.0)
        assert room.occupancy <= capacity
        slots = [p.slot for p in people if p.instance is room]
        assert len(set(slots)) == len(slots) == room.occupancy
        assert max(slots, default=-1) < capacity
        assert int(room.poses.active.sum()) == room.occupancy
