"""The benches' honesty checks bite: given a contender that did not do the work, the run stops.

The smoke tests show that every bench passes its checks; these show that the checks can fail,
so a passing smoke test means something. Each feeds one check the fault it exists for, in
process, on SQLite or with no database at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import bench.reference
import bench.workload
from bench.databases import BenchmarkError
from bench.processor import ENVIRONMENT, measure_trial
from bench.rule_eval import contenders
from bench.rule_eval_timing import verify
from bench.rule_eval_workload import RULES, generate_events
from bench.rule_eval_workload import BenchmarkError as RuleEvalError
from bench.rules_overhead import check_rule_counts
from bench.rules_overhead_workload import EXPECTED_RULES
from bench.workload import sqs_batches

pytestmark = pytest.mark.bench


@pytest.fixture
def processor_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The processor bench's environment, restored afterwards (the bench sets it for good)."""
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")


def test_processor_bench_stops_when_tripline_rejects_the_shop_events(
    processor_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Issue 14's fault: shop events built without the source's declared columns."""
    monkeypatch.setattr(bench.workload, "declared_sources", lambda: {})

    with pytest.raises(BenchmarkError, match=r"tripline first delivery .* 'rejected_items': 2"):
        measure_trial("sqlite", sqs_batches(8), 8, False, tmp_path)  # Tripline's pass first


def test_processor_bench_stops_when_the_reference_stores_other_rows(
    processor_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A reference that skips the shop order's derived ``total`` stores less than Tripline."""
    monkeypatch.setattr(bench.reference, "DERIVED", {})

    with pytest.raises(BenchmarkError, match="stored different rows"):
        measure_trial("sqlite", sqs_batches(8), 8, True, tmp_path)


def test_processor_bench_trial_passes_its_checks_with_the_workload_as_built(
    processor_env: None, tmp_path: Path
) -> None:
    trial = measure_trial("sqlite", sqs_batches(8), 8, True, tmp_path)

    assert trial.tripline > 0 and trial.reference > 0


def test_rule_eval_bench_stops_when_a_side_disagrees_with_the_lambdas() -> None:
    events = generate_events(200, 2026)
    sides = contenders()
    first_lambda = RULES[0][1]
    sides["compiled"][0] = lambda fields, now: not first_lambda(fields, now)

    with pytest.raises(RuleEvalError, match="compiled says"):
        verify(sides, events, events[:50])


def test_rules_overhead_bench_stops_when_a_sample_rule_stays_silent() -> None:
    counts = {
        "match:large-payment": 3,
        "rule_window_buckets": 9,
        "rule_window_tokens": 3,
        "rule_groups": 4,
        "rule_failures": 0,
    }

    with pytest.raises(BenchmarkError, match="declined-card-burst"):
        check_rule_counts("on", counts, EXPECTED_RULES)


def test_rules_overhead_bench_stops_when_rules_off_recorded_anything() -> None:
    counts = {
        "rule_window_buckets": 0,
        "rule_window_tokens": 0,
        "rule_groups": 1,
        "rule_failures": 0,
    }

    with pytest.raises(BenchmarkError, match="rules off"):
        check_rule_counts("off", counts, EXPECTED_RULES)


@pytest.mark.slow
def test_fanout_memory_bench_stops_when_the_fan_out_stops_at_the_row_limit(tmp_path: Path) -> None:
    from bench.fanout_memory import measure_fanout_memory

    with pytest.raises(RuntimeError, match="'status': 'failed'"):
        measure_fanout_memory(0.0002, tmp_path, max_rows=100)
