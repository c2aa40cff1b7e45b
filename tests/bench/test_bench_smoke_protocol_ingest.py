"""``bench.protocol_ingest`` at a tiny size: every lane runs with its real client and its checks
hold (each event stored once, raw and processed, none rejected; one alert per PagerDuty trigger).

As the other smoke tests: the bench's entry point as a subprocess, as ``make bench`` runs it;
timings are never asserted, only that each figure is there and is a positive number.
"""

from __future__ import annotations

import pytest

from tests.bench.run import checked_line, number, run_bench, table

pytestmark = [pytest.mark.bench, pytest.mark.slow]

LANES = [
    "POST /events, batches",
    "CloudEvents batch mode",
    "Segment analytics client",
    "POST /events, one event",
    "CloudEvents structured",
    "CloudEvents binary",
    "PagerDuty trigger",
]


def test_every_protocol_lane_stores_its_events_once_beside_post_events() -> None:
    output = run_bench("protocol_ingest", "--events", "12", "--batch", "5", "--repeats", "1")

    rows = table(output, "lane")
    assert [row["lane"] for row in rows] == LANES
    for row in rows:
        assert number(row["events/s accepted"]) > 0
        assert number(row["events/s end to end"]) > 0
        assert number(row["end to end / reference"]) > 0
    assert "every lane's events stored exactly once" in checked_line(output)
