"""The rule expression language: what each operator, literal and function means, the null rules,
the static type checks with their positions, and run-time failures described for operators."""

from __future__ import annotations

import ast
import random
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import re2  # type: ignore[import-untyped]

from chalicelib.domain.expressions import (
    EVALUATION_ERRORS,
    CompiledExpression,
    EvaluationError,
    compile_expression,
    describe_failure,
)
from chalicelib.domain.expressions import parse as expr_parse
from chalicelib.domain.expressions import runtime as expr_runtime
from chalicelib.domain.expressions.compiler import VALUE_TYPES, ExpressionProblem
from chalicelib.domain.expressions.functions import FUNCTIONS
from chalicelib.domain.expressions.patterns import Pattern, prepare_pattern

pytestmark = pytest.mark.filterwarnings("error")  # generated code must compile without warnings

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)  # a Sunday
FIELDS = {
    "source": "string",
    "type": "string",
    "id": "string",
    "occurred_at": "timestamp",
    "received_at": "timestamp",
    "amount": "number",
    "quantity": "integer",
    "unit_price": "number",
    "region": "string",
    "note": "string",
    "entity_id": "string",
    "day": "date",
    "paid": "boolean",
    "tags": "list",
    "customer": "mapping",
    "wait": "duration",
    "extra": "any",
    "other": "any",
    "nothing": "null",
}


def compiled(text: str, fields: Mapping[str, str] = FIELDS) -> CompiledExpression:
    result = compile_expression(text, fields)
    assert isinstance(result, CompiledExpression), result
    return result


def evaluate(text: str, **event: Any) -> object:
    return compiled(text).evaluate(event, NOW)


def problems(text: str, fields: Mapping[str, str] = FIELDS) -> list[ExpressionProblem]:
    result = compile_expression(text, fields)
    assert isinstance(result, list), f"{text!r} compiled"
    return result


def messages(text: str) -> list[str]:
    return [problem.message for problem in problems(text)]


def failure(text: str, **event: Any) -> str:
    expression = compiled(text)
    with pytest.raises(EVALUATION_ERRORS) as caught:
        expression.evaluate(event, NOW)
    return describe_failure(caught.value)


# --- the compiled value ------------------------------------------------------------------------


def test_a_compiled_expression_keeps_its_text_result_type_and_the_fields_it_reads() -> None:
    # GIVEN a condition over two fields WHEN it is compiled
    expression = compiled('amount > 1000 and region in ["eu-west"]')
    # THEN it says what it reads and what it answers
    assert expression.text == 'amount > 1000 and region in ["eu-west"]'
    assert expression.result_type == "boolean"
    assert expression.fields == frozenset({"amount", "region"})


@pytest.mark.parametrize(
    ("text", "result_type"),
    [
        ("quantity * unit_price", "number"),
        ("quantity * 2", "integer"),
        ("quantity / 2", "number"),
        ("quantity // 2", "integer"),
        ("note + region", "string"),
        ("occurred_at - wait", "timestamp"),
        ("received_at - occurred_at", "duration"),
        ("ago('5m')", "timestamp"),
        ("duration('1h')", "duration"),
        ("extra + 1", "number"),
        ("extra", "any"),
        ("amount if paid else quantity", "number"),
        ("coalesce(note, 'none')", "string"),
        ("len(tags)", "integer"),
        ("round(amount)", "integer"),
        ("round(amount, 2)", "number"),
        ("abs(quantity)", "integer"),
        ("date(occurred_at)", "date"),
        ("customer['x']", "any"),
        ("null", "null"),
        ("[1, 2]", "list"),
        ("not amount", "boolean"),
    ],
)
def test_every_expression_has_a_static_type(text: str, result_type: str) -> None:
    # GIVEN an expression WHEN compiled THEN its result type is inferred
    assert compiled(text).result_type == result_type


def test_the_value_types_are_the_ones_source_definitions_declare() -> None:
    assert VALUE_TYPES == (
        "string",
        "integer",
        "number",
        "boolean",
        "timestamp",
        "date",
        "duration",
        "list",
        "mapping",
        "null",
        "any",
    )


# --- literals and names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("42", 42),
        ("-7", -7),
        ("2.5", 2.5),
        ("'single'", "single"),
        ('"double"', "double"),
        ("true", True),
        ("false", False),
        ("null", None),
        ("True", True),
        ("None", None),
        ("[1, 'a', null]", [1, "a", None]),
        ("(1, 2)", [1, 2]),
        ("-9223372036854775808", -(2**63)),
    ],
)
def test_literals_evaluate_to_their_values(text: str, value: object) -> None:
    assert evaluate(text) == value


def test_a_name_reads_the_event_field_and_a_missing_field_is_null() -> None:
    # GIVEN an expression that is just a field
    # WHEN evaluated on an event with and without it THEN it is the value, or null
    assert evaluate("region", region="eu-west") == "eu-west"
    assert evaluate("region") is None


def test_an_unknown_field_suggests_the_closest_known_one() -> None:
    assert messages("amout > 1000") == ["unknown field 'amout'; did you mean 'amount'?"]


def test_an_unknown_field_with_nothing_close_lists_the_known_fields() -> None:
    assert messages("zzz > 1") == [
        "unknown field 'zzz'; the fields are: amount, customer, day, entity_id, extra, id, "
        "note, nothing, ..."
    ]


def test_a_field_may_share_its_name_with_a_function_and_each_is_used_where_written() -> None:
    # GIVEN a field called len, declared
    fields = {"len": "integer", "tags": "list"}
    # WHEN "len" is a name and len(...) a call THEN the name reads the field, the call counts
    expression = compiled("len > 2 and len(tags) == len", fields)
    assert expression.evaluate({"len": 3, "tags": [1, 2, 3]}, NOW) is True
    assert expression.fields == frozenset({"len", "tags"})


def test_the_events_own_fields_are_ordinary_names_even_type_and_id() -> None:
    expression = compiled("type == 'order.created' and id != null and source in ['shop']")
    event = {"type": "order.created", "id": "A-1", "source": "shop"}
    assert expression.evaluate(event, NOW) is True


def test_a_function_name_that_is_not_a_field_says_how_to_call_it() -> None:
    assert messages("len > 2") == [
        "unknown field 'len'; len is a function: call it as len(text, list or mapping)"
    ]


def test_fields_named_like_the_generated_functions_parameters_read_the_event() -> None:
    # GIVEN fields named e, now and get
    fields = {"e": "integer", "now": "string", "get": "integer"}
    # WHEN compiled THEN they read the event's values, nothing of the function's own
    expression = compiled("e + get", fields)
    assert expression.evaluate({"e": 1, "get": 2}, NOW) == 3
    assert compiled("now", fields).evaluate({"now": "then"}, NOW) == "then"
    assert compiled("now", fields).evaluate({}, NOW) is None


# --- comparisons -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("amount > 1000", True),
        ("amount >= 1500", True),
        ("amount < 1000", False),
        ("amount <= 1500", True),
        ("amount == 1500", True),
        ("amount != 1500", False),
        ("1000 < amount < 2000", True),
        ("1000 < amount < 1200", False),
        ("0 < 1 < amount", True),
        ("region == 'eu-west'", True),
        ("region < 'f'", True),
        ("day >= '2026-11-01'", True),
        ("occurred_at > ago('1h')", True),
        ("occurred_at > ago('10m')", False),
        ("received_at - occurred_at > duration('20m')", True),
        ("paid == true", True),
        ("tags == ['a', 'b']", True),
        ("quantity == 3.0", True),
    ],
)
def test_comparisons(text: str, expected: bool) -> None:
    event = {
        "amount": 1500,
        "region": "eu-west",
        "day": "2026-11-22",
        "paid": True,
        "occurred_at": NOW - timedelta(minutes=30),
        "received_at": NOW,
        "tags": ["a", "b"],
        "quantity": 3,
    }
    assert compiled(text).evaluate(event, NOW) is expected


# --- the null rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("amount > 1", False),
        ("amount < 1", False),
        ("amount == 1", False),
        ("amount != 1", False),
        ("amount >= amount", False),
        ("note == other", False),
        ("note != other", False),
        ("region in ['a', 'b']", False),
        ("region not in ['a', 'b']", False),
        ("region in [null, 'a']", False),
        ("'a' in tags", False),
        ("'a' not in tags", False),
        ("amount == null", True),
        ("amount != null", False),
        ("null == amount", True),
        ("not amount", True),
        ("not note", True),
        ("amount and true", False),
        ("amount or true", True),
        ("0 < amount < 5", False),
    ],
)
def test_a_comparison_with_null_is_false_except_testing_for_null(text: str, expected: bool) -> None:
    # GIVEN an event where every field is missing WHEN the expression runs
    # THEN comparisons are false, '== null' is true, and null is falsy
    assert evaluate(text) is expected


@pytest.mark.parametrize(
    "text",
    [
        "amount + 1",
        "1 - amount",
        "amount * 2",
        "amount / 2",
        "amount // 2",
        "amount % 2",
        "-amount",
        "+amount",
        "lower(note)",
        "upper(note)",
        "trim(note)",
        "len(tags)",
        "abs(amount)",
        "round(amount)",
        "round(amount, 2)",
        "round(3.14159, extra)",
        "hour(occurred_at)",
        "weekday(occurred_at)",
        "date(occurred_at)",
        "customer['country']",
        "coalesce(note, region)",
        "note + region",
        "occurred_at - wait",
    ],
)
def test_arithmetic_and_functions_given_null_give_null(text: str) -> None:
    assert evaluate(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "matches(note, 'x')",
        "startswith(note, 'x')",
        "endswith(note, 'x')",
        "contains(tags, 'x')",
        "contains('abc', note)",
    ],
)
def test_predicates_given_null_are_false(text: str) -> None:
    assert evaluate(text) is False


def test_present_values_compare_normally_when_another_field_is_missing() -> None:
    # GIVEN a chain whose last operand is missing WHEN evaluated THEN the whole chain is false
    assert evaluate("1 < amount < quantity", amount=2) is False
    assert evaluate("1 < amount < quantity", amount=2, quantity=3) is True


# --- and, or, not, if --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("paid and amount > 1", True),
        ("paid and amount > 10", False),
        ("not paid or amount > 10", False),
        ("amount > 10 or paid", True),
        ("not paid", False),
        ("note and paid", True),
        ("'' and paid", False),
        ("tags or false", False),
        ("paid and note", True),
    ],
)
def test_and_or_not_answer_true_or_false_with_null_and_empty_values_falsy(
    text: str, expected: bool
) -> None:
    assert evaluate(text, paid=True, amount=5, note="x", tags=[]) is expected


def test_and_stops_at_the_first_false_operand() -> None:
    # GIVEN a right operand that would fail on this event
    # WHEN the left operand is false THEN the right one is never evaluated
    assert evaluate("paid and extra * 2 > 1", paid=False, extra="text") is False


def test_a_conditional_picks_a_branch_and_evaluates_only_that_branch() -> None:
    text = "amount * 2 if paid else lower(note)"
    assert evaluate(text, paid=True, amount=3, note=5) == 6
    assert evaluate(text, paid=False, amount="x", note="ABC") == "abc"
    assert evaluate(text, amount=3, note="ABC") == "abc"  # a missing test is false


def test_a_field_first_read_in_a_skipped_branch_is_still_read_for_later_uses() -> None:
    # GIVEN a field used in a branch that may not run and again after it
    text = "(quantity > 100 if paid else false) or quantity == 3"
    # WHEN the branch is skipped THEN the later use still sees the field
    assert evaluate(text, paid=False, quantity=3) is True
    assert evaluate(text, paid=True, quantity=300) is True


# --- membership --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("region in ['eu-west', 'eu-central']", True),
        ("region in ('us-east',)", False),
        ("region in {'eu-west'}", True),
        ("region not in ['eu-west']", False),
        ("region in []", False),
        ("region not in []", True),
        ("'vip' in tags", True),
        ("'new' not in tags", True),
        ("'west' in region", True),
        ("'country' in customer", True),
        ("quantity in [1, 2, 3]", True),
        ("amount in [2.5]", True),
        ("extra in [1, 'a']", True),
    ],
)
def test_in_and_not_in(text: str, expected: bool) -> None:
    event = {
        "region": "eu-west",
        "tags": ["vip"],
        "customer": {"country": "DE"},
        "quantity": 2,
        "amount": 2.5,
        "extra": "a",
    }
    assert compiled(text).evaluate(event, NOW) is expected


# --- arithmetic --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("quantity * unit_price", 7.5),
        ("quantity + 1", 4),
        ("quantity - 5", -2),
        ("quantity / 2", 1.5),
        ("quantity // 2", 1),
        ("quantity % 2", 1),
        ("-quantity", -3),
        ("+unit_price", 2.5),
        ("note + '!'", "hi!"),
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("occurred_at + duration('1h')", NOW + timedelta(minutes=30)),
        ("received_at - occurred_at", timedelta(minutes=30)),
        ("wait + wait", timedelta(minutes=10)),
        ("-wait", timedelta(minutes=-5)),
    ],
)
def test_arithmetic(text: str, expected: object) -> None:
    event = {
        "quantity": 3,
        "unit_price": 2.5,
        "note": "hi",
        "wait": timedelta(minutes=5),
        "occurred_at": NOW - timedelta(minutes=30),
        "received_at": NOW,
    }
    assert compiled(text).evaluate(event, NOW) == expected


@pytest.mark.parametrize(
    ("text", "event", "reason"),
    [
        ("extra * 3", {"extra": "ab"}, "cannot apply '*' to a string and an integer"),
        ("extra * 3", {"extra": [1]}, "cannot apply '*' to a list and an integer"),
        ("extra % 3", {"extra": "%s"}, "cannot apply '%' to a string and an integer"),
        ("extra + 1", {"extra": True}, "cannot apply '+' to a boolean and an integer"),
        (
            "extra - other",
            {"extra": "a", "other": "b"},
            "cannot apply '-' to a string and a string",
        ),
        ("-extra", {"extra": "a"}, "cannot apply '-' to a string"),
        ("quantity / extra", {"quantity": 1, "extra": 0}, "division by zero"),
        ("quantity // extra", {"quantity": 1, "extra": 0}, "division by zero"),
        ("quantity % extra", {"quantity": 1, "extra": 0}, "division by zero"),
        ("extra * extra * extra * extra", {"extra": 2**40}, "number too large"),
        ("amount > 1", {"amount": "lots"}, "'>' between a string and a number"),
        ("extra < other", {"extra": [1], "other": {}}, "'<' between a list and a mapping"),
        (
            "extra in other",
            {"extra": 1, "other": 5},
            "'in' needs a list, a string or a mapping on its right, not a number",
        ),
        (
            "extra in note",
            {"extra": 1, "note": "x"},
            "'in' a string needs a string on its left, not a number",
        ),
        ("extra in ['a']", {"extra": ["a"]}, "a list cannot be looked up in a list of values"),
        ("lower(extra)", {"extra": 5}, "lower() needs a string, not an integer"),
        ("len(extra)", {"extra": 5}, "len() needs a string, list or mapping, not an integer"),
        ("abs(extra)", {"extra": "5"}, "abs() needs a number, not a string"),
        ("round(extra)", {"extra": "5"}, "round() needs a number, not a string"),
        (
            "round(amount, extra)",
            {"amount": 1.5, "extra": 10**6},
            "round() digits must be an integer from -18 to 18",
        ),
        (
            "hour(extra)",
            {"extra": "2026-11-22T10:00:00Z"},
            "hour() needs a timestamp, not a string",
        ),
    ],
)
def test_values_of_the_wrong_type_at_run_time_fail_with_a_readable_reason(
    text: str, event: dict[str, Any], reason: str
) -> None:
    # GIVEN an expression that passed the static checks and an event with unexpected values
    # WHEN it runs THEN it raises one of EVALUATION_ERRORS, described for the operator
    assert failure(text, **event) == reason


def test_evaluation_errors_carry_their_message() -> None:
    error = EvaluationError("number too large")
    assert error.message == "number too large"
    assert describe_failure(error) == "number too large"
    assert describe_failure(ValueError("bad\nsecond line")) == "ValueError: bad"


# --- subscripts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "event", "expected"),
    [
        ("customer['country']", {"customer": {"country": "DE"}}, "DE"),
        ("customer['missing']", {"customer": {"country": "DE"}}, None),
        ("tags[0]", {"tags": ["a", "b"]}, "a"),
        ("tags[-1]", {"tags": ["a", "b"]}, "b"),
        ("tags[2]", {"tags": ["a", "b"]}, None),
        ("tags[-3]", {"tags": ["a"]}, None),
        ("extra['k']", {"extra": "a string"}, None),
        ("extra[0]", {"extra": {"0": 1}}, None),
        ("extra['k']['j']", {"extra": {"k": {"j": 5}}}, 5),
        ("extra[0]", {"extra": 7}, None),
        ("customer['country'] == 'DE'", {"customer": {"country": "DE"}}, True),
    ],
)
def test_a_subscript_reads_a_key_or_index_and_is_null_when_there_is_none(
    text: str, event: dict[str, Any], expected: object
) -> None:
    assert compiled(text).evaluate(event, NOW) == expected


# --- functions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("matches(entity_id, '^SKU-')", True),
        ("matches(entity_id, '^sku-')", False),
        ("matches(entity_id, '[0-9]+$')", True),
        ("matches(extra, '.')", False),
        ("lower(note)", "mixed case"),
        ("upper(note)", "MIXED CASE"),
        ("trim('  x ')", "x"),
        ("len(note)", 10),
        ("len(tags)", 2),
        ("len(customer)", 1),
        ("abs(-3)", 3),
        ("abs(amount)", 2.5),
        ("round(2.567, 2)", 2.57),
        ("round(2.5)", 2),
        ("round(1234, -2)", 1200),
        ("startswith(entity_id, 'SKU')", True),
        ("endswith(entity_id, '42')", True),
        ("startswith(extra, 'x')", False),
        ("contains(note, 'Case')", True),
        ("contains(tags, 'b')", True),
        ("contains(tags, 'z')", False),
        ("contains(customer, 'country')", True),
        ("contains(extra, 'a')", False),
        ("coalesce(other, note)", "Mixed Case"),
        ("coalesce(other, customer['zip'], 'default')", "default"),
        ("coalesce(note, other)", "Mixed Case"),
        ("hour(occurred_at)", 9),
        ("weekday(occurred_at)", 6),
        ("date(occurred_at)", "2026-11-22"),
        ("ago('1h')", NOW - timedelta(hours=1)),
        ("duration('1h30m')", timedelta(minutes=90)),
        ("ago(60)", NOW - timedelta(minutes=1)),
    ],
)
def test_functions(text: str, expected: object) -> None:
    event = {
        "entity_id": "SKU-42",
        "note": "Mixed Case",
        "tags": ["a", "b"],
        "customer": {"country": "DE"},
        "amount": -2.5,
        "extra": 5,
        "occurred_at": datetime(2026, 11, 22, 9, 15, tzinfo=UTC),
    }
    assert compiled(text).evaluate(event, NOW) == expected


def test_hour_weekday_and_date_answer_in_utc() -> None:
    # GIVEN a timestamp given with another offset (Sunday 00:30 in UTC+2 is Saturday 22:30 UTC)
    moment = datetime(2026, 11, 22, 0, 30, tzinfo=UTC) + timedelta()
    local = moment.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Helsinki"))
    event = {"occurred_at": local - timedelta(hours=2)}
    # WHEN read through the functions THEN they answer in UTC
    assert compiled("hour(occurred_at)").evaluate(event, NOW) == 22
    assert compiled("weekday(occurred_at)").evaluate(event, NOW) == 5
    assert compiled("date(occurred_at)").evaluate(event, NOW) == "2026-11-21"


def test_coalesce_evaluates_only_up_to_the_first_value() -> None:
    # GIVEN a later argument that would fail WHEN an earlier one is present THEN no failure
    assert evaluate("coalesce(note, lower(extra))", note="x", extra=5) == "x"


def test_ago_counts_back_from_the_evaluation_time() -> None:
    expression = compiled("occurred_at > ago('5m')")
    event = {"occurred_at": NOW - timedelta(minutes=3)}
    assert expression.evaluate(event, NOW) is True
    assert expression.evaluate(event, NOW + timedelta(minutes=3)) is False


# --- static checks -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("note * 100000000", "cannot apply '*' to string and integer"),
        ("note - 1", "cannot apply '-' to string and integer"),
        ("paid + 1", "cannot apply '+' to boolean and integer"),
        ("tags * 2", "cannot apply '*' to list and integer"),
        ("note % amount", "cannot apply '%' to string and number"),
        ("occurred_at + occurred_at", "cannot apply '+' to timestamp and timestamp"),
        ("day - 1", "cannot apply '-' to date and integer"),
        ("extra * note", "cannot apply '*' to any and string"),
        ("-note", "cannot apply '-' to a string"),
        ("amount + null", "'+' with null is always null; test with '== null'"),
        ("amount > 'a'", "cannot order a number and a string with '>'"),
        ("occurred_at > '2026-01-01'", "cannot order a timestamp and a string with '>'"),
        ("paid < true", "cannot order a boolean and a boolean with '<'"),
        ("tags < tags", "cannot order a list and a list with '<'"),
        ("amount == 'a'", "a number is never equal to a string"),
        ("paid == 1", "a boolean is never equal to an integer"),
        ("amount > null", "'>' with null is always false; test for a missing value with '== null'"),
        (
            "1 < amount == null",
            "'==' with null is always false; test for a missing value with '== null'",
        ),
        ("null in tags", "'in' with null is always false; test for a missing value with '== null'"),
        ("amount in ['a', 'b']", "a number is never in a list of string values"),
        ("amount in note", "only text can be in a string, not a number"),
        ("amount in customer", "mapping keys are strings, not a number"),
        ("'a' in amount", "'in' needs a list, a string or a mapping on its right, not a number"),
        (
            "amount is null",
            "'is' is not allowed; write '==' (or '== null' to test for a missing value)",
        ),
        ("lower(amount)", "lower(text): argument 1 must be date or string, not number"),
        (
            "len(amount)",
            "len(text, list or mapping): argument 1 must be list or mapping or string, not number",
        ),
        ("hour(note)", "hour(timestamp): argument 1 must be timestamp, not string"),
        ("round(amount, 1.5)", "round(number, digits): argument 2 must be integer, not number"),
        ("lower()", "lower(text) takes 1 arguments, not 0"),
        ("lower(note, note)", "lower(text) takes 1 arguments, not 2"),
        ("round(1, 2, 3)", "round(number, digits) takes 1 or 2 arguments, not 3"),
        ("coalesce(note)", "coalesce(value, other, ...) takes at least 2 arguments, not 1"),
        ("lower(text=note)", "keyword arguments are not allowed; pass arguments by position"),
        ("matches(note, region)", 'matches(text, "pattern"): this argument must be a constant'),
        ("matches(note, '(')", "invalid pattern for matches(): missing ): ("),
        (
            "matches(note, '(a)\\\\1')",
            "invalid pattern for matches(): invalid escape sequence: \\1",
        ),
        ("ago(note)", 'ago("5m"): this argument must be a constant'),
        (
            "ago('5x')",
            "ago(): '5x' is not a duration; write a number and a unit: 30s, 5m, 2h, 1d, 1w",
        ),
        ("duration('0s')", "duration(): '0s' is not a duration: it must be longer than zero"),
        ("lowr(note)", "unknown function 'lowr'; did you mean lower()?"),
        (
            "customer[note]",
            "a subscript must be a constant: a string key for a mapping or an "
            "integer index for a list",
        ),
        ("tags['a']", "cannot look up a string key in a list"),
        ("customer[0]", "cannot look up an integer index in a mapping"),
        ("note[0]", "cannot look up an integer index in a string"),
        ("tags[1:2]", "slices ('a:b') are not allowed"),
        (
            "tags[true]",
            "a subscript must be a constant: a string key for a mapping or an integer "
            "index for a list",
        ),
        (
            "region in [note]",
            "a list may hold only literals: numbers, strings, true, false and null",
        ),
        ("1e999 > amount", "numbers must be finite"),
        (
            "amount > 9223372036854775808",
            "integers must be within -9223372036854775808 and 9223372036854775807",
        ),
    ],
)
def test_static_type_and_shape_errors_are_refused_with_a_clear_message(
    text: str, message: str
) -> None:
    assert messages(text) == [message]


def test_every_problem_is_reported_at_once_in_order_of_position() -> None:
    # GIVEN an expression with three separate mistakes
    found = problems("amout > 1 and note * 2 > 0 and lower(paid)")
    # WHEN compiled THEN all three are reported, in the order they appear
    assert [(problem.message, problem.column) for problem in found] == [
        ("unknown field 'amout'; did you mean 'amount'?", 1),
        ("cannot apply '*' to string and integer", 15),
        ("lower(text): argument 1 must be date or string, not boolean", 38),
    ]


def test_positions_in_a_multi_line_expression_point_at_the_line_and_column() -> None:
    # GIVEN an expression written over three lines, as a YAML block scalar would give it
    text = "amount > 1000\n  and region in ['eu']\n  and note * 2 > amout"
    # WHEN compiled THEN each problem names its own line and column
    assert problems(text) == [
        ExpressionProblem("cannot apply '*' to string and integer", 3, 7),
        ExpressionProblem("unknown field 'amout'; did you mean 'amount'?", 3, 18),
    ]


def test_columns_count_characters_not_bytes() -> None:
    # GIVEN non-ASCII text before the mistake WHEN compiled
    [problem] = problems("note == 'héllo wörld' and amout")
    # THEN the column counts characters
    assert (problem.line, problem.column) == (1, 27)


def test_syntax_errors_are_problems_with_positions() -> None:
    [problem] = problems("amount >")
    assert problem.message.startswith("syntax error")
    assert problem.line == 1
    [unclosed] = problems("(amount > 1")
    assert (unclosed.message, unclosed.line, unclosed.column) == (
        "syntax error: '(' is never closed",
        1,
        1,
    )
    [statement] = problems("amount = 1")
    assert statement.message.startswith("syntax error")


def test_an_empty_expression_is_a_problem() -> None:
    assert messages("   ") == ["the expression is empty"]


def test_a_field_declared_with_an_unknown_type_counts_as_any() -> None:
    expression = compiled("odd + 1", {"odd": "decimal"})
    assert expression.result_type == "number"
    assert expression.evaluate({"odd": 2}, NOW) == 3


# --- fields are read once ----------------------------------------------------------------------


class CountingEvent(Mapping[str, object]):
    """An event that counts how often each field is read."""

    def __init__(self, values: dict[str, object]) -> None:
        self.data = values
        self.reads: dict[str, int] = {}

    def __getitem__(self, key: str) -> object:
        self.reads[key] = self.reads.get(key, 0) + 1
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


@pytest.mark.parametrize(
    "text",
    [
        "amount > 1 and amount < 100 and amount != 50",
        "coalesce(note, region) == region or amount * amount > amount",
        "(amount if paid else -amount) > 0 and paid",
        "1 < amount < amount + 1",
    ],
)
def test_each_field_is_read_from_the_event_at_most_once(text: str) -> None:
    # GIVEN an expression naming fields several times
    event = CountingEvent({"amount": 10, "note": "n", "region": "r", "paid": True})
    # WHEN evaluated THEN each field was read once at most
    compiled(text).evaluate(event, NOW)
    assert event.reads and max(event.reads.values()) == 1


def test_a_field_named_only_after_the_first_operand_of_and_is_not_read_when_it_stops() -> None:
    # GIVEN a field named twice, first in the second operand of `and`
    expression = compiled("startswith(note, '4') and amount >= 100 and amount < 200")
    # WHEN the first operand is false THEN that field is never read
    skipped = CountingEvent({"note": "5123", "amount": 150})
    assert expression.evaluate(skipped, NOW) is False
    assert skipped.reads == {"note": 1}
    # WHEN it is true THEN the field is read once for both comparisons
    reached = CountingEvent({"note": "4123", "amount": 150})
    assert expression.evaluate(reached, NOW) is True
    assert reached.reads == {"note": 1, "amount": 1}


class CountingMoment(datetime):
    """A timestamp (of a type the inline code leaves to the helper) that counts reads of its
    hour."""

    hour_reads: list[int] = []  # noqa: RUF012 - one counter for the class, reset by each test

    @property
    def hour(self) -> int:  # type: ignore[override]
        CountingMoment.hour_reads.append(1)
        return super().hour


def test_the_same_call_on_the_same_field_is_computed_once() -> None:
    # GIVEN a function called twice on one field, the second call after `or`
    CountingMoment.hour_reads.clear()
    moment = CountingMoment(2026, 11, 22, 12, 0, tzinfo=UTC)
    # WHEN both comparisons run THEN the hour was computed once
    assert evaluate("hour(extra) < 6 or hour(extra) >= 22", extra=moment) is False
    assert len(CountingMoment.hour_reads) == 1


def test_a_repeated_call_that_may_not_run_first_is_never_computed_ahead() -> None:
    # GIVEN a call first made in a branch, then again where that branch may not have run
    text = "(hour(extra) > 5 if paid else false) or (paid == false and hour(extra) < 3)"
    # WHEN the first branch is skipped THEN the second call is made, on its own
    assert evaluate(text, paid=False, extra=datetime(2026, 11, 22, 2, tzinfo=UTC)) is True
    # WHEN neither call runs THEN a value the function would refuse is never given to it
    assert (
        evaluate(
            "(hour(extra) > 5 if paid else false) or (paid and hour(extra) < 3)",
            paid=False,
            extra="text",
        )
        is False
    )


# --- inline fast paths answer what the helpers answer ------------------------------------------


def outcome_of(function: Callable[..., object], *arguments: object) -> tuple[str, str]:
    """What calling ``function`` gives, in a form two calls can be compared by (NaN included)."""
    try:
        value = function(*arguments)
    except EVALUATION_ERRORS as error:
        return "fails", describe_failure(error)
    return type(value).__name__, repr(value)


class Moment(datetime):
    """A datetime subclass: not the exact type the inline code tests for."""


ODD_VALUES: list[object] = [
    None,
    0,
    3,
    -7,
    2**70,
    2.5,
    -0.0,
    1e308,
    float("inf"),
    True,
    "Mixed Case ",
    "",
    ["a"],
    {"a": 1},
    timedelta(minutes=5),
    datetime(2026, 11, 22, 23, 30, tzinfo=UTC),
    datetime(2026, 11, 22, 23, 30),  # naive: taken as UTC
    datetime(2026, 11, 22, 23, 30, tzinfo=timezone(timedelta(hours=2))),
    datetime(2026, 11, 22, 0, 30, tzinfo=__import__("zoneinfo").ZoneInfo("Europe/Helsinki")),
    Moment(2026, 11, 22, 1, 0, tzinfo=UTC),
]


@pytest.mark.parametrize("name", ["hour", "weekday", "date", "lower", "upper", "trim"])
def test_inline_functions_answer_what_their_helpers_answer_for_every_kind_of_value(
    name: str,
) -> None:
    # GIVEN a function the generator writes inline, on a field of unknown type
    expression = compiled(f"{name}(extra)")
    helper = FUNCTIONS[name].helper
    assert helper is not None
    for value in ODD_VALUES:
        # WHEN it meets any kind of value THEN it answers, or fails, as the helper does
        assert outcome_of(expression.evaluate, {"extra": value}, NOW) == outcome_of(
            helper, value
        ), value


@pytest.mark.parametrize(
    ("value", "hour", "weekday", "date"),
    [
        (datetime(2026, 11, 22, 23, 30, tzinfo=UTC), 23, 6, "2026-11-22"),
        (datetime(2026, 11, 22, 23, 30), 23, 6, "2026-11-22"),
        (datetime(2026, 11, 22, 1, 30, tzinfo=timezone(timedelta(hours=2))), 23, 5, "2026-11-21"),
        (Moment(2026, 11, 22, 1, 0, tzinfo=timezone(timedelta(hours=-3))), 4, 6, "2026-11-22"),
    ],
)
def test_timestamps_not_in_utc_still_answer_in_utc(
    value: datetime, hour: int, weekday: int, date: str
) -> None:
    # GIVEN a naive timestamp, one with another offset, or of a datetime subclass
    # WHEN read by the functions THEN the answers are in UTC (naive ones are taken as UTC)
    assert evaluate("hour(occurred_at)", occurred_at=value) == hour
    assert evaluate("weekday(occurred_at)", occurred_at=value) == weekday
    assert evaluate("date(occurred_at)", occurred_at=value) == date


ARITHMETIC_HELPERS = {
    "+": expr_runtime.add,
    "-": expr_runtime.subtract,
    "*": expr_runtime.multiply,
    "/": expr_runtime.divide,
}
NUMBER_FIELDS = {
    "n": "number",
    "i": "integer",
    "a": "any",
    "m": "number",
    "j": "integer",
    "b": "any",
}
NUMBERS: list[object] = [
    None,
    0,
    3,
    -7,
    2**70,
    2**100,
    2.5,
    -0.0,
    1e308,
    float("inf"),
    True,
    "x",
    timedelta(minutes=1),
]


@pytest.mark.parametrize("op", sorted(ARITHMETIC_HELPERS))
@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("n", "m"),
        ("n", "j"),
        ("i", "m"),
        ("i", "j"),
        ("a", "b"),
        ("n", "b"),
        ("n", "2"),
        ("n", "2.5"),
        ("i", "2"),
        ("i", "-2.5"),
        ("2", "m"),
        ("2.5", "j"),
    ],
)
def test_inline_arithmetic_answers_what_the_helper_answers_for_every_kind_of_value(
    op: str, left: str, right: str
) -> None:
    # GIVEN an operation between fields declared numbers, integers or of unknown type
    expression = compiled(f"{left} {op} {right}", NUMBER_FIELDS)
    helper = ARITHMETIC_HELPERS[op]
    constants = {"2": 2, "2.5": 2.5, "-2.5": -2.5}
    for left_value in NUMBERS:
        for right_value in NUMBERS:
            event = {left: left_value, right: right_value}
            expected = outcome_of(
                helper, constants.get(left, left_value), constants.get(right, right_value)
            )
            # WHEN it meets any pair of values THEN it answers, or fails, as the helper does
            actual = outcome_of(expression.evaluate, event, NOW)
            assert actual == expected, (left_value, right_value)


def test_integer_products_keep_their_size_limit_whatever_the_declared_types() -> None:
    # GIVEN integers in fields declared integer, or number
    # WHEN their products grow past 128 bits THEN they fail, as before
    assert failure("quantity * quantity * quantity", quantity=2**50) == "number too large"
    assert failure("amount * amount * amount", amount=2**50) == "number too large"
    assert evaluate("amount * amount * amount", amount=2.0**50) == 2.0**150


@pytest.mark.parametrize("name", ["startswith", "endswith", "contains"])
def test_inline_predicates_answer_what_their_helpers_answer(name: str) -> None:
    # GIVEN a predicate with a constant second argument
    expression = compiled(f"{name}(extra, 'ab')")
    helper = FUNCTIONS[name].helper
    assert helper is not None
    values = [*ODD_VALUES, "abc", "cab", "xaby", "ab", ["ab"], ("ab",), {"ab": 1}, "AB"]
    for value in values:
        # WHEN it meets any kind of value THEN it answers as the helper does
        assert expression.evaluate({"extra": value}, NOW) is helper(value, "ab"), value


# --- matches(): plain patterns as string tests, the rest RE2 -----------------------------------


@pytest.mark.parametrize(
    ("pattern", "kind", "literal"),
    [
        ("^SKU-9", "prefix", "SKU-9"),
        ("json$", "suffix", "json"),
        ("^a b$", "whole", "a b"),
        ("error", "substring", "error"),
        ("^api\\.example", "prefix", "api.example"),
        ("\\$5", "substring", "$5"),
        ("", "substring", ""),
        ("^", "prefix", ""),
        ("^$", "whole", ""),
        ("é-ü", "substring", "é-ü"),
        ("a\\$$", "suffix", "a$"),
    ],
)
def test_plain_text_patterns_become_string_tests(pattern: str, kind: str, literal: str) -> None:
    assert prepare_pattern(pattern) == Pattern(kind, literal)


@pytest.mark.parametrize(
    "pattern",
    ["a.b", "^a+", "(a)", "a|b", "[ab]", "a{2}", "\\d", "a$b", "^^a", "\\_", "(?i)a", "a]", "$a"],
)
def test_patterns_with_regex_syntax_run_on_re2(pattern: str) -> None:
    prepared = prepare_pattern(pattern)
    assert isinstance(prepared, Pattern)
    assert prepared.kind == "regex" and prepared.search is not None


def test_matches_answers_what_re2_finds_for_random_patterns_and_texts() -> None:
    # GIVEN random patterns of plain text, anchors, escapes and some regex syntax
    generator = random.Random(2211)
    options = re2.Options()
    options.log_errors = False
    tried = 0
    while tried < 400:
        pattern = "".join(
            generator.choice(
                ["a", "b", "é", "-", ".", "^", "$", "\\.", "\\$", "\\^", "\n", "a*", "(b)"]
            )
            for _ in range(generator.randint(0, 5))
        )
        try:
            reference = re2.compile(pattern, options)
        except re2.error:
            continue
        tried += 1
        expression = compiled(f"matches(note, {pattern!r})")
        for _ in range(10):
            text = "".join(generator.choice("abé-.$^\n") for _ in range(generator.randint(0, 8)))
            # WHEN both judge a text THEN the compiled expression finds what RE2 finds
            expected = reference.search(text) is not None
            assert expression.evaluate({"note": text}, NOW) is expected, (pattern, text)


def test_an_re2_pattern_answers_as_re2_search_on_hits_misses_and_any_text() -> None:
    expression = compiled("matches(note, '[0-9]+-(é|x)$')")
    public = re2.compile("[0-9]+-(é|x)$")
    for text in ["", "12-é", "a12-x", "12-éz", "-x", "é" * 1_000 + "1-x", "1-x\n", None, 5]:
        expected = type(text) is str and public.search(text) is not None
        assert expression.evaluate({"note": text}, NOW) is expected, text


def test_text_re2_cannot_read_fails_as_an_evaluation_error() -> None:
    # GIVEN text with a lone surrogate (JSON can carry one) WHEN a regex runs on it THEN it fails
    # as RE2's own search does, with an error the engine reports, not a crash
    assert failure("matches(note, 'a+b')", note="\ud800ab").startswith("UnicodeEncodeError")


def test_the_direct_re2_call_falls_back_to_the_public_search_when_it_cannot_be_trusted() -> None:
    from chalicelib.domain.expressions import patterns as expr_patterns

    # GIVEN the installed google-re2 THEN the direct call is used
    assert expr_patterns._direct_search(re2.compile("a")) is not None
    # GIVEN a compiled pattern without the private attribute it uses THEN none is offered
    assert expr_patterns._direct_search(object()) is None


# --- agrees with hand-written Python -----------------------------------------------------------


def test_a_compiled_condition_agrees_with_a_reference_lambda_on_many_inputs() -> None:
    # GIVEN the condition and its meaning written by hand in Python
    expression = compiled('amount > 1000 and region in ["eu-west", "eu-central"]')

    def reference(event: dict[str, Any]) -> bool:
        amount, region = event.get("amount"), event.get("region")
        return (amount is not None and amount > 1000) and region in ("eu-west", "eu-central")

    generator = random.Random(20261122)
    amounts = [None, 0, 999, 1000, 1000.5, 1001, -5, 10**12, 1e300, 999.999]
    regions = [None, "eu-west", "eu-central", "us-east", "", "EU-WEST", "eu-west "]
    for _ in range(5_000):
        event = {
            "amount": generator.choice([*amounts, generator.uniform(-2e3, 2e3)]),
            "region": generator.choice(regions),
        }
        event = {
            key: value
            for key, value in event.items()
            if value is not None or generator.random() < 0.5
        }
        # WHEN both judge the same event THEN they agree, and the compiled one answers a bool
        result = expression.evaluate(event, NOW)
        assert result is reference(event), event


# --- the operators' reference stays true -------------------------------------------------------


def test_the_operator_reference_documents_every_function_and_limit() -> None:
    # GIVEN rules/expressions.md, the reference operators read
    reference = (Path(__file__).resolve().parents[2] / "rules" / "expressions.md").read_text()
    # THEN every function has a row and every limit its value
    for name in FUNCTIONS:
        assert f"| `{name}(" in reference or f", `{name}(" in reference, name
    for limit in (
        expr_parse.MAX_TEXT,
        expr_parse.MAX_NODES,
        expr_parse.MAX_DEPTH,
        expr_parse.MAX_STRING,
        expr_parse.MAX_ITEMS,
    ):
        assert f"| {limit:,} " in reference or f"| {limit:,} characters" in reference, limit


# --- agrees with a reference interpreter -------------------------------------------------------
# Random expressions over fields of unknown type, judged by the compiled code and by a plain
# tree-walking interpreter of the language's rules. Covers the code generator's bookkeeping:
# fields read once into locals, first reads inside branches that may not run, temporaries.

_OPERATORS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}
_ORDERINGS = {
    ast.Lt: lambda a, b: a < b,
    ast.Gt: lambda a, b: a > b,
    ast.LtE: lambda a, b: a <= b,
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
}


def random_value(generator: random.Random, depth: int) -> str:
    choice = generator.randrange(7 if depth > 0 else 2)
    if choice == 0:
        return generator.choice("abc")
    if choice == 1:
        return str(generator.randint(-2, 3))
    inner = depth - 1
    if choice in (2, 3):
        return (
            f"({random_value(generator, inner)} {generator.choice('+-*')} "
            f"{random_value(generator, inner)})"
        )
    if choice == 4:
        return (
            f"({random_value(generator, inner)} if {random_condition(generator, inner)} "
            f"else {random_value(generator, inner)})"
        )
    if choice == 5:
        if generator.random() < 0.5:  # a call on a field: repeated, it is computed once
            return f"abs({generator.choice('abc')})"
        return f"coalesce({random_value(generator, inner)}, {random_value(generator, inner)})"
    return f"-{random_value(generator, inner)}"


def random_condition(generator: random.Random, depth: int) -> str:
    choice = generator.randrange(6 if depth > 0 else 3)
    inner = max(depth - 1, 0)
    if choice == 0:
        ops = [
            generator.choice(["<", ">", "<=", "==", "!="]) for _ in range(generator.randint(1, 3))
        ]
        parts = [random_value(generator, inner) for _ in range(len(ops) + 1)]
        chain = " ".join(f"{part} {op}" for part, op in zip(parts[:-1], ops, strict=True))
        return f"({chain} {parts[-1]})"
    if choice == 1:
        member = generator.choice(["in", "not in"])
        return f"({random_value(generator, inner)} {member} [0, 2, 5])"
    if choice == 2:
        return f"({generator.choice('abc')} {generator.choice(['==', '!='])} null)"
    if choice in (3, 4):
        joiner = generator.choice([" and ", " or "])
        return (
            "("
            + joiner.join(
                random_condition(generator, inner) for _ in range(generator.randint(2, 3))
            )
            + ")"
        )
    return f"(not {random_condition(generator, inner)})"


def interpret(node: ast.expr, event: dict[str, Any]) -> Any:  # noqa: C901 - one branch per node
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return None if node.id == "null" else event.get(node.id)
    if isinstance(node, ast.BinOp):
        left, right = interpret(node.left, event), interpret(node.right, event)
        symbol = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*"}[type(node.op)]
        return None if left is None or right is None else _OPERATORS[symbol](left, right)
    if isinstance(node, ast.UnaryOp):
        operand = interpret(node.operand, event)
        if isinstance(node.op, ast.Not):
            return not operand
        return None if operand is None else -operand
    if isinstance(node, ast.BoolOp):
        wanted = isinstance(node.op, ast.Or)
        return (
            any(bool(interpret(value, event)) for value in node.values)
            if wanted
            else all(bool(interpret(value, event)) for value in node.values)
        )
    if isinstance(node, ast.IfExp):
        branch = node.body if interpret(node.test, event) else node.orelse
        return interpret(branch, event)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "abs":
        value = interpret(node.args[0], event)
        return None if value is None else abs(value)
    if isinstance(node, ast.Call):
        for argument in node.args:
            value = interpret(argument, event)
            if value is not None:
                return value
        return None
    assert isinstance(node, ast.Compare)
    return _interpret_comparison(node, event)


def _interpret_comparison(node: ast.Compare, event: dict[str, Any]) -> bool:
    left = interpret(node.left, event)
    for op, comparator in zip(node.ops, node.comparators, strict=True):
        if isinstance(comparator, ast.Name) and comparator.id == "null":
            return (left is None) == isinstance(op, ast.Eq)
        if isinstance(comparator, ast.List):
            items = [
                element.value for element in comparator.elts if isinstance(element, ast.Constant)
            ]
            return left is not None and ((left in items) == isinstance(op, ast.In))
        right = interpret(comparator, event)
        if left is None or right is None or not _ORDERINGS[type(op)](left, right):
            return False
        left = right
    return True


def test_compiled_expressions_agree_with_a_reference_interpreter() -> None:
    generator = random.Random(42)
    fields = {"a": "any", "b": "any", "c": "any"}
    values = [None, 0, 1, 2, -1, 5, 2.5, -0.5]  # floats take the inline arithmetic
    for _ in range(1_500):
        # GIVEN a random condition over fields that may be missing
        text = random_condition(generator, 4)
        expression = compiled(text, fields)
        tree = ast.parse(text, mode="eval").body
        for _ in range(6):
            event = {name: generator.choice(values) for name in "abc"}
            event = {name: value for name, value in event.items() if value is not None}
            # WHEN the compiled code and the interpreter judge one event THEN they agree
            expected = interpret(tree, event)
            result = expression.evaluate(event, NOW)
            assert (type(result), result) == (type(expected), expected), (text, event)
