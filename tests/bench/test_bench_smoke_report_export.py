"""``bench.report_export`` at a tiny size: it runs to the end and its honesty checks hold.

As ``test_bench_smoke.py`` does for the other benches: the bench runs as a subprocess on the
suite's MariaDB, as ``make bench`` would, and must exit 0, print its ``checked:`` line and every
contender's figures. Timings are never asserted.
"""

from __future__ import annotations

import pytest

from tests.bench.run import checked_line, number, run_bench, table

pytestmark = [pytest.mark.bench, pytest.mark.slow, pytest.mark.mysql]


def test_report_export_bench_writes_every_row_in_each_format_within_the_memory_limit() -> None:
    output = run_bench("report_export", "--rows", "2000")

    contenders = table(output, "contender")
    assert [row["contender"].split(":")[0].split(" →")[0] for row in contenders] == [
        "floor",
        "Tripline's reports function, CSV",
        "Tripline's reports function, XLSX",
    ]
    assert all(number(row["rows"]) == 2000 for row in contenders)
    assert all(
        number(row[column]) > 0
        for row in contenders
        for column in ("rows/s", "ratio to floor", "peak RSS (after imports)")
    )
    assert "2,000 rows in each file" in checked_line(output)
