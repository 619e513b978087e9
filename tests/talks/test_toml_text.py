"""Writing TOML: what we write reads back with tomllib to the same data."""

from __future__ import annotations

import datetime
import tomllib

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from server.base.toml_text import toml_document, toml_value


def test_a_talk_record_round_trips() -> None:
    data = {
        "format": 1,
        "title": {"de": 'Grüner „Plan“ – mit "Zitat"', "en": "Green plan\nsecond line"},
        "date": datetime.date(2025, 3, 14),
        "topics": ["klimabilanz", "handlungsplan"],
        "duration_s": 183.5,
        "published": True,
        "media": {"file": "media.webm", "width": 1280, "height": 720},
        "chapters": [{"start_s": 0.0, "title": "Start"}, {"start_s": 12.5, "title": {"de": "B"}}],
        "nested": {"inner": {"deep": 1}},
    }
    assert tomllib.loads(toml_document(data, header="Kopf\nzweite Zeile")) == data


def test_none_values_are_left_out_and_the_header_is_a_comment() -> None:
    text = toml_document({"a": 1, "b": None}, header="hello")
    assert text.startswith("# hello\n")
    assert tomllib.loads(text) == {"a": 1}


@pytest.mark.parametrize("value", [float("nan"), float("inf"), object()])
def test_values_toml_cannot_hold_are_refused(value: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        toml_value(value)


@given(st.dictionaries(st.text(min_size=1, max_size=12), st.text(max_size=40), max_size=5))
@example({"0\n": ""})  # a key ending in a line break is not a bare key
def test_any_text_table_round_trips(table: dict[str, str]) -> None:
    assert tomllib.loads(toml_document({"t": table}))["t"] == table
