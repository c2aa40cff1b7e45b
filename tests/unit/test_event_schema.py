"""A declared source's columns as the schema of its JSON events' data."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.errors import Detail
from chalicelib.domain.events.conform import conform_data
from chalicelib.domain.sources import ColumnSpec, SourceDefinition

PAYMENTS = SourceDefinition(
    "payments",
    "",
    "payment.captured",
    None,
    ("payment_id",),
    "paid_at",
    "utf-8",
    ",",
    ".",
    (
        ColumnSpec("payment_id", "string", required=True),
        ColumnSpec("paid_at", "timestamp"),
        ColumnSpec("amount", "number", required=True),
        ColumnSpec("quantity", "integer"),
        ColumnSpec("paid", "boolean"),
        ColumnSpec("booked_on", "date"),
        ColumnSpec("card", "string"),
        ColumnSpec("currency", "string", default="EUR"),
    ),
)


def problems(data: dict[str, Any]) -> list[tuple[str | None, str]]:
    outcome = conform_data(PAYMENTS, data)
    assert isinstance(outcome, list), outcome
    return [(detail.field, detail.message) for detail in outcome]


def test_fitting_data_passes_with_times_in_utc_and_undeclared_fields_untouched() -> None:
    outcome = conform_data(
        PAYMENTS,
        {
            "amount": 12,
            "quantity": 2.0,
            "paid": True,
            "paid_at": "2026-11-22T09:30:00+01:00",
            "booked_on": "2026-11-22",
            "note": ["free", "form"],
        },
    )
    assert outcome == {
        "amount": 12,
        "quantity": 2,
        "paid": True,
        "paid_at": "2026-11-22T08:30:00+00:00",
        "booked_on": "2026-11-22",
        "note": ["free", "form"],
        "currency": "EUR",
    }


def test_every_misfit_is_named_by_its_field() -> None:
    assert problems(
        {
            "amount": "12",
            "quantity": 1.5,
            "paid": "yes",
            "card": 7,
            "paid_at": "yesterday",
            "booked_on": "22.11.2026",
        }
    ) == [
        ("data.paid_at", "is not an ISO 8601 timestamp (e.g. 2026-11-22T08:30:00Z)"),
        ("data.amount", "must be a number, not a string"),
        ("data.quantity", "must be an integer, not 1.5"),
        ("data.paid", "must be true or false, not a string"),
        ("data.booked_on", "is not a date (YYYY-MM-DD)"),
        ("data.card", "must be a string, not the number 7"),
    ]


def test_required_columns_are_required_except_those_the_envelope_carries() -> None:
    # payment_id is the CSV id and paid_at the CSV time: a JSON event has its own id and time
    assert problems({}) == [("data.amount", "is required by source 'payments'")]


@pytest.mark.parametrize("value", [True, 2**63, float("nan")])
def test_numbers_that_are_not_numbers_are_refused(value: object) -> None:
    outcome = conform_data(PAYMENTS, {"amount": 1, "quantity": value})
    assert isinstance(outcome, list) and isinstance(outcome[0], Detail)
