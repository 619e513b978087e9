"""Station experiments: calculators declared in a site's files and run on the server.

A ``Calculator`` is read from ``<site>/calculators/<id>.toml``
(``server/features/stations/calculator_file.py``; format: docs/content-format.md): its form (inputs
with unit, range and default), the factors it uses with their source and year, checks that tie
inputs together, and its results as formulas (``server/features/stations/formula.py``) over inputs,
factors and earlier results. No calculator is written in Python: a region adds one with a file.

Inputs are checked one by one; every rejected field gets a message in each site language, so
the form can show it beside the field. Typed text is read the way the visitor's language writes
numbers (``server/features/stations/number_text.py``): German ``50.000`` is fifty thousand, and a
text that could mean two numbers is refused with both readings offered, never guessed. Nothing a
visitor types is stored. A result's value is converted from the unit its formula gives to the unit
it declares (kilograms to tonnes, watt-hours to kilowatt-hours) and rounded to its decimals;
the text beside it is written the visitor's way.

>>> calculator = calculators["carbon-footprint"]                     # doctest: +SKIP
>>> calculator.run({"electricity_kwh": "50.000"}, "de").figure("scope2_location")  # doctest: +SKIP
18.15
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from server.features.stations.content_reader import Localised
from server.features.stations.formula import Condition, Formula, FormulaError, evaluate, holds
from server.features.stations.number_text import (
    NumberProblem,
    NumberReading,
    format_number,
    read_number,
)

Values = Mapping[str, float | None]


@dataclass(frozen=True)
class Factor:
    """A documented constant: what it is, its value and unit, and where it comes from."""

    id: str
    label: Localised
    value: float
    unit: str
    source: str
    year: int | None = None

    def as_dict(self, lang: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label[lang],
            "value": self.value,
            "unit": self.unit,
            "source": self.source,
            "year": self.year,
        }


@dataclass(frozen=True)
class InputField:
    """One input of a calculator's form."""

    name: str
    label: Localised
    unit: str
    minimum: float
    maximum: float
    default: float | None
    help: Localised | None = None
    whole: bool = False
    optional: bool = False
    group: str | None = None

    def as_dict(self, lang: str) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label[lang],
            "unit": self.unit,
            "min": self.minimum,
            "max": self.maximum,
            "default": self.default,
            "help": self.help[lang] if self.help else None,
            "whole": self.whole,
            "optional": self.optional,
            "group": self.group,
        }


@dataclass(frozen=True)
class Figure:
    """One computed result with its unit (and, for a total, which items it adds up)."""

    name: str
    label: Localised
    value: float
    unit: str | Localised
    group: str | None = None

    def as_dict(self, lang: str) -> dict[str, Any]:
        unit = self.unit if isinstance(self.unit, str) else self.unit[lang]
        return {
            "name": self.name,
            "label": self.label[lang],
            "value": self.value,
            "unit": unit,
            "text": f"{format_number(self.value, lang)} {unit}".strip(),
            "group": self.group,
        }


@dataclass(frozen=True)
class CalculatorResult:
    calculator: str
    figures: tuple[Figure, ...]
    notes: tuple[Localised, ...] = ()

    def figure(self, name: str) -> float:
        for figure in self.figures:
            if figure.name == name:
                return figure.value
        raise KeyError(name)

    def as_dict(self, lang: str) -> dict[str, Any]:
        return {
            "calculator": self.calculator,
            "language": lang,
            "figures": [f.as_dict(lang) for f in self.figures],
            "notes": [note[lang] for note in self.notes],
        }


class InputRejected(ValueError):
    """Inputs that cannot be used.

    ``fields`` maps each bad input to a message per language, ``codes`` to why (see
    ``INPUT_PROBLEMS``).
    """

    def __init__(self, fields: dict[str, Localised], codes: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {text['en']}" for name, text in fields.items()))
        self.fields = fields
        self.codes = codes

    def for_language(self, lang: str) -> dict[str, str]:
        return {name: text[lang] for name, text in self.fields.items()}


@dataclass(frozen=True)
class Conversion:
    """From the unit a formula gives to the unit its result declares: divide or multiply."""

    ratio: Fraction  # declared unit / formula unit

    def apply(self, value: float) -> float:
        if self.ratio == 1:
            return value
        if self.ratio.denominator == 1:
            return value / self.ratio.numerator
        if self.ratio.numerator == 1:
            return value * self.ratio.denominator
        return value / float(self.ratio)


@dataclass(frozen=True)
class ResultSpec:
    """One declared result: a formula, the unit it is shown in, and how it is rounded.

    A hidden result (``shown`` false) is a step later formulas use. ``needs`` names optional
    inputs without which the result is left out.
    """

    name: str
    label: Localised | None
    formula: Formula
    unit: str | Localised
    conversion: Conversion
    decimals: int | None
    group: str | None
    needs: tuple[str, ...]
    shown: bool = True

    def rounded(self, value: float) -> float:
        if self.decimals is None:
            return value
        if self.decimals == 0:
            return round(value)
        return round(value, self.decimals)


@dataclass(frozen=True)
class CheckSpec:
    """A rule the inputs must keep together; when broken, ``message`` is shown at ``input``."""

    condition: Condition
    input: str
    message: Localised


@dataclass(frozen=True)
class NoteSpec:
    text: Localised
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Calculator:
    id: str
    title: Localised
    summary: Localised
    inputs: tuple[InputField, ...]
    factors: tuple[Factor, ...]
    results: tuple[ResultSpec, ...]
    checks: tuple[CheckSpec, ...] = ()
    notes: tuple[NoteSpec, ...] = ()
    groups: dict[str, Localised] = field(default_factory=dict)
    path: Path | None = None

    def describe(self, lang: str) -> dict[str, Any]:
        """The form for the client: inputs, groups and the factors with their sources."""
        return {
            "id": self.id,
            "title": self.title[lang],
            "summary": self.summary[lang],
            "groups": {key: text[lang] for key, text in self.groups.items()},
            "inputs": [i.as_dict(lang) for i in self.inputs],
            "factors": [f.as_dict(lang) for f in self.factors],
        }

    def validate(self, raw: object, lang: str) -> dict[str, float | None]:
        """Checked numbers for every input, or ``InputRejected`` listing every bad field.

        Inputs are JSON numbers or text as a visitor writing in ``lang`` typed it.
        """
        if not isinstance(raw, Mapping):
            raise InputRejected(
                {"_": _both("Die Eingaben fehlen.", "The inputs are missing.")},
                {"_": "inputs_missing"},
            )
        problems: dict[str, Localised] = {}
        codes: dict[str, str] = {}
        known = {i.name for i in self.inputs}
        for name in sorted(str(k) for k in raw if k not in known):
            problems[name] = _both(f"Unbekannte Eingabe „{name}“.", f"Unknown input '{name}'.")
            codes[name] = "input_unknown"
        values: dict[str, float | None] = {}
        for spec in self.inputs:
            checked = _checked(spec, raw.get(spec.name), lang)
            if isinstance(checked, _Problem):
                problems[spec.name], codes[spec.name] = checked.message, checked.code
                values[spec.name] = None
            else:
                values[spec.name] = checked
        if problems:
            raise InputRejected(problems, codes)
        return values

    def run(self, raw: object, lang: str) -> CalculatorResult:
        return self.compute(self.validate(raw, lang))

    def compute(self, inputs: Mapping[str, float | None]) -> CalculatorResult:
        """The results for checked inputs; ``InputRejected`` when a check fails."""
        given = {name for name, value in inputs.items() if value is not None}
        names: dict[str, float] = {f.id: f.value for f in self.factors}
        names.update({name: value for name, value in inputs.items() if value is not None})
        pending = list(self.checks)
        self._run_checks(pending, names)
        figures: list[Figure] = []
        for spec in self.results:
            if not given.issuperset(spec.needs):
                continue
            try:
                value = spec.conversion.apply(evaluate(spec.formula, names))
            except FormulaError:
                raise InputRejected(
                    {"_": _both(NO_RESULT_DE, NO_RESULT_EN)}, {"_": "inputs_inconsistent"}
                ) from None
            names[spec.name] = value
            self._run_checks(pending, names)
            if spec.shown and spec.label is not None:
                figures.append(
                    Figure(spec.name, spec.label, spec.rounded(value), spec.unit, spec.group)
                )
        notes = tuple(note.text for note in self.notes if given.issuperset(note.needs))
        return CalculatorResult(self.id, tuple(figures), notes)

    @staticmethod
    def _run_checks(pending: list[CheckSpec], names: Mapping[str, float]) -> None:
        for check in list(pending):
            if not check.condition.names <= names.keys():
                continue
            pending.remove(check)
            try:
                kept = holds(check.condition, names)
            except FormulaError:
                kept = False
            if not kept:
                raise InputRejected(
                    {check.input: check.message}, {check.input: "inputs_inconsistent"}
                )


NO_RESULT_DE = "Mit diesen Eingaben lässt sich nichts berechnen."
NO_RESULT_EN = "These inputs give no result."


def _both(de: str, en: str) -> Localised:
    return {"de": de, "en": en}


INPUT_PROBLEMS = (
    "inputs_missing",  # no inputs object at all
    "input_unknown",  # a name the calculator does not have
    "input_required",  # empty, and the input has no default
    NumberProblem.INVALID.value,  # not a number
    NumberProblem.AMBIGUOUS.value,  # could mean two numbers (en "50.000")
    NumberProblem.OTHER_LANGUAGE.value,  # written the other language's way (de "1.5")
    "number_not_whole",
    "number_out_of_range",
    "inputs_inconsistent",  # fine alone, impossible together (new lamp uses more than old)
)
"""Why an input was refused: the codes in ``InputRejected.codes``."""


@dataclass(frozen=True)
class _Problem:
    code: str
    message: Localised


NOT_A_NUMBER = _Problem(
    NumberProblem.INVALID.value,
    _both(
        "Bitte eine Zahl eingeben (z. B. 1.200 oder 0,25).", "Enter a number (e.g. 1,200 or 0.25)."
    ),
)
_WRITING_DE = {"de": "englisch", "en": "deutsch"}
_WRITING_EN = {"de": "English", "en": "German"}
_DECIMAL_MARK_DE = {"de": "das Komma", "en": "der Punkt"}
_DECIMAL_MARK_EN = {"de": "comma", "en": "point"}


def _unclear_number(reading: NumberReading, lang: str) -> _Problem:
    """Ask the visitor which number they mean, offering it written their way."""
    text = reading.text.strip()
    if reading.problem is NumberProblem.OTHER_LANGUAGE:
        (choice,) = reading.choices
        return _Problem(
            reading.problem.value,
            _both(
                f"„{text}“ ist {_WRITING_DE[lang]} geschrieben. Meinen Sie {choice}? "
                "Bitte so eingeben.",
                f"'{text}' is written the {_WRITING_EN[lang]} way. Do you mean {choice}? "
                "Please type it like that.",
            ),
        )
    if reading.problem is NumberProblem.AMBIGUOUS:
        thousands, decimal = reading.choices
        return _Problem(
            reading.problem.value,
            _both(
                f"„{text}“ ist nicht eindeutig: Bitte {thousands} eingeben, wenn Tausender gemeint "
                f"sind, oder {decimal}, wenn {_DECIMAL_MARK_DE[lang]} Nachkommastellen abtrennt.",
                f"'{text}' is unclear: type {thousands} if you mean thousands, or {decimal} if "
                f"the {_DECIMAL_MARK_EN[lang]} marks decimals.",
            ),
        )
    return NOT_A_NUMBER


def _number(raw: object, lang: str) -> float | _Problem:
    if isinstance(raw, str):
        reading = read_number(raw, lang)
        return reading.value if reading.value is not None else _unclear_number(reading, lang)
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return NOT_A_NUMBER
    try:
        number = float(raw)
    except OverflowError:
        return NOT_A_NUMBER
    return number if math.isfinite(number) else NOT_A_NUMBER


def _checked(spec: InputField, raw: object, lang: str) -> float | _Problem | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if spec.default is not None:
            return spec.default
        if spec.optional:
            return None
        return _Problem("input_required", _both("Bitte ausfüllen.", "Please fill this in."))
    number = _number(raw, lang)
    if isinstance(number, _Problem):
        return number
    if spec.whole and number != int(number):
        return _Problem(
            "number_not_whole", _both("Bitte eine ganze Zahl eingeben.", "Enter a whole number.")
        )
    if not spec.minimum <= number <= spec.maximum:
        low_de, high_de = _limit(spec.minimum, "de"), _limit(spec.maximum, "de")
        low_en, high_en = _limit(spec.minimum, "en"), _limit(spec.maximum, "en")
        return _Problem(
            "number_out_of_range",
            _both(
                f"Bitte einen Wert von {low_de} bis {high_de} {spec.unit}".rstrip() + " eingeben.",
                f"Enter a value from {low_en} to {high_en} {spec.unit}".rstrip() + ".",
            ),
        )
    return number


def _limit(value: float, lang: str) -> str:
    return format_number(value, lang, None)
