"""Properties of the rule expression compiler (``rules/expressions.md``), over generated input.

- Any text is compiled or refused with problems at real positions; nothing else comes out.
- Expressions generated from a typed grammar of the language compile, to the type asked for.
- On any event (any JSON value in any field) a compiled expression answers or fails with one of
  ``EVALUATION_ERRORS``; on well-typed events its answer has its static type, or is null.
- Integer arithmetic means what Python's means; comparisons with a missing field are false.
- Never escape: whatever compiles names only our helpers and the methods the inline paths call,
  runs without builtins, and a key such as ``"__class__"`` reads a mapping, never an attribute;
  hostile fragments spliced into any valid context are refused.

``tests/unit/test_hostile_expressions.py`` lists hostile texts one by one; these properties put
such fragments in generated contexts and check every compiled function, whatever its text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from functools import cache
from types import CodeType

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from chalicelib.domain.expressions import (
    EVALUATION_ERRORS,
    CompiledExpression,
    EvaluationError,
    compile_expression,
)
from chalicelib.domain.expressions import patterns as expr_patterns
from chalicelib.domain.expressions.codegen import HELPERS
from chalicelib.domain.expressions.compiler import ExpressionProblem
from tests.fuzz.profiles import PROPERTY
from tests.unit.test_hostile_expressions import OUR_ATTRIBUTES

pytestmark = pytest.mark.filterwarnings("error")  # generated code must compile without warnings

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
FIELDS = {
    "i": "integer",
    "j": "integer",
    "n": "number",
    "s": "string",
    "t": "string",
    "b": "boolean",
    "ts": "timestamp",
    "occurred_at": "timestamp",
    "received_at": "timestamp",
    "d": "date",
    "l": "list",
    "m": "mapping",
    "a": "any",
}
INT64 = st.integers(-(2**63), 2**63 - 1)


# --- the grammar: text of a given static type -------------------------------------------------


def _join(template: str) -> Callable[[tuple[str, ...]], str]:
    return lambda parts: template.format(*parts)


def _fields_of(kind: str) -> list[str]:
    return [name for name, declared in FIELDS.items() if declared == kind]


LITERALS: dict[str, st.SearchStrategy[str]] = {
    "integer": INT64.map(lambda value: f"({value})"),
    "number": st.floats(allow_nan=False, allow_infinity=False).map(lambda value: f"({value!r})"),
    "string": st.text(max_size=12).map(repr),
    "boolean": st.sampled_from(["true", "false", "True", "False"]),
    "timestamp": st.sampled_from(["30s", "5m", "2h", "1d", "1w", "1h30m"]).map(
        lambda text: f"ago({text!r})"
    ),
    "duration": st.sampled_from(["30s", "5m", "2h", "1d", "1w", "1h30m"]).map(
        lambda text: f"duration({text!r})"
    ),
    "list": st.lists(INT64.map(str) | st.text(max_size=5).map(repr), max_size=4).map(
        lambda items: "[" + ", ".join(items) + "]"
    ),
}
STRING_LISTS = st.lists(st.text(max_size=5).map(repr), max_size=4).map(
    lambda items: "[" + ", ".join(items) + "]"
)
PATTERNS = st.sampled_from(["^a", "b$", "[0-9]+", "(a|b)*c", r"\d{2}", ".", "^$", "é+", "(?i)x"])
ORDERS = st.sampled_from(["<", "<=", ">", ">=", "==", "!="])
EQUALS = st.sampled_from(["==", "!="])


def leaves(kind: str) -> st.SearchStrategy[str]:
    names = _fields_of(kind)
    options = [st.sampled_from(names)] if names else []
    if kind in LITERALS:
        options.append(LITERALS[kind])
    return st.one_of(*options)


@cache
def typed(kind: str, depth: int = 3) -> st.SearchStrategy[str]:
    """Text of an expression the checker must accept, whose static type is ``kind``."""
    if depth == 0:
        return leaves(kind)
    return st.one_of(leaves(kind), *COMPOUNDS[kind](lambda inner: typed(inner, depth - 1)))


Sub = Callable[[str], st.SearchStrategy[str]]


def _integers(e: Sub) -> list[st.SearchStrategy[str]]:
    return [
        st.tuples(e("integer"), st.sampled_from(["+", "-", "*", "//", "%"]), e("integer")).map(
            _join("({} {} {})")
        ),
        e("integer").map("(-{})".format),
        e("integer").map("abs({})".format),
        e("number").map("round({})".format),
        (e("string") | e("list") | e("mapping")).map("len({})".format),
        e("timestamp").map("hour({})".format),
        e("timestamp").map("weekday({})".format),
        st.tuples(e("integer"), e("integer")).map(_join("coalesce({}, {})")),
        st.tuples(e("integer"), e("boolean"), e("integer")).map(_join("({} if {} else {})")),
    ]


def _numbers(e: Sub) -> list[st.SearchStrategy[str]]:
    numeric = e("number") | e("integer")
    return [
        st.tuples(e("number"), st.sampled_from(["+", "-", "*", "/", "//", "%"]), numeric).map(
            _join("({} {} {})")
        ),
        st.tuples(e("integer"), e("integer")).map(_join("({} / {})")),
        e("number").map("(-{})".format),
        e("number").map("abs({})".format),
        st.tuples(e("number"), st.integers(-18, 18)).map(_join("round({}, {})")),
        st.tuples(e("number"), e("number")).map(_join("coalesce({}, {})")),
    ]


def _strings(e: Sub) -> list[st.SearchStrategy[str]]:
    return [
        st.tuples(st.sampled_from(["lower", "upper", "trim"]), e("string")).map(_join("{}({})")),
        st.tuples(e("string"), e("string")).map(_join("({} + {})")),
        st.tuples(e("string"), e("string")).map(_join("coalesce({}, {})")),
        st.tuples(e("string"), e("boolean"), e("string")).map(_join("({} if {} else {})")),
    ]


def _booleans(e: Sub) -> list[st.SearchStrategy[str]]:
    numeric = e("number") | e("integer")
    text = e("string") | e("date")
    every = st.sampled_from(sorted(COMPOUNDS)).flatmap(e)
    return [
        st.tuples(numeric, ORDERS, numeric).map(_join("({} {} {})")),
        st.tuples(text, ORDERS, text).map(_join("({} {} {})")),
        st.tuples(e("timestamp"), ORDERS, e("timestamp")).map(_join("({} {} {})")),
        st.tuples(e("duration"), ORDERS, e("duration")).map(_join("({} {} {})")),
        st.sampled_from(["boolean", "list", "mapping"])
        .flatmap(lambda same: st.tuples(e(same), EQUALS, e(same)))
        .map(_join("({} {} {})")),
        st.tuples(numeric, ORDERS, numeric, ORDERS, numeric).map(_join("({} {} {} {} {})")),
        st.tuples(every, EQUALS).map(_join("({} {} null)")),
        st.tuples(
            e("integer"), st.sampled_from(["in", "not in"]), st.lists(INT64.map(str), max_size=4)
        ).map(lambda p: f"({p[0]} {p[1]} [{', '.join(p[2])}])"),
        st.tuples(
            e("string"),
            st.sampled_from(["in", "not in"]),
            e("string") | e("mapping") | st.just("l") | STRING_LISTS,
        ).map(_join("({} {} {})")),
        e("boolean").map("(not {})".format),
        st.tuples(e("boolean"), st.sampled_from(["and", "or"]), e("boolean")).map(
            _join("({} {} {})")
        ),
        st.tuples(text, PATTERNS.map(repr)).map(_join("matches({}, {})")),
        st.tuples(st.sampled_from(["startswith", "endswith"]), text, text).map(_join("{}({}, {})")),
        st.tuples(e("string") | e("list") | e("mapping"), e("string")).map(
            _join("contains({}, {})")
        ),
    ]


COMPOUNDS: dict[str, Callable[[Sub], list[st.SearchStrategy[str]]]] = {
    "integer": _integers,
    "number": _numbers,
    "string": _strings,
    "boolean": _booleans,
    "date": lambda e: [e("timestamp").map("date({})".format)],
    "timestamp": lambda e: [
        st.tuples(e("timestamp"), st.sampled_from(["+", "-"]), e("duration")).map(
            _join("({} {} {})")
        ),
        st.tuples(e("duration"), e("timestamp")).map(_join("({} + {})")),
        st.tuples(e("timestamp"), e("boolean"), e("timestamp")).map(_join("({} if {} else {})")),
    ],
    "duration": lambda e: [
        st.tuples(e("timestamp"), e("timestamp")).map(_join("({} - {})")),
        st.tuples(e("duration"), st.sampled_from(["+", "-"]), e("duration")).map(
            _join("({} {} {})")
        ),
        e("duration").map("(-{})".format),
    ],
    "list": lambda e: [st.tuples(e("list"), e("list")).map(_join("coalesce({}, {})"))],
    "mapping": lambda e: [st.tuples(e("mapping"), e("mapping")).map(_join("coalesce({}, {})"))],
    "any": lambda e: [
        st.tuples(e("mapping"), st.text(max_size=8).map(repr)).map(_join("{}[{}]")),
        st.tuples(e("list"), st.integers(-3, 3)).map(_join("{}[{}]")),
        st.tuples(e("any"), st.sampled_from(["+", "-"]), e("any")).map(_join("({} {} {})")),
        st.tuples(e("any"), e("any")).map(_join("coalesce({}, {})")),
    ],
}
KINDS = sorted(COMPOUNDS)


# --- values for the fields --------------------------------------------------------------------

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)


def _json(depth: int) -> st.SearchStrategy[object]:
    """JSON values: scalars, and lists and objects of them nested ``depth`` deep at most."""
    if depth == 0:
        return JSON_SCALARS
    inner = _json(depth - 1)
    return (
        JSON_SCALARS
        | st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    )


JSON = _json(3)
TIMESTAMPS = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)
ANYTHING = JSON | TIMESTAMPS | st.datetimes() | st.timedeltas() | st.dates().map(date.isoformat)
DECLARED: dict[str, st.SearchStrategy[object]] = {
    "integer": INT64,
    "number": st.floats(allow_nan=False, allow_infinity=False) | INT64,
    "string": st.text(max_size=20),
    "boolean": st.booleans(),
    "timestamp": TIMESTAMPS,
    "date": st.dates().map(date.isoformat),
    "list": st.lists(JSON_SCALARS, max_size=5),
    "mapping": st.dictionaries(st.text(max_size=6), JSON_SCALARS, max_size=5),
    "any": ANYTHING,
}


def events(
    values: Callable[[str], st.SearchStrategy[object]],
) -> st.SearchStrategy[dict[str, object]]:
    """Events whose fields are each missing or drawn from ``values(declared type)``."""
    return st.fixed_dictionaries({}, optional={name: values(kind) for name, kind in FIELDS.items()})


ANY_EVENT = events(lambda kind: ANYTHING)
TYPED_EVENT = events(lambda kind: DECLARED[kind])


def fits(value: object, kind: str) -> bool:
    """Whether a run-time value has the static type ``kind`` (null fits every type)."""
    if value is None or kind == "any":
        return True
    expected: dict[str, tuple[type, ...]] = {
        "integer": (int,),
        "number": (int, float),
        "string": (str,),
        "date": (str,),
        "boolean": (bool,),
        "timestamp": (datetime,),
        "duration": (timedelta,),
        "list": (list, tuple),
        "mapping": (dict,),
    }
    if isinstance(value, bool) and kind != "boolean":
        return False
    return isinstance(value, expected[kind])


# --- never escape: what a compiled function can reach ----------------------------------------

CONSTANT = re.compile(r"_k\d+")


def _names(code: CodeType) -> set[str]:
    found = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, CodeType):
            found |= _names(const)
    return found


def _prepared(value: object) -> bool:
    """A duration, or the search of a ``matches()`` pattern, prepared when it compiled."""
    return isinstance(value, timedelta) or (
        callable(value) and getattr(value, "__module__", "") == expr_patterns.__name__
    )


def assert_contained(expression: CompiledExpression) -> None:
    """The function reads globals that are our helpers or prepared constants, and attributes
    that are the inline paths' methods; no builtins; constants are patterns and durations."""
    function = expression.evaluate
    namespace = function.__globals__
    assert namespace["__builtins__"] == {}
    constants = {name for name in namespace if CONSTANT.fullmatch(name)}
    assert set(namespace) - {"__builtins__", "_expr"} - set(HELPERS) == constants
    assert all(_prepared(namespace[name]) for name in constants), constants
    names = _names(function.__code__)
    assert names <= set(HELPERS) | constants | OUR_ATTRIBUTES, names - set(HELPERS)
    assert not any(name.startswith("__") for name in names), names


def evaluate_or_fail_cleanly(
    expression: CompiledExpression, event: Mapping[str, object]
) -> tuple[bool, object]:
    """``(True, answer)``, or ``(False, None)`` after one of EVALUATION_ERRORS."""
    try:
        return True, expression.evaluate(event, NOW)
    except EVALUATION_ERRORS:
        return False, None


def assert_refused(result: CompiledExpression | list[ExpressionProblem], text: str) -> None:
    assert isinstance(result, list), f"{text!r} compiled"
    assert_problems_are_placed(result, text)


def assert_problems_are_placed(problems: list[ExpressionProblem], text: str) -> None:
    assert problems, "refused without a problem"
    lines = re.split(r"\r\n|\r|\n", text)  # where Python ends lines
    for problem in problems:
        assert isinstance(problem, ExpressionProblem)
        assert problem.message
        assert 1 <= problem.line <= len(lines), (problem, text)
        assert 1 <= problem.column <= len(lines[problem.line - 1]) + 1, (problem, text)


# --- any text ---------------------------------------------------------------------------------

TOKENS = st.sampled_from(
    [
        "i",
        "n",
        "s",
        "b",
        "ts",
        "l",
        "m",
        "a",
        "d",
        "_e",
        "_now",
        "__class__",
        "__import__",
        "1",
        "0",
        "-1",
        "2.5",
        "1e308",
        "9223372036854775808",
        "'a'",
        "'__class__'",
        "true",
        "null",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ",",
        ":",
        ".",
        "+",
        "-",
        "*",
        "/",
        "//",
        "%",
        "**",
        "<",
        "==",
        "in",
        "not",
        "and",
        "or",
        "if",
        "else",
        "is",
        "lambda",
        "for",
        ":=",
        "matches",
        "lower",
        "len",
        "coalesce",
        "round",
        "ago",
        "hour",
        "date",
        "'5m'",
        "'^a'",
        "open",
        "getattr",
        "\n",
        "#",
        "f'{i}'",
        "b'x'",
        "1j",
        "...",
        "=",
        ";",
        "\\",
        "'",
        '"',
        "\t",
        "\x00",
        "\ufeff",
        "\uff41",
    ]
)
TEXTS = (
    st.text(max_size=60)
    | st.lists(TOKENS, max_size=16).map(" ".join)
    | st.lists(TOKENS, max_size=16).map("".join)
)


@PROPERTY
@given(text=TEXTS, event=ANY_EVENT)
@example(text="\ri", event={})  # found here: Python ends a line at a lone CR, the locator did not
@example(text="i > 1 and\r zz", event={})
@example(text="coalesce('', s) == null", event={})  # found here: compiled as `'' is None`,
@example(text="coalesce(coalesce(1, a), a) + n", event={})  # which Python warns about
def test_any_text_compiles_or_is_refused_with_placed_problems(
    text: str, event: dict[str, object]
) -> None:
    # GIVEN any text: random characters, or tokens of the language and of Python
    # WHEN it is compiled
    result = compile_expression(text, FIELDS)
    # THEN it is refused with problems that say where, or it compiles to a contained function
    # that answers any event or fails with an evaluation error
    if isinstance(result, list):
        assert_problems_are_placed(result, text)
        return
    assert_contained(result)
    evaluate_or_fail_cleanly(result, event)


# --- the typed grammar ------------------------------------------------------------------------


@PROPERTY
@given(data=st.data(), kind=st.sampled_from(KINDS))
def test_a_well_typed_expression_compiles_to_its_type_and_answers_any_event(
    data: st.DataObject, kind: str
) -> None:
    # GIVEN an expression generated from the language's grammar, of a known static type
    text = data.draw(typed(kind), label="text")
    # WHEN it is compiled
    result = compile_expression(text, FIELDS)
    # THEN it compiles, its type is the one generated, and it reaches nothing but our helpers
    assert isinstance(result, CompiledExpression), (text, result)
    assert result.result_type == kind, (text, result.result_type)
    assert_contained(result)
    # AND on an event whose fields hold their declared types, it answers a value of that type
    # (or null), or fails with an evaluation error (division by zero, a number too large)
    answered, value = evaluate_or_fail_cleanly(result, data.draw(TYPED_EVENT, label="typed"))
    assert not answered or fits(value, kind), (text, value)
    # AND on an event holding any JSON value in any field, it answers or fails cleanly
    evaluate_or_fail_cleanly(result, data.draw(ANY_EVENT, label="any"))


INTEGER_LITERALS = st.integers(-(2**63) + 1, 2**63 - 1).map(lambda value: f"({value})")


@cache
def arithmetic(depth: int = 3) -> st.SearchStrategy[str]:
    """Integer literals under + - * // % and unary minus, nested ``depth`` deep at most."""
    if depth == 0:
        return INTEGER_LITERALS
    inner = arithmetic(depth - 1)
    return (
        INTEGER_LITERALS
        | inner.map("(-{})".format)
        | st.tuples(inner, st.sampled_from(["+", "-", "*", "//", "%"]), inner).map(
            _join("({} {} {})")
        )
    )


@PROPERTY
@given(text=arithmetic())
def test_integer_arithmetic_means_what_python_means(text: str) -> None:
    # GIVEN integer arithmetic on literals, as Python reads it
    expression = compile_expression(text, FIELDS)
    assert isinstance(expression, CompiledExpression), (text, expression)
    try:
        expected: object = eval(text, {"__builtins__": {}})  # literals and operators only
    except ZeroDivisionError:
        expected = ZeroDivisionError
    # WHEN it is evaluated
    try:
        found: object = expression.evaluate({}, NOW)
    except ZeroDivisionError:
        found = ZeroDivisionError
    except EvaluationError as error:  # a product past 128 bits, as documented
        assert error.message == "number too large" and "*" in text, (text, error)
        return
    # THEN it gives Python's answer, or the same division by zero
    assert found == expected and type(found) is type(expected), (text, found, expected)


MISSING_COMPARISONS = st.one_of(
    st.tuples(st.sampled_from(["i", "n"]), ORDERS, LITERALS["integer"] | LITERALS["number"]),
    st.tuples(st.sampled_from(["s", "d"]), ORDERS, LITERALS["string"]),
    st.tuples(st.just("ts"), ORDERS, LITERALS["timestamp"]),
    st.tuples(
        st.sampled_from(["i", "n"]),
        st.sampled_from(["in", "not in"]),
        st.lists(INT64.map(str), max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
    ),
    st.tuples(st.just("s"), st.sampled_from(["in", "not in"]), STRING_LISTS),
    st.tuples(st.just("s"), st.sampled_from(["in", "not in"]), LITERALS["string"]),
    st.tuples(st.just("b"), EQUALS, LITERALS["boolean"]),
    st.tuples(st.just("a"), ORDERS, LITERALS["integer"] | LITERALS["string"]),
)


@PROPERTY
@given(parts=MISSING_COMPARISONS, swap=st.booleans())
def test_every_comparison_with_a_missing_field_is_false(
    parts: tuple[str, str, str], swap: bool
) -> None:
    # GIVEN a comparison between a field and a literal, either way round
    field, op, literal = parts
    left, right = (literal, field) if swap and op not in ("in", "not in") else (field, literal)
    text = f"{left} {op} {right}"
    expression = compile_expression(text, FIELDS)
    assert isinstance(expression, CompiledExpression), (text, expression)
    # WHEN it is evaluated on an event without the field THEN it is false, whatever the operator
    assert expression.evaluate({}, NOW) is False, text


# --- never escape -----------------------------------------------------------------------------

HOSTILE = st.sampled_from(
    [
        "a.__class__",
        "s.__class__.__mro__[1].__subclasses__()",
        "().__class__.__bases__[0]",
        "lower.__globals__",
        "matches.__self__",
        "''.join(l)",
        "a.real",
        "m.get('k')",
        "m['__class__'].__class__",
        "a.__getattribute__('x')",
        "l.__len__()",
        "__import__('os')",
        "__builtins__",
        "_e",
        "_now",
        "_k0",
        "_t0",
        "_f0",
        "_expr",
        "_add(1, 2)",
        "_fn_lower(s)",
        "_type(a)",
        "open('/etc/passwd')",
        "eval('1')",
        "exec('x')",
        "compile('1', '', 'eval')",
        "getattr(a, 'x')",
        "setattr(a, 'x', 1)",
        "globals()",
        "vars(a)",
        "dir()",
        "type(a)",
        "breakpoint()",
        "print(1)",
        "lambda: 1",
        "(lambda: 1)()",
        "[y for y in l]",
        "{y for y in l}",
        "(y for y in l)",
        "{y: 1 for y in l}",
        "(y := 1)",
        "lower(*l)",
        "lower(**m)",
        "f'{a}'",
        "f\"{__import__('os')}\"",
        "b'x'",
        "a ** 2",
        "1 << 2",
        "~i",
        "i & 1",
        "l[1:2]",
        "m[s]",
        "a is None",
        "...",
        "lower(s)(1)",
        "i()",
        "{'k': 1}",
        "\uff3f\uff3fimport\uff3f\uff3f('os')",
        "\uff41.real",
        "a @ a",
        "await a",
        "(yield)",
    ]
)
CONTEXTS = st.sampled_from(
    [
        "({ctx}) and ({bad})",
        "({bad}) or ({ctx})",
        "false and ({bad})",
        "coalesce(a, {bad})",
        "lower({bad})",
        "({ctx}) if ({bad}) else ({ctx})",
        "true if ({ctx}) else ({bad})",
        "not ({bad})",
        "({bad}) == a",
        "len({bad}) > 0",
        "contains(l, {bad})",
        "[{bad}]",
        "i in [1, {bad}]",
        "({bad})[0]",
        "matches({bad}, 'a')",
    ]
)


@PROPERTY
@given(context=CONTEXTS, hostile=HOSTILE, inner=typed("boolean", 2))
def test_a_hostile_fragment_is_refused_in_any_context(
    context: str, hostile: str, inner: str
) -> None:
    # GIVEN a valid expression with a way out of the language spliced in, even where it would
    # never be evaluated
    text = context.format(ctx=inner, bad=hostile)
    # WHEN it is compiled THEN it is refused, with problems that say where
    assert_refused(compile_expression(text, FIELDS), text)


DUNDER_KEYS = st.sampled_from(
    [
        "__class__",
        "__dict__",
        "__globals__",
        "__builtins__",
        "__subclasses__",
        "__import__",
        "get",
        "keys",
        "real",
        "_e",
    ]
)


@PROPERTY
@given(
    key=DUNDER_KEYS | st.text(max_size=10),
    container=ANYTHING,
    present=st.booleans(),
    held=JSON_SCALARS,
)
def test_a_key_reads_a_mapping_never_an_attribute(
    key: str, container: object, present: bool, held: object
) -> None:
    # GIVEN m[<any key, dunders included>] and a value of any kind in m (a mapping that may hold
    # the key, or anything else)
    if present:
        container = {key: held}
    expression = compile_expression(f"m[{key!r}]", FIELDS)
    assert isinstance(expression, CompiledExpression), expression
    assert_contained(expression)
    # WHEN it is evaluated
    found = expression.evaluate({"m": container}, NOW)
    # THEN it is the mapping's value for the key, or null: nothing an attribute holds
    expected = container.get(key) if isinstance(container, dict) else None
    assert found is expected or found == expected, (container, found)
