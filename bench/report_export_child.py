"""One contender of ``bench.report_export``, alone in a fresh process so its peak memory is its own.

``python -m bench.report_export_child <contender> <database url> <endpoint> <bucket> <workdir>``
prints one JSON line: rows written, seconds, the peak resident set (``VmHWM``: the process's
own, where ``ru_maxrss`` would carry the parent's over ``exec``) after imports and at the end,
the bytes written, and the most the XLSX spool folder held on disk.
"""

from __future__ import annotations

import csv
import importlib
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

FLOOR, CSV, XLSX = "floor", "csv", "xlsx"
# the events report's columns, written out: the floor imports nothing of Tripline's
COLUMNS = ("source", "event_id", "type", "occurred_at", "received_at", "upload_id", "line", "data")
SELECT = f"SELECT {', '.join(COLUMNS)} FROM events ORDER BY occurred_at, id"
TRIPLINE = (
    "pymysql",
    "sqlalchemy",
    "boto3",
    "chalicelib.adapters.aws.report_files",
    "chalicelib.adapters.db.report_pages",
    "chalicelib.adapters.db.report_store",
    "chalicelib.services.reports",
)
PRELOAD = {
    FLOOR: ("pymysql", "sqlalchemy"),
    CSV: TRIPLINE,
    XLSX: (*TRIPLINE, "xlsxwriter"),
}


def peak_kib() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def floor(url: str, workdir: Path) -> tuple[int, int]:
    """A plain ``SELECT`` on PyMySQL's unbuffered cursor, ``csv.writer`` to a local file."""
    import pymysql
    from pymysql.cursors import SSCursor
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    conn = pymysql.connect(
        host=parsed.host,
        port=parsed.port or 3306,
        user=parsed.username,
        password=parsed.password or "",
        database=parsed.database,
        charset="utf8mb4",
        cursorclass=SSCursor,
    )
    path = workdir / "floor.csv"
    rows = 0
    with conn, conn.cursor() as cursor, path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        cursor.execute(SELECT)
        for row in cursor:
            writer.writerow(row)
            rows += 1
    return rows, path.stat().st_size


RANGE = ("2026-01-01T00:00:00+00:00", "2027-01-01T00:00:00+00:00")  # every bench event


def report_key(fmt: str) -> str:
    """Where the reports function writes the contender's file."""
    from chalicelib.domain.reports import Report
    from chalicelib.topology import REPORTS_PREFIX

    return Report(
        id=f"bench-{fmt}",
        kind="events",
        format=fmt,
        params={"since": RANGE[0], "until": RANGE[1]},
        sources=None,
        status="queued",
        requested_by="bench",
        created_at=_now(),
        updated_at=_now(),
    ).key(REPORTS_PREFIX)


def tripline(fmt: str, url: str, endpoint: str, bucket: str, workdir: Path) -> tuple[int, int]:
    """What the reports function does with one queued report: take it, count its rows, read
    them in keyset pages, write them through the multipart sink into S3 (moto), record its
    progress and completion: ``services.reports.generate_reports`` with the shipped adapters."""
    from bench.local_aws import aws_client
    from chalicelib.adapters.aws.report_files import S3ReportFiles
    from chalicelib.adapters.db.engine import make_engine
    from chalicelib.adapters.db.report_pages import SqlReportRows
    from chalicelib.adapters.db.report_store import SqlReportStore
    from chalicelib.bootstrap import SystemClock
    from chalicelib.domain.json_values import parse_timestamp
    from chalicelib.domain.messages import QueueMessage
    from chalicelib.domain.reports import ReportRequest, new_report
    from chalicelib.services.reports import ReportSettings, generate_reports
    from chalicelib.topology import REPORTS_PREFIX

    engine = make_engine(url)
    since, until = (parse_timestamp(one) for one in RANGE)
    request = ReportRequest("events", fmt, since, until, None)  # type: ignore[arg-type]
    store = SqlReportStore(engine)
    store.add(new_report(f"bench-{fmt}", request, requested_by="bench", now=_now()))
    files = S3ReportFiles(aws_client("s3", endpoint), bucket, tmpdir=str(workdir / "spool"))
    message = QueueMessage("bench", json.dumps({"report_id": f"bench-{fmt}"}))
    outcome = generate_reports(
        [message],
        reports=store,
        rows=SqlReportRows(engine),
        files=files,
        clock=SystemClock(),
        settings=ReportSettings(REPORTS_PREFIX, max_days=366, link_seconds=3600),
    )
    done = store.get(f"bench-{fmt}")
    engine.dispose()
    if outcome.failed_message_ids or done is None or done.status != "complete":
        raise SystemExit(f"the {fmt} report did not complete: {done}")
    return done.rows_written, done.size_bytes or 0


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


class SpoolWatch(threading.Thread):
    """The most bytes the XLSX spool folder held, sampled every 0.2 s."""

    def __init__(self, folder: Path) -> None:
        super().__init__(daemon=True)
        self.folder, self.peak, self.done = folder, 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.2):
            total = 0
            for place, _, names in os.walk(self.folder):
                for name in names:
                    try:
                        total += os.stat(os.path.join(place, name)).st_size
                    except OSError:
                        continue  # removed while counted
            self.peak = max(self.peak, total)


def main(contender: str, url: str, endpoint: str, bucket: str, workdir: Path) -> None:
    # imports are paid before the clock and the first peak is read, as on Lambda before a call
    for module in PRELOAD[contender]:
        importlib.import_module(module)
    (workdir / "spool").mkdir(exist_ok=True)
    watch = SpoolWatch(workdir / "spool")
    watch.start()
    before = peak_kib()
    started = time.perf_counter()
    if contender == FLOOR:
        rows, size = floor(url, workdir)
    else:
        rows, size = tripline(contender, url, endpoint, bucket, workdir)
    seconds = time.perf_counter() - started
    watch.done.set()
    watch.join()
    print(
        json.dumps(
            {
                "contender": contender,
                "rows": rows,
                "seconds": seconds,
                "bytes": size,
                "before_kib": before,
                "peak_kib": peak_kib(),
                "spool_bytes": watch.peak,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], Path(sys.argv[5]))
