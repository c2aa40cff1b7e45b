"""Running a bench as ``make bench`` does, at a tiny size, and reading the tables it prints.

A bench fails itself (non-zero exit) when its honesty checks do not hold, and prints a
``checked:`` line only after they did; the smoke tests ask for both, and for the figures'
tables, so a bench that stopped checking or stopped measuring fails too. Timings are never
asserted: only that each figure is there and is a positive number.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def run_bench(
    module: str, *args: str, env: Mapping[str, str] | None = None, timeout: float = 600
) -> str:
    """``python -m bench.<module> <args>`` from the repository root; its standard output.

    Fails the test with the end of the bench's error output unless it exited 0.
    """
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", *args],
        cwd=ROOT,
        env=os.environ | dict(env or {}),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, (
        f"bench.{module} {' '.join(args)} exited {done.returncode}:\n{done.stderr[-4000:]}"
    )
    return done.stdout


def table(output: str, first_header: str) -> list[dict[str, str]]:
    """The rows of the first Markdown table whose header's first cell starts with
    ``first_header``, each keyed by the header's cells (``**`` and backticks removed)."""
    lines = output.splitlines()
    for index, line in enumerate(lines):
        cells = _cells(line)
        if cells and cells[0].startswith(first_header):
            rows = []
            for row in lines[index + 2 :]:
                if not row.startswith("|"):
                    break
                rows.append(dict(zip(cells, _cells(row), strict=True)))
            return rows
    raise AssertionError(f"no table starting with {first_header!r} in:\n{output}")


def number(cell: str) -> float:
    """The first number of a cell: ``**0.33** (0.31 to 0.35)`` is 0.33, ``1,234 ms`` 1234."""
    found = NUMBER.search(cell)
    assert found, f"no number in {cell!r}"
    return float(found.group().replace(",", ""))


def checked_line(output: str) -> str:
    """The line a bench prints once its checks held."""
    lines = [line for line in output.splitlines() if line.startswith("checked: ")]
    assert lines, f"the bench printed no `checked:` line:\n{output}"
    return lines[-1]


def _cells(line: str) -> list[str]:
    if not line.startswith("|"):
        return []
    return [
        cell.strip().replace("**", "").replace("`", "")
        for cell in line.strip().strip("|").split("|")
    ]
