"""Watching together, as part of the realtime protocol (registered in the one
protocol table, ``server/protocol/table.py``).

A visitor controls a screen of their room with ``playback``; everyone in the room instance
gets the screen's new state as ``playback_state`` (and every screen's state when they enter).
The state and the rules are ``server/domain/playback.py``; docs/watch-together.md is the contract,
``server/features/talks/realtime.py`` the hub feature that holds the screens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Final

from server.domain.playback import ACTIONS, MAX_RATE, MIN_RATE, ControlMode
from server.protocol.message_spec import (
    ErrorSpec,
    FeatureMessage,
    FeatureMessages,
    FieldSpec,
    MessageSpec,
    float_field,
    int_field,
    str_field,
)

MAX_TALK_S: Final = 24 * 3600.0

_TALK = str_field("talk", "talk id (GET /api/talks)", required=False)


@dataclass(frozen=True, slots=True)
class Playback(FeatureMessage):
    """A command for one screen of the sender's room."""

    spec: ClassVar[MessageSpec] = MessageSpec(
        "playback",
        "client",
        "Control a screen of your room: select a talk (paused at position, or playing with"
        " play), play, pause, seek to position, set the rate, or stop (take the talk off)."
        " Who may: the room's control rule (playback_state.control).",
        (
            str_field("screen", "screen anchor id (playback_state.screen)"),
            str_field("action", "what to do", choices=ACTIONS),
            _TALK,
            float_field(
                "position",
                "seconds into the talk (select, seek)",
                min=0,
                max=MAX_TALK_S,
                required=False,
            ),
            float_field("rate", "playback rate (rate)", min=MIN_RATE, max=MAX_RATE, required=False),
            FieldSpec("play", "bool", "start playing at once (select)", required=False),
        ),
    )
    screen: str
    action: str
    fields: dict[str, Any]

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> Playback:
        rest = {k: v for k, v in fields.items() if k not in ("screen", "action")}
        return cls(fields["screen"], fields["action"], rest)


PLAYBACK_STATE = MessageSpec(
    "playback_state",
    "server",
    "A screen of your room: what it shows and where it is. Sent to everyone in the room"
    " instance when it changes, and for every screen when you enter. Position at server"
    " time t: position + rate * (t - server_time) while playing, never past duration.",
    (
        str_field("screen", "screen anchor id"),
        str_field("talk", "talk id, nil when the screen is empty", nullable=True),
        float_field("duration", "the talk's length in seconds", min=0, max=MAX_TALK_S),
        FieldSpec("playing", "bool", "playing (false when paused or at the end)"),
        float_field("position", "seconds into the talk at server_time", min=0, max=MAX_TALK_S),
        float_field("rate", "playback rate", min=MIN_RATE, max=MAX_RATE),
        float_field("server_time", "server clock (Unix seconds, as pong.s) of position"),
        int_field("version", "goes up with every change; drop older states", hi=1 << 62),
        str_field(
            "by", "session id of who made the change; nil: the end was reached", nullable=True
        ),
        str_field(
            "control",
            "who may control this room's screens: anyone, facilitators (and staff), staff",
            choices=tuple(mode.value for mode in ControlMode),
        ),
    ),
)

PLAYBACK_ERRORS: Final = {
    "playback_forbidden": ErrorSpec(
        "Sie dürfen diesen Bildschirm hier nicht steuern.",
        "You may not control this screen here.",
    ),
    "playback_nothing_selected": ErrorSpec(
        "Auf diesem Bildschirm ist kein Vortrag ausgewählt.",
        "No talk is selected on this screen.",
    ),
    "playback_position_invalid": ErrorSpec(
        "Diese Stelle liegt außerhalb des Vortrags.", "The position is outside the talk."
    ),
    "playback_rate_invalid": ErrorSpec(
        f"Die Geschwindigkeit muss zwischen {MIN_RATE:g} und {MAX_RATE:g} liegen.",
        f"The rate must be between {MIN_RATE:g} and {MAX_RATE:g}.",
    ),
    "playback_command_invalid": ErrorSpec(
        "Dieser Wiedergabebefehl ist unvollständig oder unbekannt.",
        "The playback command is incomplete or not known.",
    ),
    "talk_unknown": ErrorSpec("Diesen Vortrag gibt es nicht.", "There is no such talk."),
    "screen_unknown": ErrorSpec(
        "In diesem Raum gibt es diesen Bildschirm nicht.", "There is no such screen in this room."
    ),
    "screen_shared": ErrorSpec(
        "Auf diesem Bildschirm wird gerade geteilt; der Vortrag läuft danach weiter.",
        "A screen is being shared on this screen; the talk plays on afterwards.",
    ),
}

PLAYBACK_MESSAGES: Final = FeatureMessages(
    feature="talks",
    client=(Playback,),
    server=(PLAYBACK_STATE,),
    errors=PLAYBACK_ERRORS,
)
