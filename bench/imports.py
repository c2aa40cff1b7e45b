"""Cold-start cost of ``import app``, as ratios against importing Chalice alone and a bare Python.

Lambda imports the handler's module on every cold start, and Chalice imports ``app.py`` to package
it; what ``app`` pulls in beyond Chalice is Tripline's own doing. Every figure is the median of
several fresh interpreters, measured after one warm-up run so that ``.pyc`` files exist.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class ImportFigures:
    app_us: float
    chalice_us: float
    app_wall_s: float
    bare_wall_s: float


def _python(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )


def top_level_cumulative_us(stderr: str, module: str) -> int:
    """The cumulative microseconds of ``module``'s own top-level line in ``-X importtime`` output.

    Lines read ``import time: self | cumulative | name``; nested imports indent the name, so the
    top-level import is the line whose name follows the bar after exactly one space.
    """
    for line in stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        _, cumulative, name = line.split("|")
        if name == f" {module}":
            return int(cumulative.strip())
    raise ValueError(f"no top-level import of {module!r} in -X importtime output")


def importtime_us(module: str, runs: int) -> float:
    _python("-c", f"import {module}")  # writes any missing .pyc before the measured runs
    samples = [
        top_level_cumulative_us(
            _python("-X", "importtime", "-c", f"import {module}").stderr, module
        )
        for _ in range(runs)
    ]
    return statistics.median(samples)


def wall_s(code: str, runs: int) -> float:
    _python("-c", code)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        _python("-c", code)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def measure_imports(runs: int) -> ImportFigures:
    return ImportFigures(
        app_us=importtime_us("app", runs),
        chalice_us=importtime_us("chalice", runs),
        app_wall_s=wall_s("import app", runs),
        bare_wall_s=wall_s("pass", runs),
    )
