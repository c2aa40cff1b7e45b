"""Literals of the rule expression language: what counts as one, and which are acceptable.

Both the checker and the code generator read literals through :func:`literal_of`, so they agree
on what ``-5``, ``true`` and ``null`` are. A negative number is read here, not left to Python's
constant folding: the generator then emits a plain constant and folding has nothing to fold.
"""

from __future__ import annotations

import ast
import math

from chalicelib.domain.expressions.parse import INT64_MAX, INT64_MIN, MAX_STRING

NAMED = {"true": True, "false": False, "null": None}
NOT_LITERAL = object()


def literal_of(node: ast.expr) -> object:
    """The value ``node`` spells if it is a scalar literal, else :data:`NOT_LITERAL`."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and node.id in NAMED:
        return NAMED[node.id]
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub | ast.UAdd)
        and (isinstance(node.operand, ast.Constant))
    ):
        value = node.operand.value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return -value if isinstance(node.op, ast.USub) else value
    return NOT_LITERAL


def literal_problem(value: object) -> str | None:
    """Why a literal cannot be used, or None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        if INT64_MIN <= value <= INT64_MAX:
            return None
        return "integers must be within -9223372036854775808 and 9223372036854775807"
    if isinstance(value, float):
        return None if math.isfinite(value) else "numbers must be finite"
    if isinstance(value, str):
        if len(value) <= MAX_STRING:
            return None
        return f"strings are at most {MAX_STRING:,} characters; this one has {len(value):,}"
    return _REFUSED.get(type(value), f"{type(value).__name__} literals are not allowed")


_REFUSED = {
    bytes: "bytes literals are not allowed",
    complex: "complex numbers are not allowed",
    type(Ellipsis): "'...' is not allowed",
}


def literal_type(value: object) -> str:
    """The static type of an acceptable literal."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return "number" if isinstance(value, float) else "string"


def is_collection(node: ast.expr) -> bool:
    return isinstance(node, ast.List | ast.Tuple | ast.Set)


def source_literal(value: object) -> str:
    """Python source that evaluates to an acceptable literal (``repr`` is exact for these)."""
    text = repr(value)
    return f"({text})" if text.startswith("-") else text
