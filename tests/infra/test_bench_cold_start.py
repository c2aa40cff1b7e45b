"""``bench.cold_start`` at a tiny size, on the package this session built (``packages``).

It lives beside the fixture that builds the package once per session, so the smoke costs the
bench's own few seconds, not a third build. Like the other bench smoke tests
(``tests/bench/test_bench_smoke.py``) it asserts that the bench ran to the end and that its
checks held (every run imported the app and its heavy dependencies from the bundle; the real
first batch ran), never a timing.
"""

from __future__ import annotations

import pytest

from scripts.lambda_package.build import BuiltPackage
from tests.bench.run import checked_line, number, run_bench, table

pytestmark = [pytest.mark.bench, pytest.mark.slow]


def test_cold_start_bench_runs_on_the_built_package(packages: dict[str, BuiltPackage]) -> None:
    output = run_bench("cold_start", "--zip", str(packages["prod"].zip_path), "--repeat", "1")

    figures = table(output, "median of 1")
    assert [row["median of 1"] for row in figures] == ["import app", "cold process_events imports"]
    assert all(number(row["no .pyc / with .pyc (range)"]) > 0 for row in figures)
    assert "imported app, SQLAlchemy, PyMySQL and Powertools from its bundle" in checked_line(
        output
    )
