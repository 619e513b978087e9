"""The calculators' formula language: reading, evaluating, and checking names, units and ranges.

Random formulas over the grammar (and random text) never raise anything but ``FormulaError``,
and the evaluator never reaches Python's ``eval``.
"""

from __future__ import annotations

import builtins
import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.features.stations.formula import (
    MAX_DEPTH,
    FormulaError,
    Interval,
    Known,
    analyse,
    analyse_condition,
    evaluate,
    holds,
    parse,
    parse_condition,
)
from server.features.stations.units import UnitError, parse_unit


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1 + 2 * 3", 7.0),
        ("(1 + 2) * 3", 9.0),
        ("2 ^ 3 ^ 2", 512.0),
        ("-2 ^ 2", -4.0),
        ("10 / 4 - 1", 1.5),
        ("min(3, 1, 2) + max(1, 5)", 6.0),
        ("round(2.345, 2)", 2.35),
        ("round(2.5)", 2.0),
        ("abs(-3)", 3.0),
        ("1.5e3 / .5", 3000.0),
        ("a * b - c", 5.0),
        ("+a", 2.0),
    ],
)
def test_evaluates_the_grammar(text: str, value: float) -> None:
    assert evaluate(parse(text), {"a": 2.0, "b": 3.0, "c": 1.0}) == pytest.approx(value)


def test_left_to_right_like_python_so_results_match_the_same_written_formula() -> None:
    values = {"kwh": 200_000.0, "ratio": 1.11, "factor": 0.201}
    assert evaluate(parse("kwh / ratio * factor"), values) == 200_000.0 / 1.11 * 0.201


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the formula is empty"),
        ("1 +", "the formula ends too early"),
        ("(1 + 2", "expected ')' at the end"),
        ("1 2", "unexpected '2'"),
        ("a $ b", "unexpected '$'"),
        ("__import__('os')", 'unexpected "\'"'),
        ("exp(1)", "unknown function 'exp' (functions: abs, max, min, round)"),
        ("min(1)", "min takes two or more values: min(a, b)"),
        ("round(1, 0.5)", "round(x, n): n must be a whole number from 0 to 10"),
        ("round + 1", "round is a function: write round(…)"),
        ("1e999", "the number 1e999 is too large"),
        ("a.b", "unexpected '.'"),
    ],
)
def test_reading_errors_say_what(text: str, message: str) -> None:
    with pytest.raises(FormulaError) as caught:
        parse(text)
    assert caught.value.message == message


def test_deep_nesting_is_refused_not_a_recursion_error() -> None:
    with pytest.raises(FormulaError, match=f"nests deeper than {MAX_DEPTH}"):
        parse("(" * 60 + "1" + ")" * 60)
    with pytest.raises(FormulaError, match="nests deeper"):
        parse("-" * 60 + "1")
    with pytest.raises(FormulaError, match="at most 1000 characters"):
        parse("1+" * 600 + "1")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1 / (a - a)", "division by zero"),
        ("0 ^ -1", "zero to a negative power"),
        ("(0 - 8) ^ 0.5", "a negative number to a fractional power"),
        ("10 ^ 400", "a number grew too large"),
        ("1e300 * 1e300", "a number grew too large"),
        ("nope + 1", "unknown name 'nope'"),
    ],
)
def test_evaluation_errors_are_formula_errors(text: str, message: str) -> None:
    with pytest.raises(FormulaError) as caught:
        evaluate(parse(text), {"a": 2.0})
    assert caught.value.message == message


def test_conditions() -> None:
    assert holds(parse_condition("new < old"), {"new": 1.0, "old": 2.0})
    assert not holds(parse_condition("new >= old"), {"new": 1.0, "old": 2.0})
    with pytest.raises(FormulaError, match="compares two values"):
        parse_condition("a + 1")


# --- units and ranges ----------------------------------------------------------------------


def _known(unit: str, low: float, high: float) -> Known:
    return Known(parse_unit(unit), Interval(low, high))


KNOWN = {
    "kwh": _known("kWh/a", 0, 1e6),
    "factor": _known("kg CO2/kWh", 0.363, 0.363),
    "price": _known("€/kWh", 0.01, 2),
    "watts": _known("W", 1, 2000),
    "hours": _known("h/a", 1, 8760),
    "h2": _known("kg H2/a", 0, 100),
    "saved": _known("€/a", -10, 10),
    "share": _known("%", 50, 99),
}


def test_unit_algebra() -> None:
    assert analyse(parse("kwh * factor"), KNOWN).unit == parse_unit("kg CO2/a")
    assert analyse(parse("watts * hours"), KNOWN).unit == parse_unit("Wh/a")
    assert parse_unit("Wh/a").scale == Fraction(1, 1000)
    assert parse_unit("t").scale / parse_unit("kg").scale == 1000
    assert analyse(parse("kwh * price / hours"), KNOWN).unit == parse_unit("€/h")
    assert parse_unit("m³") == parse_unit("m3")
    assert parse_unit("Jahre") == parse_unit("years") == parse_unit("a")
    with pytest.raises(UnitError, match="unknown unit 'kwh'"):
        parse_unit("kwh")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kwh + factor", "(kwh + factor) needs equal units, but has kWh/a and kg CO2/kWh"),
        ("share + kwh", "needs equal units, but has % and kWh/a"),
        ("h2 + kwh * factor", "needs equal units, but has kg H2/a and kg CO2/a"),
        ("kwh / saved", "division by saved, which can be zero (its range is -10 to 10)"),
        (
            "kwh / (share - 50)",
            "division by (share - 50), which can be zero (its range is 0 to 49)",
        ),
        ("kwh ^ 0.5", "kwh has the unit kWh/a: raise it only to a whole number from -4 to 4"),
        ("share ^ 1e300", "share has the unit %: raise it only to a whole number from -4 to 4"),
        ("kwhs * 2", "unknown name 'kwhs' (did you mean 'kwh'?)"),
        ("max(kwh, watts)", "max(…) needs equal units"),
    ],
)
def test_checks_before_use(text: str, message: str) -> None:
    with pytest.raises(FormulaError) as caught:
        analyse(parse(text), KNOWN)
    assert message in caught.value.message


def test_ranges_follow_the_arithmetic() -> None:
    known = analyse(parse("watts * hours"), KNOWN)
    assert (known.interval.low, known.interval.high) == (1, 2000 * 8760)
    assert analyse(parse("kwh / price"), KNOWN).interval.high == pytest.approx(1e8)
    left, right = analyse_condition(parse_condition("saved > 0"), KNOWN)
    assert left.unit == parse_unit("€/a") and right.unit.dimensionless


# --- random formulas -----------------------------------------------------------------------

NAMES = ("a", "b", "c", "zero")
VALUES = {"a": 2.5, "b": -3.0, "c": 1e200, "zero": 0.0}

atoms = st.one_of(
    st.sampled_from(NAMES),
    st.sampled_from(("0", "1", "2.5", "1e308", ".5", "3e-300", "unknown")),
    st.integers(0, 10**6).map(str),
)


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(children, st.sampled_from("+-*/^"), children).map(
            lambda t: f"{t[0]}{t[1]}{t[2]}"
        ),
        children.map(lambda c: f"({c})"),
        children.map(lambda c: f"-{c}"),
        st.tuples(st.sampled_from(("min", "max")), children, children).map(
            lambda t: f"{t[0]}({t[1]}, {t[2]})"
        ),
        children.map(lambda c: f"round({c}, 2)"),
        children.map(lambda c: f"abs({c})"),
    )


formulas = st.recursive(atoms, _combine, max_leaves=30)
noise = st.lists(
    st.sampled_from([*"ab0123456789.+-*/^(),eE _<>=!$'\"", "min", "round", "import"]),
    max_size=40,
).map("".join)


def _no_eval(*_: object) -> None:
    raise AssertionError("eval was called")


@settings(max_examples=400, deadline=None)
@given(formulas)
def test_random_formulas_raise_only_formula_errors(text: str) -> None:
    real_eval, real_exec = builtins.eval, builtins.exec
    builtins.eval, builtins.exec = _no_eval, _no_eval  # type: ignore[assignment]
    try:
        value = evaluate(parse(text), VALUES)
    except FormulaError:
        return
    finally:
        builtins.eval, builtins.exec = real_eval, real_exec
    assert math.isfinite(value)


@settings(max_examples=300, deadline=None)
@given(formulas)
def test_random_formulas_are_checked_against_units_without_other_errors(text: str) -> None:
    try:
        formula = parse(text)
    except FormulaError:
        return
    known = {
        "a": _known("%", 0, 100),
        "b": _known("kWh/a", -5, 5),
        "c": _known("kg CO2/kWh", 0.1, 0.4),
        "zero": _known("", 0, 0),
    }
    try:
        result = analyse(formula, known)
    except FormulaError:
        return
    assert not math.isnan(result.interval.low) and not math.isnan(result.interval.high)


@settings(max_examples=400, deadline=None)
@given(st.one_of(noise, formulas.map(lambda f: f + " < 1"), formulas))
def test_random_text_raises_only_formula_errors(text: str) -> None:
    for read in (parse, parse_condition):
        try:
            formula = read(text)
        except FormulaError:
            continue
        try:
            if read is parse:
                evaluate(formula, VALUES)  # type: ignore[arg-type]
                analyse(formula, {n: _known("", -1, 1) for n in NAMES})  # type: ignore[arg-type]
            else:
                holds(formula, VALUES)  # type: ignore[arg-type]
        except FormulaError:
            pass
