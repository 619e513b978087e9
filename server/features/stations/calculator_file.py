"""Reading a site's calculator files (``<site>/calculators/<id>.toml``) into ``Calculator``s.

A calculator is data: inputs (label per language, unit, range, default), factors (value, unit,
source, year), checks that tie inputs together, and results as formulas over inputs, factors
and earlier results. Everything is checked when the site loads, with the file and line of each
mistake and what to do: unknown names, units that do not fit
(``server/features/stations/units.py``), a division whose divisor can be zero over the inputs'
ranges (``server/features/stations/formula.py``). Format: docs/content-format.md.

>>> calculators, problems = read_calculators(site)     # doctest: +SKIP
>>> calculators["carbon-footprint"].run({"electricity_kwh": 100_000}, "de")  # doctest: +SKIP
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path

from server.features.stations.calculators import (
    Calculator,
    CheckSpec,
    Conversion,
    Factor,
    InputField,
    NoteSpec,
    ResultSpec,
)
from server.features.stations.content_reader import (
    ContentProblem,
    FrontMatter,
    Localised,
    describe_key,
    read_named_file,
)
from server.features.stations.formula import (
    FUNCTIONS,
    Condition,
    Formula,
    FormulaError,
    Interval,
    Known,
    Name,
    Number,
    analyse,
    analyse_condition,
    parse,
    parse_condition,
)
from server.features.stations.units import Unit, UnitError, parse_unit, unit_text
from world.toml_locations import KeyLines, toml_error_line
from world.toml_locations import Path as KeyPath

CALCULATORS_FOLDER = "calculators"
CALCULATOR_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,47}$")
NAME = re.compile(r"^[a-z_][a-z0-9_]{0,47}$")
TOP_KEYS = {"title", "summary", "groups", "inputs", "factors", "checks", "results", "notes"}
INPUT_KEYS = {
    "name",
    "label",
    "unit",
    "min",
    "max",
    "default",
    "help",
    "whole",
    "optional",
    "group",
}
FACTOR_KEYS = {"name", "label", "value", "unit", "source", "year"}
RESULT_KEYS = {"name", "label", "unit", "formula", "decimals", "group", "needs", "show"}
CHECK_KEYS = {"rule", "input", "message"}
NOTE_KEYS = {"text", "needs"}
TITLE_MAX = 90
TEXT_MAX = 600
#: Above zero, for a value a check keeps above zero (room for a few multiplications).
JUST_ABOVE_ZERO = 1e-300


def read_calculators(
    site_path: Path, languages: Sequence[str]
) -> tuple[dict[str, Calculator], list[ContentProblem]]:
    """Every calculator of a site folder and every problem found (a site may have none)."""
    folder = site_path / CALCULATORS_FOLDER
    problems: list[ContentProblem] = []
    calculators: dict[str, Calculator] = {}
    if not folder.is_dir():
        return calculators, problems
    for path in sorted(folder.glob("*.toml")):
        calculator = read_calculator(path, languages, problems)
        if calculator is not None:
            calculators[calculator.id] = calculator
    return calculators, problems


def read_calculator(
    path: Path, languages: Sequence[str], problems: list[ContentProblem]
) -> Calculator | None:
    """One calculator file; problems go to ``problems`` (and the result is ``None``)."""
    text = read_named_file(path, CALCULATOR_ID, "calculator", ".toml", problems)
    if text is None:
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, message = toml_error_line(str(exc))
        problems.append(ContentProblem(path, line, f"not valid TOML: {message}"))
        return None
    before = len(problems)
    reader = _Reader(FrontMatter(path, data, KeyLines(text), 0, languages, problems))
    calculator = reader.calculator(path.stem)
    problems[before:] = sorted(problems[before:], key=lambda p: p.line or 0)
    return calculator if len(problems) == before else None


class _Reader:
    """One calculator file, read top to bottom; every problem is recorded, none stops it."""

    def __init__(self, front: FrontMatter) -> None:
        self.front = front
        self.known: dict[str, Known] = {}
        self.kinds: dict[str, str] = {}  # name -> "input", "factor" or "result"
        self.optional: set[str] = set()
        self.needs_of: dict[str, tuple[str, ...]] = {}
        self.groups: set[str] = set()
        self.broken: set[str] = set()  # names whose entry has a reported problem
        self.check_messages: dict[int, Localised | None] = {}

    def calculator(self, calculator_id: str) -> Calculator | None:
        front = self.front
        front.table((), TOP_KEYS)
        title = front.localised(("title",), max_chars=TITLE_MAX)
        summary = front.localised(("summary",), max_chars=TEXT_MAX)
        groups = self.read_groups()
        inputs = [self.input(i) for i in range(len(front.tables(("inputs",), minimum=1) or []))]
        factors = [self.factor(i) for i in range(len(front.tables(("factors",)) or []))]
        checks_data = front.tables(("checks",)) or []
        checks: list[CheckSpec | None] = [None] * len(checks_data)
        parsed = [self.check_rule(i) for i in range(len(checks_data))]
        done: set[int] = set()
        self.apply_checks(parsed, checks, done)
        results: list[ResultSpec | None] = []
        for i in range(len(front.tables(("results",), minimum=1) or [])):
            results.append(self.result(i))
            self.apply_checks(parsed, checks, done)
        for i, condition in enumerate(parsed):
            if condition is not None and i not in done:
                missing = sorted(condition.names - self.known.keys())
                front.problem(
                    ("checks", i, "rule"),
                    f"{describe_key(('checks', i, 'rule'))}: unknown name "
                    f"{', '.join(repr(m) for m in missing)} (inputs, factors and results: "
                    f"{', '.join(sorted(self.known))})",
                )
        notes = [self.note(i) for i in range(len(front.tables(("notes",)) or []))]
        if title is None or summary is None:
            return None
        if None in inputs or None in factors or None in results or None in checks:
            return None
        if None in notes:
            return None
        return Calculator(
            id=calculator_id,
            title=title,
            summary=summary,
            inputs=tuple(i for i in inputs if i is not None),
            factors=tuple(f for f in factors if f is not None),
            results=tuple(r for r in results if r is not None),
            checks=tuple(c for c in checks if c is not None),
            notes=tuple(n for n in notes if n is not None),
            groups=groups,
            path=front.path,
        )

    # --- small typed readers ---------------------------------------------------------------

    def number(self, where: KeyPath, *, required: bool = True) -> float | None:
        value = self.front.value(where)
        if value is None:
            if required:
                self.front.problem(where, f"missing {describe_key(where)} (a number)")
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            self.front.problem(where, f"{describe_key(where)} must be a number, like 2.5")
            return None
        return value

    def name(self, where: KeyPath, kind: str) -> str | None:
        name = self.front.text(where, max_chars=48)
        if name is None:
            return None
        if not NAME.match(name) or name in FUNCTIONS:
            self.front.problem(
                where,
                f"{describe_key(where)} {name!r} must be lower-case letters, digits and _ "
                f"(starting with a letter), and not a function name ({', '.join(FUNCTIONS)})",
            )
            return None
        if name in self.kinds:
            self.front.problem(
                where,
                f"{describe_key(where)}: the name {name!r} is already an earlier "
                f"{self.kinds[name]}'s; give each input, factor and result its own name",
            )
            return None
        self.kinds[name] = kind
        return name

    def unit(self, where: KeyPath, text: object) -> Unit | None:
        if not isinstance(text, str):
            self.front.problem(where, f'{describe_key(where)} must be a text, like "kWh/a"')
            return None
        try:
            return parse_unit(text)
        except UnitError as exc:
            self.front.problem(where, f"{describe_key(where)}: {exc}")
            return None

    def group(self, where: KeyPath) -> str | None:
        group = self.front.text(where, required=False, max_chars=48)
        if group is not None and group not in self.groups:
            self.front.problem(
                where,
                f"{describe_key(where)}: unknown group {group!r} "
                f"(groups: {', '.join(sorted(self.groups)) or 'none; add a [groups] table'})",
            )
        return group

    def read_groups(self) -> dict[str, Localised]:
        table = self.front.value(("groups",))
        if table is None:
            return {}
        if not isinstance(table, dict):
            self.front.problem(("groups",), "[groups] must be a table of names per language")
            return {}
        groups: dict[str, Localised] = {}
        for key in table:
            self.groups.add(key)
            text = self.front.localised(("groups", key), max_chars=TITLE_MAX)
            if text is not None:
                groups[key] = text
        return groups

    def describe(self, unit: Unit) -> str:
        return _describe(unit)

    # --- entries ---------------------------------------------------------------------------

    def input(self, i: int) -> InputField | None:
        at: KeyPath = ("inputs", i)
        front = self.front
        front.table(at, INPUT_KEYS)
        name = self.name((*at, "name"), "input")
        label = front.localised((*at, "label"), max_chars=TITLE_MAX)
        unit_text = front.value((*at, "unit"))
        unit_text = "" if unit_text is None else unit_text
        unit = self.unit((*at, "unit"), unit_text)
        low = self.number((*at, "min"))
        high = self.number((*at, "max"))
        default = self.number((*at, "default"), required=False)
        whole = front.flag((*at, "whole"), default=False)
        optional = front.flag((*at, "optional"), default=False)
        help_text = front.localised((*at, "help"), required=False, max_chars=TEXT_MAX)
        group = self.group((*at, "group"))
        entry = describe_key(at)
        ok = None not in (name, label, unit, low, high)
        if low is not None and high is not None and low >= high:
            front.problem((*at, "max"), f"{entry}: max must be greater than min ({low:g})")
            ok = False
        if ok and default is not None and not low <= default <= high:  # type: ignore[operator]
            front.problem(
                (*at, "default"), f"{entry}: default {default:g} lies outside {low:g} to {high:g}"
            )
            ok = False
        if default is None and not optional:
            front.problem(
                at,
                f"{entry}: give a default, or write optional = true when it may stay empty",
            )
            ok = False
        if not ok:
            self.broken.add(name or "")
            return None
        assert name is not None and label is not None and unit is not None
        assert low is not None and high is not None
        self.known[name] = Known(unit, Interval(low, high))
        if optional:
            self.optional.add(name)
        return InputField(
            name, label, unit_text, low, high, default, help_text, whole, optional, group
        )

    def factor(self, i: int) -> Factor | None:
        at: KeyPath = ("factors", i)
        front = self.front
        front.table(at, FACTOR_KEYS)
        name = self.name((*at, "name"), "factor")
        label = front.localised((*at, "label"), max_chars=TITLE_MAX)
        value = self.number((*at, "value"))
        unit_text = front.value((*at, "unit"))
        unit_text = "" if unit_text is None else unit_text
        unit = self.unit((*at, "unit"), unit_text)
        source = front.text((*at, "source"), max_chars=TEXT_MAX)
        year = front.integer((*at, "year"), low=1900, high=2100)
        if None in (name, label, value, unit, source, year):
            self.broken.add(name or "")
            return None
        assert name is not None and label is not None and value is not None
        assert unit is not None and source is not None
        self.known[name] = Known(unit, Interval(value, value))
        return Factor(name, label, value, str(unit_text), source, year)

    def check_rule(self, i: int) -> Condition | None:
        at: KeyPath = ("checks", i)
        front = self.front
        front.table(at, CHECK_KEYS)
        rule = front.text((*at, "rule"), max_chars=1000)
        target = front.text((*at, "input"), max_chars=48)
        self.check_messages[i] = front.localised((*at, "message"), max_chars=TEXT_MAX)
        if target is not None and self.kinds.get(target) != "input":
            inputs = sorted(n for n, kind in self.kinds.items() if kind == "input")
            front.problem(
                (*at, "input"),
                f"{describe_key((*at, 'input'))}: {target!r} is not an input "
                f"(inputs: {', '.join(inputs)})",
            )
        if rule is None:
            return None
        try:
            return parse_condition(rule)
        except FormulaError as exc:
            front.problem((*at, "rule"), _formula_message((*at, "rule"), rule, exc))
            return None

    def apply_checks(
        self, parsed: list[Condition | None], checks: list[CheckSpec | None], done: set[int]
    ) -> None:
        """Check each rule once all its names are known; ``x > 0`` narrows what x can be."""
        for i, condition in enumerate(parsed):
            if i in done or condition is None:
                continue
            if condition.names & self.broken:
                done.add(i)  # its cause is reported already
                continue
            if not condition.names <= self.known.keys():
                continue
            done.add(i)
            at: KeyPath = ("checks", i)
            try:
                analyse_condition(condition, self.known, self.describe)
            except FormulaError as exc:
                problem = _formula_message((*at, "rule"), condition.text, exc, place=False)
                self.front.problem((*at, "rule"), problem)
                continue
            target = self.front.value((*at, "input"))
            message = self.check_messages.get(i)
            if message is None or not isinstance(target, str) or target not in self.known:
                continue
            checks[i] = CheckSpec(condition, target, message)
            self.narrow(condition)

    def narrow(self, condition: Condition) -> None:
        name, op, bound = _positive_bound(condition)
        if name is None or bound is None or name not in self.known:
            return
        known = self.known[name]
        low = max(known.interval.low, JUST_ABOVE_ZERO if op == ">" and bound == 0 else bound)
        self.known[name] = Known(known.unit, Interval(low, known.interval.high))

    def result(self, i: int) -> ResultSpec | None:
        at: KeyPath = ("results", i)
        front = self.front
        front.table(at, RESULT_KEYS)
        name = self.name((*at, "name"), "result")
        shown = front.flag((*at, "show"), default=True)
        label = front.localised((*at, "label"), required=shown, max_chars=TITLE_MAX)
        formula_text = front.text((*at, "formula"), max_chars=1000)
        decimals = front.integer((*at, "decimals"), low=0, high=10, default=-1)
        group = self.group((*at, "group"))
        needs = self.needs(at)
        unit_value = front.value((*at, "unit"))
        unit_text: str | Localised = "" if unit_value is None else unit_value
        declared = self.result_unit((*at, "unit"), unit_text)
        if name is None or formula_text is None or needs is None or declared is None:
            self.broken.add(name or "")
            return None
        try:
            formula = parse(formula_text)
        except FormulaError as exc:
            front.problem((*at, "formula"), _formula_message((*at, "formula"), formula_text, exc))
            self.broken.add(name)
            return None
        if formula.names & self.broken:
            self.broken.add(name)  # its cause is reported already
            return None
        missing_needs = self.undeclared_needs(formula, needs)
        if missing_needs:
            self.broken.add(name)
            front.problem(
                (*at, "formula"),
                f"{describe_key(at)} ({name}) uses the optional "
                f"{', '.join(repr(n) for n in missing_needs)}: add needs = "
                f"[{', '.join(repr(n) for n in sorted(set(needs) | set(missing_needs)))}]".replace(
                    "'", '"'
                ),
            )
            return None
        try:
            known = analyse(formula, self.known, self.describe)
        except FormulaError as exc:
            self.broken.add(name)
            message = _formula_message((*at, "formula"), formula_text, exc, place=False)
            front.problem((*at, "formula"), message)
            return None
        if not known.unit.same_dimension(declared):
            self.broken.add(name)
            written = unit_text if isinstance(unit_text, str) else next(iter(unit_text.values()))
            front.problem(
                (*at, "unit"),
                f"{describe_key(at)} ({name}): the formula gives {self.describe(known.unit)} but "
                f"unit says {written}: change unit or the formula",
            )
            return None
        conversion = Conversion(declared.scale / known.unit.scale)
        interval = known.interval
        low = conversion.apply(interval.low) if math.isfinite(interval.low) else interval.low
        high = conversion.apply(interval.high) if math.isfinite(interval.high) else interval.high
        self.known[name] = Known(declared, Interval(low, high))
        self.needs_of[name] = tuple(needs)
        if label is None and shown:
            return None
        return ResultSpec(
            name=name,
            label=label,
            formula=formula,
            unit=unit_text,
            conversion=conversion,
            decimals=None if decimals in (None, -1) else decimals,
            group=group,
            needs=tuple(needs),
            shown=shown,
        )

    def result_unit(self, where: KeyPath, text: object) -> Unit | None:
        if isinstance(text, dict):
            units = {lang: self.unit((*where, lang), value) for lang, value in text.items()}
            if None in units.values():
                return None
            missing = [lang for lang in self.front.languages if lang not in text]
            if missing:
                self.front.problem(
                    where, f"missing translation: {describe_key(where)}.{missing[0]}"
                )
                return None
            distinct = {unit for unit in units.values() if unit is not None}
            if len(distinct) != 1:
                self.front.problem(
                    where, f"{describe_key(where)}: the languages name different units"
                )
                return None
            return distinct.pop()
        return self.unit(where, text)

    def needs(self, at: KeyPath) -> list[str] | None:
        where = (*at, "needs")
        value = self.front.value(where)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.front.problem(
                where, f'{describe_key(where)} must be a list of input names, like ["x"]'
            )
            return None
        for name in value:
            if name not in self.optional:
                self.front.problem(
                    where,
                    f"{describe_key(where)}: {name!r} is not an optional input "
                    f"(optional inputs: {', '.join(sorted(self.optional)) or 'none'})",
                )
                return None
        return list(value)

    def undeclared_needs(self, formula: Formula, needs: list[str]) -> list[str]:
        used: set[str] = set()
        for name in formula.names:
            if name in self.optional:
                used.add(name)
            used.update(self.needs_of.get(name, ()))
        return sorted(used - set(needs))

    def note(self, i: int) -> NoteSpec | None:
        at: KeyPath = ("notes", i)
        self.front.table(at, NOTE_KEYS)
        text = self.front.localised((*at, "text"), max_chars=TEXT_MAX)
        needs = self.needs(at)
        if text is None or needs is None:
            return None
        return NoteSpec(text, tuple(needs))


def _positive_bound(condition: Condition) -> tuple[str | None, str, float | None]:
    """``x > c`` or ``x >= c`` (or ``c < x``) with ``c`` at least zero: (x, op, c)."""
    left, right, op = condition.left, condition.right, condition.op
    if isinstance(right, Name) and isinstance(left, Number):
        left, right = right, left
        op = {"<": ">", "<=": ">="}.get(op, "")
    positive = isinstance(right, Number) and right.value >= 0
    if isinstance(left, Name) and isinstance(right, Number) and positive and op in (">", ">="):
        return left.name, op, right.value
    return None, op, None


def _describe(unit: Unit) -> str:
    return unit_text(unit)


def _formula_message(where: KeyPath, text: str, error: FormulaError, *, place: bool = True) -> str:
    shown = text if len(text) <= 80 else text[:77] + "…"
    at = f" (at character {error.at + 1})" if place and error.at is not None else ""
    return f"{describe_key(where)} {shown!r}: {error.message}{at}"
