"""The two references ``bench.csv_pipeline`` measures Tripline against, on the same MariaDB server
and the same file: ``LOAD DATA LOCAL INFILE`` as a DBA would load it, and pandas as an analyst
would. Both fill a table with the ``events`` table's columns and keys (``EVENTS_TABLE``), the JSON
``data`` built from the row with the derived ``total`` the shop source adds, so all three
contenders write the same kind of row into the same kind of table.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from bench.databases import mysql_database

EVENTS_TABLE = """
CREATE TABLE ref_events (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  source VARCHAR(64) NOT NULL, event_id VARCHAR(128) NOT NULL, type VARCHAR(128) NOT NULL,
  occurred_at DATETIME(6) NOT NULL, received_at DATETIME(6) NOT NULL,
  processed_at DATETIME(6) NOT NULL, data JSON NOT NULL, upload_id VARCHAR(32), line INT,
  UNIQUE KEY uq_source_event_id (source, event_id), KEY ix_occurred (occurred_at, id),
  KEY ix_source_occurred (source, occurred_at, id)
) ENGINE=InnoDB CHARACTER SET utf8mb4 COLLATE utf8mb4_bin
"""
LOAD = """
LOAD DATA LOCAL INFILE :path INTO TABLE ref_events
FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' LINES TERMINATED BY '\\n' IGNORE 1 LINES
(@order_id, @ordered_at, @store, @sku, @quantity, @unit_price, @currency, @paid)
SET source = 'shop', event_id = @order_id, type = 'order',
  occurred_at = STR_TO_DATE(@ordered_at, '%Y-%m-%dT%H:%i:%sZ'),
  received_at = UTC_TIMESTAMP(6), processed_at = UTC_TIMESTAMP(6),
  data = JSON_OBJECT('order_id', @order_id, 'ordered_at', @ordered_at, 'store', @store,
    'sku', @sku, 'quantity', @quantity + 0, 'unit_price', @unit_price + 0.0,
    'currency', @currency, 'paid', @paid = 'yes', 'total', @quantity * @unit_price),
  upload_id = 'reference'
"""


@contextmanager
def reference_database(label: str) -> Iterator[Engine]:
    """A database of its own holding an empty ``ref_events``; dropped afterwards."""
    with mysql_database(label) as url:
        engine = create_engine(url, connect_args={"local_infile": True})
        try:
            with engine.begin() as conn:
                conn.execute(text(EVENTS_TABLE))
            yield engine
        finally:
            engine.dispose()


def load_data(engine: Engine, path: Path) -> None:
    with engine.begin() as conn:
        conn.execute(text(LOAD), {"path": str(path)})


def pandas_to_sql(engine: Engine, path: Path) -> None:
    """``read_csv``, the same columns and JSON built column-wise, ``to_sql`` in chunks of 10,000."""
    import pandas as pd

    orders = pd.read_csv(path, dtype={"order_id": str, "store": str, "sku": str})
    orders["paid"] = orders["paid"] == "yes"
    orders["total"] = orders["quantity"] * orders["unit_price"]
    now = datetime.now(UTC).replace(tzinfo=None)
    frame = pd.DataFrame(
        {
            "source": "shop",
            "event_id": orders["order_id"],
            "type": "order",
            "occurred_at": pd.to_datetime(orders["ordered_at"], utc=True).dt.tz_localize(None),
            "received_at": now,
            "processed_at": now,
            "data": orders.to_json(orient="records", lines=True).splitlines(),
            "upload_id": "reference",
            "line": orders.index + 2,
        }
    )
    frame.to_sql("ref_events", engine, if_exists="append", index=False, chunksize=10_000)


def timed_reference(
    label: str, load: Callable[[Engine, Path], None], path: Path, rows: int
) -> float:
    """Seconds ``load`` took into a fresh ``ref_events``; checks every row arrived."""
    with reference_database(label) as engine:
        started = time.perf_counter()
        load(engine, path)
        seconds = time.perf_counter() - started
        with engine.connect() as conn:
            loaded = conn.scalar(text("SELECT COUNT(*) FROM ref_events"))
    if loaded != rows:
        raise RuntimeError(f"{label} stored {loaded} rows of {rows}")
    return seconds
