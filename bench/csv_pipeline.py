"""CSV rows per second from S3 to MySQL through the whole local runtime, beside ``LOAD DATA``.

Run from the repository root: ``.venv/bin/python -m bench.csv_pipeline --help``.

One generated shop file (``rules/sources/shop.yaml``) is loaded four times in the same run,
against the same MariaDB server, each into a database of its own:

- ``LOAD DATA LOCAL INFILE`` into a table with the ``events`` table's columns and keys, the JSON
  ``data`` built in the statement (``bench/csv_references.py``), as a DBA would load it by hand;
- pandas ``read_csv`` + ``to_sql(chunksize=10000)`` into the same kind of table;
- Tripline with the sample rules on (the repository's ``rules/``; ``large-order`` matches about
  two thirds of this file's orders) and off (the same ``sources/`` and ``reference/`` only):
  ``tripline local`` started as a subprocess (moto server, pollers, the real handlers), the file
  put under ``incoming/shop/`` with boto3 once the runtime answers ``/health`` (its pollers are
  polling by then), timed from the moment the put returns until the upload's status is final,
  read from the database every 50 ms (the API, in a process the pipeline keeps busy, answered
  up to two seconds late); then every row is counted in ``events``, and the upload's timings
  are read through ``GET /uploads``. Every route but ``/health`` needs a key, locally as on
  AWS: the runtime is started with an admin key made for the run
  (``TRIPLINE_LOCAL_ADMIN_KEY``), which that request sends.

The ratios are what count. The rows queue's depth is sampled while it runs. ``--memory-gib``
also measures the fan-out's peak memory on a file of that size, in a process of its own
(``bench.fanout_memory``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.request import Request, urlopen

from sqlalchemy import Engine, create_engine, text

from bench.csv_references import load_data, pandas_to_sql, timed_reference
from bench.databases import fresh_database
from bench.local_aws import aws_client, free_port
from bench.shop_export import write_file
from bench.workload import rules_off_copy
from chalicelib.domain.access import new_key_text

ROOT = Path(__file__).resolve().parents[1]
LOAD_DATA = "LOAD DATA LOCAL INFILE"
PANDAS = "pandas read_csv + to_sql"
RULES_ON = "Tripline, rules on"
RULES_OFF = "Tripline, rules off"


@dataclass(frozen=True)
class LocalRuntime:
    """Where the started runtime answers, and the admin key it was started with."""

    api: str
    aws: str
    key: str

    def get(self, path: str) -> dict[str, Any]:
        request = Request(f"{self.api}{path}", headers={"Authorization": f"Bearer {self.key}"})
        with urlopen(request, timeout=10) as response:
            answer: dict[str, Any] = json.loads(response.read())
            return answer


@contextmanager
def local_runtime(
    database_url: str,
    workdir: Path,
    extra_env: dict[str, str] | None = None,
    demo: bool = False,
) -> Iterator[LocalRuntime]:
    """``tripline local`` (``--demo`` if asked) as a subprocess, its working folder ``workdir``
    (its ``var/`` goes there); yields once ``/health`` answers."""
    api_port, aws_port = free_port(), free_port()
    key = new_key_text()[2]
    env = os.environ | {
        "DATABASE_URL": database_url,
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "TRIPLINE_LOCAL_ADMIN_KEY": key,
        **(extra_env or {}),
    }
    log = (workdir / "local.log").open("w")
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "tripline"),
            "local",
            "--port",
            str(api_port),
            "--aws-port",
            str(aws_port),
            *(["--demo"] if demo else []),
        ],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    api = f"http://127.0.0.1:{api_port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urlopen(f"{api}/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"the local runtime did not start; see {log.name}") from None
                time.sleep(0.3)
        yield LocalRuntime(api, f"http://127.0.0.1:{aws_port}", key)
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()


def pipeline(path: Path, rows: int, workdir: Path, rules_dir: Path) -> dict[str, Any]:
    """Seconds from the put returning to the upload's final status, with the queue depth seen."""
    with (
        fresh_database("mysql", f"csv_{rules_dir.name.replace('-', '_')}", workdir) as database,
        local_runtime(database.url, workdir, {"TRIPLINE_RULES_DIR": str(rules_dir)}) as runtime,
    ):
        s3, sqs = aws_client("s3", runtime.aws), aws_client("sqs", runtime.aws)
        rows_queue = sqs.get_queue_url(QueueName="tripline-rows")["QueueUrl"]
        engine = create_engine(database.url)
        try:
            s3.upload_file(str(path), "tripline-data", "incoming/shop/bench.csv")
            started = time.perf_counter()
            final, depth = _until_final(engine, sqs, rows_queue, started + 60 + rows / 1000)
            seconds = time.perf_counter() - started
            with engine.connect() as conn:
                stored = conn.scalar(text("SELECT COUNT(*) FROM events"))
                matched = conn.scalar(text("SELECT COUNT(*) FROM rule_matches"))
        finally:
            engine.dispose()
        status = runtime.get("/uploads?source=shop")["items"][0]
    if final != "complete" or stored != rows:
        raise RuntimeError(f"the upload ended {final} with {stored} of {rows} rows")
    return {
        "seconds": seconds,
        "max_queue_depth": depth,
        "chunks": status["chunks"]["total"],
        "matched": matched,
        "timings": status["timings"],
    }


def _until_final(engine: Engine, sqs: Any, rows_queue: str, deadline: float) -> tuple[str, int]:
    """The upload's final status, and the rows queue's greatest depth seen meanwhile (sampled
    every half second); a stuck upload fails the run at ``deadline`` (``perf_counter``
    seconds) rather than hang it."""
    depth, status, sampled = 0, None, 0.0
    with engine.connect() as conn:
        while time.perf_counter() < deadline:
            status = conn.scalar(text("SELECT status FROM uploads WHERE source = 'shop'"))
            conn.rollback()  # the next read sees what committed since
            if status in ("complete", "complete_with_errors", "failed"):
                return status, depth
            if time.perf_counter() - sampled > 0.5:
                sampled = time.perf_counter()
                attributes = sqs.get_queue_attributes(
                    QueueUrl=rows_queue, AttributeNames=["ApproximateNumberOfMessages"]
                )["Attributes"]
                depth = max(depth, int(attributes["ApproximateNumberOfMessages"]))
            time.sleep(0.05)
    raise RuntimeError(f"the upload was not done in time; last seen: {status or 'not listed'}")


def _phases(timings: dict[str, Any]) -> str:
    """Where an upload's time went: landing to fan-out start, the fan-out, the rest (chunks)."""
    at = {
        name: datetime.fromisoformat(value)
        for name, value in timings.items()
        if "_at" in name and value
    }
    parts = (
        ("to fan-out", "landed_at", "fanout_started_at"),
        ("fan-out", "fanout_started_at", "fanout_finished_at"),
        ("after fan-out", "fanout_finished_at", "completed_at"),
    )
    return ", ".join(
        f"{label} {(at[end] - at[start]).total_seconds():.1f} s"
        for label, start, end in parts
        if start in at and end in at
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="rounds, each timing every contender once (the order turned each round); medians",
    )
    parser.add_argument(
        "--memory-gib",
        type=float,
        default=0.0,
        help="also measure the fan-out's peak memory on a file this large",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tripline-bench-") as folder:
        workdir = Path(folder)
        path = workdir / "orders.csv"
        size = write_file(path, args.rows)
        print(f"file: {args.rows:,} rows, {size / 1024**2:.1f} MiB; {args.repeat} round(s)")
        rules_off = rules_off_copy(workdir)
        contenders: dict[str, Callable[[], dict[str, Any]]] = {
            LOAD_DATA: lambda: {"seconds": timed_reference("loaddata", load_data, path, args.rows)},
            PANDAS: lambda: {"seconds": timed_reference("pandas", pandas_to_sql, path, args.rows)},
            RULES_ON: lambda: pipeline(path, args.rows, workdir, ROOT / "rules"),
            RULES_OFF: lambda: pipeline(path, args.rows, workdir, rules_off),
        }
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in contenders}
        for round_ in range(args.repeat):
            names = list(contenders)
            for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
                runs[name].append(contenders[name]())
            print(
                f"round {round_ + 1}: "
                + ", ".join(f"{name} {runs[name][-1]['seconds']:.1f} s" for name in names)
            )
        report(runs, args.rows)
        if args.memory_gib:
            from bench.fanout_memory import measure_fanout_memory

            print(measure_fanout_memory(args.memory_gib, workdir))
    return 0


def report(runs: dict[str, list[dict[str, Any]]], rows: int) -> None:
    """Medians of each contender's seconds, the ratios of those, and each ratio's range over
    the rounds (a round's contenders ran one after another, so their ratio shares its noise)."""
    seconds = {
        name: statistics.median(run["seconds"] for run in done) for name, done in runs.items()
    }
    rate = {name: rows / taken for name, taken in seconds.items()}

    def spread(name: str, against: str) -> str:
        ratios = [
            b["seconds"] / a["seconds"] for a, b in zip(runs[name], runs[against], strict=True)
        ]
        return f"{min(ratios):.2f} to {max(ratios):.2f}" if len(ratios) > 1 else "one round"

    print(
        "\n| contender | seconds (median) | rows/s | / LOAD DATA | / pandas |\n|---|---|---|---|---|"
    )
    for name, taken in seconds.items():
        print(
            f"| {name} | {taken:.1f} | {rate[name]:,.0f} "
            f"| {rate[name] / rate[LOAD_DATA]:.2f} ({spread(name, LOAD_DATA)}) "
            f"| {rate[name] / rate[PANDAS]:.2f} ({spread(name, PANDAS)}) |"
        )
    for name in (RULES_ON, RULES_OFF):
        last = runs[name][-1]
        print(f"{name}, last round: {_phases(last['timings'])}")
    on, off = runs[RULES_ON][-1], runs[RULES_OFF][-1]
    print(
        f"\nrules on / off: {rate[RULES_ON] / rate[RULES_OFF]:.2f} ({spread(RULES_ON, RULES_OFF)}); "
        f"{on['chunks']} chunks; rows queue at most "
        f"{max(run['max_queue_depth'] for run in runs[RULES_ON] + runs[RULES_OFF])} deep; "
        f"{on['matched']:,} rule matches with rules on"
    )
    if any(not run["matched"] for run in runs[RULES_ON]) or any(
        run["matched"] for run in runs[RULES_OFF]
    ):
        raise RuntimeError(f"rules on matched {on['matched']}, rules off {off['matched']}")
    print(
        f"checked: each reference stored {rows:,} rows; each Tripline upload ended "
        f"complete with {rows:,} events stored; rules on matched, rules off did not"
    )


if __name__ == "__main__":
    sys.exit(main())
