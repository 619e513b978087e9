"""Consulting hours in the realtime protocol (registered in the one
protocol table, ``server/protocol/table.py``).

An advisor opens a desk at a consulting corner (``consult_desk``); visitors queue for it
with a topic (``consult_queue``); the advisor calls the next one in (``consult_call``) and
both are moved into the corner's booth, a room of their own that nobody else enters or
hears. In the booth they write beside the voice (``consult_say``, never stored), the advisor
hands over notes (``consult_notes``; the visitor saves them with POST
/api/consulting/notes), and either ends it (``consult_end``). ``consult_state`` tells each
person where they stand after every change. Hours and bookings are REST
(``server/features/consulting/http.py``, docs/consulting.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from server.domain.consulting import MAX_CHECKLIST, MAX_TEXT, MAX_TOPIC_TEXT
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

MAX_LINE: Final = 1000


@dataclass(frozen=True, slots=True)
class ConsultDesk(FeatureMessage):
    spec = MessageSpec(
        "consult_desk",
        "client",
        "Advisors (accounts staff marked as advisors) open their desk at a consulting corner,"
        " or close it (the queue is told).",
        (
            FieldSpec("open", "bool", "open or close"),
            str_field("corner", "the corner (a booth anchor id; needed to open)", required=False),
        ),
    )
    open: bool
    corner: str | None = None


@dataclass(frozen=True, slots=True)
class ConsultQueue(FeatureMessage):
    spec = MessageSpec(
        "consult_queue",
        "client",
        "Queue for an open desk with what you want advice on (one queue at a time).",
        (
            str_field("advisor", "the advisor's session id (GET /api/consulting: open desks)"),
            str_field("topic", "what you want advice on", max_len=MAX_TOPIC_TEXT),
        ),
    )
    advisor: str
    topic: str


@dataclass(frozen=True, slots=True)
class ConsultLeave(FeatureMessage):
    spec = MessageSpec("consult_leave", "client", "Leave the queue you are in.", ())


@dataclass(frozen=True, slots=True)
class ConsultCall(FeatureMessage):
    spec = MessageSpec(
        "consult_call",
        "client",
        "The advisor calls the first in their queue (or the one named) into the booth.",
        (str_field("visitor", "a queued visitor's session id", required=False),),
    )
    visitor: str | None = None


@dataclass(frozen=True, slots=True)
class ConsultEnd(FeatureMessage):
    spec = MessageSpec(
        "consult_end",
        "client",
        "End the conversation (either side): both go back to the consulting room.",
        (),
    )


@dataclass(frozen=True, slots=True)
class ConsultSay(FeatureMessage):
    spec = MessageSpec(
        "consult_say",
        "client",
        "A line in the booth's text chat (links, notes): to the other side only, never stored.",
        (str_field("text", "the line", max_len=MAX_LINE),),
    )
    text: str


@dataclass(frozen=True, slots=True)
class ConsultNotes(FeatureMessage):
    spec = MessageSpec(
        "consult_notes",
        "client",
        "The advisor hands notes and a checklist to the visitor in the booth (kept in memory"
        " until the visitor saves them to their passport or leaves).",
        (
            str_field("text", "the notes (may be empty with a checklist)", max_len=MAX_TEXT),
            FieldSpec(
                "checklist",
                "list",
                "checklist items",
                required=False,
                max_len=MAX_CHECKLIST,
                items=str_field("item", "one item", max_len=MAX_TOPIC_TEXT),
            ),
        ),
    )
    text: str
    checklist: tuple[str, ...] = ()


_QUEUED = FieldSpec(
    "visitor",
    "map",
    "one queued visitor",
    fields=(
        str_field("session", "their session id"),
        str_field("name", "display name", max_len=80),
        str_field("topic", "what they want advice on", max_len=MAX_TOPIC_TEXT),
        float_field("since", "when they queued (epoch seconds)"),
    ),
)

_BOOTH = FieldSpec(
    "booth",
    "map",
    "the conversation you are in",
    nullable=True,
    fields=(
        str_field("corner", "the corner"),
        str_field("room", "the room"),
        int_field("instance", "the booth's room instance"),
        str_field("with", "the other side's display name", max_len=80),
        str_field("role", "advisor or visitor", choices=("advisor", "visitor")),
        str_field("topic", "the visitor's topic", max_len=MAX_TOPIC_TEXT),
    ),
)

CONSULT_STATE = MessageSpec(
    "consult_state",
    "server",
    "Where you stand in consulting, after every change: your desk and its queue (advisors),"
    " the queue you are in and your place in it (visitors), the booth you are in.",
    (
        FieldSpec(
            "desk",
            "map",
            "your open desk",
            nullable=True,
            fields=(
                str_field("corner", "its corner"),
                FieldSpec("queue", "list", "who waits, in order", items=_QUEUED),
            ),
        ),
        FieldSpec(
            "queued",
            "map",
            "the queue you are in",
            nullable=True,
            fields=(
                str_field("advisor", "the advisor's session id"),
                str_field("name", "the advisor's name", max_len=80),
                int_field("position", "1: you are next", lo=1),
                str_field("topic", "your topic", max_len=MAX_TOPIC_TEXT),
            ),
        ),
        _BOOTH,
    ),
)

CONSULTING_MESSAGES: Final = FeatureMessages(
    feature="consulting",
    client=(
        ConsultDesk,
        ConsultQueue,
        ConsultLeave,
        ConsultCall,
        ConsultEnd,
        ConsultSay,
        ConsultNotes,
    ),
    server=(
        CONSULT_STATE,
        MessageSpec(
            "consult_line",
            "server",
            "A line of the booth's text chat (yours echoed too).",
            (
                str_field("name", "who wrote it", max_len=80),
                FieldSpec("mine", "bool", "you wrote it"),
                str_field("text", "the line", max_len=MAX_LINE),
                float_field("at", "when (epoch seconds)"),
            ),
        ),
        MessageSpec(
            "consult_handed",
            "server",
            "The advisor handed you notes: save them with POST /api/consulting/notes {id}.",
            (
                str_field("id", "the notes' id"),
                str_field("advisor", "who handed them", max_len=80),
                str_field("text", "the notes", max_len=MAX_TEXT),
                FieldSpec(
                    "checklist",
                    "list",
                    "checklist items",
                    items=str_field("item", "one item", max_len=MAX_TOPIC_TEXT),
                ),
            ),
        ),
        MessageSpec(
            "consult_ended",
            "server",
            "The conversation ended (by you, the other side, or because someone left).",
            (
                str_field("by", "who ended it", max_len=80),
                str_field(
                    "reason",
                    "ended or left (the other side left the booth or the hub)",
                    choices=("ended", "left"),
                ),
            ),
        ),
    ),
    errors={
        "not_advisor": ErrorSpec(
            "Nur als Beratung eingetragene Konten können das.",
            "Only accounts marked as advisors can do that.",
        ),
        "corner_unknown": ErrorSpec(
            "Diese Beratungsecke gibt es nicht.", "There is no such consulting corner."
        ),
        "corner_taken": ErrorSpec(
            "An dieser Beratungsecke sitzt schon jemand.", "Someone already sits at this corner."
        ),
        "desk_closed": ErrorSpec(
            "Diese Beratung ist gerade nicht geöffnet.", "This advisor's desk is not open now."
        ),
        "consult_busy": ErrorSpec(
            "Du bist schon in einer Warteschlange oder einem Gespräch.",
            "You are already in a queue or a conversation.",
        ),
        "queue_empty": ErrorSpec(
            "Niemand wartet (oder die Person ist nicht mehr da).",
            "Nobody is waiting (or that person is no longer there).",
        ),
        "not_in_booth": ErrorSpec(
            "Du bist in keinem Beratungsgespräch.", "You are not in a consulting conversation."
        ),
        "booth_private": ErrorSpec(
            "Hier läuft ein vertrauliches Beratungsgespräch.",
            "A private consulting conversation is taking place here.",
        ),
        "booth_chat": ErrorSpec(
            "In der Beratungskabine schreibt ihr im Chat der Beratung (er wird nicht gespeichert).",
            "In the booth, write in the consulting chat (it is not stored).",
        ),
        "consult_invalid": ErrorSpec(
            "Das geht so nicht (Thema oder Notizen fehlen oder sind zu lang).",
            "That does not work (topic or notes missing or too long).",
        ),
    },
)
