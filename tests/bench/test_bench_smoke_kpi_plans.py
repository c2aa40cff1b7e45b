"""``bench.kpi_plans`` at a tiny size: it fills both databases, and every KPI statement it explains
is planned on an index for a week's range (the plans of ``docs/kpis.md`` come from it at 1 M)."""

from __future__ import annotations

import pytest

from tests.bench.run import run_bench
from tests.conftest import MYSQL_SERVER_URL

pytestmark = [pytest.mark.bench, pytest.mark.slow, pytest.mark.mysql]


def test_kpi_plans_bench_explains_every_statement_on_both_databases() -> None:
    # WHEN the bench runs on 3,000 events
    output = run_bench("kpi_plans", "--events", "3000", "--mysql", MYSQL_SERVER_URL)
    # THEN both databases were filled and each of the five statements explained, four ranges each
    assert "sqlite: filling" in output and "mysql: filling" in output
    for name in ("events", "rejects", "matches", "alerts", "uploads"):
        assert output.count(f"-- {name}: ") == 8, name
    # AND on SQLite the week's events are an index search, never a scan of the table
    assert "SEARCH events USING INDEX ix_events_" in output
    assert "the trap" in output
