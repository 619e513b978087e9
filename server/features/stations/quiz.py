"""Station quizzes: reading them from a station file, showing them, checking answers.

The client gets a quiz through ``Quiz.public(lang)``: questions and options, never which option
is right and never the explanation. Answers come back to the server, ``Quiz.check`` marks them
and only then returns each question's explanation. Retries are allowed; a quiz is passed when
at least ``pass_mark`` questions are answered right. Which options were right is not sent
back, so a retry is still a question and not a copy.

>>> result = quiz.check({"q1": "b", "q2": ["a", "c"]}, "de")   # doctest: +SKIP
>>> result.passed, result.score                                # doctest: +SKIP
(True, 2)
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from server.features.stations.content_reader import FrontMatter, Localised

MAX_QUESTIONS = 12
MAX_OPTIONS = 8
QUESTION_KEYS = {"kind", "prompt", "options", "explanation"}
OPTION_KEYS = {"correct"}


class QuestionKind(StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"


@dataclass(frozen=True)
class Option:
    id: str
    text: Localised
    correct: bool


@dataclass(frozen=True)
class Question:
    id: str
    kind: QuestionKind
    prompt: Localised
    options: tuple[Option, ...]
    explanation: Localised

    @property
    def correct_ids(self) -> frozenset[str]:
        return frozenset(option.id for option in self.options if option.correct)


class AnswerRejected(ValueError):
    """Answers that cannot be marked (unknown question or option, wrong shape)."""


@dataclass(frozen=True)
class QuestionResult:
    id: str
    correct: bool
    chosen: tuple[str, ...]
    explanation: str


@dataclass(frozen=True)
class QuizResult:
    score: int
    total: int
    pass_mark: int
    questions: tuple[QuestionResult, ...]

    @property
    def passed(self) -> bool:
        return self.score >= self.pass_mark

    def as_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "total": self.total,
            "pass_mark": self.pass_mark,
            "passed": self.passed,
            "questions": [
                {
                    "id": q.id,
                    "correct": q.correct,
                    "chosen": list(q.chosen),
                    "explanation": q.explanation,
                }
                for q in self.questions
            ],
        }


@dataclass(frozen=True)
class Quiz:
    questions: tuple[Question, ...]
    pass_mark: int

    def public(self, lang: str) -> dict[str, Any]:
        """What the client may see before answering: no correct flags, no explanations."""
        return {
            "pass_mark": self.pass_mark,
            "questions": [
                {
                    "id": q.id,
                    "kind": q.kind.value,
                    "prompt": q.prompt[lang],
                    "options": [{"id": o.id, "text": o.text[lang]} for o in q.options],
                }
                for q in self.questions
            ],
        }

    def check(self, answers: object, lang: str) -> QuizResult:
        """Mark a full set of answers: ``{"q1": "a", "q2": ["b", "c"]}``."""
        if not isinstance(answers, Mapping):
            raise AnswerRejected("answers must be an object mapping question ids to option ids")
        known = {q.id for q in self.questions}
        unknown = sorted(str(key) for key in answers if key not in known)
        if unknown:
            raise AnswerRejected(f"unknown question {', '.join(unknown)}")
        results = []
        for question in self.questions:
            if question.id not in answers:
                raise AnswerRejected(f"question {question.id} has no answer; answer every question")
            chosen = _chosen(question, answers[question.id])
            results.append(
                QuestionResult(
                    id=question.id,
                    correct=frozenset(chosen) == question.correct_ids,
                    chosen=chosen,
                    explanation=question.explanation[lang],
                )
            )
        score = sum(1 for r in results if r.correct)
        return QuizResult(score, len(results), self.pass_mark, tuple(results))


def _chosen(question: Question, raw: object) -> tuple[str, ...]:
    picked = [raw] if isinstance(raw, str) else raw
    if not isinstance(picked, list) or not all(isinstance(p, str) for p in picked):
        raise AnswerRejected(f"question {question.id}: give an option id or a list of option ids")
    valid = {o.id for o in question.options}
    wrong = sorted(set(picked) - valid)
    if wrong:
        raise AnswerRejected(f"question {question.id}: unknown option {', '.join(wrong)}")
    if len(set(picked)) != len(picked):
        raise AnswerRejected(f"question {question.id}: an option is chosen twice")
    if question.kind is QuestionKind.SINGLE and len(picked) != 1:
        raise AnswerRejected(f"question {question.id}: choose exactly one option")
    if not picked:
        raise AnswerRejected(f"question {question.id}: choose at least one option")
    return tuple(sorted(picked))


def read_quiz(front: FrontMatter) -> Quiz | None:
    """The ``[quiz]`` of a station file, or None when it has none (or it is broken)."""
    table = front.table(("quiz",), {"pass_mark", "questions"})
    if table is None:
        return None
    entries = front.tables(("quiz", "questions"), minimum=1)
    if entries is None:
        return None
    if len(entries) > MAX_QUESTIONS:
        front.problem(("quiz", "questions"), f"a quiz has at most {MAX_QUESTIONS} questions")
        return None
    questions = [_read_question(front, i) for i in range(len(entries))]
    pass_mark = front.integer(
        ("quiz", "pass_mark"), low=1, high=max(1, len(entries)), default=len(entries) or 1
    )
    if any(q is None for q in questions) or pass_mark is None or not questions:
        return None
    return Quiz(tuple(q for q in questions if q is not None), pass_mark)


def _read_question(front: FrontMatter, index: int) -> Question | None:
    where = ("quiz", "questions", index)
    number = index + 1
    front.table(where, QUESTION_KEYS)
    kind_text = front.value((*where, "kind"))
    kind: QuestionKind | None
    if kind_text is None:
        kind = QuestionKind.SINGLE
    elif kind_text in (QuestionKind.SINGLE.value, QuestionKind.MULTIPLE.value):
        kind = QuestionKind(kind_text)
    else:
        front.problem((*where, "kind"), f'question {number}: kind must be "single" or "multiple"')
        kind = None
    prompt = front.localised((*where, "prompt"), max_chars=400)
    explanation = front.localised((*where, "explanation"), max_chars=800)
    options = _read_options(front, where, number)
    if kind is not None and options is not None:
        right = sum(1 for o in options if o.correct)
        if right == 0:
            front.problem(
                (*where, "options"),
                f"question {number} has no correct answer (mark one option with correct = true)",
            )
            options = None
        elif kind is QuestionKind.SINGLE and right > 1:
            front.problem(
                (*where, "options"),
                f"question {number} is single choice but has "
                f'{right} correct options (use kind = "multiple" or mark only one)',
            )
            options = None
    if kind is None or prompt is None or explanation is None or options is None:
        return None
    return Question(f"q{number}", kind, prompt, options, explanation)


def _read_options(
    front: FrontMatter, where: tuple[str | int, ...], number: int
) -> tuple[Option, ...] | None:
    entries = front.tables((*where, "options"), minimum=2)
    if entries is None or len(entries) < 2:
        return None
    if len(entries) > MAX_OPTIONS:
        front.problem((*where, "options"), f"question {number} has more than {MAX_OPTIONS} options")
        return None
    options: list[Option] = []
    ok = True
    for i, entry in enumerate(entries):
        at = (*where, "options", i)
        texts = {k: v for k, v in entry.items() if k not in OPTION_KEYS}
        text = _option_text(front, at, texts)
        correct = front.flag((*at, "correct"), default=False)
        if text is None:
            ok = False
            continue
        options.append(Option(string.ascii_lowercase[i], text, correct))
    return tuple(options) if ok else None


def _option_text(
    front: FrontMatter, at: tuple[str | int, ...], texts: dict[str, Any]
) -> Localised | None:
    return front.texts_per_language(
        at,
        texts,
        label=lambda lang: f"option text in {lang!r}",
        unknown=lambda lang: (
            f"option: unknown key or language {lang!r} "
            f"(give the text per language: {', '.join(front.languages)}; and correct)"
        ),
    )
