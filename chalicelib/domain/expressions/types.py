"""The static types of the rule expression language and which operations they allow.

Types are plain strings (the ones a source definition declares), so a field's declared type goes
straight into the checker. ``any`` stands for a field whose type is unknown or declared
differently by several sources: it passes every static check and is checked when the rule runs.
The tables here are the whole typing discipline; the checker only walks the tree and asks them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

VALUE_TYPES = (
    "string",
    "integer",
    "number",
    "boolean",
    "timestamp",
    "date",
    "duration",
    "list",
    "mapping",
    "null",
    "any",
)
NUMERIC = frozenset({"integer", "number"})

# types that can be ordered against each other share a family; dates are ISO strings at run time,
# so a date orders against a string too
_ORDER_FAMILY = {
    "integer": "number",
    "number": "number",
    "string": "text",
    "date": "text",
    "timestamp": "timestamp",
    "duration": "duration",
}
_EQUAL_FAMILY = {**_ORDER_FAMILY, "boolean": "boolean", "list": "list", "mapping": "mapping"}

# arithmetic beyond numbers: (left, operator, right) -> result
_OTHER_ARITHMETIC = {
    ("string", "+", "string"): "string",
    ("timestamp", "+", "duration"): "timestamp",
    ("duration", "+", "timestamp"): "timestamp",
    ("duration", "+", "duration"): "duration",
    ("timestamp", "-", "duration"): "timestamp",
    ("timestamp", "-", "timestamp"): "duration",
    ("duration", "-", "duration"): "duration",
}
_UNARY = {"integer": "integer", "number": "number", "duration": "duration", "any": "any"}


@dataclass(frozen=True)
class ExpressionProblem:
    """Why an expression was refused, at a 1-based line and column inside its text."""

    message: str
    line: int
    column: int


class EvaluationError(Exception):
    """A compiled expression met a value it cannot work on (a string times a number, say)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def arithmetic_result(op: str, left: str, right: str) -> str | None:
    """The type of ``left op right``, or None when the operation is refused."""
    if left == "any" or right == "any":
        return _with_any(op, left, right)
    if left in NUMERIC and right in NUMERIC:
        return "integer" if left == right == "integer" and op != "/" else "number"
    return _OTHER_ARITHMETIC.get((left, op, right))


def _with_any(op: str, left: str, right: str) -> str | None:
    if left == right == "any":
        return "any" if op in "+-" else "number"
    known, known_is_left = (right, False) if left == "any" else (left, True)
    results = {
        result
        for (lhs, sign, rhs), result in _OTHER_ARITHMETIC.items()
        if sign == op and (lhs if known_is_left else rhs) == known
    }
    if known in NUMERIC:
        results.add("number")
    if not results:
        return None
    return results.pop() if len(results) == 1 else "any"


def unary_result(operand: str) -> str | None:
    """The type of ``-operand`` (and ``+operand``), or None when refused."""
    return _UNARY.get(operand)


def can_order(left: str, right: str) -> bool:
    """Whether ``<``, ``<=``, ``>`` and ``>=`` may compare these types."""
    if left == "any":
        return right == "any" or right in _ORDER_FAMILY
    if right == "any":
        return left in _ORDER_FAMILY
    family = _ORDER_FAMILY.get(left)
    return family is not None and family == _ORDER_FAMILY.get(right)


def can_equal(left: str, right: str) -> bool:
    """Whether ``==`` between these types can ever be true (so is worth writing)."""
    if "any" in (left, right) or "null" in (left, right):
        return True
    family = _EQUAL_FAMILY.get(left)
    return family is not None and family == _EQUAL_FAMILY.get(right)


def unify(types: list[str]) -> str:
    """The one type that covers all of ``types`` (the branches of ``if``, ``coalesce``'s args)."""
    known = {kind for kind in types if kind != "null"}
    if not known:
        return "null"
    if len(known) == 1:
        return known.pop()
    return "number" if known <= NUMERIC else "any"


_KINDS: dict[type, str] = {
    type(None): "null",
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    datetime: "timestamp",
    timedelta: "duration",
    list: "list",
    tuple: "list",
    dict: "mapping",
}


def kind_of(value: object) -> str:
    """The language's name for a run-time value's type, for messages."""
    return _KINDS.get(type(value), type(value).__name__)


def article(kind: str) -> str:
    """``kind`` with "a"/"an" in front, as messages read best ("a string", "an integer")."""
    if kind == "null":
        return "null"
    return ("an " if kind[0] in "aeiou" else "a ") + kind
