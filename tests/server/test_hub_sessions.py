"""One identity, one session, also across processes (a later hello elsewhere ends the
session here); the ends without a grace: a connection closed for abuse and a revoked
identity (the hub core without sockets)."""

from __future__ import annotations

from realtime_harness import Harness, person

from server.protocol.table import Wait


def fill(h: Harness, room: str, capacity: int, first_conn: int = 10) -> list[int]:
    conns = list(range(first_conn, first_conn + capacity))
    for conn in conns:
        messages = h.hello(conn, f"p{conn}", room=room)
        assert messages[-1]["t"] == "joined" and messages[-1]["instance"] == 0, messages
    return conns


def test_a_second_hello_of_the_same_identity_takes_the_session_over() -> None:
    h = Harness()
    first = h.hello(1, "Ada")
    h.hello(2, "Bo")
    h.take(2)
    again = h.hello(3, "Ada")
    assert again[0]["resumed"] is True and again[0]["session"] == first[0]["session"]
    assert again[-1]["via"] == "resume" and again[-1]["you"] == first[1]["you"]
    assert h.closed[1].error == "replaced"
    assert len(h.core.sessions) == 2
    # the others saw nobody arrive or leave
    assert [m["t"] for m in h.take(2) if m["t"] in ("presence_join", "presence_leave")] == []


def test_a_hello_of_someone_away_resumes_their_held_session_without_the_key() -> None:
    h = Harness(reconnect_grace_s=30.0)
    first = h.hello(1, "Ada")
    h.drop(1)
    again = h.hello(2, "Ada")
    assert again[0]["resumed"] is True and again[0]["session"] == first[0]["session"]
    assert len(h.core.sessions) == 1


def test_an_abandoned_connection_frees_its_place_for_the_next_in_the_queue() -> None:
    h = Harness(reconnect_grace_s=30.0)
    capacity = h.core.instances["workshop"][0].capacity
    conns = fill(h, "workshop", capacity)
    waiting = h.hello(99, "Wartend")
    h.send(99, Wait("workshop", 0))
    h.take(99)
    h.apply(h.core.abandon(conns[0], h.now))
    assert conns[0] not in [s.conn for s in h.core.sessions.values()]
    assert [m["t"] for m in h.take(conns[1]) if m["t"] == "presence_leave"] == ["presence_leave"]
    joined = h.take(99, "joined")
    assert joined and joined[0]["room"] == "workshop" and joined[0]["instance"] == 0
    assert waiting[0]["session"] == h.session(99)


def test_a_revoked_identity_loses_its_sessions_and_nobody_else() -> None:
    h = Harness()
    h.hello(1, "Ada")
    h.hello(2, "Bo")
    h.apply(h.core.revoke(person("Ada").id, h.now))
    assert h.closed[1].error == "token_revoked" and h.closed[1].code == 4010
    assert h.take(1)[-1]["code"] == "token_revoked"
    assert 2 not in h.closed
    assert [s.identity.name for s in h.core.sessions.values()] == ["Bo"]
    # and a hello afterwards starts afresh (the token check is the edge's job)
    assert h.hello(3, "Ada")[0]["resumed"] is False


def test_a_session_that_went_live_on_another_process_later_ends_this_one() -> None:
    h = Harness()
    h.hello(1, "Ada")
    h.hello(2, "Bo")
    h.take(2)
    ada = person("Ada").id
    # an older hello elsewhere (its event came late): this session is the newer one
    h.apply(h.core.live_elsewhere(ada, "other-session", h.now - 1, h.now))
    assert 1 not in h.closed and len(h.core.sessions) == 2
    h.now += 1
    h.apply(h.core.live_elsewhere(ada, "other-session", h.now, h.now))
    assert h.closed[1].error == "replaced" and h.closed[1].code == 4007
    assert [s.identity.name for s in h.core.sessions.values()] == ["Bo"]
    assert "presence_leave" in [m["t"] for m in h.take(2)]
    # someone else's event touches nobody here
    h.apply(h.core.live_elsewhere(person("Cleo").id, "x", h.now + 5, h.now))
    assert 2 not in h.closed


def test_hellos_on_two_processes_at_the_same_instant_leave_exactly_one_session() -> None:
    here, there = Harness(), Harness()
    here.hello(1, "Ada")
    there.hello(1, "Ada")
    ada = person("Ada").id
    mine, theirs = here.session(1), there.session(1)
    # each tells the other: the same instant, so the smaller session id gives way
    here.apply(here.core.live_elsewhere(ada, theirs, there.now, here.now))
    there.apply(there.core.live_elsewhere(ada, mine, here.now, there.now))
    assert len(here.core.sessions) + len(there.core.sessions) == 1


def test_a_held_session_adopted_elsewhere_only_leaves_this_process() -> None:
    h = Harness(reconnect_grace_s=30.0)
    h.hello(1, "Ada")
    session = h.session(1)
    h.drop(1)
    h.closed.clear()
    h.now += 2
    h.apply(h.core.live_elsewhere(person("Ada").id, session, h.now, h.now))
    assert h.core.sessions == {} and not h.closed  # no connection here to close
