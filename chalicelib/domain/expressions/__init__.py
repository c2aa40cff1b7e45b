"""The rule expression language: operator text compiled once to a Python function.

``amount > 1000 and region in ["eu-west"]`` is parsed with ``ast`` (:mod:`.parse`), checked
against a whitelist of node kinds and the fields' declared types (:mod:`.check`, :mod:`.types`,
:mod:`.names`, :mod:`.operators`, :mod:`.literals`), turned into the source of one Python function
(:mod:`.codegen`, :mod:`.plan`, :mod:`.compare`, :mod:`.inline`) and compiled once
(:mod:`.compiler`). The function calls only :mod:`.runtime`, :mod:`.functions` and
:mod:`.patterns`. ``rules/expressions.md`` is the operator's reference.

Imports only the kernel (``durations``) and ``re2``.
"""

from __future__ import annotations

from chalicelib.domain.expressions.compiler import (
    EVALUATION_ERRORS,
    CompiledExpression,
    EvaluationError,
    compile_expression,
    describe_failure,
)

__all__ = [
    "EVALUATION_ERRORS",
    "CompiledExpression",
    "EvaluationError",
    "compile_expression",
    "describe_failure",
]
