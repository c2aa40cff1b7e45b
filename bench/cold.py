"""Cold start as Lambda pays it: import the handler's module, then serve the first batch.

``import app`` alone is cheap because Tripline defers SQLAlchemy, PyMySQL and Powertools to first
use; the first invocation pays for them (and for the engine and the connection). This measures
the sum in a fresh interpreter each time (``bench/cold_child.py``), against the reference
handler's own import and first batch. Interpreter start-up is left out of both: every Python
function pays it alike. Runs alternate between the contenders so drift hits both.

Two settings: with ``.pyc`` files present (as the import figures), and with none, because a Chalice
package ships none and ``/var/task`` is read-only, so Lambda compiles every module of the package
on each cold start. "None" is made with an empty ``PYTHONPYCACHEPREFIX``: the standard library
outside the frozen start-up modules is compiled too, for both contenders, which overstates Lambda
a little and the same way for both.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.databases import fresh_database, verify_counts, verify_same_rows
from bench.workload import BATCH_SIZE, one_batch

ROOT = Path(__file__).resolve().parents[1]
COLD_OFFSET = 10_000_000  # event numbers far past any pass, so every cold batch is new


@dataclass(frozen=True)
class ColdFigures:
    """Median seconds of import plus first batch, per contender, with and without ``.pyc``."""

    tripline: float
    reference: float
    tripline_no_pyc: float
    reference_no_pyc: float


def _env(pyc_prefix: str | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")
    }
    if pyc_prefix is not None:
        env |= {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": pyc_prefix}
    return env


def cold_seconds(contender: str, url: str, event: dict[str, Any], pyc_prefix: str | None) -> float:
    """One fresh interpreter: import plus first batch, in seconds."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.cold_child", contender, url],
        input=json.dumps(event),
        cwd=ROOT,
        env=_env(pyc_prefix),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"cold {contender} run failed:\n{done.stderr[-2000:]}")
    return float(done.stdout.splitlines()[-1])


def _medians(
    pair: list[tuple[str, str]], runs: int, first_index: int, pyc_prefix: str | None
) -> dict[str, float]:
    """``runs + 1`` alternating runs per contender; the first (it writes ``.pyc``) is dropped."""
    samples: dict[str, list[float]] = {name: [] for name, _ in pair}
    for run in range(runs + 1):
        event = one_batch(first_index + run * BATCH_SIZE)
        for name, url in pair if run % 2 == 0 else pair[::-1]:
            samples[name].append(cold_seconds(name, url, event, pyc_prefix))
    return {name: statistics.median(values[1:]) for name, values in samples.items()}


def measure_cold(backend: str, runs: int, workdir: Path) -> ColdFigures:
    with (
        fresh_database(backend, "cold_tripline", workdir) as ours,
        fresh_database(backend, "cold_reference", workdir) as theirs,
        tempfile.TemporaryDirectory(prefix="no-pyc-") as empty,
    ):
        pair = [("tripline", ours.url), ("reference", theirs.url)]
        warm = _medians(pair, runs, COLD_OFFSET, None)
        bare = _medians(pair, runs, COLD_OFFSET + (runs + 1) * BATCH_SIZE, empty)
        for database in (ours, theirs):
            verify_counts(database, 2 * (runs + 1) * BATCH_SIZE, "cold start")
        verify_same_rows(ours, theirs)
    return ColdFigures(warm["tripline"], warm["reference"], bare["tripline"], bare["reference"])
