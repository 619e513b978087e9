"""Typed reading of one content file's front matter, collecting every problem with its line.

A station file is read in one pass that never stops at the first mistake: each accessor
returns the value or ``None`` and records a ``ContentProblem`` (file, line, message) when the
value is missing or wrong. ``hubtwin content check`` prints the problems; the server refuses
to start with the same list.
"""

from __future__ import annotations

import datetime
import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from world.toml_locations import KeyLines
from world.toml_locations import Path as KeyPath

Localised = dict[str, str]
"""A text per language code, e.g. ``{"de": "Klimabilanz", "en": "Carbon accounting"}``."""

_URL = re.compile(r"^(https?://[^\s/$.?#][^\s]*|mailto:[^\s@]+@[^\s@]+)$")


@dataclass(frozen=True)
class ContentProblem:
    """One thing wrong in a content file, where it is, and what to do about it."""

    path: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        where = _shown(self.path)
        return f"{where}:{self.line}: {self.message}" if self.line else f"{where}: {self.message}"


def read_named_file(
    path: Path, id_pattern: re.Pattern[str], what: str, suffix: str, problems: list[ContentProblem]
) -> str | None:
    """The text of a content file named by the id of the ``what`` it holds (a station, a
    calculator); a name that is no such id, or text that is not UTF-8, is a problem in
    ``problems``, and None."""
    if not id_pattern.match(path.stem):
        problems.append(
            ContentProblem(
                path,
                None,
                f"file name must be the {what} id: lower-case letters, digits and dashes, "
                f"then {suffix}",
            )
        )
        return None
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problems.append(ContentProblem(path, None, "not UTF-8 text"))
        return None


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def describe_key(where: KeyPath) -> str:
    """A key path as an editor writes it: ``("quiz", "questions", 1)`` is ``quiz.questions[2]``."""
    text = ""
    for part in where:
        if isinstance(part, int):
            text += f"[{part + 1}]"
        else:
            text += f".{part}" if text else part
    return text or "front matter"


class FrontMatter:
    """The parsed front matter of one file, read with checks that record problems."""

    def __init__(
        self,
        path: Path,
        data: dict[str, Any],
        lines: KeyLines,
        first_line: int,
        languages: Sequence[str],
        problems: list[ContentProblem],
    ) -> None:
        self.path = path
        self.data = data
        self.languages = tuple(languages)
        self._lines = lines
        self._first_line = first_line
        self._problems = problems

    # --- where and what went wrong ---------------------------------------------------------

    def line(self, where: KeyPath) -> int:
        """The file line of a key (the front matter's first line when not found)."""
        found = self._lines.line_of(where)
        return self._first_line + (found if found is not None else 0)

    def problem(self, where: KeyPath, message: str) -> None:
        self._problems.append(ContentProblem(self.path, self.line(where), message))

    def value(self, where: KeyPath) -> Any:
        node: Any = self.data
        for part in where:
            if isinstance(part, int):
                if not isinstance(node, list) or part >= len(node):
                    return None
            elif not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    # --- typed accessors -------------------------------------------------------------------

    def table(
        self, where: KeyPath, allowed: set[str], *, required: bool = False
    ) -> dict[str, Any] | None:
        value = self.value(where)
        if value is None:
            if required:
                self.problem(where, f"missing [{describe_key(where)}] table")
            return None
        if not isinstance(value, dict):
            self.problem(where, f"{describe_key(where)} must be a table")
            return None
        for key in sorted(set(value) - allowed):
            near = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.6)
            hint = f"did you mean {near[0]!r}? " if near else ""
            self.problem(
                (*where, key),
                f"unknown key {describe_key((*where, key))!r} "
                f"({hint}allowed here: {', '.join(sorted(allowed))})",
            )
        return value

    def tables(self, where: KeyPath, *, minimum: int = 0) -> list[dict[str, Any]] | None:
        """An array of tables (``[[name]]`` blocks or ``[{…}, {…}]``)."""
        value = self.value(where)
        if value is None:
            value = []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problem(where, f"{describe_key(where)} must be a list of tables")
            return None
        if len(value) < minimum:
            self.problem(
                where,
                f"{describe_key(where)} needs at least {minimum} entr"
                + ("y" if minimum == 1 else "ies"),
            )
        return value

    def text(self, where: KeyPath, *, required: bool = True, max_chars: int = 500) -> str | None:
        value = self.value(where)
        if value is None:
            if required:
                self.problem(where, f"missing {describe_key(where)}")
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(where, f"{describe_key(where)} must be a non-empty text")
            return None
        if len(value) > max_chars:
            self.problem(where, f"{describe_key(where)} is longer than {max_chars} characters")
            return None
        return value.strip()

    def localised(
        self, where: KeyPath, *, required: bool = True, max_chars: int = 2000
    ) -> Localised | None:
        """A text per site language (``title.de = "…"``, ``title.en = "…"``), on one line."""
        value = self.value(where)
        name = describe_key(where)
        if value is None:
            if required:
                self.problem(where, f"missing {name} (give {self._example(name)})")
            return None
        if isinstance(value, str):
            self.problem(where, f"{name} needs one text per language: {self._example(name)}")
            return None
        if not isinstance(value, dict):
            self.problem(where, f"{name} must be a table of texts per language")
            return None
        return self.texts_per_language(
            where,
            value,
            label=lambda lang: f"{name}.{lang}",
            unknown=lambda lang: (
                f"{name}.{lang}: language {lang!r} is not one of the site's languages "
                f"({', '.join(self.languages)})"
            ),
            max_chars=max_chars,
        )

    def texts_per_language(
        self,
        where: KeyPath,
        texts: Mapping[str, Any],
        *,
        label: Callable[[str], str],
        unknown: Callable[[str], str],
        max_chars: int | None = None,
    ) -> Localised | None:
        """One text for each site language, each on one line; None (and the problems
        recorded) when a language is missing or unknown or a text is empty or too long.
        ``label(lang)`` names a text in the messages, ``unknown(lang)`` is the whole
        message for a key that is not a site language."""
        result: Localised = {}
        ok = True
        for lang in sorted(set(texts) - set(self.languages)):
            self.problem((*where, lang), unknown(lang))
            ok = False
        for lang in self.languages:
            text = texts.get(lang)
            if text is None:
                self.problem(where, f"missing translation: {label(lang)}")
                ok = False
            elif not isinstance(text, str) or not text.strip():
                self.problem((*where, lang), f"{label(lang)} must be a non-empty text")
                ok = False
            elif max_chars is not None and len(text) > max_chars:
                self.problem((*where, lang), f"{label(lang)} is longer than {max_chars} characters")
                ok = False
            else:
                result[lang] = " ".join(text.split())
        return result if ok else None

    def integer(
        self, where: KeyPath, *, low: int, high: int, default: int | None = None
    ) -> int | None:
        value = self.value(where)
        if value is None:
            if default is None:
                self.problem(where, f"missing {describe_key(where)}")
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.problem(
                where, f"{describe_key(where)} must be a whole number from {low} to {high}"
            )
            return None
        return value

    def flag(self, where: KeyPath, *, default: bool) -> bool:
        value = self.value(where)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.problem(where, f"{describe_key(where)} must be true or false")
            return default
        return value

    def date(self, where: KeyPath) -> datetime.date | None:
        value = self.value(where)
        if value is None:
            self.problem(where, f"missing {describe_key(where)} (a date like 2026-11-01)")
            return None
        if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
            self.problem(where, f"{describe_key(where)} must be a date like 2026-11-01")
            return None
        return value

    def url(self, where: KeyPath) -> str | None:
        value = self.value(where)
        if value is None:
            return None
        if not isinstance(value, str) or not _URL.match(value):
            self.problem(
                where, f"{describe_key(where)} must start with https://, http:// or mailto:"
            )
            return None
        return value

    def _example(self, name: str) -> str:
        return " and ".join(f'{name}.{lang} = "…"' for lang in self.languages)
