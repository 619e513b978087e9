"""Polls in a workshop: the questions, the answers and the counting rules (no I/O).

A facilitator asks a question: single choice, multiple choice, or a 1–5 scale, optionally
anonymous. The server counts:

- one answer per person (by identity): answering again before the close replaces it;
- no answer after the close, none to a poll of another workshop;
- a choice must be one of the poll's options (a single choice and the scale take exactly
  one, a multiple choice one or more, each once).

``WorkshopPolls`` holds the polls of one workshop; its ``document`` is what is kept in the
store (``server/base/live_state.py``, kind ``polls``, keyed by workshop id) and read back after a
restart. ``poll_rows`` makes the CSV export; an anonymous poll's rows carry no names.

>>> polls = WorkshopPolls("w1")
>>> poll = polls.open("Wie weiter?", "single", ["A", "B"], False, "Mo", now=1.0)
>>> poll.answer("id-1", "Ann", [1], now=2.0)
>>> poll.answer("id-1", "Ann", [0], now=3.0)   # replaces the first answer
>>> poll.counts()
[1, 0]
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from zoneinfo import ZoneInfo

from server.base.csv_export import local_time

SINGLE: Final = "single"
MULTIPLE: Final = "multiple"
SCALE: Final = "scale"
KINDS: Final = (SINGLE, MULTIPLE, SCALE)
#: The options of a 1–5 scale.
SCALE_OPTIONS: Final = ("1", "2", "3", "4", "5")
QUESTION_MAX_CHARS: Final = 200
OPTION_MAX_CHARS: Final = 80
OPTIONS_MIN: Final = 2
OPTIONS_MAX: Final = 8
#: A workshop keeps at most this many polls.
POLLS_MAX: Final = 50

YES: Final = "ja / yes"
NO: Final = "nein / no"


class PollRefused(Exception):
    """A poll action the rules refuse; ``code`` is a protocol error code."""

    def __init__(self, code: str, detail: str | None = None) -> None:
        super().__init__(code if detail is None else f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass
class Answer:
    """One person's answer: the chosen options' indices, in order."""

    identity_id: str
    name: str
    choices: tuple[int, ...]
    at: float


@dataclass
class Poll:
    """One question of a workshop and its answers (by identity id)."""

    id: str
    question: str
    kind: str
    options: tuple[str, ...]
    anonymous: bool
    opened_at: float
    opened_by: str
    closed_at: float | None = None
    answers: dict[str, Answer] = field(default_factory=dict)

    @property
    def open(self) -> bool:
        return self.closed_at is None

    def answer(self, identity_id: str, name: str, choices: Sequence[int], now: float) -> None:
        """Count one person's answer (replacing theirs); PollRefused when closed or when a
        choice is not allowed."""
        if not self.open:
            raise PollRefused("poll_closed")
        picked = tuple(choices)
        if any(not 0 <= c < len(self.options) for c in picked) or len(set(picked)) != len(picked):
            raise PollRefused("poll_choice_invalid", "not an option, or one twice")
        if not picked or (self.kind != MULTIPLE and len(picked) != 1):
            raise PollRefused("poll_choice_invalid", "one choice" if self.kind != MULTIPLE else "")
        kept_name = "" if self.anonymous else name  # an anonymous poll keeps no names
        self.answers[identity_id] = Answer(identity_id, kept_name, tuple(sorted(picked)), now)

    def close(self, now: float) -> None:
        if not self.open:
            raise PollRefused("poll_closed")
        self.closed_at = now

    def counts(self) -> list[int]:
        """How many chose each option."""
        out = [0] * len(self.options)
        for answer in self.answers.values():
            for choice in answer.choices:
                out[choice] += 1
        return out

    def forget(self, identity_id: str) -> bool:
        return self.answers.pop(identity_id, None) is not None

    def public(self) -> dict[str, Any]:
        """What everyone in the workshop sees (``poll_state.poll``): counts, never names."""
        return {
            "id": self.id,
            "question": self.question,
            "kind": self.kind,
            "options": list(self.options),
            "anonymous": self.anonymous,
            "counts": self.counts(),
            "answered": len(self.answers),
            "open": self.open,
            "opened_at": self.opened_at,
            "closed_at": self.closed_at,
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "question": self.question,
            "kind": self.kind,
            "options": list(self.options),
            "anonymous": self.anonymous,
            "opened_at": self.opened_at,
            "opened_by": self.opened_by,
            "closed_at": self.closed_at,
            "answers": {
                identity: {"name": a.name, "choices": list(a.choices), "at": a.at}
                for identity, a in sorted(self.answers.items())
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Poll:
        closed = data.get("closed_at")
        return cls(
            id=str(data["id"]),
            question=str(data["question"]),
            kind=str(data["kind"]),
            options=tuple(str(o) for o in data["options"]),
            anonymous=bool(data["anonymous"]),
            opened_at=float(data["opened_at"]),
            opened_by=str(data.get("opened_by") or ""),
            closed_at=None if closed is None else float(closed),
            answers={
                str(identity): Answer(
                    str(identity),
                    str(a["name"]),
                    tuple(int(c) for c in a["choices"]),
                    float(a["at"]),
                )
                for identity, a in dict(data.get("answers") or {}).items()
            },
        )


def checked_question(
    question: str, kind: str, options: Sequence[str]
) -> tuple[str, tuple[str, ...]]:
    """The question and options as they will be kept (trimmed), or PollRefused
    (``poll_invalid``)."""
    text = " ".join(question.split())
    if not text or len(text) > QUESTION_MAX_CHARS:
        raise PollRefused("poll_invalid", f"question: 1 to {QUESTION_MAX_CHARS} characters")
    if kind not in KINDS:
        raise PollRefused("poll_invalid", f"kind: one of {', '.join(KINDS)}")
    if kind == SCALE:
        if options:
            raise PollRefused("poll_invalid", "a scale has no options of its own")
        return text, SCALE_OPTIONS
    cleaned = tuple(" ".join(o.split()) for o in options)
    if not OPTIONS_MIN <= len(cleaned) <= OPTIONS_MAX:
        raise PollRefused("poll_invalid", f"{OPTIONS_MIN} to {OPTIONS_MAX} options")
    if any(not o or len(o) > OPTION_MAX_CHARS for o in cleaned):
        raise PollRefused("poll_invalid", f"an option: 1 to {OPTION_MAX_CHARS} characters")
    if len({o.casefold() for o in cleaned}) != len(cleaned):
        raise PollRefused("poll_invalid", "an option twice")
    return text, cleaned


class WorkshopPolls:
    """The polls of one workshop, in the order they were opened; at most one open at a
    time."""

    def __init__(self, workshop_id: str, polls: Iterable[Poll] = ()) -> None:
        self.workshop_id = workshop_id
        self.polls: dict[str, Poll] = {poll.id: poll for poll in polls}

    def get(self, poll_id: str) -> Poll | None:
        return self.polls.get(poll_id)

    def current(self) -> Poll | None:
        return next((p for p in self.polls.values() if p.open), None)

    def open(
        self,
        question: str,
        kind: str,
        options: Sequence[str],
        anonymous: bool,
        by_name: str,
        now: float,
        poll_id: str | None = None,
    ) -> Poll:
        text, kept = checked_question(question, kind, options)
        if self.current() is not None:
            raise PollRefused("poll_already_open")
        if len(self.polls) >= POLLS_MAX:
            raise PollRefused("poll_limit", str(POLLS_MAX))
        poll = Poll(poll_id or new_poll_id(), text, kind, kept, anonymous, now, by_name)
        self.polls[poll.id] = poll
        return poll

    def forget(self, identity_id: str) -> bool:
        """Drop one person's answers (their data was erased); True when there were any."""
        return any([poll.forget(identity_id) for poll in self.polls.values()])

    def document(self) -> dict[str, Any]:
        """What is kept (JSON-ready)."""
        return {"polls": [poll.as_dict() for poll in self.polls.values()]}

    @classmethod
    def from_document(cls, workshop_id: str, data: Mapping[str, Any] | None) -> WorkshopPolls:
        """The polls from their kept document; ValueError when it is not one."""
        if data is None:
            return cls(workshop_id)
        try:
            return cls(workshop_id, [Poll.from_dict(p) for p in data["polls"]])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"not a kept poll document: {exc}") from exc


def new_poll_id() -> str:
    return "p" + secrets.token_hex(6)


def csv_header(zone: ZoneInfo) -> tuple[str, ...]:
    """The CSV's header row (German and English); the time columns name their zone."""
    return (
        "Umfrage / Poll",
        "Frage / Question",
        "Art / Kind",
        "Anonym / Anonymous",
        f"Geöffnet ({zone.key}) / Opened ({zone.key})",
        f"Geschlossen ({zone.key}) / Closed ({zone.key})",
        "Kennung / Key",
        "Name",
        "Antwort / Answer",
        f"Beantwortet ({zone.key}) / Answered ({zone.key})",
    )


def poll_rows(
    polls: WorkshopPolls, *, key: Callable[[str], str], zone: ZoneInfo
) -> list[list[str]]:
    """The CSV rows (after ``csv_header``): one per answer, and one with empty answer fields
    for a poll nobody answered; times in ``zone``; ``key`` gives the person key of an
    identity (as in the attendance export). Anonymous polls: no key, name or time, answers
    in a fixed order (by the answer, not by person or time). A multiple choice's options
    joined by " | "."""
    rows: list[list[str]] = []
    for poll in polls.polls.values():
        head = [
            poll.id,
            poll.question,
            poll.kind,
            YES if poll.anonymous else NO,
            local_time(poll.opened_at, zone),
            local_time(poll.closed_at, zone),
        ]
        answers = list(poll.answers.values())
        if poll.anonymous:
            answers.sort(key=lambda a: a.choices)
        else:
            answers.sort(key=lambda a: (a.at, a.name))
        if not answers:
            rows.append([*head, "", "", "", ""])
        for a in answers:
            text = " | ".join(poll.options[c] for c in a.choices)
            if poll.anonymous:
                rows.append([*head, "", "", text, ""])
            else:
                rows.append([*head, key(a.identity_id), a.name, text, local_time(a.at, zone)])
    return rows


# --- a person's answers in the kept documents (GDPR export and erasure) ---------------------


def answers_of(workshop_id: str, data: Mapping[str, Any], identity_id: str) -> list[dict[str, Any]]:
    """One person's answers in a kept poll document, JSON-ready for their data export."""
    out = []
    for poll in data.get("polls", []):
        answer = dict(poll.get("answers") or {}).get(identity_id)
        if answer is None:
            continue
        options = list(poll.get("options") or [])
        out.append(
            {
                "workshop_id": workshop_id,
                "poll_id": poll.get("id"),
                "question": poll.get("question"),
                "answer": [options[c] for c in answer.get("choices", []) if 0 <= c < len(options)],
                "at": answer.get("at"),
            }
        )
    return out


def without_answers_of(data: Mapping[str, Any], identity_id: str) -> dict[str, Any] | None:
    """The kept poll document without one person's answers, or None when it has none."""
    polls = list(data.get("polls", []))
    if not any(identity_id in dict(p.get("answers") or {}) for p in polls):
        return None
    return {
        **data,
        "polls": [
            {
                **p,
                "answers": {
                    k: v for k, v in dict(p.get("answers") or {}).items() if k != identity_id
                },
            }
            for p in polls
        ],
    }
