"""Reading typed numbers and writing figures per language: the shared case table, round trips."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.features.stations.number_text import (
    NumberProblem,
    format_number,
    read_number,
    style_for,
)

CASES = json.loads((Path(__file__).parent / "number_cases.json").read_text(encoding="utf-8"))


def _case_id(case: dict[str, Any]) -> str:
    return f"{case['lang']}:{case.get('text', case.get('value'))!r}"


@pytest.mark.parametrize("case", CASES["reading"], ids=_case_id)
def test_reading_follows_the_shared_table(case: dict[str, Any]) -> None:
    reading = read_number(case["text"], case["lang"])
    if "value" in case:
        assert (reading.value, reading.problem) == (case["value"], None)
    else:
        assert reading.value is None
        assert reading.problem == NumberProblem(case["problem"])
        assert list(reading.choices) == case["choices"]


@pytest.mark.parametrize("case", CASES["writing"], ids=_case_id)
def test_writing_follows_the_shared_table(case: dict[str, Any]) -> None:
    assert format_number(case["value"], case["lang"], case["decimals"]) == case["text"]


def test_the_table_covers_the_cases_the_rules_are_about() -> None:
    seen = {(c["lang"], c["text"]): c for c in CASES["reading"]}
    assert seen[("de", "50.000")]["value"] == 50000
    assert seen[("de", "2.000,5")]["value"] == 2000.5
    assert seen[("en", "50,000.5")]["value"] == 50000.5
    assert seen[("de", "1.5")]["problem"] == "number_other_language"
    assert seen[("en", "1,5")]["problem"] == "number_other_language"
    assert seen[("en", "50.000")]["problem"] == "number_ambiguous"
    assert seen[("de", "1,234")]["problem"] == "number_ambiguous"
    problems = {c.get("problem") for c in CASES["reading"]}
    assert problems == {None, *(p.value for p in NumberProblem)}


def test_the_choices_offered_read_back_to_what_they_stand_for() -> None:
    ambiguous = read_number("1,234", "de")
    thousands, decimal = ambiguous.choices
    assert read_number(thousands, "de").value == 1234
    assert read_number(decimal, "de").value == 1.234
    (suggestion,) = read_number("50,000.5", "de").choices
    assert read_number(suggestion, "de").value == 50000.5


def test_very_long_text_and_unknown_languages_are_refused() -> None:
    assert read_number("1" * 65, "de").problem is NumberProblem.INVALID
    assert read_number("1" * 64, "de").value == float("1" * 64)
    with pytest.raises(ValueError, match="'fr'"):
        read_number("1", "fr")
    with pytest.raises(ValueError):
        format_number(float("nan"), "de")


# --- round trips --------------------------------------------------------------------------

LANGS = st.sampled_from(["de", "en"])
# Numbers as long as people type (at most 64 characters written out): |x| in [1e-9, 1e18] or 0.
FINITE = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e18, max_value=1e18).filter(
    lambda x: x == 0 or abs(x) >= 1e-9
)


@given(FINITE, LANGS)
def test_every_number_written_in_full_reads_back_exactly(value: float, lang: str) -> None:
    text = format_number(value, lang, None)
    reading = read_number(text, lang)
    assert reading.problem is None, (text, reading)
    assert reading.value == value or (value == 0 and reading.value == 0)


@given(FINITE, LANGS, st.integers(min_value=0, max_value=4))
def test_a_rounded_figure_reads_back_as_the_rounded_number(
    value: float, lang: str, decimals: int
) -> None:
    text = format_number(value, lang, decimals)
    reading = read_number(text, lang)
    assert reading.problem is None, (text, reading)
    assert reading.value is not None
    expected = Decimal(repr(value)).quantize(Decimal(1).scaleb(-decimals), "ROUND_HALF_UP")
    assert reading.value == float(expected)


@given(st.integers(min_value=1000, max_value=10**15), LANGS)
def test_thousands_are_grouped_with_the_language_separator(value: int, lang: str) -> None:
    text = format_number(value, lang)
    style = style_for(lang)
    assert style.group in text and style.decimal not in text
    assert text.replace(style.group, "") == str(value)


@given(FINITE, LANGS)
def test_a_number_written_the_other_way_is_never_read_as_another_value(
    value: float, lang: str
) -> None:
    other = "en" if lang == "de" else "de"
    reading = read_number(format_number(value, other, None), lang)
    assert reading.value is None or reading.value == value or reading.value == 0 == value
