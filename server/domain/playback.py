"""Watching together: the playback state of one screen, held by the server (no I/O).

A screen shows at most one talk. Its state is which talk, playing or paused, the position
at a moment of the server's clock, and the rate; from that anyone computes the position at
any later moment. The hub keeps one ``ScreenPlayback`` per screen (``RoomScreens`` holds a
room's screens with its ``ControlPolicy``), turns each control message into a command and
sends the resulting state to everyone in the room; a late joiner gets ``snapshot(now)``.

>>> screen = ScreenPlayback("screen-werkstatt")
>>> _ = screen.handle(Select("klimabilanz", duration_s=180.0), now=100.0, allowed=True)
>>> _ = screen.handle(Play(), now=100.0, allowed=True)
>>> screen.state.position_at(110.0)
10.0
>>> screen.snapshot(110.0)["position"]
10.0

Clients follow the state with ``correct_drift`` (the rule is written down here so the
browser client and the tests use the same numbers; docs/watch-together.md explains it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Literal

from server.base.identity import Role

MIN_RATE = 0.5
MAX_RATE = 2.0
# A talk that is played from (near) its end starts again from the beginning.
RESTART_NEAR_END_S = 0.5


class PlaybackError(Exception):
    """A refused playback command: ``code`` for the client, ``message`` for the person."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# The error codes a refusal carries (add them to the protocol's error table).
ERROR_CODES = {
    "playback_forbidden": "you may not control this screen here",
    "playback_nothing_selected": "no talk is selected on this screen",
    "playback_position_invalid": "the position is outside the talk",
    "playback_rate_invalid": f"the rate must be between {MIN_RATE} and {MAX_RATE}",
    "playback_command_invalid": "the playback command is not understood",
    "talk_unknown": "there is no such talk",
    "screen_unknown": "there is no such screen in this room",
    "screen_shared": "a screen is being shared on this screen",
}


# --- who may control ------------------------------------------------------------------------


class ControlMode(StrEnum):
    """Who may control the screens of a room."""

    ANYONE = "anyone"  # an unmoderated room: every visitor
    FACILITATORS = "facilitators"  # a workshop room: its facilitators (and staff)
    STAFF = "staff"  # screens only staff run, e.g. in the foyer


@dataclass(frozen=True)
class ControlPolicy:
    """A room's rule for controlling its screens.

    >>> ControlPolicy(ControlMode.FACILITATORS).allows(Role.FACILITATOR, facilitates_here=False)
    False
    """

    mode: ControlMode = ControlMode.ANYONE

    @classmethod
    def from_config(cls, value: object) -> ControlPolicy:
        """The policy named in a room's configuration ('anyone', 'facilitators', 'staff')."""
        if value is None:
            return cls()
        try:
            return cls(ControlMode(str(value)))
        except ValueError:
            names = ", ".join(mode.value for mode in ControlMode)
            raise ValueError(f"playback control {value!r} is not one of {names}") from None

    def allows(self, role: Role, *, facilitates_here: bool) -> bool:
        """May someone with ``role`` control? ``facilitates_here``: they lead this room's
        workshop right now."""
        if role is Role.STAFF:
            return True
        if self.mode is ControlMode.ANYONE:
            return True
        if self.mode is ControlMode.FACILITATORS:
            return role is Role.FACILITATOR and facilitates_here
        return False


# --- the state ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaybackState:
    """A screen's playback at one moment of the server clock (``updated_at``, seconds)."""

    screen_id: str
    talk_id: str | None = None
    duration_s: float = 0.0
    playing: bool = False
    position_s: float = 0.0
    rate: float = 1.0
    updated_at: float = 0.0
    version: int = 0
    changed_by: str | None = None

    def position_at(self, now: float) -> float:
        """Where the talk is at server time ``now`` (never past its end)."""
        if not self.playing:
            return self.position_s
        elapsed = max(0.0, now - self.updated_at)
        return min(self.duration_s, self.position_s + self.rate * elapsed)

    def ends_at(self) -> float | None:
        """The server time the talk reaches its end, if it is playing."""
        if not self.playing:
            return None
        return self.updated_at + max(0.0, self.duration_s - self.position_s) / self.rate

    def ended(self, now: float) -> bool:
        return self.talk_id is not None and self.position_at(now) >= self.duration_s

    def as_message(self, now: float) -> dict[str, Any]:
        """What clients are sent: the state as of server time ``now``."""
        return {
            "screen": self.screen_id,
            "talk": self.talk_id,
            "duration": self.duration_s,
            "playing": self.playing and not self.ended(now),
            "position": round(self.position_at(now), 3),
            "rate": self.rate,
            "server_time": now,
            "version": self.version,
            "by": self.changed_by,
        }

    def as_record(self) -> dict[str, Any]:
        """The state as plain data, to keep in a store or pass between processes."""
        return {
            "screen": self.screen_id,
            "talk": self.talk_id,
            "duration": self.duration_s,
            "playing": self.playing,
            "position": self.position_s,
            "rate": self.rate,
            "updated_at": self.updated_at,
            "version": self.version,
            "by": self.changed_by,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> PlaybackState:
        return cls(
            screen_id=str(record["screen"]),
            talk_id=record.get("talk"),
            duration_s=float(record.get("duration", 0.0)),
            playing=bool(record.get("playing", False)),
            position_s=float(record.get("position", 0.0)),
            rate=float(record.get("rate", 1.0)),
            updated_at=float(record.get("updated_at", 0.0)),
            version=int(record.get("version", 0)),
            changed_by=record.get("by"),
        )


# --- commands -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Select:
    """Put a talk on the screen, paused at ``start_s`` (or playing, with ``play``)."""

    talk_id: str
    duration_s: float
    start_s: float = 0.0
    play: bool = False


@dataclass(frozen=True)
class Play:
    pass


@dataclass(frozen=True)
class Pause:
    pass


@dataclass(frozen=True)
class Seek:
    position_s: float


@dataclass(frozen=True)
class SetRate:
    rate: float


@dataclass(frozen=True)
class Stop:
    """Take the talk off the screen."""


PlaybackCommand = Select | Play | Pause | Seek | SetRate | Stop
ACTIONS = ("select", "play", "pause", "seek", "rate", "stop")


def _number(fields: Mapping[str, Any], name: str) -> float:
    value = fields.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise PlaybackError("playback_command_invalid", f"'{name}' must be a number")
    return float(value)


def command_from_fields(
    action: str, fields: Mapping[str, Any], *, duration_of: Any = None
) -> PlaybackCommand:
    """The command of a control message: ``action`` and its fields (``talk``, ``position``,
    ``rate``, ``play``). ``duration_of(talk_id) -> float | None`` looks a talk up for
    'select' (None: no such talk)."""
    if action == "play":
        return Play()
    if action == "pause":
        return Pause()
    if action == "stop":
        return Stop()
    if action == "seek":
        return Seek(_number(fields, "position"))
    if action == "rate":
        return SetRate(_number(fields, "rate"))
    if action == "select":
        talk_id = fields.get("talk")
        if not isinstance(talk_id, str) or not talk_id:
            raise PlaybackError("playback_command_invalid", "'talk' must be a talk id")
        duration = duration_of(talk_id) if duration_of is not None else None
        if duration is None:
            raise PlaybackError("talk_unknown", f"there is no talk {talk_id!r}")
        start = _number(fields, "position") if "position" in fields else 0.0
        return Select(talk_id, float(duration), start, bool(fields.get("play", False)))
    raise PlaybackError(
        "playback_command_invalid", f"unknown action {action!r} (one of {', '.join(ACTIONS)})"
    )


def _checked_position(state: PlaybackState, position: float) -> float:
    if not math.isfinite(position) or position < 0 or position > state.duration_s:
        raise PlaybackError(
            "playback_position_invalid",
            f"position {position} is outside the talk (0–{state.duration_s:.1f} s)",
        )
    return position


def apply(
    state: PlaybackState,
    command: PlaybackCommand,
    *,
    now: float,
    allowed: bool,
    by: str | None = None,
) -> PlaybackState:
    """The state after ``command`` at server time ``now``; the same object when nothing
    changes (no need to tell anyone). ``allowed`` is the caller's permission decision."""
    if not allowed:
        raise PlaybackError("playback_forbidden", ERROR_CODES["playback_forbidden"])
    now = max(now, state.updated_at)

    def changed(**fields: Any) -> PlaybackState:
        return replace(state, updated_at=now, version=state.version + 1, changed_by=by, **fields)

    if isinstance(command, Select):
        if not math.isfinite(command.duration_s) or command.duration_s <= 0:
            raise PlaybackError("talk_unknown", "the talk has no known length")
        fresh = PlaybackState(state.screen_id, command.talk_id, command.duration_s)
        start = _checked_position(fresh, command.start_s)
        return changed(
            talk_id=command.talk_id,
            duration_s=command.duration_s,
            playing=command.play,
            position_s=start,
            rate=1.0,
        )
    if isinstance(command, Stop):
        if state.talk_id is None:
            return state
        return changed(talk_id=None, duration_s=0.0, playing=False, position_s=0.0, rate=1.0)
    if state.talk_id is None:
        raise PlaybackError("playback_nothing_selected", ERROR_CODES["playback_nothing_selected"])
    position = state.position_at(now)
    if isinstance(command, Play):
        if state.playing and position < state.duration_s:
            return state
        if position >= state.duration_s - RESTART_NEAR_END_S:
            position = 0.0
        return changed(playing=True, position_s=position)
    if isinstance(command, Pause):
        if not state.playing:
            return state
        return changed(playing=False, position_s=position)
    if isinstance(command, Seek):
        return changed(position_s=_checked_position(state, command.position_s))
    if isinstance(command, SetRate):
        if not (math.isfinite(command.rate) and MIN_RATE <= command.rate <= MAX_RATE):
            raise PlaybackError("playback_rate_invalid", ERROR_CODES["playback_rate_invalid"])
        if command.rate == state.rate:
            return state
        return changed(position_s=position, rate=command.rate)
    raise PlaybackError("playback_command_invalid", f"unknown command {command!r}")


class ScreenPlayback:
    """The playback of one screen, as the hub holds it."""

    def __init__(self, screen_id: str, state: PlaybackState | None = None) -> None:
        self.state = state or PlaybackState(screen_id)

    def handle(
        self, command: PlaybackCommand, *, now: float, allowed: bool, by: str | None = None
    ) -> dict[str, Any] | None:
        """Apply a command; returns the message for everyone in the room, or None when
        nothing changed. Raises ``PlaybackError`` (send its code to the sender only)."""
        before = self.state
        self.state = apply(before, command, now=now, allowed=allowed, by=by)
        return None if self.state is before else self.state.as_message(now)

    def settle(self, now: float) -> dict[str, Any] | None:
        """Call on the tick: a talk that has played to its end is paused there; returns
        the message for the room when that happens."""
        state = self.state
        if not state.playing or not state.ended(now):
            return None
        end_time = state.ends_at() or now
        self.state = replace(
            state,
            playing=False,
            position_s=state.duration_s,
            updated_at=max(end_time, state.updated_at),
            version=state.version + 1,
            changed_by=None,
        )
        return self.state.as_message(now)

    def snapshot(self, now: float) -> dict[str, Any]:
        """What a visitor entering the room gets: the state as of ``now``."""
        return self.state.as_message(now)

    def forget_talk(self, talk_id: str, now: float) -> dict[str, Any] | None:
        """The talk was removed from the library: take it off this screen."""
        if self.state.talk_id != talk_id:
            return None
        return self.handle(Stop(), now=now, allowed=True)


class RoomScreens:
    """All the screens of one room with the room's control rule: what the hub holds per room.

    >>> room = RoomScreens(["screen-a", "screen-b"], ControlPolicy(ControlMode.ANYONE))
    >>> room.control("screen-a", Select("vsme", 240.0), now=5.0, role=Role.VISITOR)["talk"]
    'vsme'
    """

    def __init__(self, screen_ids: list[str], policy: ControlPolicy | None = None) -> None:
        self.policy = policy or ControlPolicy()
        self.screens = {screen_id: ScreenPlayback(screen_id) for screen_id in screen_ids}

    def control(
        self,
        screen_id: str,
        command: PlaybackCommand,
        *,
        now: float,
        role: Role,
        facilitates_here: bool = False,
        by: str | None = None,
    ) -> dict[str, Any] | None:
        """Apply a visitor's command to a screen of this room (see ``ScreenPlayback.handle``)."""
        screen = self.screens.get(screen_id)
        if screen is None:
            raise PlaybackError("screen_unknown", f"there is no screen {screen_id!r} here")
        allowed = self.policy.allows(role, facilitates_here=facilitates_here)
        return screen.handle(command, now=now, allowed=allowed, by=by)

    def snapshots(self, now: float) -> list[dict[str, Any]]:
        """The state of every screen, for a visitor entering the room."""
        return [screen.snapshot(now) for screen in self.screens.values()]

    def settle(self, now: float) -> list[dict[str, Any]]:
        """Call on the tick: the messages for screens whose talk has just ended."""
        return [m for screen in self.screens.values() if (m := screen.settle(now)) is not None]

    def forget_talk(self, talk_id: str, now: float) -> list[dict[str, Any]]:
        """A talk left the library: the messages for the screens that showed it."""
        return [m for screen in self.screens.values() if (m := screen.forget_talk(talk_id, now))]


# --- the client's side: following the server ------------------------------------------------

# Keep the difference between a client's video and the shared position under this.
DRIFT_TARGET_S = 0.25
# Below this, leave the rate alone (no audible wobble for nothing).
DRIFT_DEADBAND_S = 0.04
# Above this, jump instead of catching up.
DRIFT_SEEK_S = 1.0
# Catching up changes the rate by at most this fraction of the shared rate.
DRIFT_MAX_RATE_CHANGE = 0.05
# How strongly the rate follows the difference: fraction of rate per second of difference.
DRIFT_GAIN_PER_S = 0.25
# A paused video further off than this is moved to the shared position.
PAUSED_TOLERANCE_S = 0.1


@dataclass(frozen=True)
class DriftCorrection:
    """What a client does to its video: set ``playback_rate``, and seek when ``seek_to``."""

    action: Literal["keep", "nudge", "seek"]
    playback_rate: float
    seek_to: float | None = None


def expected_position(message: Mapping[str, Any], server_now: float) -> float:
    """Where the shared playback is at ``server_now`` (the client's estimate of the server
    clock), from a state message."""
    position = float(message["position"])
    if not message["playing"]:
        return position
    elapsed = max(0.0, server_now - float(message["server_time"]))
    return min(float(message["duration"]), position + float(message["rate"]) * elapsed)


def correct_drift(
    expected_s: float, actual_s: float, *, rate: float, playing: bool
) -> DriftCorrection:
    """The drift rule, run by each client a few times a second.

    - more than ``DRIFT_SEEK_S`` off: seek to the shared position;
    - playing and more than ``DRIFT_DEADBAND_S`` off: play up to 5 % faster or slower,
      in proportion to the difference, until caught up;
    - otherwise: play at the shared rate.
    """
    error = actual_s - expected_s  # > 0: this client is ahead
    if not playing:
        if abs(error) > PAUSED_TOLERANCE_S:
            return DriftCorrection("seek", rate, expected_s)
        return DriftCorrection("keep", rate)
    if abs(error) > DRIFT_SEEK_S:
        return DriftCorrection("seek", rate, expected_s)
    if abs(error) <= DRIFT_DEADBAND_S:
        return DriftCorrection("keep", rate)
    change = max(-DRIFT_MAX_RATE_CHANGE, min(DRIFT_MAX_RATE_CHANGE, error * DRIFT_GAIN_PER_S))
    return DriftCorrection("nudge", rate * (1.0 - change))
