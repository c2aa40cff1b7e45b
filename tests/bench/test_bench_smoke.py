"""Every bench of ``make bench`` at a tiny size: it runs to the end and its honesty checks hold.

Benches are not run in CI at their real sizes (many minutes on a shared machine), so without
these a bench could break unseen, as three did before issue 14: events the ``shop`` source had
come to reject, a ``GET /uploads`` without the key the local runtime now asks for, a fan-out
past the default row limit. Each test runs the bench's entry point as a subprocess, as ``make
bench`` does, and asserts that it exited 0 (a bench exits non-zero when a check fails), that it
printed its ``checked:`` line and that every figure is there. Timings are never asserted.
The MySQL side runs on the suite's MariaDB, as ``make bench`` does. The cold-start bench needs
the built package: ``tests/infra/test_bench_cold_start.py``, beside the fixture that builds it.
"""

from __future__ import annotations

import pytest

from bench.rules_overhead_workload import EXPECTED_RULES
from tests.bench.run import checked_line, number, run_bench, table

pytestmark = [pytest.mark.bench, pytest.mark.slow]
BACKENDS = ["sqlite", "mysql"]


@pytest.mark.mysql
def test_processor_bench_stores_what_the_reference_stores_on_both_databases() -> None:
    output = run_bench(
        "processor", "--events", "40", "--repeat", "1", "--import-runs", "1", "--backend", "both"
    )

    rates = table(output, "backend")
    assert [row["backend"] for row in rates] == BACKENDS
    assert all(number(row[column]) > 0 for row in rates for column in ("ratio", "replay ratio"))
    cold = table(output, "cold start")
    assert [row["cold start: import + first batch"] for row in cold] == BACKENDS
    assert [row["import"] for row in table(output, "import")] == [
        "-X importtime import app",
        "wall python -c 'import app'",
    ]
    assert "40 events stored once" in checked_line(output)


def test_rule_eval_bench_agrees_with_the_lambdas_on_every_event() -> None:
    output = run_bench(
        "rule_eval",
        "--events",
        "400",
        "--simpleeval-events",
        "100",
        "--repeat",
        "1",
        "--chunks",
        "2",
        "--compile-rounds",
        "1",
        "--import-runs",
        "1",
    )

    sides = table(output, "side")
    assert len(sides) == 4 and all(number(row["ratio to hand (RE2)"]) > 0 for row in sides)
    assert len(table(output, "rule")) == 10
    imports = table(output, "import (median")
    assert not [row for row in imports if "fails" in row["-X importtime cumulative"]], imports
    assert "on 400 events for every rule" in checked_line(output)


@pytest.mark.mysql
def test_rules_overhead_bench_fires_every_sample_rule_on_both_databases() -> None:
    output = run_bench(
        "rules_overhead",
        "--events",
        "1000",
        "--repeat",
        "1",
        "--csv-rows",
        "600",
        "--backend",
        "both",
    )

    rates = table(output, "backend")
    assert [row["backend"] for row in rates] == BACKENDS
    assert all(number(row["on/off"]) > 0 for row in rates)
    recorded = {
        row["rows recorded with rules on (first delivery)"]: row
        for row in table(output, "rows recorded")
    }
    for rule in EXPECTED_RULES:
        assert all(number(recorded[f"match:{rule}"][backend]) > 0 for backend in BACKENDS), rule
    assert all(number(recorded["rule_failures"][backend]) == 0 for backend in BACKENDS)
    assert [row[next(iter(row))] for row in table(output, "CSV, 600 shop rows")] == BACKENDS
    assert "CSV: every row stored" in checked_line(output)


@pytest.mark.mysql
def test_csv_pipeline_bench_imports_every_row_through_the_local_runtime() -> None:
    output = run_bench("csv_pipeline", "--rows", "500", "--repeat", "1", "--memory-gib", "0.0005")

    for contender in (
        "LOAD DATA LOCAL INFILE",
        "pandas read_csv + to_sql",
        "Tripline, rules on",
        "Tripline, rules off",
    ):
        assert f"| {contender} | " in output
    assert "rules on / off: " in output
    assert "fan-out of " in output and "peak RSS" in output
    assert "each Tripline upload ended complete with 500 events stored" in checked_line(output)


def test_fanout_memory_bench_sets_the_row_limit_its_file_needs() -> None:
    """1 GiB of shop rows is past the default limit; the bench sets its own, so even a tiny
    limit inherited from the environment does not stop it."""
    output = run_bench("fanout_memory", "0.0005", env={"TRIPLINE_CSV_MAX_ROWS": "100"})

    assert "(7,216 rows, " in output and "peak RSS" in output
