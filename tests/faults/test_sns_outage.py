"""SNS refuses every publish while alerts open: the notices wait in the outbox, are retried with
backoff by the schedule, and after recovery each goes out exactly once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.adapters.db.tables import alert_outbox, alert_timeline
from tests.builders import FixedClock
from tests.faults.harness import EVENTS, ROWS, UPLOADS, Tripline, deliver_in_order
from tests.faults.state import Snapshot, differences, project, snapshot
from tests.faults.workload import EMAILS, expect_all_done, submit
from tests.functional.alerts import Inbox

NOTIFICATIONS = ("alert_outbox", "alert_timeline")  # the tables an outage is allowed to change
# The schedule after the morning's work: 3 minutes on (maria's failed sign-ins have slid out of
# their 15-minute window: that alert resolves), then twice 5 minutes, past every backoff.
TICKS_AFTER_MINUTES = (3, 5, 5)
RESOLVED = "[RESOLVED] failed-login-burst: user=maria"


@pytest.fixture
def inbox(app_env: dict[str, Any]) -> Inbox:
    return Inbox(app_env)


def morning(tripline: Tripline) -> None:
    submit(tripline)
    deliver_in_order(tripline, EVENTS, UPLOADS, ROWS)


def tick_after(tripline: Tripline, clock: FixedClock, minutes: int) -> dict[str, Any]:
    clock.advance(minutes=minutes)
    notifications: dict[str, Any] = tripline.tick()["notifications"]
    return notifications


def test_alerts_wait_in_the_outbox_through_an_sns_outage_and_go_out_once_after_it(
    tripline: Tripline, fresh_database: Callable[[str], str], database_url: str, inbox: Inbox
) -> None:
    # GIVEN the morning and the schedule after it run with SNS up, into one database
    clock = tripline.use(fresh_database("clean"))
    morning(tripline)
    clean_morning = snapshot(tripline.engine)
    for minutes in TICKS_AFTER_MINUTES:
        tick_after(tripline, clock, minutes)
    clean = snapshot(tripline.engine)
    clean_emails = sorted(inbox.subjects())
    assert clean_emails == sorted([*EMAILS, RESOLVED])
    expect_all_done(clean_morning)
    tripline.reports()
    # WHEN the same runs into another with SNS refusing every publish during the morning
    clock = tripline.use(database_url)
    inbox.outage()
    morning(tripline)
    # THEN everything is stored, and each alert's notice waits with its failed attempt
    during = snapshot(tripline.engine)
    assert (
        differences(_without(clean_morning, *NOTIFICATIONS), _without(during, *NOTIFICATIONS)) == {}
    )
    error = (
        f"alerts topic {inbox.topic_arn} did not take the message: NotFound: Endpoint does "
        "not exist"
    )
    assert (
        project(
            during,
            alert_outbox,
            "transition",
            "status",
            "attempts",
            "next_attempt_at",
            "claimed_until",
            "last_error",
        )
        == [("opened", "pending", 1, at(9, 0, 30), None, error)] * 7
    )
    # WHEN the schedule runs while SNS is still down
    failed = tick_after(tripline, clock, TICKS_AFTER_MINUTES[0])
    # THEN it gives up after three failures in a row: those wait longer (doubled backoff), the
    # rest stay claimed until their lease lapses; nothing was sent
    assert failed == {"sent": 0, "grouped": 0, "silenced": 0, "failed": 3, "refused": 0}
    assert by_rule(
        project(
            snapshot(tripline.engine),
            alert_outbox,
            "alert_id",
            "transition",
            "attempts",
            "next_attempt_at",
            "claimed_until",
        )
    ) == sorted(
        [
            ("admin-login-outside-hours", "opened", 1, at(9, 0, 30), at(9, 5)),
            ("declined-card-burst", "opened", 2, at(9, 4), None),
            ("failed-login-burst", "opened", 1, at(9, 0, 30), at(9, 5)),
            ("failed-login-burst", "resolved", 0, at(9, 3), at(9, 5)),
            ("large-order", "opened", 1, at(9, 0, 30), at(9, 5)),
            ("large-order", "opened", 1, at(9, 0, 30), at(9, 5)),
            ("large-payment", "opened", 2, at(9, 4), None),
            ("large-payment", "opened", 2, at(9, 4), None),
        ],
        key=repr,
    )
    assert inbox.subjects() == []
    # WHEN SNS is back and the schedule runs twice more
    inbox.recover()
    sent = [tick_after(tripline, clock, minutes) for minutes in TICKS_AFTER_MINUTES[1:]]
    after = snapshot(tripline.engine)
    # THEN the first run sends all eight notices, the second nothing: each email exactly once
    assert [one["sent"] for one in sent] == [8, 0]
    assert sorted(inbox.subjects()) == clean_emails
    assert by_rule(
        project(
            after,
            alert_outbox,
            "alert_id",
            "transition",
            "status",
            "attempts",
            "claimed_until",
            "settled_at",
        )
    ) == sorted(
        [
            ("admin-login-outside-hours", "opened", "sent", 1, None, at(9, 8)),
            ("declined-card-burst", "opened", "sent", 2, None, at(9, 8)),
            ("failed-login-burst", "opened", "sent", 1, None, at(9, 8)),
            ("failed-login-burst", "resolved", "sent", 0, None, at(9, 8)),
            ("large-order", "opened", "sent", 1, None, at(9, 8)),
            ("large-order", "opened", "sent", 1, None, at(9, 8)),
            ("large-payment", "opened", "sent", 2, None, at(9, 8)),
            ("large-payment", "opened", "sent", 2, None, at(9, 8)),
        ],
        key=repr,
    )
    # AND each alert's timeline tells it: a failure each in the morning, a second for the three
    # the schedule tried, then sent; the rest as in the clean run
    assert by_rule(project(after, alert_timeline, "alert_id", "kind")) == sorted(
        [(rule, kind) for rule in ALERT_RULES for kind in ("opened", "retried", "sent")]
        + [(rule, "retried") for rule in ("declined-card-burst", *["large-payment"] * 2)]
        + [("failed-login-burst", "resolved"), ("failed-login-burst", "sent")],
        key=repr,
    )
    assert differences(_without(clean, *NOTIFICATIONS), _without(after, *NOTIFICATIONS)) == {}


ALERT_RULES = (
    "admin-login-outside-hours",
    "declined-card-burst",
    "failed-login-burst",
    "large-order",
    "large-order",
    "large-payment",
    "large-payment",
)


def at(hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 11, 22, hour, minute, second, tzinfo=UTC)


def by_rule(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows whose first value is an alert (its snapshot key), with the alert's rule instead."""
    return sorted(((alert_key[0], *rest) for alert_key, *rest in rows), key=repr)


def _without(state: Snapshot, *tables: str) -> Snapshot:
    return {name: rows for name, rows in state.items() if name not in tables}
