"""``bench.console_pages`` at a tiny size: it runs to the end and its checks hold.

As the other smoke tests: the bench's entry point as a subprocess, as ``make bench`` runs it; it
must exit 0, print its ``checked:`` line and a load time for every page. Timings are never
asserted, so the one-second target is off here (``--budget-ms 0``); the check that the overview
shows every stored event, with no console error, stays.
"""

from __future__ import annotations

import pytest

from bench.console_pages import PAGES
from tests.bench.run import checked_line, number, run_bench, table

pytestmark = [pytest.mark.bench, pytest.mark.slow]


def test_console_pages_bench_loads_every_page_on_a_filled_database() -> None:
    output = run_bench("console_pages", "--events", "2000", "--repeats", "1", "--budget-ms", "0")

    loads = table(output, "page")
    assert [row["page"] for row in loads] == list(PAGES)
    for row in loads:
        assert number(row["worst ms, 2,000 events"]) > 0 and number(row["median ms, empty"]) > 0
        assert number(row["ratio"]) > 0
    assert "the overview showed every stored event; no console error" in checked_line(output)
