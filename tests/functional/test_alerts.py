"""Alerts through app.py on SQLite and MySQL: one email per problem under redelivery, the outbox
through an SNS outage, silences, automatic resolves, flapping, repeats, and the alerts API."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from chalicelib import bootstrap
from chalicelib.adapters.db.tables import alert_outbox
from tests.builders import FixedClock
from tests.functional.alerts import Inbox
from tests.functional.helpers import JSON, post_events, process, queued_records

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[2]
API_URL = "https://tripline.test"  # TRIPLINE_API_URL in app_env
# SNS's rule for a subject: printable ASCII beginning with a letter, number or punctuation mark,
# under 100 characters (moto takes control characters and any script; SNS does not).
SNS_SUBJECT = re.compile(r"[!-~][ -~]{0,98}")

PAYMENTS = """\
type: payment.captured
id: payment_id
occurred_at: paid_at
columns:
  - {name: payment_id, type: string, required: true}
  - {name: paid_at, type: timestamp, required: true}
  - {name: card, type: string, required: true}
  - {name: merchant, type: string}
  - {name: status, type: string}
  - {name: amount, type: number}
"""

RULES = {
    "large-payment.yaml": """\
id: large-payment
description: One payment over 5,000
severity: high
source: payments
group_by: [merchant]
labels: {team: payments}
runbook: https://wiki.example/large-payment
message: "{amount} at {merchant}"
kind: match
when: amount > 5000
resolve_after: 30m
repeat_every: 1h
""",
    "declined-burst.yaml": """\
id: declined-burst
description: Three declines on one card within ten minutes
severity: medium
source: payments
group_by: [card]
message: "card {card} declined {observed} times"
kind: threshold
when: status == "declined"
aggregate: count
op: ">="
value: 3
within: 10m
""",
    "flaky-merchant.yaml": """\
id: flaky-merchant
description: A merchant reported a flaky terminal
severity: low
source: payments
group_by: [merchant]
kind: match
when: status == "flaky"
resolve_after: 1m
flapping: {opens: 2, within: 1h}
""",
}


@pytest.fixture
def rules_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "rules"
    (directory / "sources").mkdir(parents=True)
    (directory / "sources" / "payments.yaml").write_text(PAYMENTS)
    for name, text in RULES.items():
        (directory / name).write_text(text)
    monkeypatch.setenv("TRIPLINE_RULES_DIR", str(directory))
    return directory


@pytest.fixture
def clock(rules_dir: Path, app_env: dict[str, Any]) -> Iterator[FixedClock]:
    fixed = FixedClock(NOW)
    bootstrap.container().clock = fixed
    yield fixed


@pytest.fixture
def inbox(app_env: dict[str, Any]) -> Inbox:
    return Inbox(app_env)


def payment(event_id: str, *, at: datetime | None = None, **data: Any) -> dict[str, Any]:
    base = {"card": "c-1", "merchant": "acme", "status": "captured", "amount": 10}
    return {
        "source": "payments",
        "type": "payment.captured",
        "id": event_id,
        "occurred_at": (at or NOW - timedelta(minutes=1)).isoformat(),
        "data": base | data,
    }


def deliver(client: Any, app_env: dict[str, Any], *items: dict[str, Any]) -> list[dict[str, Any]]:
    response = post_events(client, {"events": list(items)})
    assert response.status_code == 202, response.body
    records = queued_records(app_env)
    assert process(client, records) == []
    return records


def tick(client: Any) -> dict[str, Any]:
    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    payload: dict[str, Any] = client.lambda_.invoke("tick", event).payload
    return payload


def alerts(client: Any, query: str = "") -> list[dict[str, Any]]:
    response = client.http.get(f"/alerts{query}")
    assert response.status_code == 200, response.body
    items: list[dict[str, Any]] = json.loads(response.body)["items"]
    return items


def act(client: Any, alert_id: int, action: str, body: object) -> Any:
    return client.http.post(f"/alerts/{alert_id}/{action}", headers=JSON, body=json.dumps(body))


def outbox_statuses(app_env: dict[str, Any]) -> list[tuple[str, str, int]]:
    engine = bootstrap.container().engine
    with engine.connect() as conn:
        return [
            (row.transition, row.status, row.attempts)
            for row in conn.execute(select(alert_outbox).order_by(alert_outbox.c.id))
        ]


def test_duplicate_processing_opens_one_alert_and_sends_one_email(
    client: Any, app_env: dict[str, Any], clock: FixedClock, inbox: Inbox
) -> None:
    # GIVEN a payment that breaks large-payment, processed
    records = deliver(client, app_env, payment("p-1", amount=7250))
    # WHEN SQS delivers the same message again, and the same event is posted again
    assert process(client, records) == []
    deliver(client, app_env, payment("p-1", amount=7250))
    tick(client)
    # THEN one alert, counted once, and one email saying what, where and how to act
    [alert] = alerts(client)
    assert (alert["rule"], alert["status"], alert["count"], alert["group"]) == (
        "large-payment",
        "open",
        1,
        {"merchant": "acme"},
    )
    [email] = inbox.take()
    assert email.subject == "[HIGH] large-payment: merchant=acme"
    assert "7250 at acme" in email.body and "Sample:    " in email.body
    assert f"curl -X POST https://tripline.test/alerts/{alert['id']}/ack" in email.body
    assert email.attributes == {
        "severity": "high",
        "source": "payments",
        "rule": "large-payment",
        "status": "open",
    }


def test_matches_while_open_add_to_the_alert_and_a_match_after_resolve_opens_a_new_one(
    client: Any, app_env: dict[str, Any], clock: FixedClock, inbox: Inbox
) -> None:
    deliver(client, app_env, payment("p-1", amount=7250))
    clock.advance(minutes=5)
    deliver(client, app_env, payment("p-2", amount=9000, at=NOW + timedelta(minutes=4)))
    [alert] = alerts(client)
    assert (alert["count"], alert["sample_event"]) == (2, {"source": "payments", "id": "p-2"})
    # WHEN it goes quiet for its resolve_after THEN the schedule resolves it and says so
    clock.advance(minutes=30)
    assert tick(client)["resolved"] == 1
    # AND a new match opens a second alert
    deliver(client, app_env, payment("p-3", amount=8000, at=clock.now()))
    assert [(one["status"], one["count"]) for one in alerts(client)] == [
        ("open", 1),
        ("resolved", 2),
    ]
    assert inbox.subjects() == [
        "[HIGH] large-payment: merchant=acme",
        "[RESOLVED] large-payment: merchant=acme",
        "[HIGH] large-payment: merchant=acme",
    ]


def test_sns_failing_then_recovering_delivers_each_pending_notification_once(
    client: Any, app_env: dict[str, Any], clock: FixedClock, inbox: Inbox
) -> None:
    # GIVEN SNS refuses every publish
    inbox.outage()
    # WHEN two alerts open (one per merchant) and the schedule retries twice during the outage
    deliver(
        client,
        app_env,
        payment("p-1", amount=7250, merchant="acme"),
        payment("p-2", amount=9100, merchant="zenith"),
    )
    assert outbox_statuses(app_env) == [("opened", "pending", 1), ("opened", "pending", 1)]
    clock.advance(minutes=3)
    assert tick(client)["notifications"]["failed"] == 2
    clock.advance(minutes=5)
    tick(client)
    assert all(status == "pending" for _, status, _ in outbox_statuses(app_env))
    # THEN nothing was sent, and the attempts are on the alert's timeline
    first = alerts(client)[0]
    page = json.loads(client.http.get(f"/alerts/{first['id']}").body)
    assert "retried" in [line["kind"] for line in page["timeline"]]
    # WHEN SNS recovers and the schedule runs past the backoff, twice
    inbox.recover()
    clock.advance(minutes=5)
    tick(client)
    clock.advance(minutes=5)
    tick(client)
    # THEN each pending notification went out exactly once
    assert sorted(inbox.subjects()) == [
        "[HIGH] large-payment: merchant=acme",
        "[HIGH] large-payment: merchant=zenith",
    ]
    assert outbox_statuses(app_env) == [("opened", "sent", 3), ("opened", "sent", 3)]


def test_a_silence_suppresses_and_its_end_notifies_what_is_still_open(
    client: Any, app_env: dict[str, Any], clock: FixedClock, inbox: Inbox
) -> None:
    # GIVEN a silence of large-payment for acme for 15 minutes, written in Berlin time
    silence = client.http.post(
        "/silences",
        headers=JSON,
        body=json.dumps(
            {
                "matchers": {"rule": "large-payment", "group": {"merchant": "acme"}},
                "ends_at": "2026-12-04T10:15:00",
                "timezone": "Europe/Berlin",
                "comment": "card terminal swap at acme",
                "author": "alice",
            }
        ),
    )
    assert silence.status_code == 201, silence.body
    # WHEN acme and zenith both break the rule
    deliver(
        client,
        app_env,
        payment("p-1", amount=7250, merchant="acme"),
        payment("p-2", amount=9100, merchant="zenith"),
    )
    # THEN only zenith is emailed; acme's notice is recorded as silenced
    assert inbox.subjects() == ["[HIGH] large-payment: merchant=zenith"]
    [acme] = [one for one in alerts(client, "?status=open") if one["group"] == {"merchant": "acme"}]
    page = json.loads(client.http.get(f"/alerts/{acme['id']}").body)
    assert [one["status"] for one in page["notifications"]] == ["silenced"]
    # WHEN the silence ends with acme's alert still open
    clock.advance(minutes=16)
    tick(client)
    tick(client)
    # THEN acme is told once, as still open
    assert inbox.subjects() == ["[HIGH] still open: large-payment: merchant=acme"]


def test_a_threshold_alert_resolves_by_itself_and_sends_a_resolve_email(
    client: Any, app_env: dict[str, Any], clock: FixedClock, inbox: Inbox
) -> None:
    # GIVEN three declines of one card within ten minutes
    deliver(
        client,
        app_env,
        *(payment(f"d-{n}", status="declined", at=NOW - timedelta(minutes=n)) for n in (1, 2, 3)),
    )
    [alert] = alerts(client)
    assert (alert["rule"], alert["observed"]) == ("declined-burst", 3.0)
    assert inbox.subjects() == ["[MEDIUM] declined-burst: card=c-1"]
    # WHEN the window slides past the declines
    clock.advance(minutes=5)
    assert tick(client)["resolved"] == 0
    clock.advance(minutes=5)
    # THEN the schedule resolves it and on-call gets the all-clear
    assert tick(client)["resolved"] == 1
    assert alerts(client)[0]["resolved"]["resolution"] == (
        "the window no longer crosses the threshold"
    )
    [email] = inbox.take()
    assert email.subject == "[RESOLVED] declined-burst: card=c-1"
    assert email.attributes["status"] == "resolved"


def test_a_flapping_rule_sends_one_flapping_notice(
    client: Any, app_env: dict[str, Any], clock: FixedClock, inbox: Inbox
) -> None:
    # GIVEN a rule allowed two opens an hour, WHEN it opens and resolves five times
    for round_ in range(5):
        deliver(client, app_env, payment(f"f-{round_}", status="flaky", at=clock.now()))
        clock.advance(minutes=2)
        tick(client)
    # THEN the first two opens and resolves were emailed, then one flapping notice, then nothing
    subjects = inbox.subjects()
    assert subjects == [
        "[LOW] flaky-merchant: merchant=acme",
        "[RESOLVED] flaky-merchant: merchant=acme",
        "[LOW] flaky-merchant: merchant=acme",
        "[RESOLVED] flaky-merchant: merchant=acme",
        "[LOW] flapping: flaky-merchant: merchant=acme",
    ]
    assert len(alerts(client, "?rule=flaky-merchant")) == 5


def test_acknowledging_stops_the_repeats(
    client: Any, app_env: dict[str, Any], clock: FixedClock, inbox: Inbox
) -> None:
    deliver(
        client, app_env, payment("p-1", amount=7250), payment("p-2", amount=7300, merchant="zenith")
    )
    inbox.take()
    acme, zenith = sorted(alerts(client), key=lambda one: one["group"]["merchant"])
    # WHEN acme is acknowledged and an hour passes with both still matching
    answer = act(client, acme["id"], "ack", {"comment": "on it", "by": "alice"})
    assert answer.status_code == 200, answer.body
    assert json.loads(answer.body)["acknowledged"]["by"] == "alice"
    for minute in range(0, 61, 20):
        deliver(
            client,
            app_env,
            payment(f"a-{minute}", amount=7250, at=clock.now()),
            payment(f"z-{minute}", amount=7300, merchant="zenith", at=clock.now()),
        )
        clock.advance(minutes=20)
    tick(client)
    # THEN only zenith, unacknowledged, is repeated
    assert inbox.subjects() == ["[HIGH] still open: large-payment: merchant=zenith"]
    page = json.loads(client.http.get(f"/alerts/{acme['id']}").body)
    assert [
        (line["kind"], line.get("by"), line.get("comment"))
        for line in page["timeline"]
        if line["kind"] == "acknowledged"
    ] == [("acknowledged", "alice", "on it")]
    assert zenith["status"] == "open"


def test_many_alerts_of_one_rule_opening_at_once_are_one_grouped_email(
    client: Any, app_env: dict[str, Any], clock: FixedClock, inbox: Inbox
) -> None:
    deliver(client, app_env, *(payment(f"p-{n}", amount=9000, merchant=f"m-{n}") for n in range(5)))
    [email] = inbox.take()
    assert email.subject == "[HIGH] large-payment: 5 alerts opened"
    assert sorted(status for _, status, _ in outbox_statuses(app_env)) == ["grouped"] * 5


def test_the_alerts_api_filters_pages_and_refuses_what_it_cannot_do(
    client: Any, app_env: dict[str, Any], clock: FixedClock, inbox: Inbox
) -> None:
    deliver(
        client,
        app_env,
        payment("p-1", amount=7250),
        *(payment(f"d-{n}", status="declined", card="c-9") for n in range(3)),
    )
    assert [one["rule"] for one in alerts(client, "?severity=medium")] == ["declined-burst"]
    assert [one["rule"] for one in alerts(client, "?rule=large-payment&status=active")] == [
        "large-payment"
    ]
    first = json.loads(client.http.get("/alerts?limit=1").body)
    second = json.loads(client.http.get(f"/alerts?limit=1&cursor={first['next_cursor']}").body)
    assert len({first["items"][0]["id"], second["items"][0]["id"]}) == 2
    bad = client.http.get("/alerts?status=burning&limit=0")
    assert bad.status_code == 400
    assert {one["field"] for one in json.loads(bad.body)["error"]["details"]} == {"status", "limit"}
    alert_id = alerts(client, "?rule=large-payment")[0]["id"]
    assert act(client, alert_id, "ack", {}).status_code == 400
    resolved = act(client, alert_id, "resolve", {"comment": "refunded", "by": "bob"})
    assert json.loads(resolved.body)["resolved"]["resolution"] == "resolved by hand: refunded"
    assert act(client, alert_id, "ack", {"comment": "late"}).status_code == 409
    assert client.http.get("/alerts/999999").status_code == 404
    assert client.http.get("/alerts/abc").status_code == 404


def test_silences_are_created_listed_and_ended_early_which_notifies_what_they_held(
    client: Any, app_env: dict[str, Any], clock: FixedClock, inbox: Inbox
) -> None:
    # GIVEN a weekly maintenance window that is on now (Friday 09:00 UTC is 10:00 in Berlin)
    created = client.http.post(
        "/silences",
        headers=JSON,
        body=json.dumps(
            {
                "matchers": {"source": "payments", "labels": {"team": "payments"}},
                "starts_at": "2026-12-01T00:00:00Z",
                "ends_at": "2027-01-01T00:00:00Z",
                "timezone": "Europe/Berlin",
                "recurrence": {"weekly": {"days": ["fri"], "from": "09:00", "to": "12:00"}},
                "comment": "weekly card-network maintenance",
                "author": "bob",
            }
        ),
    )
    assert created.status_code == 201, created.body
    silence = json.loads(created.body)
    assert created.headers["Location"] == f"/silences/{silence['id']}"
    assert silence["state"] == "active"
    assert json.loads(client.http.get(created.headers["Location"]).body) == silence
    listed = json.loads(client.http.get("/silences").body)["items"]
    assert [one["id"] for one in listed] == [silence["id"]]
    # WHEN a payment breaks the rule during the window THEN nothing is sent
    deliver(client, app_env, payment("p-1", amount=7250))
    assert inbox.subjects() == []
    # WHEN the silence is ended early THEN the next run tells on-call once
    ended = client.http.delete(f"/silences/{silence['id']}")
    assert json.loads(ended.body)["state"] == "expired"
    tick(client)
    tick(client)
    assert inbox.subjects() == ["[HIGH] still open: large-payment: merchant=acme"]
    assert json.loads(client.http.get("/silences").body)["items"] == []
    assert len(json.loads(client.http.get("/silences?state=all").body)["items"]) == 1


def test_a_bad_silence_is_refused_with_every_problem_named(
    client: Any, app_env: dict[str, Any], clock: FixedClock
) -> None:
    answer = client.http.post(
        "/silences",
        headers=JSON,
        body=json.dumps(
            {
                "matchers": {"rule": "large-paymnet"},
                "ends_at": "2026-03-29T02:30:00",
                "timezone": "Europe/Berlin",
                "comment": " ",
            }
        ),
    )
    assert answer.status_code == 400
    fields = {one["field"] for one in json.loads(answer.body)["error"]["details"]}
    assert {"matchers.rule", "ends_at", "comment", "author"} <= fields
    assert client.http.get("/silences/nope").status_code == 404


def test_an_alert_whose_group_holds_control_characters_is_emailed_with_a_clean_subject(
    client: Any, app_env: dict[str, Any], clock: FixedClock, inbox: Inbox
) -> None:
    # GIVEN a merchant name with a terminal escape, a line break and a letter outside ASCII
    merchant = "acme\x1b[31m\r\nBcc: all\u2028Zürich"
    # WHEN a payment of that merchant breaks large-payment
    deliver(client, app_env, payment("p-1", amount=7250, merchant=merchant))
    # THEN the alert keeps the value whole, and the email's subject is one SNS takes
    [alert] = alerts(client)
    assert alert["group"] == {"merchant": merchant}
    [email] = inbox.take()
    assert email.subject == "[HIGH] large-payment: merchant=acme [31m Bcc: all Zurich"
    assert SNS_SUBJECT.fullmatch(email.subject)
    # AND the body shows the whole value, its control characters written out
    assert "merchant=acme\\x1b[31m\\r\\nBcc: all\\u2028Zürich" in email.body


def as_curl_gets_it(command: str, env: dict[str, str]) -> list[str]:
    """The arguments a POSIX shell hands to curl when ``command`` is pasted into it."""
    script = 'curl() { printf "%s\\0" "$@"; }\n' + command
    done = subprocess.run(
        ["sh", "-c", script], env=env, capture_output=True, check=True, timeout=10
    )
    return done.stdout.decode().split("\0")[:-1]


def call_as_curl_would(client: Any, arguments: list[str]) -> Any:
    """Send what curl would send for ``arguments`` (the options the emails use) to the app."""
    method, url, body = "GET", "", ""
    headers: dict[str, Any] = {"Authorization": None}  # only what the command itself sends
    given = iter(arguments)
    for argument in given:
        if argument == "-X":
            method = next(given)
        elif argument == "-H":
            name, value = next(given).split(":", 1)
            headers[name.strip()] = value.strip()
        elif argument == "-d":
            body = next(given)
        else:
            url = argument
    assert url.startswith(API_URL), url
    return client.http.request(method, url.removeprefix(API_URL), headers=headers, body=body)


def test_the_commands_an_email_prints_work_as_printed(
    client: Any,
    app_env: dict[str, Any],
    clock: FixedClock,
    inbox: Inbox,
    make_key: Callable[..., str],
) -> None:
    # GIVEN an alert's email, and on-call's operator key in TRIPLINE_API_KEY
    deliver(client, app_env, payment("p-1", amount=7250))
    [email] = inbox.take()
    commands = {
        line.split(":", 1)[0]: line.split(":", 1)[1]
        for line in email.body.splitlines()
        if line.startswith(("Acknowledge:", "Resolve:", "Details:"))
    }
    env = {"PATH": "/usr/bin:/bin", "TRIPLINE_API_KEY": make_key("operator", name="on-call")}
    # WHEN on-call pastes the acknowledge command, then the resolve command, then the details one
    answers = [
        call_as_curl_would(client, as_curl_gets_it(commands[name], env))
        for name in ("Acknowledge", "Resolve", "Details")
    ]
    # THEN each did what it says
    assert [answer.status_code for answer in answers] == [200, 200, 200], answers[0].body
    acked, resolved, details = (json.loads(answer.body) for answer in answers)
    assert acked["status"] == "acknowledged"
    assert resolved["resolved"]["resolution"] == "resolved by hand: fixed"
    assert [(line["kind"], line.get("comment")) for line in details["timeline"]][-2:] == [
        ("acknowledged", "on it"),
        ("resolved", "fixed"),
    ]


@pytest.fixture
def repo_rules(app_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> FixedClock:
    """The repository's own rules/, and a fixed clock."""
    monkeypatch.setenv("TRIPLINE_RULES_DIR", str(REPO / "rules"))
    fixed = FixedClock(datetime(2026, 11, 22, 9, 0, tzinfo=UTC))
    bootstrap.container().clock = fixed
    return fixed


def test_the_sample_rule_names_the_payment_it_is_about(
    client: Any, app_env: dict[str, Any], repo_rules: FixedClock, inbox: Inbox
) -> None:
    # GIVEN the README's payment, posted as JSON: its id is the event's, not a data field
    deliver(
        client,
        app_env,
        {
            "source": "payments",
            "type": "payment.attempted",
            "id": "pay-1001",
            "occurred_at": "2026-11-22T09:30:00+01:00",
            "data": {
                "amount": 7250,
                "card": "card-11c0",
                "merchant": "acme-books",
                "status": "captured",
            },
        },
    )
    # WHEN large-payment's email goes out
    [email] = inbox.take()
    # THEN its first line names the payment and every value, and nothing reads null
    assert email.subject == "[HIGH] large-payment: merchant=acme-books"
    assert (
        email.body.splitlines()[2] == "Payment pay-1001 of 7250 EUR at acme-books (card card-11c0)"
    )
    assert "null" not in email.body
