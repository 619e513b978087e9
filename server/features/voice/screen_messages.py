"""Sharing a screen: its part of the realtime protocol (registered in the one
protocol table, ``server/protocol/table.py``).

A presenter shares a screen or window onto one of the room's in-world screens; the hub
decides who may (``server/features/voice/screen_share.py``), publishes it on the media server
(Janus, beside the room's voices) and gives everyone in the room instance who asks to watch it
one receiving connection to exactly that feed. A browser never names a feed: it names a
screen of its own room, and the hub does the rest. Two connections: ``present`` (the
shared screen, an offer from the presenter's browser) and ``view`` (that screen for a
viewer, an offer from the server). ``gen`` numbers one share: messages of an ended share
are ignored on both sides. docs/voice.md ("Sharing a screen") describes the exchange.
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

SHARE_CONNECTIONS: Final = ("present", "view")
SDP_TYPES: Final = ("offer", "answer")
MAX_SDP_CHARS: Final = 40000
MAX_GEN: Final = 2**31 - 1

_SCREEN = _str("screen", "the in-world screen (a screen anchor of your room)")
_PC = _str(
    "pc", "which connection: present (your shared screen) or view", choices=SHARE_CONNECTIONS
)
_GEN = _int("gen", "the share this belongs to (from share_state)", hi=MAX_GEN)


@dataclass(frozen=True, slots=True)
class ShareOn(FeatureMessage):
    spec = MessageSpec(
        "share",
        "client",
        "Begin (on) presenting your screen or window on one of the room's screens, or end a"
        " share there (your own; facilitators: anyone's). Answered by share_state to the room."
        " Asking again for the share you present renews it (a new gen: publish again), for a"
        " browser whose present connection broke.",
        (_SCREEN, FieldSpec("on", "bool", "begin or end")),
    )
    screen: str
    on: bool


@dataclass(frozen=True, slots=True)
class ShareAllow(FeatureMessage):
    spec = MessageSpec(
        "share_allow",
        "client",
        "Facilitators: let a visitor of your room present (on) or take it back (ending"
        " their share).",
        (_str("session", "the visitor's session"), FieldSpec("on", "bool", "allowed or not")),
    )
    session: str
    on: bool


@dataclass(frozen=True, slots=True)
class ShareView(FeatureMessage):
    spec = MessageSpec(
        "share_view",
        "client",
        "Watch (on) the screen shared on one of your room's screens, or stop watching; the"
        " hub offers a view connection (share_sdp pc=view).",
        (_SCREEN, _GEN, FieldSpec("on", "bool", "watch or stop")),
    )
    screen: str
    gen: int
    on: bool


@dataclass(frozen=True, slots=True)
class ShareSdp(FeatureMessage):
    spec = MessageSpec(
        "share_sdp",
        "client",
        "A session description for the media server: the present connection's offer, the"
        " view connection's answer.",
        (
            _PC,
            _SCREEN,
            _GEN,
            _str("type", "offer or answer", choices=SDP_TYPES),
            _str("sdp", "the SDP", max_len=MAX_SDP_CHARS),
        ),
    )
    pc: str
    screen: str
    gen: int
    type: str
    sdp: str


@dataclass(frozen=True, slots=True)
class ShareIce(FeatureMessage):
    spec = MessageSpec(
        "share_ice",
        "client",
        "An ICE candidate of one of the browser's share connections (candidate nil: done).",
        (
            _PC,
            _SCREEN,
            _GEN,
            _str("candidate", "the candidate line", max_len=1000, nullable=True),
            _str("mid", "its m-line's mid", max_len=32, required=False, nullable=True),
            _int("mline", "its m-line's index", hi=1000, required=False, nullable=True),
        ),
    )
    pc: str
    screen: str
    gen: int
    candidate: str | None
    mid: str | None
    mline: int | None


SHARE_MESSAGES: Final = FeatureMessages(
    feature="share",
    client=(ShareOn, ShareAllow, ShareView, ShareSdp, ShareIce),
    server=(
        MessageSpec(
            "share_state",
            "server",
            "A screen of your room: who presents on it (presenter nil: nobody, the share"
            " ended) and whether the shared screen is arriving at the media server (live:"
            " ask to watch it with share_view). Sent to the room when it changes and to"
            " whoever enters. The same presenter with a new gen: the share was renewed (its"
            " media server changed): the presenter publishes again, viewers watch the new one.",
            (
                _SCREEN,
                _GEN,
                _str("presenter", "the presenter's session", nullable=True),
                _str("name", "the presenter's name", max_len=200, nullable=True),
                FieldSpec("live", "bool", "the shared screen arrives and can be watched"),
            ),
        ),
        MessageSpec(
            "share_allowed",
            "server",
            "The visitors of your room a facilitator allowed to present (sent when it changes"
            " and on entering).",
            (FieldSpec("sessions", "list", "their sessions", items=_str("session", "a session")),),
        ),
        MessageSpec(
            "share_sdp",
            "server",
            "A session description from the media server: the present connection's answer,"
            " or the view connection's offer (answer it with share_sdp).",
            (
                _PC,
                _SCREEN,
                _GEN,
                _str("type", "offer or answer", choices=SDP_TYPES),
                _str("sdp", "the SDP", max_len=MAX_SDP_CHARS * 2),
            ),
        ),
    ),
    errors={
        "share_forbidden": ErrorSpec(
            "Das darfst du hier nicht: Bildschirm teilen dürfen Moderierende und wen sie zulassen.",
            "You may not do that here: facilitators share screens, and whom they allow.",
        ),
        "share_taken": ErrorSpec(
            "Auf diesem Bildschirm präsentiert schon jemand.",
            "Someone is already presenting on this screen.",
        ),
        "share_busy": ErrorSpec(
            "Du teilst schon auf einem anderen Bildschirm.",
            "You are already sharing on another screen.",
        ),
        "share_none": ErrorSpec(
            "Auf diesem Bildschirm wird nichts geteilt.", "Nothing is shared on this screen."
        ),
        "share_unavailable": ErrorSpec(
            "Bildschirm teilen ist gerade nicht verfügbar.",
            "Screen sharing is not available at the moment.",
        ),
    },
)
