"""The KPI query's range rules, and the percentile the alert figures use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.errors import InvalidQuery
from chalicelib.domain.reports import KpiScope, parse_kpi_query, percentile

NOW = datetime(2026, 11, 23, tzinfo=UTC)
EVERYONE = KpiScope(None, lambda name: name in {"checkout", "sensors"})


def test_without_a_range_the_last_seven_days_are_taken() -> None:
    query = parse_kpi_query({}, now=NOW, scope=EVERYONE)
    assert (query.since, query.until) == (NOW - timedelta(days=7), NOW)


def test_a_since_alone_covers_the_seven_days_after_it() -> None:
    query = parse_kpi_query({"since": "2026-10-01T00:00:00+02:00"}, now=NOW, scope=EVERYONE)
    assert query.since == datetime(2026, 9, 30, 22, tzinfo=UTC)
    assert query.until == query.since + timedelta(days=7)


def test_every_problem_is_reported_at_once() -> None:
    params = {"until": "soon", "source": "nowhere", "interval": "week", "limit": "3"}
    with pytest.raises(InvalidQuery) as raised:
        parse_kpi_query(params, now=NOW, scope=EVERYONE)
    assert sorted(d.field or "" for d in raised.value.details) == [
        "interval",
        "limit",
        "source",
        "until",
    ]


def test_an_ingest_scope_reads_its_own_sources_and_no_other() -> None:
    scope = KpiScope(("sensors",), EVERYONE.is_known)
    assert parse_kpi_query({}, now=NOW, scope=scope).sources == ("sensors",)
    with pytest.raises(InvalidQuery):
        parse_kpi_query({"source": "checkout"}, now=NOW, scope=scope)


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        ([], 0.5, None),
        ([7.0], 0.9, 7.0),
        ([1.0, 2.0, 3.0, 4.0], 0.5, 2.5),
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9, 9.1),
    ],
)
def test_percentiles_interpolate_between_ranks(
    values: list[float], fraction: float, expected: float | None
) -> None:
    assert percentile(values, fraction) == pytest.approx(expected)
