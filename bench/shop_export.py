"""The bench's CSV file: a shop export of orders, as the ``shop`` source declares it, the same for
every run with the same seed (``bench.csv_pipeline`` and ``bench.fanout_memory`` read it)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.databases import RUN_TAG

HEADER = "order_id,ordered_at,store,sku,quantity,unit_price,currency,paid\n"


def write_file(path: Path, rows: int, seed: int = 7) -> int:
    """A shop export of ``rows`` orders; returns its size in bytes."""
    rng = random.Random(seed)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    stores = [f"store-{n}" for n in range(40)]
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for n in range(rows):
            at = (start + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
            out.write(
                f"ORD-{RUN_TAG}-{n:09d},{at},{rng.choice(stores)},SKU-{rng.randrange(5000)},"
                f"{rng.randrange(1, 9)},{rng.randrange(100, 99999) / 100},EUR,"
                f"{'yes' if n % 3 else 'no'}\n"
            )
    return path.stat().st_size
