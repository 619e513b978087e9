"""Moderation: its part of the realtime protocol (registered in the one
protocol table, ``server/protocol/table.py``).

Facilitators and staff mute someone's chat, remove someone from a room, ban someone from
the hub, lock a room, set what a room allows (chat, reactions, who moves the screens) and
let someone into a locked room. The server enforces all of it (``server/workshop/moderation.py``,
through the core's room rules); every action is written to the audit log.
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
from server.protocol.message_spec import float_field as _float
from server.protocol.message_spec import int_field as _int
from server.protocol.message_spec import str_field as _str

SPEAKERS: Final = ("everyone", "facilitators")
SCREEN_CONTROL: Final = ("anyone", "facilitators", "staff")
MODERATION_ACTIONS: Final = ("muted", "unmuted", "removed", "banned", "invited")
MUTE_MAX_MIN: Final = 24 * 60
REMOVE_MAX_MIN: Final = 24 * 60
BAN_MAX_H: Final = 365 * 24
REASON_MAX_CHARS: Final = 200

_TARGET = _str("session", "whom: a session id (from presence)")


@dataclass(frozen=True, slots=True)
class Mute(FeatureMessage):
    spec = MessageSpec(
        "mute",
        "client",
        "Facilitators: stop (on) or let again someone's chat, for some minutes or until let again.",
        (
            _TARGET,
            FieldSpec("on", "bool", "mute or unmute"),
            _int("minutes", "how long", lo=1, hi=MUTE_MAX_MIN, required=False),
        ),
    )
    session: str
    on: bool
    minutes: int | None


@dataclass(frozen=True, slots=True)
class Remove(FeatureMessage):
    spec = MessageSpec(
        "remove",
        "client",
        "Facilitators: send someone out of your room to the entrance; they cannot come back"
        " in for some minutes (default 30).",
        (
            _TARGET,
            _int("minutes", "how long they stay out", lo=1, hi=REMOVE_MAX_MIN, required=False),
        ),
    )
    session: str
    minutes: int | None


@dataclass(frozen=True, slots=True)
class BanPerson(FeatureMessage):
    spec = MessageSpec(
        "ban",
        "client",
        "Facilitators: keep someone out of the hub (their guest identity or account), for"
        " some hours or until staff lift it; they are disconnected at once.",
        (
            _TARGET,
            _int("hours", "how long (absent: until lifted)", lo=1, hi=BAN_MAX_H, required=False),
            _str("reason", "why (for the audit log)", max_len=REASON_MAX_CHARS, required=False),
        ),
    )
    session: str
    hours: int | None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Lock(FeatureMessage):
    spec = MessageSpec(
        "lock",
        "client",
        "Facilitators: lock your room (nobody new comes in except facilitators, staff, the"
        " workshop's invited and whoever you invite) or open it again.",
        (FieldSpec("on", "bool", "lock or open"),),
    )
    on: bool


@dataclass(frozen=True, slots=True)
class Permissions(FeatureMessage):
    spec = MessageSpec(
        "permissions",
        "client",
        "Facilitators: what your room allows: who may chat and react (everyone or"
        " facilitators only: chat off), who moves the screens. Fields left out stay.",
        (
            _str("chat", "who may chat", choices=SPEAKERS, required=False),
            _str("reactions", "who may react", choices=SPEAKERS, required=False),
            _str("screens", "who controls the screens", choices=SCREEN_CONTROL, required=False),
        ),
    )
    chat: str | None
    reactions: str | None
    screens: str | None


@dataclass(frozen=True, slots=True)
class Invite(FeatureMessage):
    spec = MessageSpec(
        "invite",
        "client",
        "Facilitators: let someone (anywhere in the hub) into your locked room; they are told.",
        (_TARGET,),
    )
    session: str


MODERATION_MESSAGES: Final = FeatureMessages(
    feature="moderation",
    client=(Mute, Remove, BanPerson, Lock, Permissions, Invite),
    server=(
        MessageSpec(
            "room_rules",
            "server",
            "What your room allows now, and whether you are muted (on entering and on"
            " every change).",
            (
                _str("room", "room id"),
                FieldSpec("locked", "bool", "nobody new comes in except the invited"),
                _str("chat", "who may chat", choices=SPEAKERS),
                _str("reactions", "who may react", choices=SPEAKERS),
                _str("screens", "who controls the screens", choices=SCREEN_CONTROL),
                FieldSpec("muted", "bool", "your chat is stopped"),
                _float("muted_until", "until when (nil: until let again)", nullable=True),
            ),
        ),
        MessageSpec(
            "moderated",
            "server",
            "A facilitator did something about you.",
            (
                _str("action", "what", choices=MODERATION_ACTIONS),
                _str("by", "their display name", max_len=80),
                _str("room", "the room it concerns", nullable=True),
                _float("until", "until when (nil: no end set)", nullable=True),
            ),
        ),
    ),
    errors={
        "not_moderator": ErrorSpec(
            "Das dürfen hier nur Moderierende (die Workshopleitung oder das Team).",
            "Only moderators (the workshop's facilitators or staff) may do this here.",
        ),
        "target_protected": ErrorSpec(
            "Diese Person kannst du nicht moderieren (gleiche oder höhere Rolle).",
            "You cannot moderate this person (same or higher role).",
        ),
        "entrance_protected": ErrorSpec(
            "Der Eingangsbereich lässt sich nicht abschließen, und niemand wird aus ihm entfernt.",
            "The entrance cannot be locked, and nobody is removed from it.",
        ),
        "chat_muted": ErrorSpec(
            "Dein Chat ist gerade stummgeschaltet.", "Your chat has been muted for now."
        ),
        "reactions_muted": ErrorSpec(
            "Du bist gerade stummgeschaltet; auch Reaktionen gehen nicht.",
            "You have been muted for now; reactions are muted too.",
        ),
        "chat_off": ErrorSpec(
            "Der Chat ist in diesem Raum gerade aus.", "Chat is turned off in this room."
        ),
        "reactions_off": ErrorSpec(
            "Reaktionen sind in diesem Raum gerade aus.", "Reactions are turned off in this room."
        ),
        "room_locked": ErrorSpec(
            "Dieser Raum ist abgeschlossen; nur Eingeladene kommen hinein.",
            "This room is locked; only invited people may come in.",
        ),
        "removed_from_room": ErrorSpec(
            "Du wurdest aus diesem Raum geschickt und kannst vorerst nicht zurück.",
            "You were sent out of this room and cannot come back for now.",
        ),
    },
)
