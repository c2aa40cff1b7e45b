"""Microseconds of Python per CSV row before its write: the careful reader against the generated one.

Run from the repository root: ``.venv/bin/python -m bench.row_conform --help``. A shop export
(``bench/shop_export.py``, read through ``rules/sources/shop.yaml``) is split into records once,
as a processor splits its chunk (``read_records``); then the same records, chunk by chunk with a
reader built per chunk as ``process_rows`` builds it, go in alternating turns through

- ``careful``: ``CarefulReader.row`` for every row, which is ``RowReader.read`` before the
  generated converter, and still the path of every row the converter declines;
- ``generated``: ``RowReader.read``, the source's generated converter with the careful path
  behind it.

Only the conversion is timed: not the CSV parsing, not enrichment, not the write. Before timing,
both must give the same events (compared by ``repr``: values, their types, the order of ``data``)
with no rejection, the converter must have accepted every row itself, and on a copy with every
50th row spoiled both must give the same events and the same rejections; otherwise the bench
exits 1.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench.shop_export import write_file
from chalicelib.adapters.rule_files.sources import load_sources
from chalicelib.domain.events import FUTURE_TOLERANCE, Event, Limits
from chalicelib.domain.sources import HeaderMatch, SourceDefinition, match_header
from chalicelib.domain.uploads import CsvFormat, RowRejection, read_records
from chalicelib.domain.uploads.csv_scan import Record
from chalicelib.domain.uploads.row_code import row_converter
from chalicelib.domain.uploads.rows import CarefulReader, ReadRows, RowReader

ROOT = Path(__file__).resolve().parents[1]
RECEIVED = datetime(2026, 12, 1, tzinfo=UTC)  # after every order of the export, as an upload is
MAX_ROW_BYTES = Limits().max_event_bytes  # what the processors are given
SIDES = ("careful", "generated")
Read = Callable[[Sequence[Record]], ReadRows]


class Shop:
    """The shop source, a header as the export writes it, and the export's records."""

    def __init__(self, rows: int) -> None:
        definition = load_sources(ROOT / "rules").get("shop")
        assert definition is not None, "rules/sources/shop.yaml is missing"
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "shop.csv"
            self.size = write_file(path, rows)
            data = path.read_bytes()
        head, _, body = data.partition(b"\n")
        self.definition: SourceDefinition = definition
        self.header = head.decode().split(",")
        match = match_header(definition, self.header)
        assert isinstance(match, HeaderMatch), match
        self.match = match
        fmt = CsvFormat(definition.delimiter, definition.encoding)
        self.records, clean = read_records(body, 2, fmt)
        assert clean

    def careful(self, records: Sequence[Record]) -> ReadRows:
        """``RowReader.read`` as it was: every row through the careful path."""
        reader = CarefulReader(
            self.definition, self.match, len(self.header), RECEIVED, MAX_ROW_BYTES
        )
        events: list[tuple[int, Event]] = []
        rejections: list[RowRejection] = []
        for record in records:
            outcome = reader.row(record, True)
            if isinstance(outcome, RowRejection):
                rejections.append(outcome)
            else:
                events.append((record.line, outcome))
        return ReadRows(events, rejections)

    def generated(self, records: Sequence[Record]) -> ReadRows:
        reader = RowReader(self.definition, self.match, len(self.header), RECEIVED, MAX_ROW_BYTES)
        return reader.read(records, True)

    def accepted_by_the_converter(self) -> int:
        factory = row_converter(self.definition, self.match, len(self.header), MAX_ROW_BYTES)
        convert = factory(RECEIVED, RECEIVED + FUTURE_TOLERANCE)
        return sum(convert(record.cells) is not None for record in self.records)


def spoiled(records: Sequence[Record]) -> list[Record]:
    """Every 50th row made bad in turn: a bad price, an empty id, a cell missing, a bad time."""
    spoils: list[Callable[[list[str]], list[str]]] = [
        lambda cells: [*cells[:5], "12,50", *cells[6:]],
        lambda cells: ["", *cells[1:]],
        lambda cells: cells[:-1],
        lambda cells: [cells[0], "2026-11-31T08:00:00Z", *cells[2:]],
    ]
    return [
        Record(
            record.line,
            spoils[(number // 50) % 4](record.cells) if number % 50 == 49 else record.cells,
        )
        for number, record in enumerate(records)
    ]


def check(shop: Shop) -> list[str]:
    """Why the figures would be a lie, if they would: the sides must read alike."""
    problems = []
    careful, generated = shop.careful(shop.records), shop.generated(shop.records)
    if careful.rejections or generated.rejections:
        problems.append("the export has rejected rows; shop.yaml and shop_export.py disagree")
    if len(careful.events) != len(shop.records) or repr(careful) != repr(generated):
        problems.append("the generated reader's events differ from the careful reader's")
    accepted = shop.accepted_by_the_converter()
    if accepted != len(shop.records):
        problems.append(f"the converter accepted {accepted} of {len(shop.records)} rows itself")
    bad = spoiled(shop.records)
    careful_bad = shop.careful(bad)
    if len(careful_bad.rejections) != len(shop.records) // 50:
        problems.append("the spoiled rows were not all rejected")
    if repr(careful_bad) != repr(shop.generated(bad)):
        problems.append("on spoiled rows the readers' events or rejections differ")
    return problems


def timed(read: Read, chunks: Sequence[Sequence[Record]]) -> float:
    started = time.perf_counter()
    for chunk in chunks:
        read(chunk)
    return time.perf_counter() - started


def measure(shop: Shop, chunk_rows: int, repeat: int) -> dict[str, list[float]]:
    """µs per row of each side, ``repeat`` times, the side that goes first alternating."""
    records = shop.records
    chunks = [records[start : start + chunk_rows] for start in range(0, len(records), chunk_rows)]
    sides: dict[str, Read] = {"careful": shop.careful, "generated": shop.generated}
    figures: dict[str, list[float]] = {side: [] for side in SIDES}
    for trial in range(repeat):
        for side in SIDES if trial % 2 == 0 else reversed(SIDES):
            figures[side].append(timed(sides[side], chunks) / len(records) * 1e6)
    return figures


def compile_ms(shop: Shop) -> float:
    row_converter.cache_clear()
    started = time.perf_counter()
    row_converter(shop.definition, shop.match, len(shop.header), MAX_ROW_BYTES)
    return (time.perf_counter() - started) * 1000


def spread(values: Sequence[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.median(values):.2f} ({min(values):.2f} to {max(values):.2f})"


def report(shop: Shop, figures: dict[str, list[float]], args: argparse.Namespace) -> None:
    rows = len(shop.records)
    print(
        f"shop export: {rows:,} rows ({shop.size / 1e6:.1f} MB), chunks of {args.chunk_rows:,} "
        f"rows, a reader per chunk; Python {platform.python_version()}, {os.cpu_count()} CPUs; "
        f"{args.repeat} trials, order alternating, medians (range)"
    )
    careful = figures["careful"]
    ratios = [ours / theirs for ours, theirs in zip(figures["generated"], careful, strict=True)]
    labels = {
        "careful": "careful: `CarefulReader.row` per row (the reader before)",
        "generated": "generated: `RowReader.read` (converter, careful path behind)",
    }
    print("\n| reader | µs per row | rows/s | ratio to careful |\n|---|---|---|---|")
    for side in SIDES:
        ratio = "1.00" if side == "careful" else f"**{spread(ratios)}**"
        rate = 1e6 / statistics.median(figures[side])
        print(f"| {labels[side]} | {spread(figures[side])} | {rate / 1000:.0f} k | {ratio} |")
    print(f"\ncompiling the shop converter: {compile_ms(shop):.2f} ms, once per container")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.row_conform", description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000, help="rows of the shop export")
    parser.add_argument("--chunk-rows", type=int, default=15_000, help="rows per chunk (~1 MiB)")
    parser.add_argument("--repeat", type=int, default=5, help="timed trials of each side")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    shop = Shop(args.rows)
    problems = check(shop)
    if problems:
        print("\n".join(f"check failed: {problem}" for problem in problems), file=sys.stderr)
        return 1
    gc.collect()
    gc.freeze()  # the records live to the end: collections during timing need not walk them
    report(shop, measure(shop, args.chunk_rows, args.repeat), args)
    print(
        f"\nchecked: both readers gave the same {len(shop.records):,} events (values, types, "
        "data order) and no rejection, the converter accepted every row itself, and with every "
        "50th row spoiled both gave the same events and rejections"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
