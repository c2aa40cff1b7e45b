"""What compiled expressions call at run time: arithmetic, subscripts and the built-in functions.

An event's JSON can carry any value in any field whatever its declared type, so these helpers
check the types they are given instead of trusting the static checker: ``*`` and ``%`` work on
numbers only (Python would repeat a string or a list, or format one with ``%``), ``*`` refuses
integers past 128 bits (so a chain of products cannot grow without bound), and a null operand
gives null. Joined text is limited too, as a chain of ``+`` on a long field would copy its
text over and over. Checks are on exact types, which also keeps booleans (an ``int`` subclass) out of
arithmetic.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.domain.expressions.types import EvaluationError, article, kind_of

MAX_INT_BITS = 128
MAX_JOINED_TEXT = 100_000  # `a + a + a ...` on a long field would otherwise copy gigabytes
_NUMBERS = frozenset({int, float})
_ADDITIONS = frozenset(
    {(str, str), (datetime, timedelta), (timedelta, datetime), (timedelta, timedelta)}
)
_SUBTRACTIONS = frozenset({(datetime, timedelta), (datetime, datetime), (timedelta, timedelta)})
_SIGNED = frozenset({int, float, timedelta})


def refused(op: str, left: object, right: object) -> EvaluationError:
    return EvaluationError(
        f"cannot apply '{op}' to {article(kind_of(left))} and {article(kind_of(right))}"
    )


def add(left: object, right: object) -> object:
    if left is None or right is None:
        return None
    kinds = type(left), type(right)
    if kinds[0] in _NUMBERS and kinds[1] in _NUMBERS:
        return left + right  # type: ignore[operator]
    if kinds in _ADDITIONS:
        if kinds[0] is str and len(left) + len(right) > MAX_JOINED_TEXT:  # type: ignore[arg-type]
            raise EvaluationError(f"text longer than {MAX_JOINED_TEXT:,} characters")
        return left + right  # type: ignore[operator]
    raise refused("+", left, right)


def subtract(left: object, right: object) -> object:
    if left is None or right is None:
        return None
    kinds = type(left), type(right)
    if (kinds[0] in _NUMBERS and kinds[1] in _NUMBERS) or kinds in _SUBTRACTIONS:
        return left - right  # type: ignore[operator]
    raise refused("-", left, right)


def multiply(left: object, right: object) -> object:
    if left is None or right is None:
        return None
    if type(left) in _NUMBERS and type(right) in _NUMBERS:
        product = left * right  # type: ignore[operator]
        if type(product) is int and product.bit_length() > MAX_INT_BITS:
            raise EvaluationError("number too large")
        return product
    raise refused("*", left, right)


def divide(left: object, right: object) -> object:
    if left is None or right is None:
        return None
    if type(left) in _NUMBERS and type(right) in _NUMBERS:
        return left / right  # type: ignore[operator]
    raise refused("/", left, right)


def floor_divide(left: object, right: object) -> object:
    if left is None or right is None:
        return None
    if type(left) in _NUMBERS and type(right) in _NUMBERS:
        return left // right  # type: ignore[operator]
    raise refused("//", left, right)


def modulo(left: object, right: object) -> object:
    if left is None or right is None:
        return None
    if type(left) in _NUMBERS and type(right) in _NUMBERS:
        return left % right  # type: ignore[operator]
    raise refused("%", left, right)


def negate(value: object) -> object:
    if value is None:
        return None
    if type(value) in _SIGNED:
        return -value  # type: ignore[operator]
    raise EvaluationError(f"cannot apply '-' to {article(kind_of(value))}")


def plus(value: object) -> object:
    if value is None or type(value) in _SIGNED:
        return value
    raise EvaluationError(f"cannot apply '+' to {article(kind_of(value))}")


def item(container: object, key: str | int) -> object:
    """``container[key]``, or null when the key is missing, out of range or of the wrong kind."""
    if isinstance(container, dict):
        return container.get(key)
    if (
        isinstance(container, list | tuple)
        and type(key) is int
        and (-len(container) <= key < len(container))
    ):
        return container[key]
    return None


def utc(value: datetime) -> datetime:
    """``value`` in UTC, which is what ``hour()``, ``weekday()`` and ``date()`` answer in.

    The engine's timestamps are UTC already, and ``utcoffset()`` alone costs more than the rest
    of a call, so those return before it is asked."""
    if value.tzinfo is UTC or value.tzinfo is None or not value.utcoffset():
        return value
    return value.astimezone(UTC)
