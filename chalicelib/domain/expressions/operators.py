"""Operators of the rule expression language: the allowed ones, and why the others are refused.

Comparisons follow the null rules: a comparison with null is false, except ``== null`` and
``!= null``, which test whether a value is there. Writing ``null`` anywhere else in a comparison
is refused, because it would be false whatever the event held.
"""

from __future__ import annotations

import ast

from chalicelib.domain.expressions.types import article, can_equal, can_order

ARITHMETIC: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
}
COMPARISONS: dict[type[ast.cmpop], str] = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
}
_TEXT = frozenset({"string", "date", "any"})

_REFUSALS: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access ('.') is not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "generator expressions are not allowed",
    ast.NamedExpr: "assignment (':=') is not allowed",
    ast.Starred: "'*' unpacking is not allowed",
    ast.JoinedStr: "f-strings are not allowed; strings are plain text",
    ast.FormattedValue: "f-strings are not allowed; strings are plain text",
    ast.Dict: "mapping literals ('{...}') are not allowed",
    ast.Await: "'await' is not allowed",
    ast.Yield: "'yield' is not allowed",
    ast.YieldFrom: "'yield' is not allowed",
    ast.Slice: "slices ('a:b') are not allowed",
    ast.Pow: "'**' (power) is not allowed",
    ast.MatMult: "'@' is not allowed",
    ast.BitAnd: "'&' is not allowed; write 'and'",
    ast.BitOr: "'|' is not allowed; write 'or'",
    ast.BitXor: "'^' is not allowed",
    ast.LShift: "'<<' is not allowed",
    ast.RShift: "'>>' is not allowed",
    ast.Is: "'is' is not allowed; write '==' (or '== null' to test for a missing value)",
    ast.IsNot: "'is not' is not allowed; write '!=' (or '!= null' to test for a value)",
}


def refusal(node: ast.AST) -> str:
    """Why a kind of node is not part of the language."""
    return _REFUSALS.get(type(node), f"{type(node).__name__} is not allowed in an expression")


def comparison_problem(op: str, left: str, right: str, chained: bool) -> str | None:
    """Why ``left op right`` cannot be written, or None. ``null`` here is the literal."""
    if "null" in (left, right):
        if op in ("==", "!=") and not chained:
            return None
        return f"'{op}' with null is always false; test for a missing value with '== null'"
    if op in ("==", "!="):
        if can_equal(left, right):
            return None
        return f"{article(left)} is never equal to {article(right)}"
    if can_order(left, right):
        return None
    return f"cannot order {article(left)} and {article(right)} with '{op}'"


def membership_problem(op: str, item: str, container: str, literal_list: bool) -> str | None:
    """Why ``item in container`` cannot be written, or None (``container`` is the items' type
    when it is a literal list)."""
    if item == "null" or (container == "null" and not literal_list):
        return f"'{op}' with null is always false; test for a missing value with '== null'"
    if literal_list:
        if can_equal(item, container):
            return None
        return f"{article(item)} is never in a list of {container} values"
    if container in ("list", "any"):
        return None
    if container in ("string", "date"):
        return (
            None
            if item in _TEXT
            else f"only text can be in {article(container)}, not {article(item)}"
        )
    if container == "mapping":
        return None if item in _TEXT else f"mapping keys are strings, not {article(item)}"
    return f"'{op}' needs a list, a string or a mapping on its right, not {article(container)}"
