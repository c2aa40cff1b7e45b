"""The KPI views and SqlKpiReader on SQLite and MySQL: each figure equals the count taken straight
from the tables, over the range and sources asked for."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import Engine, text

from chalicelib.adapters.db.event_reader import SqlEventReader
from chalicelib.adapters.db.kpi_queries import SqlKpiReader
from chalicelib.adapters.db.tables import rejected_items, rule_matches
from chalicelib.domain.reports import KpiQuery, kpi_body, percentile
from tests import kpi_data
from tests.kpi_data import NOW, START, at, counted, counted_events, seed

WEEK = KpiQuery(START, NOW)


def test_events_per_source_type_and_day_equal_the_table_counts(engine: Engine) -> None:
    # GIVEN events over a week, and one the week before
    seed(engine)
    # WHEN the week's KPIs are read
    facts = SqlKpiReader(engine).read(WEEK)
    # THEN each (source, type, day) count is the events table's, and the earlier event is not in
    found = Counter({(c.source, c.type, c.bucket): c.events for c in facts.events})
    assert found == counted_events(engine, START, NOW)
    assert found[("checkout", "order.created", "2026-11-16")] == 3


def test_hourly_buckets_split_a_day_by_hour(engine: Engine) -> None:
    # GIVEN the known events WHEN the first day is read by the hour
    seed(engine)
    query = KpiQuery(START, START + timedelta(days=1), "hour")
    facts = SqlKpiReader(engine).read(query)
    # THEN the counts are per hour, as the table gives them
    found = Counter({(c.source, c.type, c.bucket): c.events for c in facts.events})
    assert found == counted_events(engine, query.since, query.until, "hour")
    assert found[("checkout", "order.created", "2026-11-16T01:00:00Z")] == 2


def test_minute_buckets_split_an_hour_by_the_minute(engine: Engine) -> None:
    # GIVEN the known events, two of them half an hour apart in the same hour
    seed(engine)
    # WHEN the first three hours are read by the minute
    query = KpiQuery(START, START + timedelta(hours=3), "minute")
    facts = SqlKpiReader(engine).read(query)
    # THEN the counts are per minute, as the table gives them, rule matches alike
    found = Counter({(c.source, c.type, c.bucket): c.events for c in facts.events})
    assert found == counted_events(engine, query.since, query.until, "minute")
    assert found[("checkout", "order.created", "2026-11-16T01:00:00Z")] == 1
    assert found[("checkout", "order.created", "2026-11-16T01:30:00Z")] == 1
    assert [(m.rule_id, m.bucket, m.matches) for m in facts.matches] == [
        ("big-order", "2026-11-16T01:00:00Z", 1)
    ]


def test_rejects_and_rule_matches_equal_the_table_counts(engine: Engine) -> None:
    # GIVEN rejected items and rule matches inside and outside the week
    seed(engine)
    # WHEN the week's KPIs are read
    facts = SqlKpiReader(engine).read(WEEK)
    # THEN rejects per source (None: no source could be read) and matches per rule are the tables'
    rejects = {count.source: count.rejected for count in facts.rejects}
    assert rejects == counted(engine, rejected_items, "rejected_at", "source", START, NOW)
    assert rejects == {"checkout": 2, "sensors": 2, None: 1}
    matches = Counter[str]()
    for count in facts.matches:
        matches[count.rule_id] += count.matches
    assert matches == counted(engine, rule_matches, "occurred_at", "rule_id", START, NOW)


def test_alert_durations_give_median_and_90th_percentile(engine: Engine) -> None:
    # GIVEN alerts with known times to acknowledge and resolve
    seed(engine)
    # WHEN the week's figures are built
    body = kpi_body(WEEK, SqlKpiReader(engine).read(WEEK))
    # THEN per rule and severity: counts, and the spread of the durations given
    in_week = [row for row in kpi_data.ALERTS if row[3] >= 0 and row[0] == "big-order"]
    acks = [row[4] for row in in_week if row[4] is not None]
    big = next(one for one in body["alerts"] if one["rule_id"] == "big-order")
    assert (big["opened"], big["acknowledged"], big["resolved"]) == (4, 3, 3)
    assert big["time_to_acknowledge"]["median_seconds"] == pytest.approx(120.0, abs=0.01)
    assert big["time_to_acknowledge"]["p90_seconds"] == pytest.approx(
        percentile(acks, 0.9), abs=0.01
    )
    assert big["time_to_resolve"]["median_seconds"] == pytest.approx(600.0, abs=0.01)
    cold = next(one for one in body["alerts"] if one["rule_id"] == "cold")
    assert cold["opened"] == 1 and cold["time_to_resolve"]["median_seconds"] is None


def test_uploads_carry_reject_rate_duration_and_rows_per_second(engine: Engine) -> None:
    # GIVEN a finished upload (200 rows, 2 rejected, 8 s) and one still importing
    seed(engine)
    # WHEN the week's KPIs are read
    facts = SqlKpiReader(engine).read(WEEK)
    # THEN the newest comes first; the finished one has its rate, duration and speed
    assert [one.upload_id for one in facts.uploads] == ["up2", "up1"]
    done = facts.uploads[1]
    assert done.reject_rate == pytest.approx(0.01)
    assert done.duration_seconds == pytest.approx(8.0, abs=0.01)
    assert done.rows_per_second == pytest.approx(25.0, abs=0.1)
    assert facts.uploads[0].duration_seconds is None


def test_named_sources_limit_every_figure(engine: Engine) -> None:
    # GIVEN the known rows WHEN only sensors' KPIs are read
    seed(engine)
    facts = SqlKpiReader(engine).read(KpiQuery(START, NOW, sources=("sensors",)))
    # THEN every figure is of sensors alone
    assert {count.source for count in facts.events} == {"sensors"}
    assert sum(count.events for count in facts.events) == 3
    assert [(count.source, count.rejected) for count in facts.rejects] == [("sensors", 2)]
    assert {count.rule_id for count in facts.matches} == {"cold"}
    assert [one.upload_id for one in facts.uploads] == ["up1"]
    assert [(one.rule_id, one.severity) for one in facts.alerts] == [("cold", "low")]


def test_a_source_is_seen_once_it_has_events(engine: Engine) -> None:
    # GIVEN the known rows WHEN sources are looked up THEN only those with events are seen
    seed(engine)
    assert SqlEventReader(engine).has_events("payments")
    assert not SqlEventReader(engine).has_events("nowhere")


def test_the_grouped_views_answer_all_time_figures_for_a_dba(engine: Engine) -> None:
    # GIVEN the known rows WHEN a DBA reads the grouped views
    seed(engine)
    with engine.connect() as conn:
        by_day = conn.execute(
            text(
                "SELECT events FROM kpi_events_by_day WHERE source = 'checkout'"
                " AND type = 'order.created' AND day = '2026-11-15'"
            )
        ).scalar_one()
        by_rule = conn.execute(
            text("SELECT opened, acknowledged FROM kpi_alerts_by_rule WHERE rule_id = 'cold'")
        ).one()
        hours = conn.execute(text("SELECT COUNT(*) FROM kpi_events_by_hour")).scalar_one()
    # THEN they count every row, whatever its time
    assert by_day == 1
    assert tuple(by_rule) == (2, 1)
    assert hours == len(counted_events(engine, at(-1000), at(1000), "hour"))
