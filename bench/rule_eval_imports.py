"""Import figures of ``bench.rule_eval``: ``-X importtime`` of the engine's modules and of
simpleeval, in fresh interpreters."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from bench.imports import ROOT, top_level_cumulative_us, wall_s

ENGINE_MODULES = ("chalicelib.domain.expressions.compiler", "chalicelib.domain.rules.engine")
IMPORTED = (*ENGINE_MODULES, "simpleeval")


@dataclass(frozen=True)
class ImportFigures:
    """Medians over fresh interpreters; a module that cannot be imported has its reason."""

    cumulative_us: dict[str, float | str]
    own_self_us: float  # Tripline's own modules (self time) inside `import ...expressions`
    re2_us: float  # the re2 line (cumulative) inside it
    engine_wall_s: float
    bare_wall_s: float


def _python(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )


def _importtime_outputs(module: str, runs: int) -> list[str] | str:
    """``-X importtime`` output of ``runs`` fresh imports (after one that writes any ``.pyc``),
    or the last line of the error when the module cannot be imported."""
    try:
        _python("-c", f"import {module}")
    except subprocess.CalledProcessError as exc:
        lines = exc.stderr.strip().splitlines()
        return lines[-1] if lines else f"exit status {exc.returncode}"
    return [_python("-X", "importtime", "-c", f"import {module}").stderr for _ in range(runs)]


def _lines(output: str) -> Iterator[tuple[int, int, str]]:
    """(self µs, cumulative µs, indented name) of each module line of ``-X importtime``."""
    for line in output.splitlines():
        own, _, rest = line.removeprefix("import time:").partition("|")
        cumulative, _, name = rest.partition("|")
        if line.startswith("import time:") and own.strip().isdigit():
            yield int(own), int(cumulative), name


def measure_imports(runs: int) -> ImportFigures:
    cumulative: dict[str, float | str] = {}
    engine: list[str] = []
    for module in IMPORTED:
        outputs = _importtime_outputs(module, runs)
        if isinstance(outputs, str):
            cumulative[module] = outputs
            continue
        cumulative[module] = statistics.median(
            top_level_cumulative_us(output, module) for output in outputs
        )
        engine = engine or outputs
    own = [
        sum(mine for mine, _, name in _lines(output) if name.strip().startswith("chalicelib"))
        for output in engine
    ]
    re2_us = [
        next((total for _, total, name in _lines(output) if name.strip() == "re2"), 0)
        for output in engine
    ]
    return ImportFigures(
        cumulative,
        statistics.median(own),
        statistics.median(re2_us),
        wall_s(f"import {ENGINE_MODULES[0]}", runs),
        wall_s("pass", runs),
    )
