"""``bench.local_concurrency`` at a tiny size: it runs to the end and its checks hold.

As the smoke tests of ``test_bench_smoke.py``: the bench's entry point as a subprocess, as
``make bench`` runs it; it must exit 0, print its ``checked:`` line and every figure. Timings are
never asserted, so the rate target is off here (``--min-ratio 0``): a shared machine may well
serve two clients slower than one for a second; the stored-once and no-process-left checks stay.
"""

from __future__ import annotations

import pytest

from tests.bench.run import checked_line, number, run_bench, table

pytestmark = [pytest.mark.bench, pytest.mark.slow]


def test_local_load_bench_stores_every_accepted_event_once_at_each_client_count() -> None:
    output = run_bench(
        "local_concurrency", "--clients", "1,2", "--seconds", "2", "--min-ratio", "0"
    )

    levels = table(output, "clients")
    assert [row["clients"] for row in levels] == ["1", "2"]
    for row in levels:
        assert number(row["events/s accepted"]) > 0 and number(row["events/s end to end"]) > 0
        assert number(row["p50 ms"]) > 0 and number(row["p95 ms"]) > 0
        assert row["timeouts"] == row["connection errors"] == row["items not accepted"] == "0"
    assert "ratio 2 clients / 1: " in output
    assert "accepted events stored exactly once, no process left behind" in checked_line(output)
