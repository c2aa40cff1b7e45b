"""A message SNS refuses is not an outage: the notifier sends it once more under a plain subject,
and if SNS refuses that too, records it ``failed`` with SNS's reason instead of retrying it
forever; a transient error is still retried with backoff. On SQLite and MySQL, with the real
outbox and moto's SNS; SNS's refusals are injected at the AWS client (tests/sns_faults.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from chalicelib.adapters.aws.sns_topic import SnsTopic
from chalicelib.adapters.db.alert_outbox import SqlAlertOutbox
from chalicelib.adapters.db.alert_store import SqlAlertStore
from chalicelib.adapters.db.silence_store import SqlSilenceStore
from chalicelib.domain.rules import RuleBook
from chalicelib.services.notifications import NotificationDelivery, NotifySettings
from tests.builders import FixedClock
from tests.functional.alerts import Inbox
from tests.integration.test_alert_state import LARGE, T0, arrived, store
from tests.sns_faults import SnsRefusal

SUBJECT = "[HIGH] large: merchant=acme"


def notifier(engine: Engine, aws: dict[str, Any], clock: FixedClock) -> NotificationDelivery:
    return NotificationDelivery(
        SqlAlertOutbox(engine),
        SnsTopic(aws["clients"]["sns"], aws["resources"].topic_arn),
        SqlSilenceStore(engine),
        RuleBook(rules=(LARGE,)),
        clock,
        NotifySettings(group_at=10, per_second=1000),
    )


def opened(engine: Engine) -> str:
    """Open one alert (merchant acme); its plain subject (MySQL's ids do not restart at 1)."""
    store(engine, arrived("p-1", merchant="acme"))
    [alert] = SqlAlertStore(engine).active_alerts()
    return f"[HIGH] large: alert {alert.id}"


def history(engine: Engine) -> tuple[list[tuple[str, str]], list[Any]]:
    [alert] = SqlAlertStore(engine).active_alerts()
    lines, notices = SqlAlertStore(engine).history(alert.id or 0)
    return [(line.kind, line.detail) for line in lines], notices


def test_a_refused_subject_goes_out_once_more_under_the_plain_subject(
    engine: Engine, aws: dict[str, Any]
) -> None:
    # GIVEN an open alert, and SNS refusing any subject but the plain one
    plain = opened(engine)
    inbox = Inbox(aws)
    refusal = SnsRefusal(applies=lambda subject: subject != plain).install(aws["clients"]["sns"])
    # WHEN the notifier runs
    report = notifier(engine, aws, FixedClock(T0)).deliver_due()
    # THEN it was tried as written, then sent once under the plain subject, body unchanged
    assert refusal.seen == [SUBJECT, plain]
    assert report.sent == 1 and report.refused == 0
    [email] = inbox.take()
    assert email.subject == plain and "merchant=acme" in email.body
    # AND the alert's timeline says why the subject changed
    lines, [notice] = history(engine)
    assert notice.status == "sent"
    assert lines[-1] == (
        "sent",
        f"opened notice sent: {plain} (SNS refused the subject "
        f"'{SUBJECT}': InvalidParameter: Invalid parameter: Subject)",
    )


def test_a_message_refused_under_both_subjects_is_failed_with_the_reason_and_not_retried(
    engine: Engine, aws: dict[str, Any]
) -> None:
    # GIVEN an open alert, and SNS refusing every publish as an invalid parameter
    plain = opened(engine)
    refusal = SnsRefusal(message="Invalid parameter: Message too long").install(
        aws["clients"]["sns"]
    )
    clock = FixedClock(T0)
    delivery = notifier(engine, aws, clock)
    # WHEN the notifier runs
    report = delivery.deliver_due()
    # THEN the notice was tried under both subjects, then settled failed with SNS's reason
    assert refusal.seen == [SUBJECT, plain]
    assert (report.sent, report.failed, report.refused) == (0, 0, 1)
    lines, [notice] = history(engine)
    reason = "InvalidParameter: Invalid parameter: Message too long"
    assert (notice.status, notice.settled_at is not None) == ("failed", True)
    assert reason in (notice.last_error or "")
    kind, detail = lines[-1]
    assert kind == "failed" and reason in detail and "not retried" in detail
    # AND no later run sends it again
    clock.advance(hours=2)
    assert delivery.deliver_due().as_dict() == {
        "sent": 0,
        "grouped": 0,
        "silenced": 0,
        "failed": 0,
        "refused": 0,
    }
    assert refusal.seen == [SUBJECT, plain]


def test_refusals_do_not_stop_a_run_as_an_outage_does(engine: Engine, aws: dict[str, Any]) -> None:
    # GIVEN five alerts, and SNS refusing every one of their messages (an outage stops after three)
    for merchant in "abcde":
        store(engine, arrived(f"p-{merchant}", merchant=merchant))
    SnsRefusal().install(aws["clients"]["sns"])
    # WHEN the notifier runs, THEN every one was tried and settled
    report = notifier(engine, aws, FixedClock(T0)).deliver_due()
    assert report.refused == 5


def test_a_throttled_publish_is_retried_with_backoff_and_then_sent(
    engine: Engine, aws: dict[str, Any]
) -> None:
    # GIVEN an open alert, and SNS throttling the publish (a transient error)
    opened(engine)
    inbox = Inbox(aws)
    refusal = SnsRefusal("Throttling", "Rate exceeded").install(aws["clients"]["sns"])
    clock = FixedClock(T0)
    delivery = notifier(engine, aws, clock)
    # WHEN the notifier runs
    report = delivery.deliver_due()
    # THEN the notice waits for a later attempt, under its own subject (no plain fallback)
    assert refusal.seen == [SUBJECT] and report.failed == 1
    lines, [notice] = history(engine)
    assert (notice.status, notice.attempts, notice.next_attempt_at) == (
        "pending",
        1,
        T0 + timedelta(seconds=30),
    )
    assert lines[-1][0] == "retried" and "Throttling: Rate exceeded" in lines[-1][1]
    # WHEN SNS takes publishes again and the backoff has passed
    refusal.applies = lambda _subject: False
    clock.advance(seconds=30)
    # THEN it goes out under its own subject
    assert delivery.deliver_due().sent == 1
    assert [email.subject for email in inbox.take()] == [SUBJECT]
