"""CSV rows per second from S3 to MySQL through the whole local runtime, beside ``LOAD DATA``.

Run from the repository root: ``.venv/bin/python -m bench.csv_pipeline --help``.

One generated shop file (``rules/sources/shop.yaml``) is loaded twice in the same run, against
the same MariaDB server:

- the reference: ``LOAD DATA LOCAL INFILE`` of the file into an equivalent table (the same columns,
  typed, a unique key on the order id and an index on the time), as a DBA would load it by hand;
- Tripline: ``tripline local`` started as a subprocess (moto server, pumps, the real handlers),
  the file put under ``incoming/shop/`` with boto3, timed from the moment the put returns until
  ``GET /uploads`` says the upload is complete; then every row is counted in ``events``.
  Every route but ``/health`` needs a key, locally as on AWS: the runtime is started with an
  admin key made for the run (``TRIPLINE_LOCAL_ADMIN_KEY``), which the polls send.

The ratio is what counts. The rows queue's depth is sampled while it runs (moto's SQS slows as a
queue grows; the fan-out sends byte ranges, so it stays short). ``--memory-gib`` also measures the
fan-out's peak memory on a file of that size, in a process of its own (``bench.fanout_memory``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.request import Request, urlopen

from sqlalchemy import create_engine, text

from bench.databases import MYSQL_SERVER_URL, RUN_TAG, fresh_database
from bench.local_aws import aws_client, free_port
from bench.shop_export import write_file
from chalicelib.domain.access import new_key_text

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_TABLE = """
CREATE TABLE ref_orders (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  order_id VARCHAR(128) NOT NULL, ordered_at DATETIME(6) NOT NULL, store VARCHAR(64) NOT NULL,
  sku VARCHAR(64), quantity INT, unit_price DOUBLE NOT NULL, currency VARCHAR(8), paid VARCHAR(8),
  UNIQUE KEY uq_order_id (order_id), KEY ix_ordered_at (ordered_at, id)
) ENGINE=InnoDB CHARACTER SET utf8mb4 COLLATE utf8mb4_bin
"""
LOAD = """
LOAD DATA LOCAL INFILE :path INTO TABLE ref_orders
FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' LINES TERMINATED BY '\\n' IGNORE 1 LINES
(order_id, @ordered_at, store, sku, quantity, unit_price, currency, paid)
SET ordered_at = STR_TO_DATE(@ordered_at, '%Y-%m-%dT%H:%i:%sZ')
"""


def load_data_reference(path: Path, rows: int) -> float:
    """Seconds for ``LOAD DATA LOCAL INFILE`` into a fresh database; checks the row count."""
    name = f"tripline_bench_{RUN_TAG}_loaddata"
    server = create_engine(MYSQL_SERVER_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
    engine = create_engine(f"{MYSQL_SERVER_URL}/{name}", connect_args={"local_infile": True})
    try:
        with engine.begin() as conn:
            conn.execute(text(REFERENCE_TABLE))
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(text(LOAD), {"path": str(path)})
        seconds = time.perf_counter() - started
        with engine.connect() as conn:
            loaded = conn.scalar(text("SELECT COUNT(*) FROM ref_orders"))
        if loaded != rows:
            raise RuntimeError(f"LOAD DATA stored {loaded} rows of {rows}")
        return seconds
    finally:
        engine.dispose()
        with server.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        server.dispose()


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
def local_runtime(database_url: str, workdir: Path) -> Iterator[LocalRuntime]:
    """``tripline local`` as a subprocess, its working folder ``workdir`` (its ``var/`` goes
    there); yields once ``/health`` answers."""
    api_port, aws_port = free_port(), free_port()
    key = new_key_text()[2]
    env = os.environ | {
        "DATABASE_URL": database_url,
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "TRIPLINE_LOCAL_ADMIN_KEY": key,
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


def pipeline(path: Path, rows: int, workdir: Path) -> dict[str, Any]:
    """Seconds from the put returning to the upload complete, with the queue depth seen."""
    with (
        fresh_database("mysql", "csv", workdir) as database,
        local_runtime(database.url, workdir) as runtime,
    ):
        s3, sqs = aws_client("s3", runtime.aws), aws_client("sqs", runtime.aws)
        rows_queue = sqs.get_queue_url(QueueName="tripline-rows")["QueueUrl"]
        s3.upload_file(str(path), "tripline-data", "incoming/shop/bench.csv")
        started = time.perf_counter()
        status, depth = _until_final(runtime, sqs, rows_queue, started + 60 + rows / 1000)
        seconds = time.perf_counter() - started
        engine = create_engine(database.url)
        with engine.connect() as conn:
            stored = conn.scalar(text("SELECT COUNT(*) FROM events"))
        engine.dispose()
    if status["status"] != "complete" or stored != rows:
        raise RuntimeError(f"the upload ended {status.get('status')} with {stored} of {rows} rows")
    return {
        "seconds": seconds,
        "max_queue_depth": depth,
        "chunks": status["chunks"]["total"],
        "timings": status["timings"],
    }


def _until_final(
    runtime: LocalRuntime, sqs: Any, rows_queue: str, deadline: float
) -> tuple[dict[str, Any], int]:
    """The upload's status once final, and the rows queue's greatest depth seen meanwhile; a
    stuck upload fails the run at ``deadline`` (``perf_counter`` seconds) rather than hang it."""
    depth, status = 0, {}
    while time.perf_counter() < deadline:
        listed = runtime.get("/uploads?source=shop")["items"]
        status = listed[0] if listed else {}
        if status.get("status") in ("complete", "complete_with_errors", "failed"):
            return status, depth
        attributes = sqs.get_queue_attributes(
            QueueUrl=rows_queue, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        depth = max(depth, int(attributes["ApproximateNumberOfMessages"]))
        time.sleep(0.2)
    raise RuntimeError(f"the upload was not done in time; last seen: {status or 'not listed'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
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
        print(f"file: {args.rows:,} rows, {size / 1024**2:.1f} MiB")
        reference = load_data_reference(path, args.rows)
        print(f"LOAD DATA LOCAL INFILE: {reference:.1f} s, {args.rows / reference:,.0f} rows/s")
        run = pipeline(path, args.rows, workdir)
        rate = args.rows / run["seconds"]
        print(
            f"Tripline (S3 -> fan-out -> SQS -> processors -> MySQL): {run['seconds']:.1f} s, "
            f"{rate:,.0f} rows/s, {run['chunks']} chunks, rows queue at most "
            f"{run['max_queue_depth']} deep"
        )
        print(f"ratio to LOAD DATA: {rate / (args.rows / reference):.2f}x")
        print(
            f"checked: LOAD DATA stored {args.rows:,} rows; the upload ended complete with "
            f"{args.rows:,} events stored"
        )
        if args.memory_gib:
            from bench.fanout_memory import measure_fanout_memory

            print(measure_fanout_memory(args.memory_gib, workdir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
