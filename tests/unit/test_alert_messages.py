"""The email on-call gets: a subject under 100 characters, a body to act on from a phone, and
the attributes filter policies select on."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from chalicelib.domain.alert_lifecycle import open_or_add
from chalicelib.domain.alert_messages import grouped_message, notice_message, notice_subject
from chalicelib.domain.alert_model import FlapState
from chalicelib.domain.rule_verdicts import RuleMatch
from tests.builders import rule

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
LARGE = rule(id="large-payment", description="One payment over 5,000", severity="high",
             group_by=("merchant",), sources=("payments",), runbook="https://wiki.example/large")


def alert(merchant: str = "acme", alert_id: int = 42) -> object:
    found = RuleMatch("large-payment", "v1", "match", f"event:payments:{merchant}", merchant,
                      (("merchant", merchant),), NOW - timedelta(minutes=2), "payments", "p-1")
    return replace(open_or_add(None, [found], LARGE, FlapState(), NOW).alert, id=alert_id)


def test_an_opened_email_says_what_where_how_many_and_how_to_act() -> None:
    message = notice_message("opened", alert(), LARGE, {"amount": 7250, "merchant": "acme"},
                             "https://tripline.example")  # type: ignore[arg-type]
    assert message.subject == "[HIGH] large-payment: merchant=acme"
    body = message.body
    assert body.startswith("Alert 42 opened.\n")
    for expected in ("One payment over 5,000", "Condition:", "Where:     payments; merchant=acme",
                     "How many:  1 match(es) since 2026-12-04 08:58:00 UTC",
                     "Sample:    amount=7250, merchant=acme",
                     "Runbook:   https://wiki.example/large",
                     "curl -X POST https://tripline.example/alerts/42/ack",
                     "curl -X POST https://tripline.example/alerts/42/resolve",
                     "GET https://tripline.example/alerts/42"):
        assert expected in body, expected
    assert message.attributes == {"severity": "high", "source": "payments",
                                  "rule": "large-payment", "status": "open"}


def test_a_resolved_email_is_tagged_resolved_and_offers_no_acknowledge() -> None:
    done = replace(alert(), status="resolved", resolved_at=NOW,  # type: ignore[type-var]
                   resolution="no new match for 1h")
    message = notice_message("resolved", done, LARGE, None, None)
    assert message.subject.startswith("[RESOLVED] large-payment")
    assert "resolved at 2026-12-04T09:00:00Z: no new match for 1h" in message.body
    assert "/ack" not in message.body and message.attributes["status"] == "resolved"


def test_every_subject_stays_under_100_characters() -> None:
    long = replace(alert(), group=(("merchant", "x" * 300),))  # type: ignore[type-var]
    for kind in ("opened", "repeat", "reminder", "resolved", "flapping"):
        subject = notice_subject(kind, long)
        assert len(subject) < 100 and subject.endswith("…")


def test_a_burst_of_one_rule_is_one_grouped_email_listing_each_alert() -> None:
    burst = [alert(f"m-{n}", n) for n in range(1, 6)]
    message = grouped_message(burst, LARGE, "https://tripline.example")  # type: ignore[arg-type]
    assert message.subject == "[HIGH] large-payment: 5 alerts opened"
    assert all(f"#{n} merchant=m-{n}: 1 match(es)" in message.body for n in range(1, 6))
    assert "GET https://tripline.example/alerts?rule=large-payment&status=open" in message.body
