"""The screens in the hub core: watching together, late joiners, who may control, refusals,
the end of a talk, a talk leaving the library, overflow copies with screens of their own."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import msgpack
import pytest
from realtime_harness import Harness, person
from realtime_world import BoxWorld, box_world

from server.base.identity import Role
from server.base.settings import Settings
from server.core.hub import HubCore
from server.features.talks.realtime import TalkScreens
from server.protocol.table import Go, decode_client


@dataclass(frozen=True)
class ScreenAnchor:
    id: str
    room_id: str
    kind: str = "screen"


@dataclass
class ScreenedWorld(BoxWorld):
    screens: list[ScreenAnchor] = field(default_factory=list)

    def anchors_of(self, kind: str) -> list[ScreenAnchor]:
        return [a for a in self.screens if a.kind == kind]


@dataclass(frozen=True)
class TalkStub:
    duration_s: float


@dataclass
class Library:
    talks: dict[str, TalkStub]

    def current(self, now: float) -> Library:
        return self

    def get(self, talk_id: str) -> TalkStub | None:
        return self.talks.get(talk_id)


def world(workshop_capacity: int = 24) -> ScreenedWorld:
    base = box_world(workshop_capacity=workshop_capacity)
    rooms = [
        dataclasses.replace(room, moderated=True) if room.id == "workshop" else room
        for room in base.rooms
    ]
    screens = [
        ScreenAnchor("foyer-screen", "foyer"),
        ScreenAnchor("workshop-screen", "workshop"),
    ]
    return ScreenedWorld(rooms, base.doors, screens=screens)


def harness(**kw: Any) -> tuple[Harness, Library]:
    library = Library({"klimabilanz": TalkStub(120.0), "vsme": TalkStub(60.0)})
    box = world(**kw)
    core = HubCore(box, Settings(), seed=7, features=[TalkScreens(box, library)])
    return Harness(core), library


def playback(**fields: Any) -> Any:
    return decode_client(msgpack.packb({"t": "playback", **fields}))


def states(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if m["t"] == "playback_state"]


def test_entering_a_room_with_a_screen_tells_its_state() -> None:
    h, _ = harness()
    (state,) = states(h.hello(1, "Ada"))
    assert state["screen"] == "foyer-screen" and state["talk"] is None
    assert state["playing"] is False and state["control"] == "anyone"
    assert states(h.send(1, Go("hall"))) == []  # the hall has no screen


def test_a_talk_started_by_one_plays_for_everyone_and_a_late_joiner_starts_at_its_moment() -> None:
    h, _ = harness()
    h.hello(1, "Ada")
    h.hello(2, "Bo")
    h.take(1)
    started = h.now
    (mine,) = states(
        h.send(1, playback(screen="foyer-screen", action="select", talk="klimabilanz", play=True))
    )
    (theirs,) = states(h.take(2))
    assert mine == theirs
    assert mine["talk"] == "klimabilanz" and mine["playing"] is True
    assert mine["duration"] == 120.0 and mine["position"] == 0.0 and mine["rate"] == 1.0
    assert mine["server_time"] == started and mine["by"] == h.session(1)
    h.now += 7.5
    (late,) = states(h.hello(3, "Cem"))
    assert late["talk"] == "klimabilanz" and late["playing"] is True
    assert late["position"] == pytest.approx(7.5) and late["server_time"] == h.now
    assert late["version"] == mine["version"]


def test_pause_and_seek_reach_everyone_and_a_repeat_changes_nothing() -> None:
    h, _ = harness()
    for conn in (1, 2):
        h.hello(conn, f"p{conn}")
    h.send(1, playback(screen="foyer-screen", action="select", talk="vsme", play=True))
    h.take(2)
    h.now += 4.0
    (paused,) = states(h.send(2, playback(screen="foyer-screen", action="pause")))
    assert paused["playing"] is False and paused["position"] == pytest.approx(4.0)
    assert states(h.take(1)) == [paused]
    assert states(h.send(2, playback(screen="foyer-screen", action="pause"))) == []
    (seeked,) = states(h.send(1, playback(screen="foyer-screen", action="seek", position=30)))
    assert seeked["position"] == 30.0 and seeked["playing"] is False
    assert states(h.take(2))[-1] == seeked
    (faster,) = states(h.send(1, playback(screen="foyer-screen", action="rate", rate=1.5)))
    assert faster["rate"] == 1.5 and faster["version"] == seeked["version"] + 1


def test_in_a_moderated_room_only_facilitators_and_staff_control() -> None:
    h, _ = harness()
    h.hello(1, "Ada", room="workshop")
    h.hello(2, "Fee", room="workshop", identity=person("Fee", Role.FACILITATOR))
    h.hello(3, "Sam", room="workshop", identity=person("Sam", Role.STAFF))
    h.take(1)
    h.take(2)
    select = playback(screen="workshop-screen", action="select", talk="vsme")
    (refused,) = h.send(1, select)
    assert refused["t"] == "error" and refused["code"] == "playback_forbidden"
    assert refused["about"] == "playback" and 1 not in h.closed
    assert h.take(2) == [] and h.take(3) == []
    (state,) = states(h.send(2, select))
    assert state["control"] == "facilitators" and state["by"] == h.session(2)
    assert states(h.take(1)) == [state]
    h.take(3)
    (played,) = states(h.send(3, playback(screen="workshop-screen", action="play")))
    assert played["playing"] is True


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"screen": "foyer-screen", "action": "select", "talk": "nope"}, "talk_unknown"),
        ({"screen": "foyer-screen", "action": "select"}, "playback_command_invalid"),
        ({"screen": "lounge-screen", "action": "play"}, "screen_unknown"),
        ({"screen": "foyer-screen", "action": "play"}, "playback_nothing_selected"),
        ({"screen": "foyer-screen", "action": "seek"}, "playback_command_invalid"),
    ],
)
def test_refusals_go_to_the_sender_only(fields: dict[str, Any], code: str) -> None:
    h, _ = harness()
    h.hello(1, "Ada")
    h.hello(2, "Bo")
    h.take(1)
    (error,) = h.send(1, playback(**fields))
    assert error["t"] == "error" and error["code"] == code and error["message"]
    assert h.take(2) == []


def test_a_seek_past_the_end_and_a_room_without_screens_are_refused() -> None:
    h, _ = harness()
    h.hello(1, "Ada")
    h.send(1, playback(screen="foyer-screen", action="select", talk="vsme"))
    (error,) = h.send(1, playback(screen="foyer-screen", action="seek", position=61))
    assert error["code"] == "playback_position_invalid"
    h.send(1, Go("hall"))
    (error,) = h.send(1, playback(screen="foyer-screen", action="play"))
    assert error["code"] == "screen_unknown"


def test_a_talk_that_reaches_its_end_is_paused_there_for_everyone() -> None:
    h, _ = harness()
    h.hello(1, "Ada")
    h.send(1, playback(screen="foyer-screen", action="select", talk="vsme", play=True))
    h.now += 59.0
    h.tick()
    assert states(h.take(1)) == []
    h.now += 1.0
    h.tick()
    (ended,) = states(h.take(1))
    assert ended["playing"] is False and ended["position"] == 60.0 and ended["by"] is None


def test_a_talk_removed_from_the_library_leaves_the_screen() -> None:
    h, library = harness()
    h.hello(1, "Ada")
    h.send(1, playback(screen="foyer-screen", action="select", talk="vsme", play=True))
    del library.talks["vsme"]
    for _ in range(45):  # the library is looked at every 2 s
        h.tick()
    (gone,) = states(h.take(1))
    assert gone["talk"] is None and gone["playing"] is False


def test_an_overflow_copy_has_screens_of_its_own() -> None:
    h, _ = harness(workshop_capacity=1)
    h.hello(1, "Fee", room="workshop", identity=person("Fee", Role.FACILITATOR))
    h.send(1, playback(screen="workshop-screen", action="select", talk="vsme", play=True))
    full = h.hello(2, "Bo", room="workshop", identity=person("Bo", Role.FACILITATOR))
    offer = next(m for m in full if m["t"] == "room_full")
    h.now += 2.0
    (state,) = states(h.send(2, Go("workshop", offer["suggested"])))
    assert state["screen"] == "workshop-screen" and state["talk"] is None
