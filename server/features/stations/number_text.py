"""Numbers as people write them in German and English: reading typed text, writing figures.

German writes fifty thousand and a half as ``50.000,5``, English as ``50,000.5``. The same
characters mean opposite things, so a number is always read in the visitor's language, and a
text that the other language would read differently is never guessed at:

* A text valid in the visitor's language and not in the other one, or valid in both with the
  same value, is read (DE ``2.000,5``, ``0,5``; EN ``50,000.5``; both ``50000``, ``50 000``).
* A text valid only in the other language is refused as ``number_other_language``, with the
  number written the visitor's way as the one choice (DE ``1.5`` → ``1,5``; EN ``2.000,5`` →
  ``2,000.5``).
* A text valid in both languages with two different values has exactly one point or comma,
  one to three digits before it (not starting with 0) and exactly three after it (``50.000``,
  ``1,234``). When that mark is the visitor's thousands separator, the text is read as
  thousands (DE ``50.000`` = 50 000, EN ``50,000`` = 50 000): that is how the language writes
  them, and three decimals are rare in what people type. When the mark is the visitor's decimal
  mark (DE ``1,234``, EN ``50.000``), the text is refused as ``number_ambiguous`` with both
  meanings written unmistakably as the choices (EN ``50,000`` or ``50``; DE ``1.234`` or
  ``1,2340``).
* Everything else is ``number_invalid``.

The writing: digits 0-9, an optional sign (``+``, ``-``, ``−``), an integer part that is plain
digits or grouped by three with one kind of separator (the language's thousands separator or a
space, also no-break and thin spaces), and an optional decimal part after the language's decimal
mark (``,5`` is 0.5). No exponents, units or other digits.

``web-client/js/number-text.js`` implements the same rules; both are tested against
``tests/stations/number_cases.json``.

>>> read_number("50.000", "de").value
50000.0
>>> read_number("50.000", "en").problem
<NumberProblem.AMBIGUOUS: 'number_ambiguous'>
>>> format_number(50000.5, "de")
'50.000,5'
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum

MAX_CHARS = 64
SPACES = "\u00a0\u2009\u202f"
MINUS = "\u2212"


@dataclass(frozen=True)
class NumberStyle:
    """How one language writes numbers: its decimal mark and its thousands separator."""

    lang: str
    decimal: str
    group: str


STYLES: dict[str, NumberStyle] = {
    "de": NumberStyle("de", ",", "."),
    "en": NumberStyle("en", ".", ","),
}


def style_for(lang: str) -> NumberStyle:
    try:
        return STYLES[lang]
    except KeyError:
        raise ValueError(f"no number writing known for language {lang!r}") from None


def _other(style: NumberStyle) -> NumberStyle:
    return next(s for s in STYLES.values() if s.decimal == style.group)


class NumberProblem(StrEnum):
    INVALID = "number_invalid"
    AMBIGUOUS = "number_ambiguous"
    OTHER_LANGUAGE = "number_other_language"


@dataclass(frozen=True)
class NumberReading:
    """What a typed text says: a value, or a problem with the texts the visitor may have meant.

    ``choices`` holds, for ``number_other_language``, the number written the visitor's way;
    for ``number_ambiguous``, first the thousands reading, then the decimal reading.
    """

    text: str
    value: float | None = None
    problem: NumberProblem | None = None
    choices: tuple[str, ...] = ()


def _pattern(style: NumberStyle) -> re.Pattern[str]:
    group, decimal = re.escape(style.group), re.escape(style.decimal)
    grouped = rf"[1-9][0-9]{{0,2}}(?:{group}[0-9]{{3}})+|[1-9][0-9]{{0,2}}(?: [0-9]{{3}})+"
    return re.compile(rf"[+-]?(?:(?:[0-9]+|{grouped})(?:{decimal}[0-9]+)?|{decimal}[0-9]+)")


_PATTERNS = {lang: _pattern(style) for lang, style in STYLES.items()}


def _strict(text: str, style: NumberStyle) -> float | None:
    if not _PATTERNS[style.lang].fullmatch(text):
        return None
    plain = text.replace(style.group, "").replace(" ", "").replace(style.decimal, ".")
    return float(plain)


def _normalised(text: str) -> str:
    text = text.strip()
    for space in SPACES:
        text = text.replace(space, " ")
    return text.replace(MINUS, "-")


def _readings(text: str, style: NumberStyle) -> tuple[float | None, float | None, bool]:
    """The value in the visitor's writing, in the other writing, and whether to ask which."""
    own, other = _strict(text, style), _strict(text, _other(style))
    ambiguous = own is not None and other is not None and own != other and style.decimal in text
    return own, other, ambiguous


def read_number(text: str, lang: str) -> NumberReading:
    """Read ``text`` as a visitor writing in ``lang`` means it (see the module's rules)."""
    style = style_for(lang)
    if len(text) > MAX_CHARS:
        return NumberReading(text, problem=NumberProblem.INVALID)
    own, other, ambiguous = _readings(_normalised(text), style)
    if ambiguous and own is not None and other is not None:
        return NumberReading(
            text,
            problem=NumberProblem.AMBIGUOUS,
            choices=(format_number(other, lang, None), format_number(own, lang, None)),
        )
    if own is not None:
        return NumberReading(text, value=own)
    if other is not None:
        return NumberReading(
            text,
            problem=NumberProblem.OTHER_LANGUAGE,
            choices=(format_number(other, lang, None),),
        )
    return NumberReading(text, problem=NumberProblem.INVALID)


def format_number(value: float, lang: str, decimals: int | None = 2) -> str:
    """``value`` written the ``lang`` way: ``50.000,5`` (de), ``50,000.5`` (en).

    ``decimals`` rounds half away from zero on the number as written (2.675 → 2.68) and drops
    trailing zeros; ``None`` keeps every digit of the shortest form that reads back the same.
    A text that would be ambiguous (de ``1,234``) gets a trailing zero (``1,2340``), so what is
    written always reads back to the same number.
    """
    style = style_for(lang)
    if not math.isfinite(value):
        raise ValueError(f"{value!r} cannot be written as a number")
    with localcontext() as context:
        context.prec = 1000
        exact = Decimal(repr(float(value)))
        if decimals is not None:
            exact = exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
        plain = format(exact, "f")
    sign = "-" if plain.startswith("-") else ""
    whole, _, fraction = plain.lstrip("-").partition(".")
    fraction = fraction.rstrip("0")
    if whole.strip("0") == "" and fraction == "":
        sign = ""
    whole = whole.lstrip("0") or "0"
    groups = [whole[max(0, end - 3) : end] for end in range(len(whole), 0, -3)]
    text = sign + style.group.join(reversed(groups))
    if fraction:
        text += style.decimal + fraction
        if _readings(text, style)[2]:
            text += "0"
    return text
