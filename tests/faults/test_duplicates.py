"""At-least-once delivery everywhere: every SQS message twice, S3 notifications duplicated, all of
it in any order, and the database ends exactly as a clean run leaves it."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.adapters.db.tables import alerts, rule_matches, rule_window_buckets, uploads
from tests.faults.harness import (
    EVENTS,
    ROWS,
    UPLOADS,
    Tripline,
    deliver_chaotically,
    deliver_in_order,
)
from tests.faults.state import Snapshot, differences, project, snapshot
from tests.faults.workload import EMAILS, expect_all_done, payment, submit_events, submit_files
from tests.functional.alerts import Inbox


@pytest.fixture
def inbox(app_env: dict[str, Any]) -> Inbox:
    return Inbox(app_env)


@pytest.mark.parametrize("seed", [7, 2026])
def test_every_message_twice_in_any_order_leaves_the_state_of_a_clean_run(
    tripline: Tripline,
    fresh_database: Callable[[str], str],
    database_url: str,
    inbox: Inbox,
    seed: int,
) -> None:
    # GIVEN the workload run cleanly (each message once, in order) into one database
    tripline.use(fresh_database("clean"))
    submit_events(tripline)
    deliver_in_order(tripline, EVENTS)
    submit_files(tripline)
    deliver_in_order(tripline, UPLOADS, ROWS)
    clean, clean_emails, clean_reports = (
        snapshot(tripline.engine),
        inbox.subjects(),
        (tripline.reports()),
    )
    # WHEN the same workload runs into another with every SQS message delivered twice, each S3
    # notification sent twice more as a new message, chunk tasks doubled, all shuffled
    tripline.use(database_url)
    rng = random.Random(seed)
    submit_events(tripline)
    deliveries = deliver_chaotically(tripline, rng, EVENTS)
    submit_files(tripline)
    deliveries += deliver_chaotically(tripline, rng, UPLOADS, ROWS)
    faulty = snapshot(tripline.engine)
    # THEN every table holds exactly what the clean run left, row for row
    assert deliveries > 2 * (16 + 2 + 5)  # 16 event messages, 2 notifications, 5 chunks
    assert differences(clean, faulty) == {}
    expect_all_done(faulty)
    # AND on-call got one email per alert, in both runs; the reports are byte for byte the same
    assert sorted(clean_emails) == EMAILS
    assert sorted(inbox.subjects()) == EMAILS
    assert tripline.reports() == clean_reports
    assert sorted(clean_reports) == sorted(
        f"reports/{source}/{upload_id}/{name}"
        for source, upload_id in project(faulty, uploads, "source", "id")
        for name in ("rejects.csv", "report.json")
    )


DECLINES = [payment(f"dec-{n}", n, 20 + n, "c-9", "corner-shop", "declined") for n in range(1, 7)]
ALERT = ("count", "first_seen_at", "last_seen_at", "sample_event_id")


def late_first_decline(
    tripline: Tripline, clean_url: str, faulty_url: str
) -> tuple[Snapshot, Snapshot]:
    """Six declines of one card within ten minutes, in order into one database; into the other
    the first arrives last, after the windows ending at the fifth and sixth were decided
    without it (the sixth's crossed with five). The two snapshots."""
    tripline.use(clean_url)
    tripline.post(DECLINES)
    deliver_in_order(tripline, EVENTS)
    clean = snapshot(tripline.engine)
    tripline.use(faulty_url)
    tripline.post(DECLINES[1:])
    deliver_in_order(tripline, EVENTS)
    tripline.post(DECLINES[:1])
    deliver_in_order(tripline, EVENTS)
    return clean, snapshot(tripline.engine)


def test_a_late_match_leaves_the_alert_first_seen_and_sampled_as_a_clean_run(
    tripline: Tripline, fresh_database: Callable[[str], str], database_url: str
) -> None:
    # GIVEN / WHEN the first of six declines arrives last
    clean, faulty = late_first_decline(tripline, fresh_database("clean"), database_url)
    # THEN the alert counts both crossings, was first seen at the fifth decline and last at the
    # sixth, its sample the sixth, as in order
    assert project(clean, alerts, *ALERT) == [(2, _t(8, 5), _t(8, 6), "dec-6")]
    assert project(faulty, alerts, *ALERT) == project(clean, alerts, *ALERT)


def test_a_late_entry_revises_the_observed_value_of_a_window_that_already_crossed(
    tripline: Tripline, fresh_database: Callable[[str], str], database_url: str
) -> None:
    # GIVEN / WHEN the first of six declines arrives last: the window ending at the sixth was
    # reported with five in it, and the first grows it to six (and completes the fifth's)
    clean, faulty = late_first_decline(tripline, fresh_database("clean"), database_url)
    # THEN that crossing is kept and its observed value revised to six, the alert's with it
    # (the sixth is its sample), so the database ends as the in-order run leaves it
    assert project(clean, rule_matches, "match_key", "observed") == [
        ("window:payments:dec-5", 5.0),
        ("window:payments:dec-6", 6.0),
    ]
    assert project(clean, alerts, "observed") == [(6.0,)]
    assert differences(clean, faulty) == {}


def test_a_redelivered_late_entry_changes_no_window_twice(
    tripline: Tripline, fresh_database: Callable[[str], str], database_url: str
) -> None:
    # GIVEN the first of six declines arrived last, WHEN all six are delivered again, twice
    clean, once = late_first_decline(tripline, fresh_database("clean"), database_url)
    for _ in range(2):
        tripline.post(DECLINES)
        deliver_in_order(tripline, EVENTS)
    # THEN nothing changed: each decline counts once in its bucket, no crossing is added or
    # revised again
    assert differences(once, snapshot(tripline.engine)) == {}
    assert differences(clean, once) == {}
    assert sum(row[0] for row in project(once, rule_window_buckets, "entries")) == 6


def _t(hour: int, minute: int) -> datetime:
    return datetime(2026, 11, 22, hour, minute, tzinfo=UTC)
