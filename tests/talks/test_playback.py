"""Watching together: the screen's playback state machine and the clients' drift rule."""

from __future__ import annotations

import doctest
import math
from dataclasses import dataclass

import pytest

import server.domain.playback
from server.base.identity import Role
from server.domain.playback import (
    DRIFT_MAX_RATE_CHANGE,
    DRIFT_TARGET_S,
    ControlMode,
    ControlPolicy,
    Pause,
    Play,
    PlaybackError,
    PlaybackState,
    RoomScreens,
    ScreenPlayback,
    Seek,
    Select,
    SetRate,
    Stop,
    command_from_fields,
    correct_drift,
    expected_position,
)

TALK = "klimabilanz-in-5-schritten"


def screen_with_talk(now: float = 100.0, duration: float = 180.0) -> ScreenPlayback:
    screen = ScreenPlayback("screen-werkstatt")
    screen.handle(Select(TALK, duration), now=now, allowed=True, by="facilitator-1")
    return screen


# --- the state machine ----------------------------------------------------------------------


def test_select_puts_the_talk_on_the_screen_paused_at_the_start() -> None:
    screen = ScreenPlayback("screen-werkstatt")
    message = screen.handle(Select(TALK, 180.0), now=100.0, allowed=True, by="anna")
    assert message == {
        "screen": "screen-werkstatt",
        "talk": TALK,
        "duration": 180.0,
        "playing": False,
        "position": 0.0,
        "rate": 1.0,
        "server_time": 100.0,
        "version": 1,
        "by": "anna",
    }
    assert screen.state.position_at(500.0) == 0.0


def test_play_advances_with_server_time_and_pause_freezes_it() -> None:
    screen = screen_with_talk(now=100.0)
    played = screen.handle(Play(), now=101.0, allowed=True)
    assert played is not None and played["playing"] and played["version"] == 2
    assert screen.state.position_at(111.0) == pytest.approx(10.0)
    paused = screen.handle(Pause(), now=113.5, allowed=True)
    assert paused is not None and not paused["playing"]
    assert paused["position"] == pytest.approx(12.5)
    assert screen.state.position_at(200.0) == pytest.approx(12.5)
    screen.handle(Play(), now=300.0, allowed=True)
    assert screen.state.position_at(302.0) == pytest.approx(14.5)


def test_repeating_play_or_pause_changes_nothing_and_tells_no_one() -> None:
    screen = screen_with_talk()
    screen.handle(Play(), now=101.0, allowed=True)
    version = screen.state.version
    assert screen.handle(Play(), now=105.0, allowed=True) is None
    screen.handle(Pause(), now=106.0, allowed=True)
    assert screen.handle(Pause(), now=107.0, allowed=True) is None
    assert screen.state.version == version + 1


def test_seek_while_playing_continues_from_the_new_position() -> None:
    screen = screen_with_talk()
    screen.handle(Play(), now=100.0, allowed=True)
    message = screen.handle(Seek(90.0), now=110.0, allowed=True)
    assert message is not None and message["position"] == 90.0 and message["playing"]
    assert screen.state.position_at(115.0) == pytest.approx(95.0)


def test_seek_while_paused_stays_paused_at_the_new_position() -> None:
    screen = screen_with_talk()
    screen.handle(Seek(42.0), now=110.0, allowed=True)
    assert not screen.state.playing
    assert screen.state.position_at(999.0) == 42.0


@pytest.mark.parametrize("position", [-1.0, 180.5, math.nan, math.inf])
def test_seek_outside_the_talk_is_refused_and_changes_nothing(position: float) -> None:
    screen = screen_with_talk()
    before = screen.state
    with pytest.raises(PlaybackError) as refused:
        screen.handle(Seek(position), now=110.0, allowed=True)
    assert refused.value.code == "playback_position_invalid"
    assert screen.state is before


def test_rate_change_keeps_the_position_and_changes_the_pace() -> None:
    screen = screen_with_talk()
    screen.handle(Play(), now=100.0, allowed=True)
    screen.handle(SetRate(1.5), now=110.0, allowed=True)
    assert screen.state.position_at(110.0) == pytest.approx(10.0)
    assert screen.state.position_at(120.0) == pytest.approx(25.0)
    assert screen.handle(SetRate(1.5), now=121.0, allowed=True) is None
    for bad in (0.25, 3.0, math.nan):
        with pytest.raises(PlaybackError) as refused:
            screen.handle(SetRate(bad), now=122.0, allowed=True)
        assert refused.value.code == "playback_rate_invalid"


@pytest.mark.parametrize("command", [Play(), Pause(), Seek(1.0), SetRate(1.25)])
def test_controls_need_a_talk_on_the_screen(command: Play | Pause | Seek | SetRate) -> None:
    screen = ScreenPlayback("screen-foyer")
    with pytest.raises(PlaybackError) as refused:
        screen.handle(command, now=1.0, allowed=True)
    assert refused.value.code == "playback_nothing_selected"


def test_a_refused_permission_changes_nothing() -> None:
    screen = screen_with_talk()
    before = screen.state
    for command in (Play(), Pause(), Seek(3.0), Stop(), Select("other", 60.0)):
        with pytest.raises(PlaybackError) as refused:
            screen.handle(command, now=120.0, allowed=False, by="visitor-7")
        assert refused.value.code == "playback_forbidden"
    assert screen.state is before


def test_stop_takes_the_talk_off_the_screen() -> None:
    screen = screen_with_talk()
    screen.handle(Play(), now=100.0, allowed=True)
    message = screen.handle(Stop(), now=105.0, allowed=True)
    assert message is not None and message["talk"] is None and not message["playing"]
    assert screen.handle(Stop(), now=106.0, allowed=True) is None
    assert screen.forget_talk(TALK, now=107.0) is None


def test_a_removed_talk_is_taken_off_the_screens_showing_it() -> None:
    screen = screen_with_talk()
    assert screen.forget_talk("another-talk", now=101.0) is None
    message = screen.forget_talk(TALK, now=101.0)
    assert message is not None and message["talk"] is None


def test_selecting_another_talk_starts_it_fresh_optionally_playing() -> None:
    screen = screen_with_talk()
    screen.handle(Play(), now=100.0, allowed=True)
    screen.handle(SetRate(1.25), now=101.0, allowed=True)
    message = screen.handle(Select("vsme", 240.0, start_s=30.0, play=True), now=120.0, allowed=True)
    assert message is not None
    assert (message["talk"], message["position"], message["rate"], message["playing"]) == (
        "vsme",
        30.0,
        1.0,
        True,
    )
    with pytest.raises(PlaybackError):
        screen.handle(Select("vsme", 240.0, start_s=300.0), now=121.0, allowed=True)
    with pytest.raises(PlaybackError):
        screen.handle(Select("vsme", 0.0), now=121.0, allowed=True)


def test_the_end_is_reached_reported_once_and_play_restarts() -> None:
    screen = screen_with_talk(duration=60.0)
    screen.handle(Seek(50.0), now=100.0, allowed=True)
    screen.handle(Play(), now=100.0, allowed=True)
    assert screen.state.ends_at() == pytest.approx(110.0)
    assert screen.settle(105.0) is None
    assert screen.snapshot(112.0)["playing"] is False
    assert screen.snapshot(112.0)["position"] == 60.0
    ended = screen.settle(112.0)
    assert ended is not None and not ended["playing"] and ended["position"] == 60.0
    assert screen.state.updated_at == pytest.approx(110.0)
    assert screen.settle(113.0) is None
    again = screen.handle(Play(), now=120.0, allowed=True)
    assert again is not None and again["position"] == 0.0 and again["playing"]


def test_a_clock_that_steps_back_never_plays_backwards() -> None:
    screen = screen_with_talk()
    screen.handle(Play(), now=100.0, allowed=True)
    assert screen.state.position_at(99.0) == 0.0
    screen.handle(Pause(), now=95.0, allowed=True)
    assert screen.state.position_s == 0.0
    assert screen.state.updated_at == 100.0


def test_a_late_joiner_gets_the_current_position_and_the_time_it_was_taken() -> None:
    screen = screen_with_talk(now=100.0)
    screen.handle(Play(), now=100.0, allowed=True)
    snapshot = screen.snapshot(142.25)
    assert snapshot["position"] == pytest.approx(42.25)
    assert snapshot["server_time"] == 142.25
    assert snapshot["playing"] and snapshot["version"] == 2
    # Half a second later (the message's way to the client), the client computes 42.75.
    assert expected_position(snapshot, 142.75) == pytest.approx(42.75)


def test_state_records_survive_a_store_or_another_process() -> None:
    screen = screen_with_talk()
    screen.handle(Play(), now=100.0, allowed=True)
    screen.handle(SetRate(1.25), now=104.0, allowed=True)
    copy = PlaybackState.from_record(screen.state.as_record())
    assert copy == screen.state
    assert copy.position_at(108.0) == pytest.approx(9.0)


# --- control messages and who may send them -------------------------------------------------


def durations(talk_id: str) -> float | None:
    return {"klimabilanz": 228.0}.get(talk_id)


def test_control_messages_become_commands() -> None:
    assert command_from_fields("play", {}) == Play()
    assert command_from_fields("pause", {}) == Pause()
    assert command_from_fields("stop", {}) == Stop()
    assert command_from_fields("seek", {"position": 12}) == Seek(12.0)
    assert command_from_fields("rate", {"rate": 1.25}) == SetRate(1.25)
    assert command_from_fields(
        "select", {"talk": "klimabilanz", "position": 5, "play": True}, duration_of=durations
    ) == Select("klimabilanz", 228.0, 5.0, True)


@pytest.mark.parametrize(
    ("action", "fields", "code"),
    [
        ("rewind", {}, "playback_command_invalid"),
        ("seek", {}, "playback_command_invalid"),
        ("seek", {"position": "12"}, "playback_command_invalid"),
        ("seek", {"position": True}, "playback_command_invalid"),
        ("rate", {"rate": math.inf}, "playback_command_invalid"),
        ("select", {"talk": 7}, "playback_command_invalid"),
        ("select", {"talk": "no-such-talk"}, "talk_unknown"),
    ],
)
def test_bad_control_messages_get_a_code(action: str, fields: dict[str, object], code: str) -> None:
    with pytest.raises(PlaybackError) as refused:
        command_from_fields(action, fields, duration_of=durations)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("mode", "role", "facilitates_here", "allowed"),
    [
        (ControlMode.ANYONE, Role.VISITOR, False, True),
        (ControlMode.FACILITATORS, Role.VISITOR, False, False),
        (ControlMode.FACILITATORS, Role.FACILITATOR, True, True),
        (ControlMode.FACILITATORS, Role.FACILITATOR, False, False),
        (ControlMode.FACILITATORS, Role.STAFF, False, True),
        (ControlMode.STAFF, Role.FACILITATOR, True, False),
        (ControlMode.STAFF, Role.STAFF, False, True),
    ],
)
def test_who_may_control_a_rooms_screens(
    mode: ControlMode, role: Role, facilitates_here: bool, allowed: bool
) -> None:
    assert ControlPolicy(mode).allows(role, facilitates_here=facilitates_here) is allowed


def test_the_control_rule_comes_from_room_configuration() -> None:
    assert ControlPolicy.from_config(None).mode is ControlMode.ANYONE
    assert ControlPolicy.from_config("facilitators").mode is ControlMode.FACILITATORS
    with pytest.raises(ValueError, match="anyone, facilitators, staff"):
        ControlPolicy.from_config("moderators")


def test_a_room_holds_its_screens_and_its_control_rule() -> None:
    room = RoomScreens(["screen-a", "screen-b"], ControlPolicy(ControlMode.FACILITATORS))
    with pytest.raises(PlaybackError) as refused:
        room.control("screen-a", Select(TALK, 60.0), now=1.0, role=Role.VISITOR, by="v")
    assert refused.value.code == "playback_forbidden"
    message = room.control(
        "screen-a",
        Select(TALK, 60.0, play=True),
        now=1.0,
        role=Role.FACILITATOR,
        facilitates_here=True,
        by="f",
    )
    assert message is not None and message["screen"] == "screen-a"
    with pytest.raises(PlaybackError) as unknown:
        room.control("screen-z", Play(), now=2.0, role=Role.STAFF)
    assert unknown.value.code == "screen_unknown"
    assert [s["talk"] for s in room.snapshots(30.0)] == [TALK, None]
    assert room.settle(30.0) == []
    (ended,) = room.settle(61.5)
    assert ended["screen"] == "screen-a" and not ended["playing"]
    (cleared,) = room.forget_talk(TALK, now=70.0)
    assert cleared["talk"] is None


def test_the_examples_in_the_module_hold() -> None:
    assert doctest.testmod(server.domain.playback).failed == 0


# --- the drift rule -------------------------------------------------------------------------


def test_close_enough_is_left_alone() -> None:
    correction = correct_drift(10.0, 10.03, rate=1.0, playing=True)
    assert correction.action == "keep" and correction.playback_rate == 1.0


def test_a_client_ahead_slows_down_and_one_behind_speeds_up_by_at_most_five_percent() -> None:
    ahead = correct_drift(10.0, 10.1, rate=1.0, playing=True)
    behind = correct_drift(10.0, 9.9, rate=1.0, playing=True)
    far_behind = correct_drift(10.0, 9.2, rate=1.0, playing=True)
    assert ahead.action == behind.action == "nudge"
    assert ahead.playback_rate < 1.0 < behind.playback_rate
    assert far_behind.playback_rate == pytest.approx(1.0 + DRIFT_MAX_RATE_CHANGE)
    scaled = correct_drift(10.0, 9.2, rate=1.5, playing=True)
    assert scaled.playback_rate == pytest.approx(1.5 * (1 + DRIFT_MAX_RATE_CHANGE))


def test_more_than_a_second_off_seeks() -> None:
    correction = correct_drift(60.0, 58.7, rate=1.0, playing=True)
    assert correction.action == "seek" and correction.seek_to == 60.0
    assert correction.playback_rate == 1.0


def test_a_paused_client_off_the_shared_position_is_moved_there() -> None:
    assert correct_drift(30.0, 30.05, rate=1.0, playing=False).action == "keep"
    moved = correct_drift(30.0, 30.4, rate=1.0, playing=False)
    assert moved.action == "seek" and moved.seek_to == 30.0


@dataclass
class SimulatedClient:
    """A browser's video: its clock runs ``skew`` off, seeking takes ``seek_s``."""

    position: float
    skew: float
    seek_s: float = 0.3
    rate: float = 1.0
    seeking_until: float = -1.0
    seek_target: float = 0.0
    seeks: int = 0

    def advance(self, now: float, dt: float) -> None:
        if now < self.seeking_until:
            return
        if self.seeking_until >= 0:
            self.position = self.seek_target
            self.seeking_until = -1.0
        self.position += dt * self.rate * (1.0 + self.skew)


@pytest.mark.parametrize(
    ("start_error", "skew"),
    [(0.0, 0.02), (0.0, -0.02), (0.6, 0.01), (-0.8, -0.01), (3.0, 0.0), (-12.0, 0.015)],
)
def test_clients_following_the_rule_stay_within_a_quarter_second(
    start_error: float, skew: float
) -> None:
    """A client joins with ``start_error`` and a clock ``skew`` off; checking four times a
    second, it is within the target after 20 s and stays there, never changing the rate
    by more than 5 %."""
    screen = screen_with_talk(now=0.0, duration=600.0)
    screen.handle(Play(), now=0.0, allowed=True)
    message = screen.snapshot(0.0)
    client = SimulatedClient(position=start_error, skew=skew)
    dt = 0.25
    errors: list[tuple[float, float]] = []
    now = 0.0
    while now < 120.0:
        now += dt
        client.advance(now, dt)
        if now < client.seeking_until:
            continue
        expected = expected_position(message, now)
        correction = correct_drift(expected, client.position, rate=1.0, playing=True)
        assert abs(correction.playback_rate - 1.0) <= DRIFT_MAX_RATE_CHANGE + 1e-9
        client.rate = correction.playback_rate
        if correction.seek_to is not None:
            client.seeks += 1
            client.seeking_until = now + client.seek_s
            client.seek_target = correction.seek_to
        errors.append((now, abs(client.position - expected)))
    settled = [error for at, error in errors if at >= 20.0]
    assert max(settled) < DRIFT_TARGET_S
    assert client.seeks == (1 if abs(start_error) > 1.0 else 0)
