"""``bench.row_conform`` at a tiny size: it runs to the end and its honesty checks hold.

As ``test_bench_smoke.py`` does for the other benches: the bench runs as a subprocess, as
``make bench`` would, and must exit 0, print its ``checked:`` line and both figures. Timings are
never asserted.
"""

from __future__ import annotations

import pytest

from tests.bench.run import checked_line, number, run_bench, table

pytestmark = [pytest.mark.bench, pytest.mark.slow]


def test_row_conform_bench_reads_every_row_alike_on_both_readers() -> None:
    output = run_bench("row_conform", "--rows", "300", "--chunk-rows", "100", "--repeat", "2")

    readers = table(output, "reader")
    assert [row["reader"].split(":")[0] for row in readers] == ["careful", "generated"]
    assert all(number(row["µs per row"]) > 0 for row in readers)
    assert number(readers[1]["ratio to careful"]) > 0
    assert "compiling the shop converter: " in output
    assert "the same 300 events" in checked_line(output)
