"""Typed reading of one table of a site's TOML files, with errors that say where.

``TomlTable`` checks that a table is one and has only the keys allowed, and reads values
that may be absent (``None``) as the checked type. The building description
(``world/building.py``) and the room layout (``world/layout_file.py``) build their readers
on it: the first adds defaults and limits, the second keeps absent values absent.
"""

from __future__ import annotations

import difflib
import math
from typing import Any

from world.errors import InputFileError

#: Compass words for a direction, in degrees (0 faces south, +z).
COMPASS = {"south": 0.0, "east": 90.0, "north": 180.0, "west": 270.0}


def _finite_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def unknown_key_message(key: str, allowed: set[str]) -> str:
    """``unknown key 'x'``, with the nearest allowed key when one is close, and the list."""
    near = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.6)
    hint = f"did you mean {near[0]!r}? " if near else ""
    return f"unknown key {key!r} ({hint}allowed: {', '.join(sorted(allowed))})"


class TomlTable:
    """One TOML table at ``where`` (a path and the table's place in the file)."""

    def __init__(self, table: object, where: str, allowed: set[str]) -> None:
        if not isinstance(table, dict):
            raise InputFileError(f"{where}: expected a table")
        unknown = sorted(set(table) - allowed)
        if unknown:
            raise InputFileError(f"{where}: {unknown_key_message(unknown[0], allowed)}")
        self.table: dict[str, Any] = table
        self.where = where

    def has(self, key: str) -> bool:
        return key in self.table

    def fail(self, message: str, key: str | None = None) -> InputFileError:
        """The error for a bad value here (raise it); ``key`` names the value when known."""
        return InputFileError(f"{self.where}: {message}")

    def optional_ident(self, key: str) -> str | None:
        """An id: ASCII letters, digits, ``-`` and ``_``."""
        value = self.table.get(key)
        if value is None:
            return None
        if (
            not isinstance(value, str)
            or not value
            or not value.isascii()
            or not value.replace("-", "").replace("_", "").isalnum()
        ):
            raise self.fail(f"{key} {value!r} must be letters, digits, - or _", key)
        return value

    def optional_number(self, key: str) -> float | None:
        value = self.table.get(key)
        if value is None:
            return None
        if not _finite_number(value):
            raise self.fail(f"{key} must be a number", key)
        return float(value)

    def optional_pair(self, key: str) -> tuple[float, float] | None:
        value = self.table.get(key)
        if value is None:
            return None
        if (
            not isinstance(value, list | tuple)
            or len(value) != 2
            or not all(_finite_number(v) for v in value)
        ):
            raise self.fail(f"{key} must be two numbers, like [1.5, 2]", key)
        return (float(value[0]), float(value[1]))

    def optional_texts(self, key: str, example: str) -> dict[str, str] | None:
        """A table of non-empty texts per language; ``example`` shows one in the error."""
        value = self.table.get(key)
        if value is None:
            return None
        if not isinstance(value, dict) or not all(isinstance(v, str) and v for v in value.values()):
            raise self.fail(f"{key} must be a table of texts, like {example}", key)
        return dict(value)

    def optional_compass(self, key: str) -> float | None:
        """A direction in degrees: a word of ``COMPASS`` or a number."""
        value = self.table.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            if value not in COMPASS:
                raise self.fail(f"{key} {value!r} must be north, south, east, west or degrees", key)
            return COMPASS[value]
        if not _finite_number(value):
            raise self.fail(f"{key} must be a compass word or degrees", key)
        return float(value)
