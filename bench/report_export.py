"""Issue 17's streaming export: rows per second and peak memory of a 1 M-event report.

Run from the repository root: ``.venv/bin/python -m bench.report_export --help``.

One ``events`` table (Tripline's migrations, in a scratch MariaDB database of this run) is filled
with ``--rows`` events by one ``INSERT … SELECT`` from MariaDB's sequence engine, then exported
three times, each contender in a fresh child process (``bench.report_export_child``) that reports
its own peak resident set (``VmHWM``):

- **floor**: a plain ``SELECT`` of the same columns in the same order on PyMySQL's unbuffered
  ``SSCursor``, ``csv.writer`` to a local file: what streaming costs with nothing else to do;
- **CSV** and **XLSX**: what the reports function does with a queued report of every event
  (``services.reports.generate_reports`` with the shipped adapters): take it, count its rows, read
  them in keyset pages (``report_pages``), make them cells, write them through the multipart
  sink (8 MiB parts) into moto's S3, run as its own server process so the object's bytes are not
  counted against the contender, recording progress as it goes; for XLSX the most bytes the
  xlsxwriter spool folder held on disk are reported too (what Lambda's ``/tmp`` must hold).

Checks: every contender wrote every row; each object is complete in S3 with the size written;
each CSV object has a line per event plus its header; the workbook's sheet spans every row; each
Tripline contender's peak RSS is at most 256 MiB. The run exits non-zero otherwise.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bench.databases import BenchmarkError, fresh_database
from bench.fanout_memory import _wait_for
from bench.local_aws import aws_client, free_port

ROOT = Path(__file__).resolve().parents[1]
LIMIT_MIB = 256
BUCKET = "tripline-reports-bench"
CONTENDERS = ("floor", "csv", "xlsx")
NAMES = {
    "floor": "floor: SELECT on SSCursor → csv.writer → file",
    "csv": "Tripline's reports function, CSV → S3",
    "xlsx": "Tripline's reports function, XLSX → S3",
}
# A shop-like event: a few sources, two types, an upload's row now and then, a small JSON body.
FILL = """
INSERT INTO events
  (source, event_id, type, occurred_at, received_at, processed_at, data, upload_id, line)
SELECT
  ELT(1 + seq % 4, 'shop', 'pos', 'web', 'sensors'),
  CONCAT('evt-', LPAD(seq, 9, '0')),
  IF(seq % 10 = 0, 'refund', 'order'),
  TIMESTAMP('2026-11-01') + INTERVAL (seq * 2) SECOND,
  TIMESTAMP('2026-11-01') + INTERVAL (seq * 2 + 1) SECOND,
  TIMESTAMP('2026-11-01') + INTERVAL (seq * 2 + 2) SECOND,
  CONCAT('{"amount":', seq % 5000, '.', LPAD(seq % 100, 2, '0'), ',"store":"store-', seq % 40,
         '","currency":"EUR","customer":"c', seq % 9973, '","note":"order ', seq, '"}'),
  IF(seq % 3 = 0, CONCAT('up', seq DIV 10000), NULL),
  IF(seq % 3 = 0, seq % 10000 + 2, NULL)
FROM seq_1_to_ROWS
"""


def fill(url: str, rows: int) -> float:
    """Seconds to fill ``events`` with ``rows`` events."""
    engine = create_engine(url)
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text(FILL.replace("ROWS", str(int(rows)))))
        stored = conn.execute(text("SELECT COUNT(*) FROM events")).scalar_one()
    engine.dispose()
    if stored != rows:
        raise BenchmarkError(f"filled {stored} events, wanted {rows}")
    return time.perf_counter() - started


def run_child(contender: str, url: str, endpoint: str, workdir: Path) -> dict[str, Any]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.report_export_child",
            contender,
            url,
            endpoint,
            BUCKET,
            str(workdir),
        ],
        cwd=ROOT,
        env=_aws_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BenchmarkError(f"{contender} failed: {done.stderr[-3000:]}")
    measured: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return measured


def _aws_env() -> dict[str, str]:
    import os

    return os.environ | {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_SESSION_TOKEN": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def verify(figures: dict[str, dict[str, Any]], rows: int, endpoint: str, workdir: Path) -> None:
    """Every row in every file, each object whole, and the memory limit kept."""
    problems = [
        f"{name} wrote {one['rows']:,} rows" for name, one in figures.items() if one["rows"] != rows
    ]
    from bench.report_export_child import report_key

    s3 = aws_client("s3", endpoint)
    for name in ("csv", "xlsx"):
        key = report_key(name)
        size = s3.head_object(Bucket=BUCKET, Key=key)["ContentLength"]
        if size != figures[name]["bytes"]:
            problems.append(f"{key} holds {size} bytes, {figures[name]['bytes']} were written")
        s3.download_file(BUCKET, key, str(workdir / f"{name}.{key.rpartition('.')[2]}"))
        if figures[name]["peak_kib"] > LIMIT_MIB * 1024:
            problems.append(f"{name} peaked at {figures[name]['peak_kib'] / 1024:.0f} MiB")
    with (workdir / "csv.csv").open(encoding="utf-8-sig", newline="") as exported:
        lines = sum(1 for _ in exported)
    if lines != rows + 1:
        problems.append(f"the CSV object has {lines} lines for {rows} events")
    spanned = _sheet_rows(workdir / "xlsx.xlsx")
    if spanned != rows + 1:
        problems.append(f"the workbook's sheet spans {spanned} rows for {rows} events")
    if problems:
        raise BenchmarkError("; ".join(problems))


def _sheet_rows(path: Path) -> int:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    sheets = book.worksheets
    return sum(int(sheet.max_row or 0) for sheet in sheets) - (len(sheets) - 1)


def report(figures: dict[str, dict[str, Any]], rows: int) -> None:
    floor_rate = rows / figures["floor"]["seconds"]
    print(
        "| contender | rows | seconds | rows/s | ratio to floor | peak RSS (after imports) "
        "| bytes written | spool on disk |\n|---|---|---|---|---|---|---|---|"
    )
    for name in CONTENDERS:
        one = figures[name]
        rate = one["rows"] / one["seconds"]
        spool = f"{one['spool_bytes'] / 1024**2:.0f} MiB" if name == "xlsx" else "-"
        print(
            f"| {NAMES[name]} | {one['rows']:,} | {one['seconds']:.1f} | {rate:,.0f} "
            f"| {rate / floor_rate:.2f} | {one['peak_kib'] / 1024:.0f} MiB "
            f"({one['before_kib'] / 1024:.0f} MiB) | {one['bytes'] / 1024**2:.1f} MiB | {spool} |"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    moto = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "moto_server"), "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with (
            tempfile.TemporaryDirectory(prefix="tripline-report-bench-") as folder,
            fresh_database("mysql", "reports", Path(folder)) as database,
        ):
            workdir = Path(folder)
            _wait_for(endpoint)
            aws_client("s3", endpoint).create_bucket(Bucket=BUCKET)
            seconds = fill(database.url, args.rows)
            print(f"events: {args.rows:,} rows filled in {seconds:.1f} s (MariaDB, seq engine)")
            figures = {
                name: run_child(name, database.url, endpoint, workdir) for name in CONTENDERS
            }
            report(figures, args.rows)
            verify(figures, args.rows, endpoint, workdir)
    finally:
        moto.terminate()
        moto.wait(timeout=30)
    print(
        f"checked: {args.rows:,} rows in each file, objects whole, "
        f"Tripline's peak RSS at most {LIMIT_MIB} MiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
