"""The whole list of functions a rule expression may call, with their signatures and bodies.

A name is callable only if it is a key of :data:`FUNCTIONS`; nothing else in Python is
reachable. Each entry says what the checker needs (arity, accepted argument types, result type)
and what the code generator needs (the helper to call, or that it writes the call inline).
Arguments that must be constants (a regex, a duration) are prepared once, at compile time, by
:func:`prepare_constant`, so ``matches`` never compiles a pattern per event. The helpers here are
also the slow path of the functions the generator writes inline (:mod:`.inline`): they must
answer what the inline code answers, for every value.

Predicates (``matches``, ``startswith``, ``endswith``, ``contains``) answer false for null or a
value of the wrong type, as a comparison with null does; the other functions answer null for
null and refuse a value of the wrong type with an :class:`EvaluationError`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chalicelib.domain.durations import parse_duration
from chalicelib.domain.expressions.patterns import prepare_pattern
from chalicelib.domain.expressions.runtime import utc
from chalicelib.domain.expressions.types import NUMERIC, EvaluationError, article, kind_of

MAX_ROUND_DIGITS = 18
TEXT = frozenset({"string", "date"})
TIMESTAMP = frozenset({"timestamp"})
EVERYTHING = frozenset(
    {"string", "integer", "number", "boolean", "timestamp", "date", "duration", "list", "mapping"}
)


@dataclass(frozen=True)
class FunctionSpec:
    """One callable function: ``params`` are the accepted types of each positional argument."""

    name: str
    usage: str
    params: tuple[frozenset[str], ...]
    required: int
    # "same": the first argument's type; "unify": all of theirs; "rounded": round()'s
    result: str
    helper: Callable[..., object] | None = None  # None: written inline by the code generator
    variadic: bool = False
    predicate: bool = False  # always a bool, never null
    constant: int | None = None  # index of the argument that must be a constant


def _text_function(name: str, method: Callable[[str], str]) -> Callable[[object], object]:
    def apply(value: object) -> object:
        if value is None:
            return None
        if type(value) is str:
            return method(value)
        raise EvaluationError(f"{name}() needs a string, not {article(kind_of(value))}")

    return apply


def _length(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, str | list | tuple | dict):
        return len(value)
    raise EvaluationError(f"len() needs a string, list or mapping, not {article(kind_of(value))}")


def _absolute(value: object) -> object:
    if value is None:
        return None
    if type(value) in (int, float):
        return abs(value)  # type: ignore[arg-type]
    raise EvaluationError(f"abs() needs a number, not {article(kind_of(value))}")


_WHOLE = object()  # round(x) without digits, told apart from round(x, null)


def _round(value: object, digits: object = _WHOLE) -> object:
    if value is None or digits is None:
        return None
    if type(value) not in (int, float):
        raise EvaluationError(f"round() needs a number, not {article(kind_of(value))}")
    if digits is _WHOLE:
        return round(value)  # type: ignore[call-overload]
    if type(digits) is not int or abs(digits) > MAX_ROUND_DIGITS:
        raise EvaluationError(
            f"round() digits must be an integer from -{MAX_ROUND_DIGITS} to {MAX_ROUND_DIGITS}"
        )
    return round(value, digits)  # type: ignore[call-overload]


def _timestamp_function(
    name: str, read: Callable[[datetime], object]
) -> Callable[[object], object]:
    def apply(value: object) -> object:
        if type(value) is datetime and value.tzinfo is UTC:  # the engine's own timestamps
            return read(value)
        if value is None:
            return None
        if isinstance(value, datetime):
            return read(utc(value))
        raise EvaluationError(f"{name}() needs a timestamp, not {article(kind_of(value))}")

    return apply


def _startswith(text: object, prefix: object) -> bool:
    return type(text) is str and type(prefix) is str and text.startswith(prefix)


def _endswith(text: object, suffix: object) -> bool:
    return type(text) is str and type(suffix) is str and text.endswith(suffix)


def _contains(container: object, wanted: object) -> bool:
    if wanted is None:
        return False
    if type(container) is str:
        return type(wanted) is str and wanted in container
    if isinstance(container, list | tuple):
        return wanted in container
    if isinstance(container, dict):
        return type(wanted) is str and wanted in container
    return False


def prepare_constant(name: str, value: object) -> object | str:
    """The compile-time value of a constant argument, or the reason it is not acceptable."""
    if name == "matches":
        if not isinstance(value, str):
            return "the pattern of matches() must be a string constant"
        return prepare_pattern(value)
    delta = parse_duration(value)
    return delta if isinstance(delta, timedelta) else f"{name}(): {delta}"


_ANY_TEXT = frozenset({"string", "list", "mapping"})
_DURATION = frozenset({"string", "integer"})
_SPECS = (
    FunctionSpec(
        "matches",
        'matches(text, "pattern")',
        (TEXT, frozenset({"string"})),
        2,
        "boolean",
        predicate=True,
        constant=1,
    ),
    FunctionSpec("ago", 'ago("5m")', (_DURATION,), 1, "timestamp", constant=0),
    FunctionSpec("duration", 'duration("5m")', (_DURATION,), 1, "duration", constant=0),
    FunctionSpec("lower", "lower(text)", (TEXT,), 1, "string", _text_function("lower", str.lower)),
    FunctionSpec("upper", "upper(text)", (TEXT,), 1, "string", _text_function("upper", str.upper)),
    FunctionSpec("trim", "trim(text)", (TEXT,), 1, "string", _text_function("trim", str.strip)),
    FunctionSpec("len", "len(text, list or mapping)", (_ANY_TEXT,), 1, "integer", _length),
    FunctionSpec("abs", "abs(number)", (NUMERIC,), 1, "same", _absolute),
    FunctionSpec(
        "round", "round(number, digits)", (NUMERIC, frozenset({"integer"})), 1, "rounded", _round
    ),
    FunctionSpec(
        "startswith",
        "startswith(text, prefix)",
        (TEXT, TEXT),
        2,
        "boolean",
        _startswith,
        predicate=True,
    ),
    FunctionSpec(
        "endswith", "endswith(text, suffix)", (TEXT, TEXT), 2, "boolean", _endswith, predicate=True
    ),
    FunctionSpec(
        "contains",
        "contains(text or list, item)",
        (_ANY_TEXT, EVERYTHING),
        2,
        "boolean",
        _contains,
        predicate=True,
    ),
    FunctionSpec(
        "coalesce", "coalesce(value, other, ...)", (EVERYTHING,), 2, "unify", variadic=True
    ),
    FunctionSpec(
        "hour",
        "hour(timestamp)",
        (TIMESTAMP,),
        1,
        "integer",
        _timestamp_function("hour", lambda moment: moment.hour),
    ),
    FunctionSpec(
        "weekday",
        "weekday(timestamp)",
        (TIMESTAMP,),
        1,
        "integer",
        _timestamp_function("weekday", lambda moment: moment.weekday()),
    ),
    FunctionSpec(
        "date",
        "date(timestamp)",
        (TIMESTAMP,),
        1,
        "date",
        _timestamp_function("date", lambda moment: moment.date().isoformat()),
    ),
)
FUNCTIONS: dict[str, FunctionSpec] = {spec.name: spec for spec in _SPECS}
