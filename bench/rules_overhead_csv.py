"""Rows per second of ``app.process_rows`` on a shop file, with the ``large-order`` rule on and off.

Not through the local runtime (``bench/csv_pipeline.py`` times that: a subprocess, moto's server,
four pollers sharing a core) but as Lambda calls the handler: moto runs in this process, the file
is put under ``incoming/shop/``, the S3 notification moto queues is handed to ``app.fan_out``
(not timed), and the chunk tasks it sends are handed to ``app.process_rows`` four at a time, its
``batch_size``, and timed. Each side gets a fresh container and a fresh database; both read the
same object through moto, so the ratio compares the processing alone.

The file is generated here rather than by ``bench.shop_export.write_file``: its prices would
make two thirds of the orders "large" (``quantity * unit_price > 1000``). Here about 1.5 % are,
as about 2 % of the payments are large in the JSON workload.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.databases import BenchmarkError, Database, fresh_database
from bench.processor import deliver
from bench.shop_export import HEADER
from chalicelib.adapters.db.engine import make_engine
from chalicelib.topology import ROWS_QUEUE, UPLOADS_QUEUE
from tests.builders import sqs_event
from tests.functional.uploads import drain

BUCKET = "tripline-bench"
CHUNK_BATCH = 4  # process_rows' batch_size in app.py
_keys = count(1)


def write_shop_file(path: Path, rows: int, seed: int = 7) -> int:
    """A shop export of ``rows`` orders over the day before now; returns how many are large."""
    rng = random.Random(seed)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    large = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for n in range(rows):
            at = (start + timedelta(seconds=n * 86_000 // rows)).strftime("%Y-%m-%dT%H:%M:%SZ")
            quantity, price = rng.randrange(1, 5), round(rng.lognormvariate(3.5, 1.1), 2)
            large += quantity * price > 1000
            out.write(
                f"ORD-{n:09d},{at},store-{rng.randrange(40)},SKU-{rng.randrange(5000)},"
                f"{quantity},{price},EUR,{'yes' if n % 3 else 'no'}\n"
            )
    return large


@contextmanager
def moto_aws() -> Iterator[dict[str, Any]]:
    """moto in this process with the app's queues and bucket, as the tests' ``aws`` fixture."""
    import boto3
    from moto import mock_aws

    from tripline.local.resources import ensure_resources

    os.environ.pop("TRIPLINE_AWS_ENDPOINT_URL", None)
    os.environ["TRIPLINE_BUCKET"] = BUCKET
    with mock_aws():
        clients = {
            name: boto3.client(name, region_name="us-east-1") for name in ("sqs", "s3", "sns")
        }
        created = ensure_resources(clients["sqs"], clients["s3"], clients["sns"], BUCKET)
        yield {"clients": clients, "resources": created}


def _counts(database: Database) -> dict[str, Any]:
    engine = make_engine(database.url)
    try:
        with engine.connect() as conn:
            return {
                "events": conn.execute(text("SELECT COUNT(*) FROM events")).scalar_one(),
                "rejected": conn.execute(text("SELECT COUNT(*) FROM rejected_items")).scalar_one(),
                "matches": conn.execute(text("SELECT COUNT(*) FROM rule_matches")).scalar_one(),
                "status": [row[0] for row in conn.execute(text("SELECT status FROM uploads"))],
            }
    finally:
        engine.dispose()


def csv_pass(
    side: str,
    rules_dir: Path,
    database: Database,
    path: Path,
    rows: int,
    aws: dict[str, Any],
    large: int,
) -> float:
    """Fan the file out (not timed), then time ``process_rows`` over its chunks: rows/s."""
    import app
    from chalicelib import bootstrap

    os.environ.update(DATABASE_URL=database.url, TRIPLINE_RULES_DIR=str(rules_dir))
    bootstrap.reset()
    try:
        key = f"incoming/shop/{database.backend}-{side}-{next(_keys)}.csv"
        aws["clients"]["s3"].upload_file(str(path), BUCKET, key)
        for notification in drain(aws, UPLOADS_QUEUE):
            deliver(app.fan_out, [sqs_event(notification)])
        chunks = drain(aws, ROWS_QUEUE)
        seconds = deliver(
            app.process_rows,
            [
                sqs_event(*chunks[start : start + CHUNK_BATCH])
                for start in range(0, len(chunks), CHUNK_BATCH)
            ],
        )
    finally:
        bootstrap.reset()
    found = _counts(database)
    wanted = {
        "events": rows,
        "rejected": 0,
        "matches": large if side == "on" else 0,
        "status": ["complete"],
    }
    if found != wanted:
        raise BenchmarkError(
            f"CSV, rules {side} on {database.backend}: expected {wanted}, found {found}"
        )
    return rows / seconds


def measure_csv(
    backends: Sequence[str], dirs: dict[str, Path], rows: int, repeat: int, workdir: Path
) -> None:
    path = workdir / "shop.csv"
    large = write_shop_file(path, rows)
    print(
        f"\nCSV: {rows:,} shop rows ({path.stat().st_size / 1024**2:.1f} MiB, {large:,} large "
        f"orders), app.process_rows, rules on vs off",
        file=sys.stderr,
    )
    results: dict[str, list[dict[str, float]]] = {}
    with moto_aws() as aws:
        for backend in backends:
            results[backend] = []
            for index in range(repeat):
                order = ("on", "off") if index % 2 == 0 else ("off", "on")
                rates = {}
                for side in order:
                    with fresh_database(backend, f"csv_{side}", workdir) as database:
                        rates[side] = csv_pass(side, dirs[side], database, path, rows, aws, large)
                print(
                    f"  CSV {backend} #{index + 1}: "
                    + ", ".join(f"{side} {rates[side]:,.0f} rows/s" for side in order),
                    file=sys.stderr,
                )
                results[backend].append(rates)
    print(
        f"\n| CSV, {rows:,} shop rows ({large:,} large orders) | rules on rows/s "
        "| rules off rows/s | **on/off** |\n|---|---|---|---|"
    )
    for backend, trials in results.items():
        ratios = [one["on"] / one["off"] for one in trials]
        spread = f" ({min(ratios):.2f} to {max(ratios):.2f})" if len(ratios) > 1 else ""
        print(
            f"| {backend} | {statistics.median(one['on'] for one in trials):,.0f} "
            f"| {statistics.median(one['off'] for one in trials):,.0f} "
            f"| **{statistics.median(ratios):.2f}**{spread} |"
        )
