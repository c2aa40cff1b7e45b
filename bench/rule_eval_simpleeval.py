"""simpleeval as ``bench.rule_eval`` runs it: pre-parsed, with the language's null rules and our
functions, so that it gives the lambdas' answers."""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

import re2  # type: ignore[import-untyped]  # the engine's regex library

from bench.rule_eval_workload import NOW, Evaluate
from chalicelib.domain.durations import parse_duration


class _Names:
    """simpleeval's ``names``: the event's fields (null when missing) and the constants."""

    __slots__ = ("fields", "now")
    constants: ClassVar[dict[str, object]] = {"null": None, "true": True, "false": False}

    def __init__(self) -> None:
        self.fields: Mapping[str, Any] = {}
        self.now = NOW

    def __getitem__(self, name: str) -> object:
        if name in self.constants:
            return self.constants[name]
        return self.fields.get(name)


def _ordered(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    return lambda a, b: a is not None and b is not None and compare(a, b)


def _simpleeval_operators() -> dict[type, Callable[..., Any]]:
    """simpleeval's defaults with the language's null rules: an ordering or ``not in`` with null
    is false, and so is ``x != y`` for a null ``x``; arithmetic on null gives null."""
    import operator

    from simpleeval import DEFAULT_OPERATORS, safe_mult

    return {
        **DEFAULT_OPERATORS,
        ast.Gt: _ordered(operator.gt),
        ast.GtE: _ordered(operator.ge),
        ast.Lt: _ordered(operator.lt),
        ast.LtE: _ordered(operator.le),
        ast.NotEq: lambda a, b: a is not None and a != b,
        ast.NotIn: lambda a, b: a is not None and a not in b,
        ast.Mult: lambda a, b: None if a is None or b is None else safe_mult(a, b),
    }


_pattern = functools.cache(re2.compile)


@functools.cache
def _duration(text: str) -> timedelta:
    parsed = parse_duration(text)
    if isinstance(parsed, str):
        raise ValueError(parsed)
    return parsed


def _simpleeval_functions(names: _Names) -> dict[str, Callable[..., object]]:
    """Ours, with regexes and durations cached by their text as a careful user would."""
    return {
        "matches": lambda text, regex: (
            type(text) is str and _pattern(regex).search(text) is not None
        ),
        "ago": lambda text: names.now - _duration(text),
        "lower": lambda text: None if text is None else text.lower(),
        "hour": lambda moment: None if moment is None else moment.hour,
        "startswith": lambda text, prefix: type(text) is str and text.startswith(prefix),
    }


def simpleeval_rule(text: str) -> Evaluate:
    """One rule as simpleeval evaluates it, parsed once (``eval(..., previously_parsed=)``)."""
    from simpleeval import EvalWithCompoundTypes  # list literals need the compound-types class

    names = _Names()
    evaluator = EvalWithCompoundTypes(
        operators=_simpleeval_operators(), functions=_simpleeval_functions(names), names=names
    )
    tree = evaluator.parse(text)

    def evaluate(fields: Mapping[str, Any], now: datetime) -> object:
        names.fields, names.now = fields, now
        return evaluator.eval(text, previously_parsed=tree)

    return evaluate
