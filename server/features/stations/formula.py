"""Formulas of the declared calculators: a tiny parser and evaluator over a fixed grammar.

A calculator file (docs/content-format.md) writes each result as a formula over its inputs,
factors and earlier results. This module reads such a formula into a tree and evaluates it
with plain float arithmetic; nothing is ever handed to Python's ``eval``. The grammar::

    condition := expr ("<" | "<=" | ">" | ">=" | "==" | "!=") expr     (checks only)
    expr      := term (("+" | "-") term)*
    term      := unary (("*" | "/") unary)*
    unary     := ("-" | "+") unary | power
    power     := atom ("^" unary)?                  (right-associative: 2^3^2 = 2^9)
    atom      := number | name | name "(" expr ("," expr)* ")" | "(" expr ")"

Functions: ``min(a, b, …)``, ``max(a, b, …)``, ``abs(x)``, ``round(x)`` and ``round(x, n)``
(``n`` a whole number from 0 to 10). Every failure, in reading or in evaluating (a division by
zero, a number too large, an unknown name), is a ``FormulaError``; nothing else escapes.

``analyse`` checks a formula before any visitor uses it: every name known, units that fit
(``server/features/stations/units.py``), and no division whose divisor could be zero given the
ranges of the inputs (interval arithmetic).

>>> formula = parse("kwh * factor / 1000")
>>> evaluate(formula, {"kwh": 50_000.0, "factor": 0.363})
18.15
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from server.features.stations.units import ONE, Unit, unit_text

MAX_LENGTH = 1000
MAX_DEPTH = 40
MAX_POWER = 4  # a quantity with a unit may be squared or cubed, not raised to 10**300
FUNCTIONS = ("abs", "max", "min", "round")
COMPARISONS = ("<=", ">=", "==", "!=", "<", ">")


class FormulaError(ValueError):
    """A formula that cannot be read, checked or evaluated; ``at`` is where in its text."""

    def __init__(self, message: str, at: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.at = at


# --- the tree ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Number:
    value: float
    at: int


@dataclass(frozen=True)
class Name:
    name: str
    at: int


@dataclass(frozen=True)
class Negate:
    operand: Node
    at: int


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node
    at: int


@dataclass(frozen=True)
class Call:
    function: str
    args: tuple[Node, ...]
    at: int


Node = Number | Name | Negate | Binary | Call


@dataclass(frozen=True)
class Formula:
    """A parsed formula and the text it was read from."""

    text: str
    root: Node

    @property
    def names(self) -> frozenset[str]:
        return frozenset(_names(self.root))

    def part(self, node: Node) -> str:
        """The text of a sub-formula, for messages."""
        return _unparse(node)


@dataclass(frozen=True)
class Condition:
    """``left op right``: a check over inputs and results."""

    text: str
    op: str
    left: Node
    right: Node

    @property
    def names(self) -> frozenset[str]:
        return frozenset(_names(self.left)) | frozenset(_names(self.right))


def _names(node: Node) -> list[str]:
    if isinstance(node, Name):
        return [node.name]
    if isinstance(node, Negate):
        return _names(node.operand)
    if isinstance(node, Binary):
        return _names(node.left) + _names(node.right)
    if isinstance(node, Call):
        return [name for arg in node.args for name in _names(arg)]
    return []


def _unparse(node: Node) -> str:
    if isinstance(node, Number):
        return f"{node.value:g}"
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Negate):
        return f"-{_unparse(node.operand)}"
    if isinstance(node, Binary):
        return f"({_unparse(node.left)} {node.op} {_unparse(node.right)})"
    return f"{node.function}({', '.join(_unparse(a) for a in node.args)})"


# --- reading -------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op><=|>=|==|!=|[-+*/^(),<>]))"
)


@dataclass(frozen=True)
class _Token:
    kind: str  # "number", "name", "op" or "end"
    text: str
    at: int


def _tokens(text: str) -> list[_Token]:
    tokens = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            where = len(text) - len(text[position:].lstrip())
            raise FormulaError(f"unexpected {text[where]!r}", where)
        kind = match.lastgroup or "op"
        start = match.start(kind)
        tokens.append(_Token(kind, match.group(kind), start))
        position = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise FormulaError("a formula must be a text")
        if len(text) > MAX_LENGTH:
            raise FormulaError(f"a formula may have at most {MAX_LENGTH} characters")
        if not text.strip():
            raise FormulaError("the formula is empty")
        self.tokens = _tokens(text)
        self.index = 0
        self.depth = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, text: str) -> None:
        if self.current.text != text or self.current.kind != "op":
            raise FormulaError(f"expected {text!r} {self._found()}", self.current.at)
        self.take()

    def _found(self) -> str:
        token = self.current
        return "at the end" if token.kind == "end" else f"but found {token.text!r}"

    def finish(self) -> None:
        if self.current.kind != "end":
            raise FormulaError(f"unexpected {self.current.text!r}", self.current.at)

    def expr(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FormulaError(f"the formula nests deeper than {MAX_DEPTH} levels", self.current.at)
        node = self.term()
        while self.current.kind == "op" and self.current.text in "+-":
            op = self.take()
            node = Binary(op.text, node, self.term(), op.at)
        self.depth -= 1
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.current.kind == "op" and self.current.text in ("*", "/"):
            op = self.take()
            node = Binary(op.text, node, self.unary(), op.at)
        return node

    def unary(self) -> Node:
        if self.current.kind == "op" and self.current.text in ("-", "+"):
            op = self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise FormulaError(f"the formula nests deeper than {MAX_DEPTH} levels", op.at)
            operand = self.unary()
            self.depth -= 1
            return Negate(operand, op.at) if op.text == "-" else operand
        return self.power()

    def power(self) -> Node:
        base = self.atom()
        if self.current.kind == "op" and self.current.text == "^":
            op = self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise FormulaError(f"the formula nests deeper than {MAX_DEPTH} levels", op.at)
            exponent = self.unary()
            self.depth -= 1
            return Binary("^", base, exponent, op.at)
        return base

    def atom(self) -> Node:
        token = self.take()
        if token.kind == "number":
            value = float(token.text)
            if not math.isfinite(value):
                raise FormulaError(f"the number {token.text} is too large", token.at)
            return Number(value, token.at)
        if token.kind == "name":
            if self.current.kind == "op" and self.current.text == "(":
                return self.call(token)
            if token.text in FUNCTIONS:
                raise FormulaError(f"{token.text} is a function: write {token.text}(…)", token.at)
            return Name(token.text, token.at)
        if token.kind == "op" and token.text == "(":
            node = self.expr()
            self.expect(")")
            return node
        self.index -= 1
        if token.kind == "end":
            raise FormulaError("the formula ends too early", token.at)
        raise FormulaError(f"unexpected {token.text!r}", token.at)

    def call(self, name: _Token) -> Node:
        if name.text not in FUNCTIONS:
            raise FormulaError(
                f"unknown function {name.text!r} (functions: {', '.join(FUNCTIONS)})", name.at
            )
        self.expect("(")
        args = [self.expr()]
        while self.current.kind == "op" and self.current.text == ",":
            self.take()
            args.append(self.expr())
        self.expect(")")
        _check_arity(name.text, args, name.at)
        return Call(name.text, tuple(args), name.at)


def _check_arity(function: str, args: list[Node], at: int) -> None:
    if function == "abs" and len(args) != 1:
        raise FormulaError("abs takes one value: abs(x)", at)
    if function in ("min", "max") and len(args) < 2:
        raise FormulaError(f"{function} takes two or more values: {function}(a, b)", at)
    if function == "round":
        if len(args) not in (1, 2):
            raise FormulaError("round takes a value and maybe a number of decimals", at)
        if len(args) == 2:
            digits = args[1]
            if not isinstance(digits, Number) or digits.value not in range(11):
                raise FormulaError("round(x, n): n must be a whole number from 0 to 10", at)


def parse(text: str) -> Formula:
    """Read a formula; raises ``FormulaError`` saying what and where."""
    parser = _Parser(text)
    root = parser.expr()
    parser.finish()
    return Formula(text, root)


def parse_condition(text: str) -> Condition:
    """Read a check like ``new_watts < old_watts``."""
    parser = _Parser(text)
    left = parser.expr()
    token = parser.current
    if token.kind != "op" or token.text not in COMPARISONS:
        raise FormulaError(
            f"a check compares two values with one of {' '.join(COMPARISONS)} {parser._found()}",
            token.at,
        )
    parser.take()
    right = parser.expr()
    parser.finish()
    return Condition(text, token.text, left, right)


# --- evaluating ----------------------------------------------------------------------------


def _finite(value: float, node: Node) -> float:
    if not math.isfinite(value):
        raise FormulaError("a number grew too large", node.at)
    return value


def _value(node: Node, values: Mapping[str, float]) -> float:
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Name):
        if node.name not in values:
            raise FormulaError(f"unknown name {node.name!r}", node.at)
        return float(values[node.name])
    if isinstance(node, Negate):
        return -_value(node.operand, values)
    if isinstance(node, Binary):
        left, right = _value(node.left, values), _value(node.right, values)
        return _finite(_arithmetic(node, left, right), node)
    args = [_value(arg, values) for arg in node.args]
    if node.function == "min":
        return min(args)
    if node.function == "max":
        return max(args)
    if node.function == "abs":
        return abs(args[0])
    digits = int(args[1]) if len(args) == 2 else 0
    return float(round(args[0], digits))


def _arithmetic(node: Binary, left: float, right: float) -> float:
    op = node.op
    try:
        if op == "+":
            return left + right
        if op == "-":
            return left - right
        if op == "*":
            return left * right
        if op == "/":
            if right == 0:
                raise FormulaError("division by zero", node.at)
            return left / right
        if left == 0 and right < 0:
            raise FormulaError("zero to a negative power", node.at)
        result = left**right
    except OverflowError:
        raise FormulaError("a number grew too large", node.at) from None
    if isinstance(result, complex):
        raise FormulaError("a negative number to a fractional power", node.at)
    return result


def evaluate(formula: Formula, values: Mapping[str, float]) -> float:
    """The formula's value for these names; raises ``FormulaError`` (and nothing else)."""
    return _value(formula.root, values)


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def holds(condition: Condition, values: Mapping[str, float]) -> bool:
    """Whether the check holds for these values."""
    left = _value(condition.left, values)
    right = _value(condition.right, values)
    return _COMPARE[condition.op](left, right)


# --- checking: names, units, ranges --------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    """The smallest and largest value a name or sub-formula can take."""

    low: float
    high: float

    def has_zero(self) -> bool:
        return self.low <= 0 <= self.high

    def __str__(self) -> str:
        return f"{self.low:g} to {self.high:g}"


@dataclass(frozen=True)
class Known:
    """What the checker knows of a name: its unit and the range of its values."""

    unit: Unit
    interval: Interval


Describe = Callable[[Unit], str]


def _span(values: list[float]) -> Interval:
    clean = [v for v in values if not math.isnan(v)]
    if len(clean) < len(values):
        return Interval(-math.inf, math.inf)
    return Interval(min(clean), max(clean))


def _times(a: float, b: float) -> float:
    if (a == 0 and math.isinf(b)) or (b == 0 and math.isinf(a)):
        return 0.0
    return a * b


def _pow(a: float, b: float) -> float:
    try:
        result = a**b
    except (OverflowError, ZeroDivisionError):
        return math.inf
    return math.nan if isinstance(result, complex) else float(result)


class _Checker:
    def __init__(self, formula_text: str, known: Mapping[str, Known], describe: Describe) -> None:
        self.text = formula_text
        self.known = known
        self.describe = describe

    def fail(self, node: Node, message: str) -> FormulaError:
        return FormulaError(message, node.at)

    def check(self, node: Node) -> Known:
        if isinstance(node, Number):
            return Known(ONE, Interval(node.value, node.value))
        if isinstance(node, Name):
            if node.name not in self.known:
                near = _nearest(node.name, self.known)
                raise self.fail(
                    node,
                    f"unknown name {node.name!r}{near} (inputs, factors and earlier results: "
                    f"{', '.join(sorted(self.known)) or 'none'})",
                )
            return self.known[node.name]
        if isinstance(node, Negate):
            inner = self.check(node.operand)
            return Known(inner.unit, Interval(-inner.interval.high, -inner.interval.low))
        if isinstance(node, Call):
            return self.call(node)
        return self.binary(node)

    def same_units(self, node: Node, what: str, a: Known, b: Known) -> None:
        if a.unit != b.unit:
            raise self.fail(
                node,
                f"{what} needs equal units, but has {self.describe(a.unit)} and "
                f"{self.describe(b.unit)}",
            )

    def binary(self, node: Binary) -> Known:
        left, right = self.check(node.left), self.check(node.right)
        a, b = left.interval, right.interval
        if node.op in "+-":
            # a plain number added to a quantity is in the quantity's unit: share - 50 (%)
            if not _names(node.left):
                left = Known(right.unit, left.interval)
            elif not _names(node.right):
                right = Known(left.unit, right.interval)
            self.same_units(node, f"{_unparse(node)}", left, right)
            if node.op == "+":
                return Known(left.unit, _span([a.low + b.low, a.high + b.high]))
            return Known(left.unit, _span([a.low - b.high, a.high - b.low]))
        if node.op == "*":
            corners = [_times(x, y) for x in (a.low, a.high) for y in (b.low, b.high)]
            return Known(left.unit * right.unit, _span(corners))
        if node.op == "/":
            if b.has_zero():
                raise self.fail(
                    node,
                    f"division by {_unparse(node.right)}, which can be zero (its range is {b}): "
                    "narrow the inputs' ranges, or add a check that keeps it above zero",
                )
            inverse = Interval(1 / b.high if b.high else math.inf, 1 / b.low if b.low else 0)
            corners = [_times(x, y) for x in (a.low, a.high) for y in (inverse.low, inverse.high)]
            return Known(left.unit / right.unit, _span(corners))
        return self.power(node, left, right)

    def power(self, node: Binary, base: Known, exponent: Known) -> Known:
        if not exponent.unit.dimensionless or exponent.unit.scale != 1:
            raise self.fail(node, f"the power in {_unparse(node)} must be a plain number")
        constant = _constant(node.right)
        plain = base.unit.dimensionless and base.unit.scale == 1
        if plain:
            unit = ONE
        elif constant is not None and constant == int(constant) and abs(constant) <= MAX_POWER:
            unit = base.unit.power(int(constant))
        else:
            raise self.fail(
                node,
                f"{_unparse(node.left)} has the unit {self.describe(base.unit)}: raise it only "
                f"to a whole number from -{MAX_POWER} to {MAX_POWER} written in the formula",
            )
        a, b = base.interval, exponent.interval
        integer = constant is not None and constant == int(constant)
        if a.low < 0 and not integer:
            raise self.fail(
                node, f"{_unparse(node.left)} can be negative (range {a}): no fractional powers"
            )
        if a.has_zero() and b.low < 0:
            raise self.fail(
                node, f"{_unparse(node.left)} can be zero (range {a}): no negative powers"
            )
        corners = [_pow(x, y) for x in (a.low, a.high) for y in (b.low, b.high)]
        if integer and a.has_zero():
            corners.append(0.0)
        return Known(unit, _span(corners))

    def call(self, node: Call) -> Known:
        args = [self.check(arg) for arg in node.args]
        if node.function in ("min", "max"):
            named = [k for k, arg in zip(args, node.args, strict=True) if _names(arg)]
            if named:
                args = [
                    Known(named[0].unit, k.interval) if not _names(a) else k
                    for k, a in zip(args, node.args, strict=True)
                ]
            for other in args[1:]:
                self.same_units(node, f"{node.function}(…)", args[0], other)
            lows = [k.interval.low for k in args]
            highs = [k.interval.high for k in args]
            pick = min if node.function == "min" else max
            return Known(args[0].unit, Interval(pick(lows), pick(highs)))
        first = args[0]
        a = first.interval
        if node.function == "abs":
            if a.low >= 0:
                return first
            return Known(first.unit, Interval(0 if a.has_zero() else -a.high, max(-a.low, a.high)))
        digits = int(_constant(node.args[1]) or 0) if len(node.args) == 2 else 0
        return Known(first.unit, Interval(_rounded(a.low, digits), _rounded(a.high, digits)))


def _rounded(value: float, digits: int) -> float:
    return value if math.isinf(value) else round(value, digits)


def _constant(node: Node) -> float | None:
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Negate):
        inner = _constant(node.operand)
        return -inner if inner is not None else None
    return None


def _nearest(name: str, known: Mapping[str, Known]) -> str:
    import difflib

    near = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f" (did you mean {near[0]!r}?)" if near else ""


def analyse(formula: Formula, known: Mapping[str, Known], describe: Describe = unit_text) -> Known:
    """The unit and range of a formula's value; ``FormulaError`` for the first problem."""
    return _Checker(formula.text, known, describe).check(formula.root)


def analyse_condition(
    condition: Condition, known: Mapping[str, Known], describe: Describe = unit_text
) -> tuple[Known, Known]:
    """Both sides of a check, which must have equal units (a plain number fits any unit)."""
    checker = _Checker(condition.text, known, describe)
    left, right = checker.check(condition.left), checker.check(condition.right)
    if _names(condition.left) and _names(condition.right):
        checker.same_units(condition.left, "a check", left, right)
    return left, right
