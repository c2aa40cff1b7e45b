"""Cold start of the packaged app (issue 7): the built zip as shipped, against the same without ``.pyc``.

Run from the repository root after ``make package``: ``.venv/bin/python -m bench.cold_start``.

The zip is extracted twice: as built (an unchecked-hash ``.pyc`` beside every ``.py``) and with
every ``.pyc`` removed, which is what ``chalice package`` alone ships. Each run is a fresh
interpreter laid out as Lambda's (``scripts/lambda_package/runtime.py``): the bundle first on the
path, then boto3 and its dependencies from ``.venv`` (Lambda's runtime has them, compiled), no
site-packages, and no bytecode written (``/var/task`` is read-only). Timed inside the child, so
interpreter start-up, which both pay alike, is left out:

- ``import app``: Lambda's init of every function;
- the cold processor path: ``import app``, then what the first ``process_events`` imports on top
  (``bootstrap`` builds everything on first use): Powertools, the engine, SQLAlchemy's MySQL
  dialect, PyMySQL, the stores and the rules reader.

The two bundles alternate within each repeat so drift on the shared machine hits both; the first
repeat warms the page cache and is dropped. After timing, one run serves a real first batch
(against a database that refuses the connection) to check that the processor list misses nothing
the real path imports from the bundle.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.workload import one_batch
from scripts.lambda_package.bundle import UNZIPPED_LIMIT, ZIPPED_LIMIT, summarize
from scripts.lambda_package.runtime import (
    COLD_PROCESSOR_IMPORTS,
    bundle_command,
    bundle_env,
    runtime_folder,
)

ROOT = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024
VARIANTS = ("with .pyc", "no .pyc")
REFUSED_DATABASE = "mysql+pymysql://tripline@127.0.0.1:9/tripline"  # nothing listens on port 9
TIMED = """
import json, sys, time
start = time.perf_counter()
import app
after_app = time.perf_counter()
for name in json.loads(sys.argv[1]):
    __import__(name)
done = time.perf_counter()
outside = sorted(name for name in ("app", "sqlalchemy", "pymysql", "aws_lambda_powertools")
                 if not sys.modules[name].__file__.startswith(sys.argv[2]))
print(json.dumps({"app": after_app - start, "processor": done - start, "outside": outside}))
"""
REAL_BATCH = """
import json, os, sys
os.environ.update(DATABASE_URL=sys.argv[3], POWERTOOLS_METRICS_DISABLED="true")
import app
for name in json.loads(sys.argv[1]):
    __import__(name)
before = set(sys.modules)
app.process_events(json.loads(sys.stdin.read()), None)
new = sorted(name for name in set(sys.modules) - before
             if (getattr(sys.modules[name], "__file__", None) or "").startswith(sys.argv[2]))
print("MISSED " + json.dumps(new))
"""


@dataclass(frozen=True)
class ColdStart:
    """Seconds of each kept repeat, per variant and figure (``app``, ``processor``)."""

    runs: dict[str, list[dict[str, float]]]

    def median(self, variant: str, figure: str) -> float:
        return statistics.median(one[figure] for one in self.runs[variant])

    def ratios(self, figure: str) -> list[float]:
        """No ``.pyc`` over with, within each repeat (the two runs were back to back)."""
        return [
            without[figure] / with_pyc[figure]
            for with_pyc, without in zip(*(self.runs[name] for name in VARIANTS), strict=True)
        ]


def extract(zip_path: Path, into: Path, keep_pyc: bool) -> Path:
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(
            into, [name for name in archive.namelist() if keep_pyc or not name.endswith(".pyc")]
        )
    return into


def one_run(bundle: Path, runtime: Path) -> dict[str, float]:
    done = subprocess.run(
        bundle_command(TIMED, json.dumps(COLD_PROCESSOR_IMPORTS), f"{bundle}/"),
        env=bundle_env(bundle, runtime),
        cwd=bundle.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"cold start run in {bundle} failed:\n{done.stderr[-2000:]}")
    figures = json.loads(done.stdout.splitlines()[-1])
    if figures["outside"]:
        raise RuntimeError(f"imported from outside the bundle: {figures['outside']}")
    return {"app": figures["app"], "processor": figures["processor"]}


def measure(bundles: dict[str, Path], runtime: Path, repeat: int) -> ColdStart:
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in bundles}
    order = list(bundles)
    for run in range(repeat + 1):
        for name in order if run % 2 == 0 else order[::-1]:
            samples[name].append(one_run(bundles[name], runtime))
    return ColdStart({name: runs[1:] for name, runs in samples.items()})


def missed_imports(bundle: Path, runtime: Path) -> list[str]:
    """Modules from the bundle that a real first batch imports beyond the timed list."""
    done = subprocess.run(
        bundle_command(
            REAL_BATCH, json.dumps(COLD_PROCESSOR_IMPORTS), f"{bundle}/", REFUSED_DATABASE
        ),
        input=json.dumps(one_batch(0)),
        env=bundle_env(bundle, runtime),
        cwd=bundle.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    marked = [line for line in done.stdout.splitlines() if line.startswith("MISSED ")]
    if done.returncode or not marked:
        raise RuntimeError(f"the real first batch did not run:\n{done.stderr[-2000:]}")
    missed: list[str] = json.loads(marked[-1].removeprefix("MISSED "))
    return missed


def report(zip_path: Path, figures: ColdStart, repeat: int, missed: list[str]) -> None:
    summary = summarize(zip_path)
    print(
        f"{zip_path}: {summary.zipped_bytes / MIB:.1f} MiB zipped "
        f"(limit {ZIPPED_LIMIT // MIB}), {summary.unzipped_bytes / MIB:.1f} MiB unzipped "
        f"(limit {UNZIPPED_LIMIT // MIB}), {summary.files:,} files"
    )
    print(f"\n| median of {repeat} | {' | '.join(VARIANTS)} | **no .pyc / with .pyc** (range) |")
    print("|---|---|---|---|")
    for label, figure in (("`import app`", "app"), ("cold `process_events` imports", "processor")):
        with_pyc, without = (figures.median(name, figure) * 1000 for name in VARIANTS)
        ratios = figures.ratios(figure)
        print(
            f"| {label} | {with_pyc:.0f} ms | {without:.0f} ms | **{statistics.median(ratios):.1f}**"
            f" ({min(ratios):.1f} to {max(ratios):.1f}) |"
        )
    print(
        "\nthe real first batch imported nothing from the bundle beyond the list"
        if not missed
        else f"\nnote: the real first batch also imported {', '.join(missed)}"
    )
    print(
        "\nchecked: every run imported app, SQLAlchemy, PyMySQL and Powertools from its bundle; "
        "the real first batch ran"
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.cold_start",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--zip",
        type=Path,
        default=ROOT / "dist" / "prod" / "deployment.zip",
        help="the built package (default: dist/prod/deployment.zip)",
    )
    parser.add_argument("--repeat", type=int, default=9, help="runs per variant (median)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.zip.is_file():
        raise SystemExit(f"no {args.zip}: run `make package` first")
    with tempfile.TemporaryDirectory(prefix="tripline-cold-") as scratch:
        work = Path(scratch)
        runtime = runtime_folder(work / "runtime")
        bundles = {
            VARIANTS[0]: extract(args.zip, work / "with-pyc", keep_pyc=True),
            VARIANTS[1]: extract(args.zip, work / "no-pyc", keep_pyc=False),
        }
        figures = measure(bundles, runtime, args.repeat)
        missed = missed_imports(bundles[VARIANTS[0]], runtime)
    report(args.zip, figures, args.repeat, missed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
