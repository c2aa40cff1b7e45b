"""PagerDuty's answers at the edge: every refusal in PagerDuty's shape, with a status its clients
act on (4xx: fix the event; 5xx: retry), and nothing of ours in an internal error."""

from __future__ import annotations

import json

from chalicelib.domain.errors import (
    DependencyError,
    Detail,
    MalformedBody,
    PayloadTooLarge,
    StorageError,
    TriplineError,
    UnsupportedMediaType,
)
from chalicelib.domain.pagerduty import InvalidEvent
from chalicelib.pagerduty_edge import refusal


def answer(error: TriplineError) -> tuple[int, dict[str, object], dict[str, object]]:
    response = refusal(error)
    return response.status_code, json.loads(response.body), dict(response.headers)


def test_an_invalid_event_lists_its_errors_and_other_refusals_their_message() -> None:
    invalid = InvalidEvent("Event object is invalid", [Detail("'payload' is missing")])
    assert answer(invalid)[:2] == (
        400,
        {
            "status": "invalid event",
            "message": "Event object is invalid",
            "errors": ["'payload' is missing"],
        },
    )
    malformed = MalformedBody("malformed JSON at line 2, column 3: Expecting value")
    assert answer(malformed)[1]["errors"] == [malformed.message]
    assert answer(UnsupportedMediaType("send Content-Type: application/json"))[0] == 400
    assert answer(PayloadTooLarge("the body is 2 bytes; the limit is 1"))[0] == 413


def test_an_outage_is_a_503_to_retry_and_anything_else_a_500_that_says_nothing_of_ours() -> None:
    status, body, headers = answer(DependencyError("the database is unavailable"))
    assert (status, body["status"], headers["Retry-After"]) == (503, "error", "5")
    status, body, _ = answer(StorageError("duplicate key 'secret_table.col'"))
    assert status == 500 and "secret_table" not in json.dumps(body)
