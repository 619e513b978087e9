"""Line numbers of the keys in a TOML document, so content errors can say where they are.

``tomllib`` gives values but no positions. ``KeyLines`` reads the same text line by line and
remembers on which line each table, key and array element starts, addressed by the same path
the parsed data uses (``("quiz", "questions", 1, "options", 0)``). It understands what station
files use: ``[table]`` and ``[[array.of.tables]]`` headers, dotted and quoted keys, inline
tables, multi-line arrays and multi-line strings. It never fails: on anything unusual it knows
less, and ``line_of`` falls back to the nearest enclosing entry it does know.

>>> lines = KeyLines('[quiz]\\n[[quiz.questions]]\\nkind = "single"\\n')
>>> lines.line_of(("quiz", "questions", 0, "kind"))
3
"""

from __future__ import annotations

import re
from collections.abc import Callable

Path = tuple[str | int, ...]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_TOML_ERROR_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def toml_error_line(message: str) -> tuple[int | None, str]:
    """Split tomllib's ``"... (at line 3, column 7)"`` into the line and the message."""
    match = _TOML_ERROR_POSITION.search(message)
    if match is None:
        return None, message
    return int(match.group(1)), message[: match.start()]


class KeyLines:
    """Where each key of one TOML text starts (1-based line numbers)."""

    def __init__(self, text: str) -> None:
        self._lines: dict[Path, int] = {}
        self._arrays: dict[Path, int] = {}
        self._scan(text.splitlines())

    def line_of(self, path: Path) -> int | None:
        """The line of ``path``, or of its nearest enclosing entry that has one."""
        for end in range(len(path), 0, -1):
            line = self._lines.get(path[:end])
            if line is not None:
                return line
        return None

    # --- scanning ------------------------------------------------------------------------

    def _note(self, path: Path, line: int) -> None:
        self._lines.setdefault(path, line)

    def _scan(self, lines: list[str]) -> None:
        table: Path = ()
        number = 0
        while number < len(lines):
            text = lines[number].strip()
            number += 1
            if not text or text.startswith("#"):
                continue
            if text.startswith("[["):
                table = self._array_header(text[2:], number)
                continue
            if text.startswith("["):
                table = self._table_header(text[1:], number)
                continue
            parsed = _key(text)
            if parsed is None:
                continue
            parts, rest = parsed
            path = table + tuple(parts)
            for end in range(len(table) + 1, len(path) + 1):
                self._note(path[:end], number)
            number = self._value(path, rest, number, lines)

    def _resolve(self, parts: list[str]) -> Path:
        """A header's path with the current index of every array of tables on the way."""
        path: Path = ()
        for part in parts:
            path = (*path, part)
            if path in self._arrays:
                path = (*path, self._arrays[path])
        return path

    def _array_header(self, text: str, number: int) -> Path:
        parsed = _key(text, terminator="]]")
        if parsed is None:
            return ()
        parts = parsed[0]
        parent = self._resolve(parts[:-1])
        array = (*parent, parts[-1])
        index = self._arrays.get(array, -1) + 1
        self._arrays[array] = index
        self._note(array, number)
        self._note((*array, index), number)
        return (*array, index)

    def _table_header(self, text: str, number: int) -> Path:
        parsed = _key(text, terminator="]")
        if parsed is None:
            return ()
        path = self._resolve(parsed[0])
        for end in range(1, len(path) + 1):
            self._note(path[:end], number)
        return path

    def _value(self, path: Path, rest: str, number: int, lines: list[str]) -> int:
        """Skip a value that may run over several lines; returns the next line to read."""
        rest = rest.lstrip()
        for quote in ('"""', "'''"):
            if rest.startswith(quote):
                if rest.count(quote) >= 2:
                    return number
                while number < len(lines):
                    number += 1
                    if quote in lines[number - 1]:
                        return number
                return number
        if not rest.startswith("["):
            return number
        walker = _ArrayWalker(path, self._note)
        walker.feed(rest, number)
        while not walker.closed and number < len(lines):
            number += 1
            walker.feed(lines[number - 1], number)
        return number


class _ArrayWalker:
    """Follows an array value across lines, noting the line of each top-level element."""

    def __init__(self, path: Path, note: Callable[[Path, int], None]) -> None:
        self._path = path
        self._note = note
        self._depth = 0
        self._index = 0
        self._expect_element = False
        self._quote: str | None = None
        self.closed = False

    def feed(self, text: str, number: int) -> None:
        i = 0
        while i < len(text) and not self.closed:
            ch = text[i]
            if self._quote is not None:
                if ch == "\\" and self._quote == '"':
                    i += 2
                    continue
                if text.startswith(self._quote, i):
                    i += len(self._quote)
                    self._quote = None
                    continue
                i += 1
                continue
            if ch == "#":
                return
            if self._depth == 1 and self._expect_element and not ch.isspace() and ch not in ",]":
                self._mark(number)
            if ch in "\"'":
                self._quote = ch * 3 if text.startswith(ch * 3, i) else ch
                i += len(self._quote)
                continue
            if ch in "[{":
                self._depth += 1
                if self._depth == 1:
                    self._expect_element = True
            elif ch in "]}":
                self._depth -= 1
                if self._depth == 0:
                    self.closed = True
            elif ch == "," and self._depth == 1:
                self._expect_element = True
            i += 1

    def _mark(self, number: int) -> None:
        self._note((*self._path, self._index), number)
        self._index += 1
        self._expect_element = False


def _key(text: str, terminator: str = "=") -> tuple[list[str], str] | None:
    """A (dotted, maybe quoted) key at the start of ``text`` and what follows the terminator."""
    parts: list[str] = []
    i = 0
    while True:
        while i < len(text) and text[i] in " \t":
            i += 1
        if i >= len(text):
            return None
        if text[i] in "\"'":
            quote = text[i]
            end = text.find(quote, i + 1)
            if end < 0:
                return None
            parts.append(text[i + 1 : end])
            i = end + 1
        else:
            match = _BARE_KEY.match(text, i)
            if match is None:
                return None
            parts.append(match.group(0))
            i = match.end()
        while i < len(text) and text[i] in " \t":
            i += 1
        if text.startswith(".", i):
            i += 1
            continue
        if text.startswith(terminator, i):
            return parts, text[i + len(terminator) :]
        return None
