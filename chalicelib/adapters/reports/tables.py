"""One table to a file in either format: the call a report of one kind makes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Literal

from chalicelib.adapters.reports.csv_table import write_csv
from chalicelib.adapters.reports.sink import BinarySink
from chalicelib.adapters.reports.xlsx_workbook import SHEET_DATA_ROWS, XlsxWorkbook
from chalicelib.domain.reports import Cell

Format = Literal["csv", "xlsx"]


def write_table(
    columns: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    fmt: Format,
    out: BinarySink,
    *,
    on_progress: Callable[[int], None] | None = None,
    sheet_name: str = "Report",
    rows_per_sheet: int = SHEET_DATA_ROWS,
    tmpdir: str | None = None,
) -> int:
    """The rows written to ``out`` as a whole file (never closed here: the caller's sink decides
    whether it is complete). ``sheet_name``, ``rows_per_sheet`` and ``tmpdir`` are XLSX's."""
    if fmt == "csv":
        return write_csv(columns, rows, out, on_progress=on_progress)
    if fmt == "xlsx":
        with XlsxWorkbook(out, tmpdir=tmpdir, rows_per_sheet=rows_per_sheet) as book:
            return book.add_table(sheet_name, columns, rows, on_progress=on_progress)
    raise ValueError(f"unknown report format {fmt!r}; expected csv or xlsx")
