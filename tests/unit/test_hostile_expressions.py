"""Hostile rule expressions: nothing an operator (or an attacker with write access to rules/)
types can reach Python beyond the language. Each case is refused at compile time with a
problem, or compiles and evaluates safely and quickly."""

from __future__ import annotations

import ast
import contextlib
import random
import time
from datetime import UTC, datetime

import pytest

from chalicelib.domain.expressions import (
    EVALUATION_ERRORS,
    CompiledExpression,
    compile_expression,
    describe_failure,
)
from chalicelib.domain.expressions.check import check
from chalicelib.domain.expressions.codegen import HELPERS, generate
from chalicelib.domain.expressions.compiler import ExpressionProblem
from chalicelib.domain.expressions.parse import MAX_TEXT, parse

pytestmark = pytest.mark.filterwarnings("error")  # generated code must compile without warnings

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
FIELDS = {
    "amount": "number",
    "note": "string",
    "tags": "list",
    "customer": "mapping",
    "extra": "any",
    "x": "any",
    "e": "string",
    "now": "string",
}
HOSTILE_EVENT: dict[str, object] = {
    "amount": 10**18,
    "note": "a" * 100_000 + "b",
    "tags": list(range(10_000)),
    "customer": {"__class__": "x", "country": "DE"},
    "extra": 2**62,
    "x": "%s%s%s",
    "e": "field e",
    "now": "field now",
}
SECONDS = 2.0  # far above what any of these takes; a hang or a blow-up fails the test


def outcome(text: str) -> CompiledExpression | list[ExpressionProblem]:
    started = time.monotonic()
    result = compile_expression(text, FIELDS)
    assert time.monotonic() - started < SECONDS, "compiling took too long"
    return result


def refused(text: str) -> list[str]:
    result = outcome(text)
    assert isinstance(result, list), f"{text[:80]!r} compiled"
    assert result, "refused without a problem"
    return [problem.message for problem in result]


REFUSED: list[tuple[str, str]] = [
    # escapes through names, attributes and builtins
    ('__import__("os")', "unknown function '__import__'"),
    ('__import__("os").system("id")', "attribute access"),
    ("().__class__.__bases__[0].__subclasses__()", "attribute access"),
    ("''.__class__.__mro__[1].__subclasses__()", "attribute access"),
    ("x.__dict__", "attribute access"),
    ("amount.real", "attribute access"),
    ("''.join(['a'])", "attribute access"),
    ("matches.__globals__", "attribute access"),
    ("len.__self__", "attribute access"),
    ('open("/etc/passwd")', "unknown function 'open'"),
    ('eval("1")', "unknown function 'eval'"),
    ('exec("import os")', "unknown function 'exec'"),
    ('compile("1", "", "eval")', "unknown function 'compile'"),
    ('getattr(amount, "real")', "unknown function 'getattr'"),
    ("globals()", "unknown function 'globals'"),
    ("locals()", "unknown function 'locals'"),
    ("vars()", "unknown function 'vars'"),
    ("type(amount)", "unknown function 'type'"),
    ("breakpoint()", "unknown function 'breakpoint'"),
    ("print(1)", "unknown function 'print'"),
    ("amount()", "unknown function 'amount'"),
    ("lower(note)(1)", "only these functions can be called"),
    ("__builtins__", "names starting with '_'"),
    ("__debug__", "names starting with '_'"),
    ("_f0", "names starting with '_'"),
    ("_t0 > 1", "names starting with '_'"),
    ("_e", "names starting with '_'"),
    ("_now", "names starting with '_'"),
    ("_k0", "names starting with '_'"),
    ("_add(1, 2)", "unknown function '_add'"),
    ("_fn_lower(note)", "unknown function '_fn_lower'"),
    # constructs that are not part of the language
    ("lambda: 1", "lambda"),
    ("(lambda: 1)()", "only these functions can be called"),
    ("[y for y in tags]", "comprehensions"),
    ("{y for y in tags}", "comprehensions"),
    ("{y: 1 for y in tags}", "comprehensions"),
    ("(y for y in tags)", "generator expressions"),
    ("(y := 1)", "assignment"),
    ("lower(*tags)", "'*' unpacking"),
    ("lower(**customer)", "keyword arguments"),
    ('f"{amount}"', "f-strings"),
    ("f\"{__import__('os')}\"", "f-strings"),
    ('{"a": 1}', "mapping literals"),
    ("await amount", "'await'"),
    ("(yield)", "'yield'"),
    ("tags[::-1]", "slices"),
    ("tags[0:1]", "slices"),
    ("customer[note]", "a subscript must be a constant"),
    ("...", "'...'"),
    ('b"bytes"', "bytes literals"),
    ("1j", "complex numbers"),
    ("amount if True else __import__('os')", "unknown function '__import__'"),
    ("amount is None", "'is' is not allowed"),
    # operators that build huge values or are not arithmetic
    ("9**9**9", "'**' (power)"),
    ("2 ** 10", "'**' (power)"),
    ('"a" * 10**9', "'**' (power)"),
    ('"a" * 1000000000', "cannot apply '*' to string and integer"),
    ("[1] * 1000000000", "cannot apply '*' to list and integer"),
    ("(1,)*10**8", "'**' (power)"),
    ("1 << 10**9", "'<<'"),
    ("1 >> 2", "'>>'"),
    ("1 & 2", "'&'"),
    ("1 | 2", "'|'"),
    ("1 ^ 2", "'^'"),
    ("~1", "'~'"),
    ("tags @ tags", "'@'"),
    ('"%s" % amount', "cannot apply '%' to string and number"),
    ('"%s" % extra', "cannot apply '%' to string and any"),
    ("note * extra", "cannot apply '*' to string and any"),
    # statements and broken syntax
    ("import os", "syntax error"),
    ("amount = 1", "syntax error"),
    ("amount > 1; import os", "syntax error"),
    ("amount > 1\nimport os", "syntax error"),
    ("amount) or (extra", "unmatched ')'"),
    ("amount > 1\n) or (\nextra", "unmatched ')'"),
    ("# only a comment", "the expression is empty"),
    ("amount\0", "null character"),
    # sizes and depths
    ("amount > 1 and " * 200 + "true", f"the limit is {MAX_TEXT:,}"),
    ("(" * 10_000 + "1" + ")" * 10_000, f"the limit is {MAX_TEXT:,}"),
    ("(" * 300 + "1" + ")" * 300, "syntax error"),
    ("[" * 100 + "]" * 100, "nested more than 32"),
    ("[" * 20 + "1" + "]" * 20, "a list may hold only literals"),
    ("-" * 500 + "1", "nested more than 32"),
    ("not " * 400 + "x", "nested more than 32"),
    ("1 + " * 400 + "1", "nested more than 32"),
    ("lower(" * 40 + "note" + ")" * 40, "nested more than 32"),
    ("coalesce(" + "x, " * 450 + "x)", "the limit is 400"),
    ("'" + "a" * 1_001 + "'", "strings are at most 1,000 characters"),
    ("9" * 1_900, "integers must be within"),
    ("1e309", "numbers must be finite"),
    ("-1e309", "numbers must be finite"),
    # look-alike and unknown names
    ("\uff41mount > 1", "uses characters that only look like 'amount'"),
    ("\u0430mount > 1", "unknown field"),  # Cyrillic a
    ("\ufb01eld > 1", "uses characters that only look like 'field'"),
    ("e2 > 1", "unknown field 'e2'"),
    # regexes RE2 does not run (backtracking features)
    ('matches(note, "(a)\\\\1")', "invalid pattern"),
    ('matches(note, "(?=a)")', "invalid pattern"),
    ('matches(note, "(?<=a)b")', "invalid pattern"),
    ('matches(note, "a{1001}")', "invalid pattern"),
    ('ago("99999999999d")', "is not a duration"),
    ('matches(note, "\\ud800")', "not valid Unicode text"),  # a lone surrogate
]


@pytest.mark.parametrize(
    ("text", "reason"),
    REFUSED,
    ids=[f"{index}-{text[:30]}" for index, (text, _) in enumerate(REFUSED)],
)
def test_hostile_expressions_are_refused_at_compile_time(text: str, reason: str) -> None:
    # GIVEN hostile or oversized expression text WHEN it is compiled
    found = refused(text)
    # THEN it is refused, with a problem saying why
    assert any(reason in message for message in found), found


SAFE: list[tuple[str, object]] = [
    ('matches(note, "(a+)+$")', False),  # catastrophic for a backtracking engine, linear in RE2
    ('matches(note, "(a|aa)*b$")', True),
    ('matches(note, "(x+x+)+y")', False),
    ("(" * 150 + "amount" + ")" * 150, 10**18),
    ("extra * extra", 2**124),
    ("len(note) > 100000", True),
    ("99999 in tags", False),
    ("amount > 1 # a comment", True),
    ("e", "field e"),
    ("now", "field now"),
    ("e == 'field e' and now == 'field now'", True),
    ("x == '%s%s%s'", True),
    ("customer['__class__']", "x"),
    ("customer['__class__'] == 'x'", True),
    ("(lower)(note) == note", True),  # parentheses around a function name change nothing
    ("'\\x00' + lower(e) != null", True),
    ("'\\u202e' == '\\u202e'", True),
    ("amount == 9223372036854775807", False),
    ("-9223372036854775808 < amount", True),
    ("[" + ", ".join(str(number) for number in range(390)) + "] == tags", False),
    ("amount in [" + ", ".join(str(number) for number in range(390)) + "]", False),
    ("amount\n  > 1\n  and true", True),
    ('"""multi\nline""" != note', True),
    ("True and not None", True),
    ("amount if amount else amount", 10**18),
    ('matches(note, "^a") and matches(note, "b$") and not matches(note, "^b")', True),
    ('matches(note, "a{1000}b") and contains(note, "ab")', True),
    ("startswith(note, 'aaa') and endswith(note, 'ab') and lower(note) != note", False),
    ("amount * 1.5 * amount", 1.5e36),
]


@pytest.mark.parametrize(
    ("text", "expected"), SAFE, ids=[f"{index}-{text[:30]}" for index, (text, _) in enumerate(SAFE)]
)
def test_hostile_expressions_that_compile_evaluate_safely_and_quickly(
    text: str, expected: object
) -> None:
    # GIVEN an expression that is odd but within the language WHEN compiled
    expression = outcome(text)
    assert isinstance(expression, CompiledExpression), expression
    # THEN on a hostile event it answers quickly, and what the language says it should
    started = time.monotonic()
    result = expression.evaluate(HOSTILE_EVENT, NOW)
    assert time.monotonic() - started < SECONDS
    assert result == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("extra * extra * extra", "number too large"),
        ("amount * amount * amount", "number too large"),  # declared a number, holding an int
        ("note + note + note + note", "text longer than 100,000 characters"),
        ("(" + " + ".join(["note"] * 200) + ") == note", "text longer than 100,000 characters"),
        ("round(amount, -9223372036854775807)", "round() digits must be an integer from -18 to 18"),
        ("x % 3", "cannot apply '%' to a string and an integer"),
        ("x * 3", "cannot apply '*' to a string and an integer"),
        ("tags * 2 if false else x * 2", "cannot apply '*' to a string and an integer"),
    ],
)
def test_growth_and_formatting_through_any_fields_fail_at_run_time(text: str, reason: str) -> None:
    # GIVEN an expression the static types cannot refuse (its fields are of unknown type)
    expression = outcome(text)
    if isinstance(expression, list):  # refused statically is as good
        return
    # WHEN it runs on values that would grow or format THEN it fails with a reason, at once
    started = time.monotonic()
    with pytest.raises(EVALUATION_ERRORS) as caught:
        expression.evaluate(HOSTILE_EVENT, NOW)
    assert time.monotonic() - started < SECONDS
    assert describe_failure(caught.value) == reason


NESTINGS = {
    "not": ("not ", ""),
    "and": ("x and (", ")"),
    "or": ("x or (", ")"),
    "comparison": ("x == (", ")"),
    "chain": ("1 < x < coalesce(x, ", ")"),
    "in": ("coalesce(x, (", ") in [1, 2])"),
    "arithmetic": ("x + (", ")"),
    "negation": ("-(", ")"),
    "if": ("x if (", ") else x"),
    "function": ("lower(", ")"),
    "coalesce": ("coalesce(x, ", ")"),
    "subscript": ("(", ")[0]"),
    "predicate": ("contains(tags, ", ")"),
}


@pytest.mark.parametrize("construct", sorted(NESTINGS))
def test_the_deepest_allowed_nesting_of_each_construct_compiles_and_runs(construct: str) -> None:
    # GIVEN a construct nested as deep as the limit allows
    opening, closing = NESTINGS[construct]
    depth = 1
    while True:
        text = opening * (depth + 1) + "x" + closing * (depth + 1)
        if isinstance(compile_expression(text, FIELDS), list):
            break
        depth += 1
    text = opening * depth + "x" + closing * depth
    # WHEN it is compiled and run THEN Python's own limits were never the ones that stopped it
    expression = outcome(text)
    assert isinstance(expression, CompiledExpression)
    assert depth >= 8
    with contextlib.suppress(*EVALUATION_ERRORS):
        expression.evaluate(HOSTILE_EVENT, NOW)


# --- what the generated function can reach ----------------------------------------------------


def generated_source(text: str) -> str:
    parsed = parse(text)
    assert not isinstance(parsed, list), parsed
    tree, locator = parsed
    checked = check(tree, locator, dict(FIELDS))
    assert not isinstance(checked, list), checked
    source, _ = generate(tree, checked.types)
    return source


# the methods the inline fast paths call, on values whose exact type they tested first
OUR_ATTRIBUTES = {
    "get",
    "hour",
    "tzinfo",
    "weekday",
    "date",
    "isoformat",
    "lower",
    "upper",
    "strip",
    "startswith",
    "endswith",
}


@pytest.mark.parametrize(
    "text",
    [
        "e == now",
        "amount > 1 and note in ['a', 'b'] or extra == null",
        "coalesce(x, extra, amount) > amount",
        "matches(note, '^a') and lower(note) == note",
        "customer['country'] if amount > 1 else tags[0]",
        "ago('5m') < ago('1m') and now != e",
        "-amount * 2 // 3 % 4",
        "matches(e, 'get$') or matches(now, '^hour$') or matches(e, '__class__') or matches(e, 'a.b')",
        "startswith(e, '__') and endswith(now, 'mro') and contains(e, 'lower')",
        "upper(e) == trim(now) and amount * extra / 2 - 1 + x > 0",
        "hour(extra) < 6 or hour(extra) > 20 or weekday(extra) == 6 or date(extra) == e",
    ],
)
def test_generated_code_names_nothing_but_its_own_underscore_names(text: str) -> None:
    # GIVEN expressions over fields whose names are Python words (e, now), inline fast paths too
    source = generated_source(text)
    # WHEN the generated source is read back THEN every name in it is ours, never the operator's
    tree = ast.parse(source)
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    attributes = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    assert all(name.startswith("_") for name in names), names
    assert attributes <= OUR_ATTRIBUTES, attributes


def test_the_compiled_function_runs_without_builtins_and_sees_only_our_helpers() -> None:
    # GIVEN any compiled expression
    expression = outcome(
        "matches(note, 'a') and amount > 1 and occurred > ago('1h')".replace(
            " and occurred > ago('1h')", ""
        )
    )
    assert isinstance(expression, CompiledExpression)
    # WHEN its globals are inspected THEN builtins are empty and the rest is helpers/constants
    namespace = expression.evaluate.__globals__
    assert namespace["__builtins__"] == {}
    assert set(namespace) - {"__builtins__", "_expr"} - set(HELPERS) <= {"_k0"}


# --- random token soup -------------------------------------------------------------------------

TOKENS = [
    "amount",
    "note",
    "tags",
    "customer",
    "extra",
    "x",
    "e",
    "now",
    "_f0",
    "__class__",
    "1",
    "0",
    "-1",
    "2.5",
    "1e308",
    "'a'",
    '"%s"',
    "true",
    "null",
    "None",
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
    "<<",
    "&",
    "~",
    "==",
    "!=",
    "<",
    ">=",
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
    "'5m'",
    "'(a+)+$'",
    "__import__",
    "open",
    "\n",
    "#",
    "f'{x}'",
    "0x10",
    "1_000",
    "...",
    "*",
    "=",
]


def test_random_token_soup_is_refused_or_runs_without_escaping() -> None:
    # GIVEN thousands of random token sequences, hostile words included
    generator = random.Random(1122)
    compiled = 0
    for _ in range(4_000):
        text = " ".join(generator.choice(TOKENS) for _ in range(generator.randint(1, 12)))
        # WHEN each is compiled THEN it is refused with problems, or compiled ...
        result = compile_expression(text, FIELDS)
        if isinstance(result, list):
            assert result and all(isinstance(problem, ExpressionProblem) for problem in result)
            assert all(problem.line >= 1 and problem.column >= 1 for problem in result)
            continue
        compiled += 1
        # ... and then it answers or fails only with an evaluation error
        with contextlib.suppress(*EVALUATION_ERRORS):
            result.evaluate(HOSTILE_EVENT, NOW)
    assert compiled > 50  # the soup does reach the code generator
