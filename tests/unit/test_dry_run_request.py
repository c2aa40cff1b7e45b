"""What a dry-run may be asked: a rule (inline or by id) and events (listed or a stored range)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.dry_run import parse_dry_run_request
from chalicelib.domain.errors import RequestError

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def problems(payload: object) -> dict[str | None, str]:
    with pytest.raises(RequestError) as raised:
        parse_dry_run_request(payload, NOW)
    return {detail.field: detail.message for detail in raised.value.details}


def test_an_inline_rule_over_listed_events() -> None:
    request = parse_dry_run_request({"rule": "id: x", "events": [{}]}, NOW)
    assert (request.rule_text, request.rule_id, request.events) == ("id: x", None, [{}])


def test_a_loaded_rule_over_a_stored_range_ends_now_by_default() -> None:
    request = parse_dry_run_request({"rule_id": " x ", "since": "2026-11-21T09:00:00Z"}, NOW)
    assert (request.rule_id, request.since, request.until) == ("x", NOW - timedelta(days=1), NOW)


def test_every_problem_is_reported_at_once() -> None:
    assert problems({"rule": "a", "rule_id": "b", "events": {}, "extra": 1}) == {
        "extra": "unknown field",
        "rule": "give exactly one of rule (the YAML of a rule) and rule_id",
        "events": "must be a list of events",
    }


@pytest.mark.parametrize(
    "payload, field, message",
    [
        ({"rule_id": "x"}, "events", "give either events (a list) or since (and optionally until)"),
        (
            {"rule_id": "x", "events": [], "since": "2026-11-21T09:00:00Z"},
            "since",
            "give either events or a time range, not both",
        ),
        ({"rule_id": "x", "since": "2026-11-23T09:00:00Z"}, "since", "must be before until"),
        (
            {"rule_id": "x", "since": "2025-01-01T00:00:00Z"},
            "since",
            "a range covers at most 93 days",
        ),
        ({"rule_id": "x", "until": "2026-11-21T09:00:00Z"}, "since", "a range needs since"),
        (
            {"rule_id": "x", "since": "monday"},
            "since",
            "is not an ISO 8601 timestamp (e.g. 2026-11-22T08:30:00Z)",
        ),
        ({"rule_id": 7, "events": []}, "rule_id", "must be a non-empty string"),
    ],
)
def test_a_bad_request_names_its_field(
    payload: dict[str, object], field: str, message: str
) -> None:
    assert problems(payload)[field] == message


def test_a_body_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(RequestError):
        parse_dry_run_request(["rule"], NOW)
