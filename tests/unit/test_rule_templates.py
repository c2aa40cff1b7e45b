"""A rule's message template: placeholders checked when the rules load, rendered for people."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from chalicelib.domain.rules.templates import (
    MessageTemplate,
    TemplateProblem,
    literal_template,
    parse_template,
)

FIELDS = ("amount", "currency", "merchant", "paid_at", "rule")


def template(text: str, known: tuple[str, ...] = FIELDS) -> MessageTemplate:
    parsed = parse_template(text, known)
    assert isinstance(parsed, MessageTemplate), parsed
    return parsed


def problems(text: str, known: tuple[str, ...] = FIELDS) -> list[tuple[int, int, str]]:
    parsed = parse_template(text, known)
    assert isinstance(parsed, list), parsed
    return [(one.line, one.column, one.message) for one in parsed]


def test_placeholders_are_replaced_by_the_values_of_their_fields() -> None:
    # GIVEN a template naming three fields
    message = template("Payment of {amount} {currency} at {merchant}")
    # WHEN it is rendered
    text = message.render({"amount": 9000, "currency": "EUR", "merchant": "acme"})
    # THEN each placeholder reads its value
    assert text == "Payment of 9000 EUR at acme"
    assert message.fields == ("amount", "currency", "merchant")


def test_doubled_braces_are_literal_braces() -> None:
    assert template("{{literal}} {amount}}}").render({"amount": 1}) == "{literal} 1}"


def test_missing_and_null_values_read_null() -> None:
    assert template("{amount} {currency}").render({"amount": None}) == "null null"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.1 + 0.2, "0.3"),
        (5000.0, "5000"),
        (12.5, "12.5"),
        (True, "true"),
        (7, "7"),
        (
            datetime(2026, 11, 22, 9, 30, tzinfo=timezone(timedelta(hours=1))),
            "2026-11-22T08:30:00Z",
        ),
        (date(2026, 11, 22), "2026-11-22"),
        (timedelta(minutes=90), "1h30m"),
        (["a", 1], '["a", 1]'),
    ],
)
def test_values_render_as_people_read_them(value: object, shown: str) -> None:
    assert template("{amount}").render({"amount": value}) == shown


def test_a_naive_datetime_is_taken_as_utc() -> None:
    assert template("{paid_at}").render({"paid_at": datetime(2026, 1, 2, 3, 4)}) == (
        "2026-01-02T03:04:00Z"
    )


def test_an_unknown_field_is_refused_at_its_column_with_a_suggestion() -> None:
    assert problems("Paid {amout}") == [
        (1, 6, "unknown field 'amout' in '{amout}'; did you mean 'amount'?")
    ]


def test_an_unknown_field_with_nothing_close_lists_the_known_fields() -> None:
    assert problems("{zzz}", ("a", "b")) == [(1, 1, "unknown field 'zzz' in '{zzz}'; known: a, b")]


@pytest.mark.parametrize(
    ("text", "column", "says"),
    [
        ("x {amount:>10}", 3, "formats, conversions, attributes and indexes are not supported"),
        ("x {amount!r}", 3, "formats, conversions"),
        ("x {amount.real}", 3, "formats, conversions"),
        ("x {amount[0]}", 3, "formats, conversions"),
        ("x {}", 3, "an empty placeholder"),
        ("x { amount }", 3, "without spaces, {amount}"),
        ("x {amount", 3, "is not closed"),
        ("x } y", 3, "a lone '}'"),
        ("x {9lives}", 3, "is not a field name"),
    ],
)
def test_anything_but_a_plain_name_is_refused(text: str, column: int, says: str) -> None:
    found = problems(text)
    assert [(line, col) for line, col, _ in found] == [(1, column)]
    assert says in found[0][2]


def test_every_problem_is_reported_with_its_line_and_column() -> None:
    # GIVEN a template over two lines with a problem on each
    text = "Paid {amout}\nat {merchnt}"
    # THEN both are reported, the second on line 2
    assert [(line, column) for line, column, _ in problems(text)] == [(1, 6), (2, 4)]


def test_a_literal_template_renders_its_text_braces_and_all() -> None:
    message = literal_template("Cold room {3} too warm")
    assert message.render({}) == "Cold room {3} too warm"
    assert parse_template(message.text, ()) == message


def test_problems_are_values_with_positions() -> None:
    assert parse_template("{nope}", ()) == [
        TemplateProblem("unknown field 'nope' in '{nope}'; known: none", 1, 1)
    ]
