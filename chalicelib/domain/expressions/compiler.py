"""The rule expression language: operator text compiled once to a Python function.

``amount > 1000 and region in ["eu-west"]`` is parsed with ``ast``, checked against a
whitelist of node kinds, names resolved to the event's fields and calls to our own functions,
type-checked against the fields' declared types, and only then turned into the source of one
Python function, compiled once. Evaluating a rule is then a plain function call, close to the
speed of a hand-written lambda (measured: safe expression libraries were 15-70x slower).

The steps live in their own modules: :mod:`.parse` (text to tree, limits),
:mod:`.check` (whitelist, types), :mod:`.codegen`, :mod:`.plan`, :mod:`.compare`
and :mod:`.inline` (source), :mod:`.runtime`, :mod:`.functions` and
:mod:`.patterns` (what the function calls). ``rules/expressions.md`` is the operator's
reference.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.expressions.check import check
from chalicelib.domain.expressions.codegen import generate
from chalicelib.domain.expressions.failures import EVALUATION_ERRORS, describe_failure
from chalicelib.domain.expressions.parse import parse
from chalicelib.domain.expressions.types import VALUE_TYPES, EvaluationError, ExpressionProblem

__all__ = [
    "EVALUATION_ERRORS",
    "VALUE_TYPES",
    "CompiledExpression",
    "EvaluationError",
    "ExpressionProblem",
    "compile_expression",
    "describe_failure",
]


@dataclass(frozen=True, eq=False)
class CompiledExpression:
    """An expression ready to run on events: ``evaluate(fields, now)``.

    ``fields`` maps field names to an event's values (a missing field is null); ``now`` is the
    evaluation time ``ago()`` counts back from. ``evaluate`` raises only
    :data:`EVALUATION_ERRORS`, for values of the wrong type at run time.
    """

    text: str
    result_type: str
    fields: frozenset[str]
    evaluate: Callable[[Mapping[str, object], datetime], object]


def compile_expression(
    text: str, field_types: Mapping[str, str]
) -> CompiledExpression | list[ExpressionProblem]:
    """``text`` compiled against fields of the given types, or all its problems, in order."""
    parsed = parse(text)
    if isinstance(parsed, list):
        return parsed
    tree, locator = parsed
    checked = check(tree, locator, dict(field_types))
    if isinstance(checked, list):
        return sorted(checked, key=lambda problem: (problem.line, problem.column))
    _, evaluate = generate(tree, checked.types)
    return CompiledExpression(text, checked.result_type, frozenset(checked.uses), evaluate)
