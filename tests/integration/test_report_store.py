"""Reports, their records in pages, and weekly digests on SQLite and MySQL: each change of status
is taken once, whatever delivers it twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert

from chalicelib.adapters.db.digest_store import SqlDigestStore
from chalicelib.adapters.db.event_reader import SqlEventReader
from chalicelib.adapters.db.report_pages import SqlReportRows
from chalicelib.adapters.db.report_store import SqlReportStore
from chalicelib.adapters.db.tables import events
from chalicelib.domain.reports import ReportRequest, new_report
from chalicelib.domain.reports.digest import week_of

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
DAY = ReportRequest("events", "csv", NOW - timedelta(days=1), NOW, ("shop",))


def test_a_report_is_taken_by_one_delivery_and_a_finished_one_stays_finished(
    engine: Engine,
) -> None:
    # GIVEN a queued report
    store = SqlReportStore(engine)
    store.add(new_report("r-1", DAY, requested_by="ops (k1)", now=NOW))
    # WHEN two deliveries try to take it THEN one does, on its first attempt
    taken = store.take("r-1", NOW)
    assert taken is not None and (taken.status, taken.attempts) == ("running", 1)
    assert store.take("r-1", NOW + timedelta(seconds=30)) is None
    # WHEN it shows no sign of life for longer than STALE_AFTER THEN another delivery takes it over
    again = store.take("r-1", NOW + timedelta(minutes=5))
    assert again is not None and again.attempts == 2
    # WHEN it completes THEN progress recorded late changes nothing, and nobody takes it again
    store.progress("r-1", 5, NOW + timedelta(minutes=6))
    store.complete(
        "r-1",
        object_key="reports/generated/r-1/x.csv",
        rows=7,
        size_bytes=99,
        now=NOW + timedelta(minutes=6),
    )
    store.progress("r-1", 3, NOW + timedelta(minutes=7))
    store.fail("r-1", "too late", NOW + timedelta(minutes=7))
    done = store.get("r-1")
    assert done is not None
    assert (done.status, done.rows_written, done.size_bytes, done.reason) == (
        "complete",
        7,
        99,
        None,
    )
    assert store.take("r-1", NOW + timedelta(hours=1)) is None


def test_reports_list_newest_first_by_keyset_and_by_requester(engine: Engine) -> None:
    store = SqlReportStore(engine)
    for number in range(3):
        who = "ops (k1)" if number != 1 else "feed (k2)"
        store.add(
            new_report(f"r-{number}", DAY, requested_by=who, now=NOW + timedelta(minutes=number))
        )
    first = store.list_reports(requested_by=None, after=None, since=None, until=None, limit=2)
    assert [one.id for one in first] == ["r-2", "r-1"]
    rest = store.list_reports(
        requested_by=None,
        after=(first[-1].created_at, first[-1].id),
        since=None,
        until=None,
        limit=2,
    )
    assert [one.id for one in rest] == ["r-0"]
    theirs = store.list_reports(
        requested_by="feed (k2)", after=None, since=None, until=None, limit=9
    )
    assert [one.id for one in theirs] == ["r-1"]


def test_records_come_in_pages_in_index_order_with_ties_on_the_instant(engine: Engine) -> None:
    # GIVEN five shop events, three at one instant, one of another source, one outside the day
    at = NOW - timedelta(hours=2)
    rows = [
        ("shop", "e-1", at),
        ("shop", "e-2", at),
        ("shop", "e-3", at),
        ("shop", "e-4", at + timedelta(minutes=1)),
        ("other", "o-1", at),
        ("shop", "old", NOW - timedelta(days=2)),
    ]
    with engine.begin() as conn:
        conn.execute(
            insert(events),
            [
                {
                    "source": source,
                    "event_id": event_id,
                    "type": "t",
                    "occurred_at": stamp,
                    "received_at": stamp,
                    "processed_at": stamp,
                    "data": {"n": event_id},
                }
                for source, event_id, stamp in rows
            ],
        )
    report = new_report("r-1", DAY, requested_by="ops", now=NOW)
    reader = SqlReportRows(engine, page_rows=2)
    # WHEN read two at a time THEN each of the day's shop events comes once, oldest first
    assert [record["event_id"] for record in reader.records(report)] == ["e-1", "e-2", "e-3", "e-4"]
    assert reader.count(report) == 4
    events_read = SqlEventReader(engine)
    assert events_read.has_events("other") and not events_read.has_events("nobody")


def test_a_weeks_digest_is_claimed_once_and_again_only_after_it_failed_or_was_left(
    engine: Engine,
) -> None:
    store = SqlDigestStore(engine)
    week = week_of(datetime(2026, 11, 18).date(), "UTC")
    # WHEN two runs claim the week THEN one gets it
    assert store.claim(week, NOW) and not store.claim(week, NOW)
    # WHEN the holder fails THEN the next run claims it again
    store.failed(week, "bucket away")
    assert store.claim(week, NOW + timedelta(hours=1))
    # WHEN a holder is silent for longer than STALE_AFTER THEN another takes it over
    assert store.claim(week, NOW + timedelta(hours=2))
    # WHEN it is sent THEN nobody claims it again, and it is the latest sent
    store.sent(
        week,
        object_key="k",
        headline={"events_stored": 3},
        message_id="m-1",
        now=NOW + timedelta(hours=2),
    )
    assert not store.claim(week, NOW + timedelta(days=3))
    latest = store.latest_sent()
    assert latest is not None and (latest.week.label, latest.headline) == (
        "2026-W47",
        {"events_stored": 3},
    )
    assert [one.status for one in store.list_digests(5)] == ["sent"]
