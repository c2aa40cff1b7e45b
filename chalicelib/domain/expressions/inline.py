"""Fast paths written inline: the common case as plain Python, anything else through the helper.

A helper call costs a Python frame and several checks; most events carry the types the fields
are declared with. So ``amount * quantity`` becomes ::

    (_t0 * _t1 if (_type(_t0 := _e.get('amount')) is _float)
                  & (_type(_t1 := _e.get('quantity')) is _int) else _multiply(_t0, _t1))

and ``hour(occurred_at)`` reads ``.hour`` straight from a ``datetime`` in UTC. Each fast path
tests exact run-time types (never the static ones, which only pick the test worth making), so
any other value, null included, goes to the helper, which answers or refuses as it always did.
What the helpers guard against stays in them: ``int * int`` (the 128-bit limit) and ``str + str``
(the 100,000-character limit) always go there, and so does any value of another type. Operands
are evaluated once, in order and always (``&``, not ``and``, joins two tests), so the places
:mod:`.plan` counts on are where it expects them.

The run-time types are globals of the generated function under names of our own
(:data:`NAMESPACE`); operators' names cannot start with ``_``, so they cannot reach them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from chalicelib.domain.expressions.compare import Code, Held
from chalicelib.domain.expressions.literals import NOT_LITERAL, source_literal
from chalicelib.domain.expressions.patterns import Pattern

NAMESPACE: dict[str, object] = {
    "_type": type,
    "_str": str,
    "_int": int,
    "_float": float,
    "_datetime": datetime,
    "_UTC": UTC,
}
ARITHMETIC_HELPERS = {
    "+": "_add",
    "-": "_subtract",
    "*": "_multiply",
    "/": "_divide",
    "//": "_floor_divide",
    "%": "_modulo",
}
_INLINE_ARITHMETIC = frozenset("+-*/")
# the run-time type a value of a static type most likely has; "any" is most often a number
_LIKELY = {"number": "_float", "integer": "_int", "any": "_float"}
_READS = {"hour": ".hour", "weekday": ".weekday()", "date": ".date().isoformat()"}
_TEXT_METHODS = {"lower": ".lower()", "upper": ".upper()", "trim": ".strip()"}
_AFFIXES = {"startswith": "startswith", "endswith": "endswith"}
_PLAIN_TESTS = {
    "prefix": "{0}.startswith({1})",
    "suffix": "{0}.endswith({1})",
    "whole": "{0} == {1}",
    "substring": "{1} in {0}",
}

Temporary = Callable[[], str]


def _likely_type(code: Code, static: str) -> tuple[str, bool] | None:
    """The run-time type to test an operand for and whether it needs the test (a literal does
    not), or None when it is not a number."""
    if code.literal is NOT_LITERAL:
        likely = _LIKELY.get(static)
        return None if likely is None else (likely, True)
    kind = {int: "_int", float: "_float"}.get(type(code.literal))
    return None if kind is None else (kind, False)


def arithmetic(
    op: str, left: Code, right: Code, types: tuple[str, str], temporary: Temporary
) -> Code:
    """``left op right``: inline for two numbers (not ``int * int``), else the helper."""
    helper = ARITHMETIC_HELPERS[op]
    likely = _likely_type(left, types[0]), _likely_type(right, types[1])
    first, second = likely
    if (
        op not in _INLINE_ARITHMETIC
        or first is None
        or second is None
        or (op == "*" and first[0] == second[0] == "_int")
        or not (first[1] or second[1])
    ):
        return Code(f"{helper}({left.text}, {right.text})")
    held = Held(left, 2, temporary), Held(right, 2, temporary)
    tests = [
        (operand, kind)
        for operand, (kind, needed) in zip(held, (first, second), strict=True)
        if needed
    ]
    if len(tests) == 2 and first[0] == second[0]:
        test = f"_type({held[0].take()}) is _type({held[1].take()}) is {first[0]}"
    else:
        test = " & ".join(f"(_type({operand.take()}) is {kind})" for operand, kind in tests)
    a, b = held[0].take(), held[1].take()
    return Code(f"({a} {op} {b} if {test} else {helper}({a}, {b}))")


def call(name: str, codes: list[Code], temporary: Temporary) -> Code | None:
    """The inline form of a call of one of our functions, or None when it has none."""
    if codes[0].literal is not NOT_LITERAL:
        return None
    if name in _READS or name in _TEXT_METHODS:
        held = Held(codes[0], 2, temporary)
        value, ref = held.take(), held.take()
        if name in _READS:
            test = f"_type({value}) is _datetime and {ref}.tzinfo is _UTC"
            return Code(f"({ref}{_READS[name]} if {test} else _fn_{name}({ref}))")
        return Code(
            f"({ref}{_TEXT_METHODS[name]} if _type({value}) is _str else _fn_{name}({ref}))"
        )
    if name in ("startswith", "endswith", "contains") and isinstance(codes[1].literal, str):
        return _predicate(name, codes[0], source_literal(codes[1].literal), temporary)
    return None


def _predicate(name: str, subject: Code, constant: str, temporary: Temporary) -> Code:
    held = Held(subject, 2, temporary)
    value, ref = held.take(), held.take()
    if name == "contains":  # in a list or a mapping too: the helper knows how
        text = (
            f"({constant} in {ref} if _type({value}) is _str else _fn_contains({ref}, {constant}))"
        )
    else:
        text = f"(_type({value}) is _str and {ref}.{_AFFIXES[name]}({constant}))"
    return Code(text, nullable=False, boolean=True)


def matches(
    subject: Code, pattern: Pattern, constant: Callable[[object], str], temporary: Temporary
) -> Code:
    """``matches(subject, pattern)``: a string method for plain text, else RE2's answer."""
    held = Held(subject, 2, temporary)
    value, ref = held.take(), held.take()
    if pattern.search is not None:
        test = f"{constant(pattern.search)}({ref})"
    else:
        test = _PLAIN_TESTS[pattern.kind].format(ref, source_literal(pattern.literal))
    return Code(f"(_type({value}) is _str and {test})", nullable=False, boolean=True)
