"""What a compiled expression may raise on bad run-time data, told in an operator's words.

Comparisons run inline as Python operators (that is what makes them fast), so a string compared
with a number raises Python's own ``TypeError``; rather than wrapping every comparison, the
caller catches :data:`EVALUATION_ERRORS` and :func:`describe_failure` rewrites Python's message
("'>' not supported between instances of 'str' and 'int'") in the language's terms.
"""

from __future__ import annotations

import re

from chalicelib.domain.expressions.types import EvaluationError

EVALUATION_ERRORS: tuple[type[BaseException], ...] = (
    EvaluationError,
    TypeError,
    ValueError,
    ArithmeticError,
    LookupError,
    RecursionError,
)

_PYTHON_TYPES = {
    "str": "a string",
    "int": "a number",
    "float": "a number",
    "bool": "a boolean",
    "NoneType": "null",
    "list": "a list",
    "tuple": "a list",
    "dict": "a mapping",
    "datetime.datetime": "a timestamp",
    "datetime.timedelta": "a duration",
    "datetime": "a timestamp",
    "timedelta": "a duration",
}
_ORDERING = re.compile(r"'(\S+)' not supported between instances of '([\w.]+)' and '([\w.]+)'")
_IN_TEXT = re.compile(r"'in <string>' requires string as left operand, not ([\w.]+)")
_NOT_CONTAINER = re.compile(r"argument of type '([\w.]+)' is not iterable")
_UNHASHABLE = re.compile(r"unhashable type: '([\w.]+)'")


def _kind(python_name: str) -> str:
    return _PYTHON_TYPES.get(python_name, f"a {python_name}")


def describe_failure(error: BaseException) -> str:
    """One line saying why an expression could not be evaluated on an event."""
    if isinstance(error, EvaluationError):
        return error.message
    if isinstance(error, ZeroDivisionError):
        return "division by zero"
    if isinstance(error, OverflowError):
        return "number too large"
    if isinstance(error, RecursionError):
        return "a value is nested too deeply to compare"
    if isinstance(error, TypeError):
        return _type_error(str(error))
    return f"{type(error).__name__}: {error}".splitlines()[0]


def _type_error(message: str) -> str:
    found = _ORDERING.search(message)
    if found:
        op, left, right = found.groups()
        return f"'{op}' between {_kind(left)} and {_kind(right)}"
    found = _IN_TEXT.search(message)
    if found:
        return f"'in' a string needs a string on its left, not {_kind(found.group(1))}"
    found = _NOT_CONTAINER.search(message)
    if found:
        return f"'in' needs a list, a string or a mapping on its right, not {_kind(found.group(1))}"
    found = _UNHASHABLE.search(message)
    if found:
        return f"{_kind(found.group(1))} cannot be looked up in a list of values"
    if "offset-naive and offset-aware" in message:
        return "a timestamp without a time zone met one with a time zone"
    return f"a value of the wrong type: {message}".splitlines()[0]
