"""Writing TOML documents (the standard library only reads them).

Covers what our metadata files use: strings, numbers, booleans, dates, lists of those,
tables of those (written inline), sub-tables and arrays of tables. The result reads back
with ``tomllib`` to the same data.

>>> import tomllib
>>> data = {"title": {"de": "Grüße"}, "chapters": [{"start_s": 0.0, "title": "Start"}]}
>>> tomllib.loads(toml_document(data)) == data
True
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _quoted(text: str) -> str:
    # JSON's string escapes are a subset of TOML's basic-string escapes; TOML also wants
    # DEL escaped.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _key(name: str) -> str:
    return name if _BARE_KEY.fullmatch(name) else _quoted(name)


def toml_value(value: Any) -> str:
    """One value in TOML syntax (tables become inline tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"TOML has no place for {value!r} here")
        return repr(value)
    if isinstance(value, str):
        return _quoted(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        inner = ", ".join(f"{_key(str(k))} = {toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, Sequence):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _is_table_array(value: Any) -> bool:
    return (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and len(value) > 0
        and all(isinstance(item, Mapping) for item in value)
    )


def _is_sub_table(value: Any) -> bool:
    # Tables whose values are all plain are written inline; deeper ones get a [header].
    return isinstance(value, Mapping) and any(
        isinstance(v, Mapping) or _is_table_array(v) for v in value.values()
    )


def _write_table(data: Mapping[str, Any], prefix: str, lines: list[str]) -> None:
    for name, value in data.items():
        if value is None or _is_sub_table(value) or _is_table_array(value):
            continue
        lines.append(f"{_key(name)} = {toml_value(value)}")
    for name, value in data.items():
        path = f"{prefix}{_key(name)}"
        if _is_sub_table(value):
            lines.extend(["", f"[{path}]"])
            _write_table(value, f"{path}.", lines)
        elif _is_table_array(value):
            for item in value:
                lines.extend(["", f"[[{path}]]"])
                _write_table(item, f"{path}.", lines)


def toml_document(data: Mapping[str, Any], *, header: str = "") -> str:
    """A TOML document for ``data``; ``header`` lines become comments at the top.

    Keys whose value is None are left out.
    """
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    _write_table(data, "", lines)
    return "\n".join(lines).strip("\n") + "\n"
