"""A small unit algebra for the declared calculators: ``kWh * kg CO2/kWh = kg CO2``.

A unit is a scale (an exact fraction of its base unit) and a product of base dimensions with
whole exponents. ``parse_unit`` reads what a calculator file writes (``"kg CO2/kWh"``,
``"€/a"``, ``"%"``, ``"W"``): words separated by spaces multiply, one ``/`` divides by
everything after it, and ``^2`` or ``²``/``³`` raise a word to a power. Multiplying and dividing
units multiplies and divides scales and adds exponents; adding needs equal units.

Substance words (``CO2``, ``CO2e``, ``H2`` …) are dimensions of their own, so ``kg H2`` and
``kg CO2`` are never mixed up. Years (``a``) and hours (``h``) are separate dimensions: a
yearly figure is written per year (``kWh/a``), and no calculator silently assumes 8,760 hours.

>>> str(parse_unit("kWh/a") * parse_unit("kg CO2/kWh"))
'kg CO2/a'
>>> parse_unit("t").scale
Fraction(1000, 1)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

Dimensions = tuple[tuple[str, int], ...]


class UnitError(ValueError):
    """A unit text that cannot be read (the message says which word and what is known)."""


@dataclass(frozen=True)
class Unit:
    """``scale`` times the product of ``dims`` (base name, exponent), exponents never zero."""

    scale: Fraction
    dims: Dimensions

    def __mul__(self, other: Unit) -> Unit:
        return Unit(self.scale * other.scale, _combine(self.dims, other.dims, 1))

    def __truediv__(self, other: Unit) -> Unit:
        return Unit(self.scale / other.scale, _combine(self.dims, other.dims, -1))

    def power(self, exponent: int) -> Unit:
        dims = tuple((name, power * exponent) for name, power in self.dims if exponent)
        return Unit(self.scale**exponent, dims)

    def same_dimension(self, other: Unit) -> bool:
        return self.dims == other.dims

    @property
    def dimensionless(self) -> bool:
        return not self.dims

    def __str__(self) -> str:
        dims = sorted(self.dims, key=lambda d: (d[0] in SUBSTANCES, d[0]))
        up = [_shown(name, power) for name, power in dims if power > 0]
        down = [_shown(name, -power) for name, power in dims if power < 0]
        text = " ".join(up) or ("1" if down else "")
        if down:
            text += "/" + " ".join(down)
        if self.scale != 1:
            text = f"{_number(self.scale)} {text}".strip()
        return text or "1"


ONE = Unit(Fraction(1), ())


def _shown(name: str, power: int) -> str:
    return name if power == 1 else f"{name}^{power}"


def _number(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{float(value):g}"


def _combine(a: Dimensions, b: Dimensions, sign: int) -> Dimensions:
    powers = dict(a)
    for name, power in b:
        powers[name] = powers.get(name, 0) + sign * power
    return tuple(sorted((name, power) for name, power in powers.items() if power))


def _base(name: str, scale: Fraction | int = 1, **extra: int) -> Unit:
    dims = dict(extra) if extra else {name: 1}
    return Unit(Fraction(scale), tuple(sorted(dims.items())))


def _derived(of: Unit, scale: Fraction | int) -> Unit:
    return Unit(of.scale * Fraction(scale), of.dims)


_KG = _base("kg")
_KWH = _base("kWh")
_HOUR = _base("h")
_YEAR = _base("a")
_METRE = _base("m")
_LITRE = _base("l")
_EURO = _base("€")
_KW = _KWH / _HOUR

#: Every unit word a calculator file may use, by what it means.
UNITS: dict[str, Unit] = {
    "%": Unit(Fraction(1, 100), ()),
    "g": _derived(_KG, Fraction(1, 1000)),
    "kg": _KG,
    "t": _derived(_KG, 1000),
    "Wh": _derived(_KWH, Fraction(1, 1000)),
    "kWh": _KWH,
    "MWh": _derived(_KWH, 1000),
    "GWh": _derived(_KWH, 1_000_000),
    "J": _derived(_KWH, Fraction(1, 3_600_000)),
    "kJ": _derived(_KWH, Fraction(1, 3_600)),
    "MJ": _derived(_KWH, Fraction(5, 18)),
    "GJ": _derived(_KWH, Fraction(2500, 9)),
    "W": _derived(_KW, Fraction(1, 1000)),
    "kW": _KW,
    "MW": _derived(_KW, 1000),
    "s": _derived(_HOUR, Fraction(1, 3600)),
    "min": _derived(_HOUR, Fraction(1, 60)),
    "h": _HOUR,
    "d": _derived(_HOUR, 24),
    "a": _YEAR,
    "m": _METRE,
    "km": _derived(_METRE, 1000),
    "Pkm": _derived(_METRE, 1000),  # passenger kilometres: a kilometre travelled by one person
    "l": _LITRE,
    "m3": _derived(_LITRE, 1000),
    "m³": _derived(_LITRE, 1000),
    "Nm3": _derived(_LITRE, 1000),
    "€": _EURO,
    "EUR": _EURO,
    "ct": _derived(_EURO, Fraction(1, 100)),
}
#: Words for years as calculators write them in their languages (``years``, ``Jahre``).
for _word in ("year", "years", "Jahr", "Jahre"):
    UNITS[_word] = _YEAR
#: What a mass or an amount is of: each its own dimension.
SUBSTANCES = ("CO2", "CO2e", "H2", "H2O", "O2", "CH4")
for _substance in SUBSTANCES:
    UNITS[_substance] = _base(_substance)

_WORD = re.compile(r"^(?P<name>[^\s^²³]+?)(?:\^(?P<power>-?\d)|(?P<sup>[²³]))?$")


def unit_text(unit: Unit) -> str:
    """A unit as a calculator file would write it: a known word when there is one."""
    for word, known in UNITS.items():
        if known == unit and word not in ("EUR", "Pkm", "Nm3", "m³"):
            return word
    text = str(unit)
    return "a plain number" if text == "1" else text


def parse_unit(text: str) -> Unit:
    """The unit a text names; ``""`` (or ``"1"``) is a plain number."""
    if text.count("/") > 1:
        raise UnitError(f"unit {text!r} has more than one '/': write kg/(kWh a) as 'kg/kWh a'")
    top, _, bottom = text.partition("/")
    unit = _product(top)
    if "/" in text:
        if not bottom.strip():
            raise UnitError(f"unit {text!r} has nothing after '/'")
        unit = unit / _product(bottom)
    return unit


def _product(text: str) -> Unit:
    unit = ONE
    for word in text.split():
        if word == "1":
            continue
        if word in UNITS:
            unit = unit * UNITS[word]
            continue
        match = _WORD.match(word)
        if match is None or match.group("name") not in UNITS:
            raise UnitError(f"unknown unit {word!r} (known: {', '.join(sorted(UNITS))})")
        power = 1
        if match.group("power"):
            power = int(match.group("power"))
        elif match.group("sup"):
            power = 2 if match.group("sup") == "²" else 3
        unit = unit * UNITS[match.group("name")].power(power)
    return unit
