"""Sharing a screen, without sockets and without Janus: the presenter rules
(server/features/voice/screen_share.py) and the feature in the hub core with the real screens
feature (server/features/voice/screen_realtime.py, server/features/talks/realtime.py): who may
present, one presenter per screen, stopping, leaving, who may watch, and the talk that pauses
meanwhile."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgpack
import pytest
from hypothesis import given
from hypothesis import strategies as st
from realtime_harness import Harness, person
from test_talks_live import Library, TalkStub, playback, world

from server.base.identity import Role
from server.base.settings import Settings
from server.core.hub import HubCore
from server.features.talks.realtime import TalkScreens
from server.features.voice.screen_realtime import ScreenSharing
from server.features.voice.screen_share import ScreenShares, Share, ShareError
from server.protocol.table import Go, decode_client

ROOM = ("workshop", 0)
SCREENS = {"screen-a", "screen-b"}


def refused(call: Any) -> str:
    with pytest.raises(ShareError) as info:
        call()
    return info.value.code


# --- the rules ------------------------------------------------------------------------------


def test_facilitators_present_and_visitors_only_when_allowed() -> None:
    rules = ScreenShares()
    assert refused(lambda: rules.start(ROOM, "screen-a", "v", Role.VISITOR, SCREENS)) == (
        "share_forbidden"
    )
    assert refused(lambda: rules.allow(ROOM, "v", True, Role.VISITOR)) == "share_forbidden"
    rules.allow(ROOM, "v", True, Role.FACILITATOR)
    share = rules.start(ROOM, "screen-a", "v", Role.VISITOR, SCREENS)
    assert share.presenter == "v"
    # allowed here only: not in another instance of the room
    assert refused(
        lambda: rules.start(("workshop", 1), "screen-a", "v", Role.VISITOR, SCREENS)
    ) in ("share_forbidden", "share_busy")
    # taking the permission back ends the share
    assert rules.allow(ROOM, "v", False, Role.FACILITATOR) == [share]
    assert rules.of_room(ROOM) == []
    assert refused(lambda: rules.start(ROOM, "nowhere", "f", Role.FACILITATOR, SCREENS)) == (
        "screen_unknown"
    )


def test_one_presenter_per_screen_and_one_screen_per_presenter() -> None:
    rules = ScreenShares()
    first = rules.start(ROOM, "screen-a", "f1", Role.FACILITATOR, SCREENS)
    assert rules.start(ROOM, "screen-a", "f1", Role.FACILITATOR, SCREENS) == first
    assert refused(lambda: rules.start(ROOM, "screen-a", "f2", Role.STAFF, SCREENS)) == (
        "share_taken"
    )
    assert refused(lambda: rules.start(ROOM, "screen-b", "f1", Role.FACILITATOR, SCREENS)) == (
        "share_busy"
    )
    second = rules.start(ROOM, "screen-b", "f2", Role.FACILITATOR, SCREENS)
    assert second.gen > first.gen
    # the same screen in another instance of the room is another screen
    rules.start(("workshop", 1), "screen-a", "f3", Role.FACILITATOR, SCREENS)


def test_the_presenter_or_a_facilitator_stops_and_leaving_stops() -> None:
    rules = ScreenShares()
    rules.allow(ROOM, "v", True, Role.FACILITATOR)
    share = rules.start(ROOM, "screen-a", "v", Role.VISITOR, SCREENS)
    assert refused(lambda: rules.stop(ROOM, "screen-a", "w", Role.VISITOR)) == "share_forbidden"
    assert rules.stop(ROOM, "screen-a", "f", Role.FACILITATOR) == share
    assert refused(lambda: rules.stop(ROOM, "screen-a", "v", Role.VISITOR)) == "share_none"
    again = rules.start(ROOM, "screen-a", "v", Role.VISITOR, SCREENS)
    assert rules.stop(ROOM, "screen-a", "v", Role.VISITOR) == again
    rules.start(ROOM, "screen-b", "v", Role.VISITOR, SCREENS)
    assert [s.screen for s in rules.left(ROOM, "v")] == ["screen-b"]
    assert rules.allowed_in(ROOM) == [], "leaving takes the permission back"


def test_only_people_of_the_same_room_instance_may_watch() -> None:
    rules = ScreenShares()
    share = rules.start(ROOM, "screen-a", "f", Role.FACILITATOR, SCREENS)
    assert rules.viewable(ROOM, "screen-a", ROOM) == share
    assert refused(lambda: rules.viewable(ROOM, "screen-a", ("workshop", 1))) == "share_none"
    assert refused(lambda: rules.viewable(ROOM, "screen-a", ("foyer", 0))) == "share_none"
    assert refused(lambda: rules.viewable(ROOM, "screen-b", ROOM)) == "share_none"


ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["start", "stop", "allow", "disallow", "leave"]),
        st.sampled_from(["a", "b", "c", "d"]),
        st.sampled_from([Role.VISITOR, Role.FACILITATOR]),
        st.sampled_from(sorted(SCREENS)),
        st.sampled_from([ROOM, ("workshop", 1)]),
    ),
    max_size=40,
)


@given(ACTIONS)
def test_whatever_happens_a_screen_has_one_presenter_who_may_present(actions: list[Any]) -> None:
    rules = ScreenShares()
    roles: dict[str, Role] = {}
    for action, who, role, screen, room in actions:
        role = roles.setdefault(who, role)
        try:
            if action == "start":
                rules.start(room, screen, who, role, SCREENS)
            elif action == "stop":
                rules.stop(room, screen, who, role)
            elif action in ("allow", "disallow"):
                rules.allow(room, "c", action == "allow", role)
            else:
                rules.left(room, who)
        except ShareError:
            pass
        presenters = [share.presenter for share in rules.shares.values()]
        assert len(presenters) == len(set(presenters)), "someone presents on two screens"
        for (key, name), share in rules.shares.items():
            assert (share.room, share.screen) == (key, name)
            assert rules.may_present(share.room, share.presenter, roles[share.presenter])


# --- the feature in the hub core --------------------------------------------------------------


@dataclass
class RecordingPort:
    up: bool = True
    calls: list[tuple[Any, ...]] = field(default_factory=list)

    def available(self) -> bool:
        return self.up

    def present(self, share: Share) -> None:
        self.calls.append(("present", share.presenter, share.screen))

    def view(self, session_id: str, share: Share) -> None:
        self.calls.append(("view", session_id, share.screen))

    def unview(self, session_id: str, share: Share) -> None:
        self.calls.append(("unview", session_id, share.screen))

    def signal(self, session_id: str, share: Share, pc: str, payload: dict[str, Any]) -> None:
        self.calls.append(("signal", session_id, pc, payload.get("type")))

    def end(self, share: Share) -> None:
        self.calls.append(("end", share.presenter, share.screen))


def msg(**fields: Any) -> Any:
    return decode_client(msgpack.packb(fields))


class Scene:
    def __init__(self) -> None:
        box = world()
        self.port = RecordingPort()
        self.talks = TalkScreens(box, Library({"klimabilanz": TalkStub(120.0)}))
        self.sharing = ScreenSharing(self.port, self.talks)
        core = HubCore(box, Settings(), seed=7, features=[self.talks, self.sharing])
        self.h = Harness(core)
        self.entered: list[dict[str, Any]] = []

    def enter(self, conn: int, name: str, role: Role = Role.VISITOR) -> str:
        self.entered = self.h.hello(conn, name, identity=person(name, role), room="workshop")
        return self.h.session(conn)

    def errors(self, replies: list[dict[str, Any]]) -> list[str]:
        return [r["code"] for r in replies if r["t"] == "error"]


def test_sharing_in_the_core_tells_the_room_refuses_a_second_presenter_and_pauses_the_talk() -> (
    None
):
    s = Scene()
    fred = s.enter(1, "Fred", Role.FACILITATOR)
    vera = s.enter(2, "Vera")
    fiona = s.enter(3, "Fiona", Role.FACILITATOR)
    s.h.send(1, playback(screen="workshop-screen", action="select", talk="klimabilanz"))
    s.h.send(1, playback(screen="workshop-screen", action="play"))
    s.h.take(2)
    # a visitor may not, until allowed
    assert s.errors(s.h.send(2, msg(t="share", screen="workshop-screen", on=True))) == [
        "share_forbidden"
    ]
    replies = s.h.send(1, msg(t="share", screen="workshop-screen", on=True))
    state = [r for r in replies if r["t"] == "share_state"][-1]
    assert state["presenter"] == fred and state["name"] == "Fred" and not state["live"]
    assert ("present", fred, "workshop-screen") in s.port.calls
    seen = s.h.take(2)
    paused = [m for m in seen if m["t"] == "playback_state"][-1]
    assert paused["playing"] is False and paused["talk"] == "klimabilanz"
    assert [m["presenter"] for m in seen if m["t"] == "share_state"] == [fred]
    # a second presenter on the same screen is refused with a protocol error code
    assert s.errors(s.h.send(3, msg(t="share", screen="workshop-screen", on=True))) == [
        "share_taken"
    ]
    # watching: only once it is live, and only through the hub
    gen = state["gen"]
    assert s.errors(s.h.send(2, msg(t="share_view", screen="workshop-screen", gen=gen, on=True)))
    share = s.sharing.rules.shares[(("workshop", 0), "workshop-screen")]
    from server.core.hub import Effects

    fx = Effects()
    s.sharing.arrived(share, fx)
    s.h.apply(fx)
    assert [m["live"] for m in s.h.take(2) if m["t"] == "share_state"] == [True]
    s.h.send(2, msg(t="share_view", screen="workshop-screen", gen=gen, on=True))
    assert ("view", vera, "workshop-screen") in s.port.calls
    # only the presenter sends the presenter's connection
    assert s.errors(
        s.h.send(
            2,
            msg(
                t="share_sdp",
                pc="present",
                screen="workshop-screen",
                gen=gen,
                type="offer",
                sdp="v=0",
            ),
        )
    ) == ["share_forbidden"]
    # someone entering later learns of the share
    s.enter(4, "Lars")
    late = [m for m in s.entered if m["t"] == "share_state"]
    assert late and late[-1]["presenter"] == fred and late[-1]["live"]
    # leaving ends it; the talk plays on from where it paused
    s.h.send(1, Go(room="foyer"))
    assert ("end", fred, "workshop-screen") in s.port.calls
    after = s.h.take(2)
    assert [m["presenter"] for m in after if m["t"] == "share_state"] == [None]
    resumed = [m for m in after if m["t"] == "playback_state"][-1]
    assert resumed["playing"] is True
    assert fiona and vera


def test_no_talk_starts_on_a_shared_screen_and_a_lost_media_server_ends_every_share() -> None:
    s = Scene()
    s.enter(1, "Fred", Role.FACILITATOR)
    s.enter(2, "Vera")
    s.h.send(1, playback(screen="workshop-screen", action="select", talk="klimabilanz"))
    s.h.send(1, msg(t="share", screen="workshop-screen", on=True))
    assert s.errors(s.h.send(1, playback(screen="workshop-screen", action="play"))) == [
        "screen_shared"
    ]
    s.h.take(2)
    from server.core.hub import Effects

    fx = Effects()
    s.sharing.end_all(fx, s.h.now)
    s.h.apply(fx)
    assert [m["presenter"] for m in s.h.take(2) if m["t"] == "share_state"] == [None]
    assert s.sharing.rules.shares == {}
    # the talk was paused before the share, so nothing plays on by itself
    assert not [
        r
        for r in s.h.send(1, playback(screen="workshop-screen", action="play"))
        if r["t"] == "error"
    ]


def test_a_facilitator_stops_an_allowed_visitors_share_and_the_allowed_list_is_told() -> None:
    s = Scene()
    s.enter(1, "Fred", Role.FACILITATOR)
    vera = s.enter(2, "Vera")
    replies = s.h.send(1, msg(t="share_allow", session=vera, on=True))
    assert [r["sessions"] for r in replies if r["t"] == "share_allowed"] == [[vera]]
    replies = s.h.send(2, msg(t="share", screen="workshop-screen", on=True))
    assert [r["presenter"] for r in replies if r["t"] == "share_state"] == [vera]
    # no talk was playing: nothing to pause or play on
    assert not [r for r in replies if r["t"] == "playback_state"]
    s.h.send(1, msg(t="share", screen="workshop-screen", on=False))
    assert [r["presenter"] for r in s.h.take(2) if r["t"] == "share_state"] == [None]
    assert ("end", vera, "workshop-screen") in s.port.calls
    # unavailable media server: a clear refusal
    s.port.up = False
    assert s.errors(s.h.send(1, msg(t="share", screen="workshop-screen", on=True))) == [
        "share_unavailable"
    ]


def states(messages: list[dict[str, Any]]) -> list[tuple[str | None, int, bool]]:
    return [(m["presenter"], m["gen"], m["live"]) for m in messages if m["t"] == "share_state"]


def test_a_share_moves_with_its_room_to_another_media_server() -> None:
    from server.core.hub import Effects

    s = Scene()
    fred = s.enter(1, "Fred", Role.FACILITATOR)
    s.enter(2, "Vera")
    first = states(s.h.send(1, msg(t="share", screen="workshop-screen", on=True)))[-1]
    share = s.sharing.rules.shares[(ROOM, "workshop-screen")]
    fx = Effects()
    s.sharing.arrived(share, fx)
    s.h.apply(fx)
    s.h.take(1), s.h.take(2)
    s.port.calls.clear()
    # another room's Janus was lost: nothing happens here
    fx = Effects()
    s.sharing.moved(frozenset({("foyer", 0)}), fx, s.h.now)
    s.h.apply(fx)
    assert s.h.take(2) == [] and s.port.calls == []
    # this room's: the same presenter, a new gen, not live until published again
    fx = Effects()
    s.sharing.moved(frozenset({ROOM}), fx, s.h.now)
    s.h.apply(fx)
    seen = states(s.h.take(2))
    assert len(seen) == 1 and seen[0][0] == fred and seen[0][1] > first[1] and not seen[0][2]
    assert states(s.h.take(1)) == seen  # the presenter publishes again on the new gen
    assert s.port.calls == [("end", fred, "workshop-screen"), ("present", fred, "workshop-screen")]
    # no Janus left to go to: it ends
    s.port.up = False
    fx = Effects()
    s.sharing.moved(frozenset({ROOM}), fx, s.h.now)
    s.h.apply(fx)
    assert [m[0] for m in states(s.h.take(2))] == [None]
    assert s.sharing.rules.shares == {}


def test_a_share_outlives_its_presenters_dropped_connection() -> None:
    from server.core.hub import Effects

    s = Scene()
    fred_hello = s.h.hello(1, "Fred", identity=person("Fred", Role.FACILITATOR), room="workshop")
    fred = s.h.session(1)
    s.enter(2, "Vera")
    s.h.send(1, msg(t="share", screen="workshop-screen", on=True))
    share = s.sharing.rules.shares[(ROOM, "workshop-screen")]
    fx = Effects()
    s.sharing.arrived(share, fx)
    s.h.apply(fx)
    s.h.take(2)
    # the presenter's WebSocket drops; meanwhile their connection to Janus breaks too
    s.h.drop(1)
    fx = Effects()
    s.sharing.broke(share, fx, s.h.now)
    s.h.apply(fx)
    renewed = states(s.h.take(2))
    assert renewed and renewed[-1][0] == fred and renewed[-1][1] > share.gen, renewed
    # back within the grace: told the share is theirs (the new gen, to publish again)
    key = fred_hello[0]["resume"]
    back = s.h.hello(3, "Fred", identity=person("Fred", Role.FACILITATOR), resume=key)
    assert states(back) == [(fred, renewed[-1][1], False)]
    # their browser asks for it again: renewed once more, never ended for the room
    again = s.h.send(3, msg(t="share", screen="workshop-screen", on=True))
    assert states(again)[-1][0] == fred and states(again)[-1][1] > renewed[-1][1]
    assert None not in [m[0] for m in states(s.h.take(2))]
    # a broken connection while the presenter is here (and the share was not live): it ends
    current = s.sharing.rules.shares[(ROOM, "workshop-screen")]
    fx = Effects()
    s.sharing.broke(current, fx, s.h.now)
    s.h.apply(fx)
    assert [m[0] for m in states(s.h.take(2))] == [None]
    # a presenter who does not come back within the grace: the share ends
    s.h.send(3, msg(t="share", screen="workshop-screen", on=True))
    s.h.take(2)
    s.h.drop(3)
    s.h.now += Settings().reconnect_grace_s + 1
    s.h.tick()
    assert [m[0] for m in states(s.h.take(2))] == [None]
