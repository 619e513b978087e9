"""Polls in a workshop: their part of the realtime protocol (registered in the one
protocol table, ``server/protocol/table.py``).

A facilitator of the workshop running here opens a poll (``poll_open``) and closes it
(``poll_close``); everyone in the workshop's rooms answers (``poll_answer``) and gets the
counts live (``poll_state``); the answerer gets their own answer back (``poll_answered``).
The rules are ``server/domain/polls.py``; the hub feature is ``server/features/polls/service.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Final

from server.domain.polls import (
    KINDS,
    OPTION_MAX_CHARS,
    OPTIONS_MAX,
    POLLS_MAX,
    QUESTION_MAX_CHARS,
)
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

_POLL_ID = str_field("poll", "poll id (poll_state.poll.id)")
_CHOICES = FieldSpec(
    "choices",
    "list",
    "the chosen options' indices (from 0; a scale's 1 is 0)",
    items=int_field("", "option index", hi=OPTIONS_MAX - 1),
    max_len=OPTIONS_MAX,
)


@dataclass(frozen=True, slots=True)
class PollOpen(FeatureMessage):
    spec: ClassVar[MessageSpec] = MessageSpec(
        "poll_open",
        "client",
        "Facilitators: ask the workshop running here a question. single: one option,"
        " multiple: one or more, scale: 1 to 5 (no options). One poll is open at a time.",
        (
            str_field("question", "the question", max_len=QUESTION_MAX_CHARS),
            str_field("kind", "single, multiple or scale", choices=KINDS),
            FieldSpec(
                "options",
                "list",
                "the options (2 to 8; none for a scale)",
                items=str_field("", "option", max_len=OPTION_MAX_CHARS),
                max_len=OPTIONS_MAX,
                required=False,
            ),
            FieldSpec("anonymous", "bool", "keep no names with the answers", required=False),
        ),
    )
    question: str
    kind: str
    options: tuple[str, ...] = ()
    anonymous: bool = False


@dataclass(frozen=True, slots=True)
class PollAnswer(FeatureMessage):
    spec: ClassVar[MessageSpec] = MessageSpec(
        "poll_answer",
        "client",
        "Answer an open poll of the workshop you are in; answering again before it closes"
        " replaces your answer.",
        (_POLL_ID, _CHOICES),
    )
    poll: str
    choices: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class PollClose(FeatureMessage):
    spec: ClassVar[MessageSpec] = MessageSpec(
        "poll_close",
        "client",
        "Facilitators: close a poll of the workshop running here; no answer counts after.",
        (_POLL_ID,),
    )
    poll: str


_POLL = FieldSpec(
    "poll",
    "map",
    "the poll",
    fields=(
        str_field("id", "poll id"),
        str_field("question", "the question", max_len=QUESTION_MAX_CHARS),
        str_field("kind", "single, multiple or scale", choices=KINDS),
        FieldSpec(
            "options",
            "list",
            "the options (a scale: 1 to 5)",
            items=str_field("", "option", max_len=OPTION_MAX_CHARS),
        ),
        FieldSpec("anonymous", "bool", "no names are kept"),
        FieldSpec("counts", "list", "how many chose each option", items=int_field("", "count")),
        int_field("answered", "how many answered", hi=1 << 31),
        FieldSpec("open", "bool", "answers are taken"),
        float_field("opened_at", "when it was opened (Unix seconds)"),
        float_field("closed_at", "when it was closed, nil while open", nullable=True),
    ),
)

POLL_STATE = MessageSpec(
    "poll_state",
    "server",
    "A poll of the workshop you are in, with its counts: to everyone in the workshop's"
    " rooms when it opens, closes or its counts change (at most a few times a second), and"
    " for every poll of the workshop when you come in.",
    (str_field("workshop", "workshop id"), _POLL),
)

POLL_ANSWERED = MessageSpec(
    "poll_answered",
    "server",
    "Your answer to a poll as counted (after poll_answer, and when you come in).",
    (_POLL_ID, _CHOICES),
)

POLL_ERRORS: Final = {
    "poll_invalid": ErrorSpec(
        "Die Umfrage ist unvollständig: Frage (1–200 Zeichen), Art und 2 bis 8"
        " verschiedene Antworten (keine bei einer Skala).",
        "The poll is incomplete: a question (1-200 characters), a kind and 2 to 8 different"
        " options (none for a scale).",
    ),
    "poll_unknown": ErrorSpec(
        "Diese Umfrage gibt es in Ihrem Workshop nicht.",
        "There is no such poll in your workshop.",
    ),
    "poll_closed": ErrorSpec("Diese Umfrage ist geschlossen.", "This poll is closed."),
    "poll_choice_invalid": ErrorSpec(
        "Diese Antwort passt nicht zur Umfrage.",
        "This answer does not fit the poll.",
    ),
    "poll_already_open": ErrorSpec(
        "Es läuft schon eine Umfrage; schließen Sie sie zuerst.",
        "A poll is open already; close it first.",
    ),
    "poll_limit": ErrorSpec(
        f"Ein Workshop hat höchstens {POLLS_MAX} Umfragen.",
        f"A workshop has at most {POLLS_MAX} polls.",
    ),
    "polls_loading": ErrorSpec(
        "Die Umfragen des Workshops werden noch geladen; bitte gleich noch einmal.",
        "The workshop's polls are still being read; please try again in a moment.",
    ),
    "poll_not_participant": ErrorSpec(
        "Abstimmen können nur Teilnehmende des Workshops, der hier läuft.",
        "Only participants of the workshop running here can answer.",
    ),
}

POLL_MESSAGES: Final = FeatureMessages(
    feature="polls",
    client=(PollOpen, PollAnswer, PollClose),
    server=(POLL_STATE, POLL_ANSWERED),
    errors=POLL_ERRORS,
)
