"""The realtime protocol: the one message table, the one error table and the codec (no I/O).

Every WebSocket message is one binary frame. Control messages are msgpack maps whose ``"t"``
key names the type; the two hot messages are compact binary frames recognised by their first
byte, chosen so they can never start a msgpack map:

* ``0x50`` (``"P"``) a client's pose, 23 bytes (``POSE_FORMAT``);
* ``0x53`` (``"S"``) a snapshot from the server: a 16-byte header (``SNAPSHOT_HEADER``) and
  12-byte avatar entries (``SNAPSHOT_ENTRY``).

Features add their messages and error codes by registering them (``register``); this package
imports none of them. ``describe()`` returns the core's and the given features' protocol
JSON-ready; the HTTP layer serves it at ``/api/protocol`` and the browser client reads its
constants from there. ``decode_client`` turns one received
frame into a typed message or raises ``ProtocolError`` with a code from ``ERRORS``.

>>> frame = encode("pong", c=12.5, s=1700000000.25)
>>> decode_server(frame)["t"]
'pong'
>>> decode_client(msgpack.packb({"t": "ping", "c": 3})).c
3.0
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypeVar, cast

import msgpack
import numpy as np

from server.protocol.appearance import APPEARANCE_FIELD, BODY_SHAPES, CHOICES, Appearance
from server.protocol.message_spec import (
    ErrorSpec,
    FeatureMessage,
    FeatureMessages,
    FieldSpec,
    MessageSpec,
    TypedMessage,
)
from server.protocol.message_spec import float_field as _float
from server.protocol.message_spec import int_field as _int
from server.protocol.message_spec import str_field as _str

if TYPE_CHECKING:
    from server.base.settings import Settings

PROTOCOL_VERSION: Final = 1
SUPPORTED_VERSIONS: Final = (1,)

# --- binary frames -------------------------------------------------------------------------

POSE_TAG: Final = 0x50
SNAPSHOT_TAG: Final = 0x53

#: client -> server pose: tag, seq, x, y, z (metres), yaw, pitch (radians); little-endian.
POSE_FORMAT: Final = "<BHfffff"
POSE_SIZE: Final = struct.calcsize(POSE_FORMAT)
#: the pose without its tag byte, as numpy reads a batch of them.
POSE_BODY = np.dtype(
    [("seq", "<u2"), ("x", "<f4"), ("y", "<f4"), ("z", "<f4"), ("yaw", "<f4"), ("pitch", "<f4")]
)

#: server -> client snapshot header: tag, flags, instance serial, tick, server time (s).
SNAPSHOT_HEADER: Final = struct.Struct("<BBHId")
SNAPSHOT_HEADER_SIZE: Final = SNAPSHOT_HEADER.size
SNAPSHOT_FULL: Final = 0x01
SNAPSHOT_FAR: Final = 0x02
#: one avatar in a snapshot: 12 bytes.
SNAPSHOT_ENTRY = np.dtype(
    [
        ("net", "<u2"),
        ("x", "<i2"),
        ("y", "<i2"),
        ("z", "<i2"),
        ("yaw", "<i2"),
        ("pitch", "i1"),
        ("flags", "u1"),
    ]
)
ENTRY_SNAP: Final = 0x01
ENTRY_AWAY: Final = 0x02
YAW_STEPS_PER_RADIAN: Final = 32768 / math.pi
PITCH_STEPS_PER_RADIAN: Final = 127 / (math.pi / 2)

# --- limits that are part of the protocol --------------------------------------------------

MAX_TOKEN_CHARS: Final = 2048
MAX_CHAT_CHARS_HARD: Final = 2000
PING_INTERVAL_S: Final = 5.0
IDLE_TIMEOUT_S: Final = 30.0
HELLO_TIMEOUT_S: Final = 10.0
CHAT_BURST: Final = 5
CHAT_PER_S: Final = 1.0
REACT_BURST: Final = 5
REACT_PER_S: Final = 2.0
MOVE_BURST: Final = 5
MOVE_PER_S: Final = 1.0

AVATAR_SHAPES: Final = BODY_SHAPES
EMOJI: Final = ("👍", "👏", "❤️", "😀", "😮", "🤔", "💡", "🌱", "♻️", "🎉")
LANGUAGES: Final = ("de", "en")
#: Why a client is sent to another process: the instance lives there (``owner``), this
#: process lost it (``moved``), a less busy process should open it (``balance``).
REDIRECT_REASONS: Final = ("owner", "moved", "balance")

# --- features ------------------------------------------------------------------------------

#: Every feature's messages and error codes in the table, by feature name. A feature declares
#: them in a module of its own (a ``FeatureMessages``) and is registered (``register``): the
#: hub core registers the features it is given (``server/core/hooks.py``), the composition
#: root all of them before the first frame is decoded. The protocol package imports none.
_FEATURES: Final[dict[str, FeatureMessages]] = {}

_T = TypeVar("_T")


def _with_features(core: Mapping[str, _T], extra: Iterable[tuple[str, _T]]) -> dict[str, _T]:
    """The core's table followed by the features' entries; a name may be used only once."""
    table = dict(core)
    for name, entry in extra:
        if name in table:
            raise ValueError(f"protocol name {name!r} is defined twice")
        table[name] = entry
    return table


# --- errors --------------------------------------------------------------------------------

_CORE_ERRORS: Final[Mapping[str, ErrorSpec]] = {
    "bad_frame": ErrorSpec(
        "Die Nachricht ist nicht lesbar (kein msgpack-Objekt mit Typ, kein bekanntes Binärformat"
        " oder ein Textframe).",
        "The message cannot be read (not a msgpack map with a type, not a known binary frame,"
        " or a text frame).",
    ),
    "frame_too_large": ErrorSpec(
        "Die Nachricht ist zu groß.", "The message is larger than the server accepts.", 1009
    ),
    "unknown_type": ErrorSpec(
        "Dieser Nachrichtentyp ist unbekannt.", "This message type is not known."
    ),
    "bad_field": ErrorSpec(
        "Ein Feld fehlt, hat den falschen Typ oder liegt außerhalb der Grenzen.",
        "A field is missing, has the wrong type or is out of bounds.",
    ),
    "hello_required": ErrorSpec(
        "Zuerst muss eine hello-Nachricht kommen.", "The first message must be hello.", 4001
    ),
    "already_welcomed": ErrorSpec(
        "Diese Verbindung ist schon angemeldet.", "This connection has already said hello."
    ),
    "version_unsupported": ErrorSpec(
        "Diese Protokollversion wird nicht unterstützt; bitte die Seite neu laden.",
        "This protocol version is not supported; please reload the page.",
        4002,
    ),
    "token_invalid": ErrorSpec(
        "Die Anmeldung ist ungültig; bitte neu anmelden.",
        "The session token is not valid; please sign in again.",
        4003,
    ),
    "token_expired": ErrorSpec(
        "Die Anmeldung ist abgelaufen; bitte neu anmelden.",
        "The session has expired; please sign in again.",
        4004,
    ),
    "token_revoked": ErrorSpec(
        "Diese Anmeldung wurde widerrufen (abgemeldet, gelöscht, gesperrt oder Konto"
        " deaktiviert); bitte neu anmelden.",
        "This sign-in was revoked (signed out, erased, banned or account disabled); please"
        " sign in again.",
        4010,
    ),
    "rate_limited": ErrorSpec(
        "Zu viele Nachrichten; einige wurden verworfen.",
        "Too many messages; some were dropped.",
    ),
    "flooding": ErrorSpec(
        "Die Verbindung wurde wegen zu vieler Nachrichten getrennt.",
        "Disconnected for sending far too many messages.",
        4005,
    ),
    "too_slow": ErrorSpec(
        "Die Verbindung kam zu lange nicht mit; sie wurde getrennt.",
        "The connection could not keep up for too long and was closed.",
        4006,
    ),
    "banned": ErrorSpec(
        "Du bist von diesem Hub ausgeschlossen.", "You have been banned from this hub.", 4009
    ),
    "replaced": ErrorSpec(
        "Diese Sitzung wurde in einer neueren Verbindung fortgesetzt.",
        "This session continued in a newer connection.",
        4007,
    ),
    "timeout": ErrorSpec(
        "Zu lange keine Nachricht; die Verbindung wurde getrennt.",
        "Nothing received for too long; the connection was closed.",
        4008,
    ),
    "server_closing": ErrorSpec(
        "Der Server wird neu gestartet; bitte gleich wieder verbinden.",
        "The server is restarting; please reconnect shortly.",
        1001,
    ),
    "internal": ErrorSpec(
        "Interner Serverfehler; bitte neu verbinden.",
        "Internal server error; please reconnect.",
        1011,
    ),
    "room_unknown": ErrorSpec("Diesen Raum gibt es nicht.", "There is no such room."),
    "room_unavailable": ErrorSpec(
        "Dieser Raum wird gerade von einem anderen Server übernommen; gleich noch einmal"
        " versuchen.",
        "This room is being taken over by another server right now; try again in a moment.",
    ),
    "instance_unknown": ErrorSpec(
        "Diese Raum-Instanz gibt es nicht (mehr).", "This room instance does not exist (any more)."
    ),
    "not_in_room": ErrorSpec(
        "Dafür musst du in einem Raum sein.", "You need to be in a room for this."
    ),
    "not_waiting": ErrorSpec("Du wartest auf keinen Raum.", "You are not waiting for a room."),
    "chat_empty": ErrorSpec("Die Nachricht ist leer.", "The message is empty."),
    "chat_too_long": ErrorSpec("Die Nachricht ist zu lang.", "The message is too long."),
    "recipient_unknown": ErrorSpec(
        "Diese Person ist nicht (mehr) da.", "This person is not here (any more)."
    ),
    "chat_not_stored": ErrorSpec(
        "Die Nachricht konnte nicht gespeichert werden und wurde nicht gesendet; bitte noch"
        " einmal senden.",
        "The message could not be stored and was not sent; please send it again.",
    ),
    "emoji_unknown": ErrorSpec(
        "Diese Reaktion gibt es nicht.", "This reaction is not on the list."
    ),
    "bad_pose": ErrorSpec(
        "Die Position ist ungültig (keine endliche Zahl) und wurde verworfen.",
        "The pose is invalid (not a finite number) and was discarded.",
    ),
}
#: every error code of the table: the core's and those of the registered features
ERRORS: Final[Mapping[str, ErrorSpec]] = dict(_CORE_ERRORS)

#: Close codes used without an error message first (normal ends).
CLOSE_NORMAL: Final = 1000


class ProtocolError(Exception):
    """A received frame that breaks the protocol; ``code`` is a key of ``ERRORS``."""

    def __init__(self, code: str, detail: str, *, about: str | None = None) -> None:
        if code not in ERRORS:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.about = about

    @property
    def fatal(self) -> bool:
        return ERRORS[self.code].close is not None


# --- the message table ---------------------------------------------------------------------
# Its vocabulary (FieldSpec, MessageSpec, the field helpers) is server/protocol/message_spec.py.

_VEC3 = FieldSpec(
    "pos", "list", "position [x, y, z] in metres", items=_float("", "metres"), length=3
)
_APPEARANCE = APPEARANCE_FIELD
_PERSON = (
    _int("net", "avatar number in this room instance (the snapshot's net field)"),
    _str("session", "session id of the person"),
    _str("name", "display name (plain text, never HTML)", max_len=80),
    _str("role", "role", choices=("visitor", "facilitator", "staff")),
    FieldSpec("guest", "bool", "signed in as a guest"),
    _APPEARANCE,
    FieldSpec("away", "bool", "connection lost; held for the reconnection grace period"),
)
_INSTANCE = FieldSpec(
    "instances",
    "list",
    "instances of the room (0 is the main one; others are overflow copies)",
    items=FieldSpec(
        "",
        "map",
        "one instance",
        fields=(
            _int("instance", "instance number"),
            _int("occupancy", "people in it now", hi=1 << 20),
            _int("waiting", "people queued for it", hi=1 << 20),
        ),
    ),
)
_ROOM_INFO = FieldSpec(
    "",
    "map",
    "one room of the world",
    fields=(
        _str("id", "room id"),
        FieldSpec(
            "names",
            "map",
            "display names",
            fields=(_str("de", "German", max_len=200), _str("en", "English", max_len=200)),
        ),
        _str("kind", "kind of room (from the world model)"),
        _int("capacity", "people per instance", hi=1 << 20),
        _INSTANCE,
    ),
)
_CHAT_LINE = (
    _str("id", "message id (uuid4 hex)"),
    _str("room", "room id"),
    _int("instance", "room instance"),
    _str("from", "sender's session id; nil for messages from before a restart", nullable=True),
    _str("name", "sender's display name (plain text)", max_len=80),
    _str("text", "the message (plain text, never HTML)", max_len=MAX_CHAT_CHARS_HARD),
    _str("to", "recipient's session id for a direct message, else nil", nullable=True),
    _float("ts", "server time (Unix seconds)"),
)
_YAW = _float("yaw", "radians about +Y, -pi..pi; 0 looks along -Z (three.js camera), pi/2 along -X")
_PITCH = _float("pitch", "rotation about X in radians, -pi/2..pi/2, positive looks up")

# --- the core's client messages -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hello(TypedMessage):
    spec = MessageSpec(
        "hello",
        "client",
        "First message on every connection: protocol version, session token, language,"
        " avatar; optionally a room (and instance) to start in and a resume key from an"
        " earlier welcome.",
        (
            _int("v", "protocol version the client speaks"),
            _str("token", "session token from POST /api/session", max_len=MAX_TOKEN_CHARS),
            _str("lang", "language for server messages", choices=LANGUAGES),
            _APPEARANCE,
            _str("room", "room id to start in (default: the entrance)", required=False),
            _int(
                "instance",
                "instance of that room (after a redirect; default: the main one)",
                required=False,
            ),
            _str("resume", "resume key from an earlier welcome", required=False),
        ),
    )
    version: int
    token: str
    lang: str
    appearance: Appearance
    room: str | None = None
    resume: str | None = None
    instance: int | None = None

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> Hello:
        return cls(
            fields["v"],
            fields["token"],
            fields["lang"],
            Appearance.from_fields(fields["appearance"]),
            fields.get("room"),
            fields.get("resume"),
            fields.get("instance"),
        )


@dataclass(frozen=True, slots=True)
class Ping(TypedMessage):
    spec = MessageSpec(
        "ping",
        "client",
        f"Heartbeat, every {PING_INTERVAL_S:g} s; answered by pong.",
        (_float("c", "the client's clock, echoed back (any unit)"),),
    )
    c: float


@dataclass(frozen=True, slots=True)
class Go(TypedMessage):
    spec = MessageSpec(
        "go",
        "client",
        "Jump to a room's spawn point (the room list); without instance the server picks"
        " the main instance, or answers room_full.",
        (
            _str("room", "room id"),
            _int("instance", "a specific instance (from room_full or rooms)", required=False),
        ),
    )
    room: str
    instance: int | None = None


@dataclass(frozen=True, slots=True)
class Wait(TypedMessage):
    spec = MessageSpec(
        "wait",
        "client",
        "Queue for a full room instance; admitted in order as places free up.",
        (_str("room", "room id"), _int("instance", "instance to wait for")),
    )
    room: str
    instance: int


@dataclass(frozen=True, slots=True)
class CancelWait(TypedMessage):
    spec = MessageSpec("cancel_wait", "client", "Leave the queue you are in.")


@dataclass(frozen=True, slots=True)
class Chat(TypedMessage):
    spec = MessageSpec(
        "chat",
        "client",
        "A chat message to your room instance, or directly to one person.",
        (
            _str("text", "plain text", max_len=MAX_CHAT_CHARS_HARD),
            _str("to", "recipient's session id (direct message)", required=False),
        ),
    )
    text: str
    to: str | None = None


@dataclass(frozen=True, slots=True)
class React(TypedMessage):
    spec = MessageSpec(
        "react",
        "client",
        "An emoji reaction shown above your avatar.",
        (_str("emoji", "one of the allowed emoji (see emoji)", max_len=16),),
    )
    emoji: str


@dataclass(frozen=True, slots=True)
class Look(TypedMessage):
    spec = MessageSpec(
        "look",
        "client",
        "Change how your avatar looks (the settings); everyone in your room instance gets look.",
        (_APPEARANCE,),
    )
    appearance: Appearance

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> Look:
        return cls(Appearance.from_fields(fields["appearance"]))


@dataclass(frozen=True, slots=True)
class Bye(TypedMessage):
    spec = MessageSpec("bye", "client", "Leaving on purpose: no reconnection grace.")


@dataclass(frozen=True, slots=True)
class Pose:
    """A client pose frame, kept as its raw bytes: the tick reads a batch with numpy (a
    binary frame of its own, not a message of the table)."""

    frame: bytes


ClientMessage = (
    Hello | Ping | Go | Wait | CancelWait | Chat | React | Look | Bye | Pose | FeatureMessage
)

#: the typed class of each of the core's client messages by wire name
_CORE_MESSAGE_TYPES: Final[Mapping[str, type[TypedMessage]]] = {
    kind.spec.type: kind for kind in (Hello, Ping, Go, Wait, CancelWait, Chat, React, Look, Bye)
}
#: the typed class of every client message of the table by wire name, the core's first
MESSAGE_TYPES: Final[Mapping[str, type[TypedMessage]]] = dict(_CORE_MESSAGE_TYPES)
#: the wire name of each typed client message
TYPE_NAMES: Final[Mapping[type, str]] = {
    **{kind: name for name, kind in MESSAGE_TYPES.items()},
    Pose: "pose",
}
CLIENT_MESSAGES: Final[Mapping[str, MessageSpec]] = {
    name: kind.spec for name, kind in MESSAGE_TYPES.items()
}


def _error_message(codes: Iterable[str]) -> MessageSpec:
    """The ``error`` message, its ``code`` one of ``codes``."""
    return MessageSpec(
        "error",
        "server",
        "Something you sent was refused; fatal codes are followed by a close.",
        (
            _str("code", "error code (see errors)", choices=tuple(codes)),
            _str("message", "a sentence in the session language", max_len=500),
            _str("about", "type of the message it refers to", required=False),
        ),
    )


_CORE_SERVER_MESSAGES: Final[Mapping[str, MessageSpec]] = {
    m.type: m
    for m in (
        MessageSpec(
            "welcome",
            "server",
            "Answer to hello. The room join result (joined or room_full) follows.",
            (
                _str("session", "your session id"),
                FieldSpec(
                    "identity",
                    "map",
                    "who you are",
                    fields=(
                        _str("id", "identity id"),
                        _str("name", "display name", max_len=80),
                        _str("role", "role", choices=("visitor", "facilitator", "staff")),
                        FieldSpec("guest", "bool", "guest identity"),
                    ),
                ),
                _float("time", "server time (Unix seconds)"),
                _int("tick_hz", "snapshots per second"),
                FieldSpec(
                    "grid",
                    "map",
                    "how snapshot positions decode: pos = origin + q * step",
                    fields=(
                        FieldSpec(
                            "origin", "list", "[x, y, z] metres", items=_float("", "m"), length=3
                        ),
                        _float("step", "metres per unit"),
                    ),
                ),
                FieldSpec("rooms", "list", "every room with its instances", items=_ROOM_INFO),
                _str("resume", "resume key: send it in hello after a dropped connection"),
                FieldSpec("resumed", "bool", "this connection continued an earlier session"),
                FieldSpec(
                    "limits",
                    "map",
                    "this server's limits",
                    fields=(
                        _int("chat_max_chars", "longest chat message"),
                        _float("max_speed", "metres per second"),
                        _int("max_pose_hz", "most poses per second"),
                        _float("reconnect_grace_s", "how long a dropped session is kept"),
                        _float("ping_interval_s", "how often to ping"),
                        _float("idle_timeout_s", "silence after which the server closes"),
                        _int("interest_near", "avatars sent every tick"),
                        _int("interest_far_every", "ticks between updates of the rest"),
                    ),
                ),
            ),
        ),
        MessageSpec(
            "joined",
            "server",
            "You are now in a room instance: who is there, your avatar number and pose, the"
            " last chat messages. Snapshots for it carry its serial.",
            (
                _str("room", "room id"),
                _int("instance", "instance number"),
                _int("serial", "instance serial (in every snapshot header)"),
                _int("capacity", "people per instance", hi=1 << 20),
                _int("you", "your net number (your own entries may appear in snapshots)"),
                _str(
                    "via",
                    "how you got here (moved: a facilitator or moderator moved you)",
                    choices=("hello", "go", "door", "queue", "resume", "moved"),
                ),
                FieldSpec(
                    "pose",
                    "map",
                    "your pose now",
                    fields=(_VEC3, _YAW, _PITCH),
                ),
                FieldSpec(
                    "presence",
                    "list",
                    "everyone in the instance, you included",
                    items=FieldSpec("", "map", "one person", fields=_PERSON),
                ),
                FieldSpec(
                    "chat",
                    "list",
                    "last room messages, oldest first",
                    items=FieldSpec("", "map", "one message", fields=_CHAT_LINE),
                ),
            ),
        ),
        MessageSpec(
            "room_full",
            "server",
            "The instance you asked for is full. Choose: go to another instance listed here"
            " (an overflow instance with room is always listed) or wait for this one.",
            (
                _str("room", "room id"),
                _int("instance", "the full instance"),
                _int("capacity", "people per instance", hi=1 << 20),
                _INSTANCE,
                _int("suggested", "an instance with room for you"),
            ),
        ),
        MessageSpec(
            "redirect",
            "server",
            "The room instance you are going to is run by another server process of this hub:"
            " connect to url and say hello there with room, instance and your resume key."
            " The server closes this connection normally (1000) right after.",
            (
                _str("url", "the owning process's realtime WebSocket URL (ws:// or wss://)"),
                _str("room", "room id"),
                _int("instance", "room instance"),
                _str("reason", "why", choices=REDIRECT_REASONS),
            ),
        ),
        MessageSpec(
            "queued",
            "server",
            "Your place in a queue; position 0 means you are no longer waiting.",
            (
                _str("room", "room id"),
                _int("instance", "instance"),
                _int("position", "1 is next; 0 no longer waiting", hi=1 << 20),
            ),
        ),
        MessageSpec(
            "presence_join",
            "server",
            "Someone entered your room instance.",
            _PERSON,
        ),
        MessageSpec(
            "presence_leave",
            "server",
            "Someone left your room instance.",
            (_int("net", "their net number"), _str("session", "their session id")),
        ),
        MessageSpec(
            "presence_update",
            "server",
            "Someone in your room instance lost or regained their connection.",
            (
                _int("net", "their net number"),
                _str("session", "their session id"),
                FieldSpec("away", "bool", "connection lost"),
            ),
        ),
        MessageSpec(
            "look",
            "server",
            "Someone in your room instance (you too) changed how their avatar looks.",
            (
                _int("net", "their net number"),
                _str("session", "their session id"),
                _APPEARANCE,
            ),
        ),
        MessageSpec(
            "rooms",
            "server",
            "Occupancy changed (sent at most once a second).",
            (FieldSpec("rooms", "list", "every room with its instances", items=_ROOM_INFO),),
        ),
        MessageSpec("chat", "server", "A chat message (room or direct).", _CHAT_LINE),
        MessageSpec(
            "reaction",
            "server",
            "Someone in your room instance reacted.",
            (
                _str("from", "their session id"),
                _int("net", "their net number"),
                _str("emoji", "the emoji", max_len=8, choices=EMOJI),
            ),
        ),
        MessageSpec(
            "pose_fix",
            "server",
            "The server corrected your pose: put your avatar here. Poses you sent with a"
            " sequence number up to seq are superseded.",
            (
                _VEC3,
                _YAW,
                _PITCH,
                _int("seq", "last pose sequence number this accounts for"),
                _str(
                    "reason",
                    "why",
                    choices=(
                        "speed",
                        "wall",
                        "outside",
                        "invalid",
                        "full",
                        "spawn",
                        "gather",
                        "follow",
                        "world",
                    ),
                ),
            ),
        ),
        MessageSpec(
            "pong",
            "server",
            "Answer to ping: offset = s - (c_sent + c_received) / 2 in your clock.",
            (_float("c", "the client clock from ping"), _float("s", "server time (Unix seconds)")),
        ),
        _error_message(_CORE_ERRORS),
    )
}
#: every server message of the table by wire name, the core's first
SERVER_MESSAGES: Final[Mapping[str, MessageSpec]] = dict(_CORE_SERVER_MESSAGES)


@dataclass(frozen=True)
class _Tables:
    """The table's lookups for the core and a list of features, checked: a name (message
    type or error code) may be used only once."""

    errors: dict[str, ErrorSpec]
    types: dict[str, type[TypedMessage]]
    server: dict[str, MessageSpec]

    @classmethod
    def of(cls, features: Iterable[FeatureMessages]) -> _Tables:
        features = tuple(features)
        errors = _with_features(
            _CORE_ERRORS, ((code, s) for f in features for code, s in f.errors.items())
        )
        types = _with_features(
            _CORE_MESSAGE_TYPES, ((kind.spec.type, kind) for f in features for kind in f.client)
        )
        server = _with_features(
            {**_CORE_SERVER_MESSAGES, "error": _error_message(errors)},
            ((spec.type, spec) for f in features for spec in f.server),
        )
        return cls(errors, types, server)


def register(messages: FeatureMessages) -> None:
    """Make a feature's messages and error codes part of the table: the edge decodes its
    client messages, its codes are errors like the core's. Registering the same object again
    does nothing; a feature name, message type or error code already taken by something else
    is a ``ValueError``, and the table is left as it was."""
    known = _FEATURES.get(messages.feature)
    if known is messages:
        return
    if known is not None:
        raise ValueError(f"feature {messages.feature!r} is registered with other messages")
    tables = _Tables.of([*_FEATURES.values(), messages])
    _FEATURES[messages.feature] = messages
    for live, new in (
        (ERRORS, tables.errors),
        (MESSAGE_TYPES, tables.types),
        (SERVER_MESSAGES, tables.server),
        (CLIENT_MESSAGES, {name: kind.spec for name, kind in tables.types.items()}),
        (TYPE_NAMES, {**{kind: name for name, kind in tables.types.items()}, Pose: "pose"}),
    ):
        table = cast(dict[Any, Any], live)
        table.clear()
        table.update(new)


def registered() -> tuple[FeatureMessages, ...]:
    """The features registered so far, in the order they were."""
    return tuple(_FEATURES.values())


# --- validation ----------------------------------------------------------------------------


def _check(spec: FieldSpec, value: Any, path: str) -> Any:
    """The value, normalised (ints in float fields become floats), or ProtocolError."""
    if value is None and spec.nullable:
        return None
    kind = spec.kind
    if kind == "str":
        if not isinstance(value, str):
            raise ProtocolError("bad_field", f"{path} must be a string")
        if spec.max_len is not None and len(value) > spec.max_len:
            raise ProtocolError("bad_field", f"{path} is longer than {spec.max_len} characters")
        if spec.choices is not None and value not in spec.choices:
            raise ProtocolError("bad_field", f"{path} must be one of {', '.join(spec.choices)}")
        if spec.pattern is not None and not re.match(spec.pattern, value):
            raise ProtocolError("bad_field", f"{path} must match {spec.pattern}")
        return value
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise ProtocolError("bad_field", f"{path} must be an integer")
        _check_range(spec, value, path)
        return value
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ProtocolError("bad_field", f"{path} must be a number")
        number = float(value)
        if not math.isfinite(number):
            raise ProtocolError("bad_field", f"{path} must be finite (no NaN or infinity)")
        _check_range(spec, number, path)
        return number
    if kind == "bool":
        if not isinstance(value, bool):
            raise ProtocolError("bad_field", f"{path} must be true or false")
        return value
    if kind == "map":
        if not isinstance(value, dict):
            raise ProtocolError("bad_field", f"{path} must be a map")
        return _check_fields(spec.fields, value, path + ".")
    if kind == "list":
        if not isinstance(value, list):
            raise ProtocolError("bad_field", f"{path} must be a list")
        if spec.length is not None and len(value) != spec.length:
            raise ProtocolError("bad_field", f"{path} must have {spec.length} items")
        if spec.max_len is not None and len(value) > spec.max_len:
            raise ProtocolError("bad_field", f"{path} has more than {spec.max_len} items")
        assert spec.items is not None
        return [_check(spec.items, item, f"{path}[{i}]") for i, item in enumerate(value)]
    raise ProtocolError("bad_field", f"{path} has an unsupported kind")


def _check_range(spec: FieldSpec, value: float, path: str) -> None:
    if spec.min is not None and value < spec.min:
        raise ProtocolError("bad_field", f"{path} must be at least {spec.min:g}")
    if spec.max is not None and value > spec.max:
        raise ProtocolError("bad_field", f"{path} must be at most {spec.max:g}")


def _check_fields(
    fields: tuple[FieldSpec, ...], data: dict[Any, Any], prefix: str
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for spec in fields:
        if spec.name not in data:
            if spec.required:
                raise ProtocolError("bad_field", f"{prefix}{spec.name} is missing")
            continue
        out[spec.name] = _check(spec, data[spec.name], prefix + spec.name)
    return out


def _reject_ext(code: int, data: bytes) -> Any:
    raise ValueError(f"msgpack extension type {code} is not used by this protocol")


def _unpack(frame: bytes) -> Any:
    return msgpack.unpackb(frame, raw=False, ext_hook=_reject_ext, strict_map_key=True)


def decode_client(frame: bytes | bytearray | memoryview | str) -> ClientMessage:
    """One frame from a client as a typed message; ``ProtocolError`` if it is not valid.

    Poses come back as ``Pose`` with their raw bytes (only tag and length are checked here;
    the tick checks their numbers, vectorised, and answers ``bad_pose``)."""
    if isinstance(frame, str):
        raise ProtocolError("bad_frame", "text frames are not used; send binary frames")
    data = bytes(frame)
    if not data:
        raise ProtocolError("bad_frame", "empty frame")
    if data[0] == POSE_TAG:
        if len(data) != POSE_SIZE:
            raise ProtocolError(
                "bad_frame", f"a pose frame is {POSE_SIZE} bytes, not {len(data)}", about="pose"
            )
        return Pose(data)
    try:
        message = _unpack(data)
    except Exception as exc:
        raise ProtocolError("bad_frame", f"not msgpack: {type(exc).__name__}") from None
    if not isinstance(message, dict):
        raise ProtocolError("bad_frame", "a control message must be a msgpack map")
    kind = message.get("t")
    if not isinstance(kind, str):
        raise ProtocolError("bad_frame", 'a control message needs a string "t" (its type)')
    spec = CLIENT_MESSAGES.get(kind)
    if spec is None:
        raise ProtocolError("unknown_type", f"unknown message type {kind[:40]!r}")
    try:
        values = _check_fields(spec.fields, message, "")
    except ProtocolError as exc:
        exc.about = kind
        raise
    return cast(ClientMessage, MESSAGE_TYPES[kind].from_fields(values))


def validate_server(message: Mapping[str, Any]) -> dict[str, Any]:
    """Check a server message against the table (used by tests of everything that sends)."""
    kind = message.get("t")
    spec = SERVER_MESSAGES.get(kind) if isinstance(kind, str) else None
    if spec is None:
        raise ProtocolError("unknown_type", f"unknown server message type {kind!r}")
    extra = set(message) - {"t"} - {f.name for f in spec.fields}
    if extra:
        raise ProtocolError("bad_field", f"{kind}: fields not in the table: {sorted(extra)}")
    return _check_fields(spec.fields, dict(message), f"{kind}.")


# --- encoding ------------------------------------------------------------------------------


def encode(kind: str, **fields: Any) -> bytes:
    """One server control message as a binary frame: ``{"t": kind, **fields}``."""
    fields["t"] = kind
    return msgpack.packb(fields, use_bin_type=True)


def error_frame(code: str, lang: str, detail: str | None = None, about: str | None = None) -> bytes:
    """An ``error`` message: the code and a sentence in ``lang``, plus the detail if any."""
    text = ERRORS[code].message(lang)
    if detail:
        text = f"{text} ({detail})"[:500]
    if about is None:
        return encode("error", code=code, message=text)
    return encode("error", code=code, message=text, about=about)


def close_reason(code: str, detail: str | None = None) -> tuple[int, str]:
    """The WebSocket close code and reason (English, at most 123 bytes) for a fatal error."""
    spec = ERRORS[code]
    if spec.close is None:
        raise ValueError(f"{code} does not close the connection")
    reason = f"{code}: {detail or spec.en}"
    encoded = reason.encode()[:123]
    return spec.close, encoded.decode("utf-8", errors="ignore")


def decode_server(frame: bytes) -> dict[str, Any]:
    """A server control message as a dict (for tests and tools)."""
    message = _unpack(frame)
    if not isinstance(message, dict):
        raise ProtocolError("bad_frame", "not a control message")
    return message


def encode_pose(seq: int, x: float, y: float, z: float, yaw: float, pitch: float) -> bytes:
    """A client pose frame (what the browser sends; used by tests and load generators)."""
    return struct.pack(POSE_FORMAT, POSE_TAG, seq & 0xFFFF, x, y, z, yaw, pitch)


@dataclass(frozen=True)
class Snapshot:
    """A decoded snapshot frame (for tests and load generators; the browser has its own)."""

    flags: int
    serial: int
    tick: int
    time: float
    entries: np.ndarray

    @property
    def full(self) -> bool:
        return bool(self.flags & SNAPSHOT_FULL)


def decode_snapshot(frame: bytes) -> Snapshot:
    tag, flags, serial, tick, when = SNAPSHOT_HEADER.unpack_from(frame)
    body = len(frame) - SNAPSHOT_HEADER_SIZE
    if tag != SNAPSHOT_TAG or body % SNAPSHOT_ENTRY.itemsize:
        raise ProtocolError("bad_frame", "not a snapshot frame")
    entries = np.frombuffer(frame, SNAPSHOT_ENTRY, offset=SNAPSHOT_HEADER_SIZE)
    return Snapshot(flags, serial, tick, when, entries)


# --- the table, JSON-ready -----------------------------------------------------------------


def _layout(parts: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
    sizes = {"u8": 1, "i8": 1, "u16": 2, "i16": 2, "u32": 4, "f32": 4, "f64": 8}
    offset = 0
    out = []
    for name, kind, doc in parts:
        out.append({"name": name, "type": kind, "offset": offset, "size": sizes[kind], "doc": doc})
        offset += sizes[kind]
    return out


POSE_LAYOUT: Final = _layout(
    [
        ("tag", "u8", "0x50 ('P')"),
        ("seq", "u16", "pose sequence number, wraps at 65536 (echoed in pose_fix)"),
        ("x", "f32", "metres"),
        ("y", "f32", "metres (up)"),
        ("z", "f32", "metres"),
        ("yaw", "f32", "radians about +Y; 0 looks along -Z (three.js camera)"),
        ("pitch", "f32", "radians about X, positive looks up"),
    ]
)
SNAPSHOT_HEADER_LAYOUT: Final = _layout(
    [
        ("tag", "u8", "0x53 ('S')"),
        ("flags", "u8", "bit 0 full: every avatar of the instance; bit 1 far: whole-room update"),
        ("serial", "u16", "instance serial from joined; ignore snapshots of another serial"),
        ("tick", "u32", "server tick number"),
        ("time", "f64", "server time of the tick (Unix seconds)"),
    ]
)
SNAPSHOT_ENTRY_LAYOUT: Final = _layout(
    [
        ("net", "u16", "avatar number (presence net)"),
        ("x", "i16", "x = grid.origin[0] + x * grid.step"),
        ("y", "i16", "y = grid.origin[1] + y * grid.step"),
        ("z", "i16", "z = grid.origin[2] + z * grid.step"),
        ("yaw", "i16", "yaw = yaw * pi / 32768"),
        ("pitch", "i8", "pitch = pitch * (pi / 2) / 127"),
        ("flags", "u8", "bit 0 snap: teleported, do not interpolate; bit 1 away: connection lost"),
    ]
)
assert POSE_LAYOUT[-1]["offset"] + 4 == POSE_SIZE
assert SNAPSHOT_ENTRY_LAYOUT[-1]["offset"] + 1 == SNAPSHOT_ENTRY.itemsize == 12
assert SNAPSHOT_HEADER_LAYOUT[-1]["offset"] + 8 == SNAPSHOT_HEADER_SIZE


def describe(
    settings: Settings | None = None, features: Iterable[FeatureMessages] = ()
) -> dict[str, Any]:
    """The protocol of the core and ``features``, JSON-ready: what ``GET /api/protocol``
    serves (the composition root passes every feature, ``server/app/protocol_features.py``).

    Limits that an operator can change come from ``settings`` (the defaults without it);
    the ``welcome`` message always carries the values of the server answering."""
    from server.base.settings import Settings

    live = settings or Settings()
    tables = _Tables.of(features)
    return {
        "version": PROTOCOL_VERSION,
        "supported_versions": list(SUPPORTED_VERSIONS),
        "endpoint": {"path": "/ws", "frames": "binary only, one message per frame"},
        "control": {"encoding": "msgpack map", "type_key": "t", "unknown_fields": "ignored"},
        "messages": {
            "client": {k: kind.spec.describe() for k, kind in tables.types.items()},
            "server": {k: m.describe() for k, m in tables.server.items()},
        },
        "binary": {
            "byte_order": "little-endian",
            "pose": {"tag": POSE_TAG, "size": POSE_SIZE, "layout": POSE_LAYOUT},
            "snapshot": {
                "tag": SNAPSHOT_TAG,
                "header_size": SNAPSHOT_HEADER_SIZE,
                "header": SNAPSHOT_HEADER_LAYOUT,
                "entry_size": SNAPSHOT_ENTRY.itemsize,
                "entry": SNAPSHOT_ENTRY_LAYOUT,
                "flags": {"full": SNAPSHOT_FULL, "far": SNAPSHOT_FAR},
                "entry_flags": {"snap": ENTRY_SNAP, "away": ENTRY_AWAY},
            },
        },
        "errors": {
            code: {"de": spec.de, "en": spec.en, "close": spec.close}
            for code, spec in tables.errors.items()
        },
        "limits": {
            "max_frame_bytes": live.max_frame_bytes,
            "max_messages_per_s": live.max_messages_per_s,
            "max_pose_hz": live.tick_hz,
            "tick_hz": live.tick_hz,
            "chat_max_chars": live.chat_max_chars,
            "chat_history": live.chat_history,
            "max_speed": live.max_speed,
            "reconnect_grace_s": live.reconnect_grace_s,
            "interest_near": live.interest_near,
            "interest_far_every": live.interest_far_every,
            "slow_client_limit_s": live.slow_client_limit_s,
            "ping_interval_s": PING_INTERVAL_S,
            "idle_timeout_s": IDLE_TIMEOUT_S,
            "hello_timeout_s": HELLO_TIMEOUT_S,
            "chat_burst": CHAT_BURST,
            "chat_per_s": CHAT_PER_S,
            "react_burst": REACT_BURST,
            "react_per_s": REACT_PER_S,
            "move_burst": MOVE_BURST,
            "move_per_s": MOVE_PER_S,
        },
        "appearance": {name: list(choices) for name, choices in CHOICES.items()},
        "emoji": list(EMOJI),
        "languages": list(LANGUAGES),
    }
