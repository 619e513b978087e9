"""Voice: its part of the realtime protocol (registered in the one
protocol table, ``server/protocol/table.py``).

The browser never talks to the media server's API. It turns voice on, and the hub joins it
to its room's voice room on the media server (Janus), decides whom it hears
(``server/features/voice/hearing.py``) and relays only the WebRTC descriptions (SDP) and ICE
candidates between the browser and the media server; the media itself flows directly between them.
Two connections per person: ``send`` (their microphone, an offer from the browser) and
``receive`` (the voices they are given, an offer from the server, renegotiated whenever
the hub changes whom they hear). ``gen`` numbers a person's voice set-up: after a room
change, a reconnection or a media server restart the hub starts a new one, and messages
of an older ``gen`` are ignored. docs/voice.md describes the whole exchange.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from server.protocol.message_spec import (
    ErrorSpec,
    FeatureMessage,
    FeatureMessages,
    FieldSpec,
    MessageSpec,
)
from server.protocol.message_spec import int_field as _int
from server.protocol.message_spec import str_field as _str

CONNECTIONS: Final = ("send", "receive")
SDP_TYPES: Final = ("offer", "answer")
VOICE_STATES: Final = ("off", "connecting", "ready", "unavailable")
PERSON_STATES: Final = ("connecting", "live", "muted", "held", "listening", "failed")
MAX_SDP_CHARS: Final = 15000
MAX_GEN: Final = 2**31 - 1

_PC = _str("pc", "which connection: send (microphone) or receive (voices)", choices=CONNECTIONS)
_GEN = _int("gen", "the voice set-up this belongs to (from voice_state)", hi=MAX_GEN)


@dataclass(frozen=True, slots=True)
class VoiceOn(FeatureMessage):
    spec = MessageSpec(
        "voice",
        "client",
        "Turn voice on (join the room's voice, answered by voice_state) or off. mic false:"
        " listen only (no microphone or no permission).",
        (
            FieldSpec("on", "bool", "voice on or off"),
            FieldSpec("mic", "bool", "whether a microphone will be sent", required=False),
        ),
    )
    on: bool
    mic: bool = True


@dataclass(frozen=True, slots=True)
class VoiceSdp(FeatureMessage):
    spec = MessageSpec(
        "voice_sdp",
        "client",
        "A session description for the media server: the send connection's offer, the"
        " receive connection's answer.",
        (
            _PC,
            _GEN,
            _str("type", "offer or answer", choices=SDP_TYPES),
            _str("sdp", "the SDP", max_len=MAX_SDP_CHARS),
        ),
    )
    pc: str
    gen: int
    type: str
    sdp: str


@dataclass(frozen=True, slots=True)
class VoiceIce(FeatureMessage):
    spec = MessageSpec(
        "voice_ice",
        "client",
        "An ICE candidate of one of the browser's connections (candidate nil: gathering done).",
        (
            _PC,
            _GEN,
            _str("candidate", "the candidate line", max_len=1000, nullable=True),
            _str("mid", "its m-line's mid", max_len=32, required=False, nullable=True),
            _int("mline", "its m-line's index", hi=1000, required=False, nullable=True),
        ),
    )
    pc: str
    gen: int
    candidate: str | None
    mid: str | None
    mline: int | None


@dataclass(frozen=True, slots=True)
class VoiceMute(FeatureMessage):
    spec = MessageSpec(
        "voice_mute",
        "client",
        "Mute (on) or unmute your own microphone: a muted voice is forwarded to nobody.",
        (FieldSpec("on", "bool", "muted or not"),),
    )
    on: bool


@dataclass(frozen=True, slots=True)
class VoiceQuiet(FeatureMessage):
    spec = MessageSpec(
        "voice_quiet",
        "client",
        "Facilitators: make your room quiet (only whoever holds the stage is heard) or not.",
        (FieldSpec("on", "bool", "quiet or not"),),
    )
    on: bool


_PERSON = FieldSpec(
    "person",
    "map",
    "one person in voice",
    fields=(
        _str("session", "their session id"),
        _str("state", "their voice", choices=PERSON_STATES),
    ),
)

VOICE_MESSAGES: Final = FeatureMessages(
    feature="voice",
    client=(VoiceOn, VoiceSdp, VoiceIce, VoiceMute, VoiceQuiet),
    server=(
        MessageSpec(
            "voice_state",
            "server",
            "Your voice: off, connecting (the hub is joining you to the voice room), ready"
            " (send your microphone's offer now, with this gen) or unavailable (no media"
            " server at the moment; the hub tries again). held: a facilitator muted you.",
            (
                _str("state", "the state", choices=VOICE_STATES),
                _GEN,
                FieldSpec("mic", "bool", "whether you send a microphone"),
                FieldSpec("muted", "bool", "muted by yourself"),
                FieldSpec("held", "bool", "muted by a facilitator (the media server drops it)"),
                FieldSpec(
                    "ice",
                    "list",
                    "ICE servers for the browser's connections (empty: none, host candidates"
                    " only); TURN entries carry a short-lived username and credential",
                    items=FieldSpec("server", "map", "urls, username, credential"),
                ),
            ),
        ),
        MessageSpec(
            "voice_sdp",
            "server",
            "A session description from the media server: the send connection's answer, or"
            " an offer for the receive connection (answer it with voice_sdp).",
            (
                _PC,
                _GEN,
                _str("type", "offer or answer", choices=SDP_TYPES),
                _str("sdp", "the SDP", max_len=MAX_SDP_CHARS * 4),
            ),
        ),
        MessageSpec(
            "voice_streams",
            "server",
            "What each m-line of the receive connection carries: whose voice (by session).",
            (
                _GEN,
                FieldSpec(
                    "streams",
                    "list",
                    "the receive connection's audio m-lines",
                    items=FieldSpec(
                        "stream",
                        "map",
                        "one m-line",
                        fields=(_str("mid", "its mid", max_len=32), _str("session", "whose")),
                    ),
                ),
            ),
        ),
        MessageSpec(
            "voice_people",
            "server",
            "Everyone in voice in your room and their state (sent when it changes); quiet:"
            " only the stage is heard.",
            (
                FieldSpec("people", "list", "people in voice", items=_PERSON),
                FieldSpec("quiet", "bool", "the room is quiet"),
            ),
        ),
    ),
    errors={
        "voice_unavailable": ErrorSpec(
            "Sprache ist gerade nicht verfügbar.", "Voice is not available at the moment."
        ),
        "voice_off": ErrorSpec("Sprache ist nicht eingeschaltet.", "Voice is not turned on."),
    },
)
