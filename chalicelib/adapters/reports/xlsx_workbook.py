"""Tables as an XLSX workbook, written in constant memory: one sheet per table, rolled over to
``<name> (2)``, ``<name> (3)``… when a table outgrows a sheet.

xlsxwriter's ``constant_memory`` mode keeps one row in memory and spools every sheet's XML to a
folder on disk; on Lambda only ``/tmp`` is writable, so that folder is a fresh one under
``tmpdir`` (``/tmp`` by default), removed when the workbook is closed or abandoned, whatever
happens. At close, xlsxwriter assembles each sheet's XML in that folder and zips it into ``out``
(any writable binary file; it need not seek, so a multipart upload can take it directly). Disk
needed: about twice the uncompressed XML of the largest sheet; measured, 875 MiB for 1 M rows of
the eight event columns (``bench/README.md``), so the function's ephemeral storage must be set
above Lambda's default 512 MiB (2 GiB leaves room for a sheet of Excel's full 1,048,575 rows).

Cells keep their types: numbers are numbers, datetimes are Excel datetimes in UTC (Excel has no
time zones; the wall time is UTC's), booleans are booleans. Text is always written as text, never
read as a formula, number or link; and it also goes through ``spreadsheet_safe``, as the CSV does,
so the same report holds the same text in both formats and a sheet saved again as CSV from Excel or
LibreOffice stays safe to open elsewhere (the price: a leading apostrophe is visible in such
cells). Excel holds at most 32,767 characters a cell; longer text is cut and ends with ``…``.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from types import TracebackType
from typing import IO, TYPE_CHECKING, cast

from chalicelib.adapters.reports.sink import BinarySink
from chalicelib.domain.reports import Cell
from chalicelib.domain.uploads import spreadsheet_safe

if TYPE_CHECKING:
    from xlsxwriter.worksheet import Worksheet

SHEET_DATA_ROWS = 1_048_575  # Excel's 1,048,576 rows, less the header
SHEET_NAME_CHARS = 31
CELL_CHARS = 32_767
PROGRESS_EVERY = 10_000
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
DATETIME_WIDTH = 20
NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")


class XlsxWorkbook:
    """``add_table`` as many times as there are sheets to write, then ``close`` (or use it as a
    context manager, which closes only when the block succeeded: a failed workbook is abandoned,
    and ``out`` never receives a half-written file from it)."""

    def __init__(
        self,
        out: BinarySink,
        *,
        tmpdir: str | None = None,
        rows_per_sheet: int = SHEET_DATA_ROWS,
        progress_every: int = PROGRESS_EVERY,
    ) -> None:
        import xlsxwriter

        if not 1 <= rows_per_sheet <= SHEET_DATA_ROWS:
            raise ValueError(f"rows_per_sheet must be 1 to {SHEET_DATA_ROWS}")
        self._folder = tempfile.mkdtemp(prefix="tripline-xlsx-", dir=tmpdir)
        self._book = xlsxwriter.Workbook(
            cast(IO[bytes], out),  # zipfile asks only write and flush of it (and tell, if any)
            {
                "constant_memory": True,
                "tmpdir": self._folder,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "nan_inf_to_errors": True,
                "use_zip64": True,
            },
        )
        self._header = self._book.add_format({"bold": True})
        self._datetime = self._book.add_format({"num_format": DATETIME_FORMAT})
        self._rows_per_sheet = rows_per_sheet
        self._progress_every = progress_every
        self._names: set[str] = set()
        self._wide: set[int] = set()  # the current sheet's columns widened for datetimes

    def add_table(
        self,
        name: str,
        columns: Sequence[str],
        rows: Iterable[Sequence[Cell]],
        *,
        on_progress: Callable[[int], None] | None = None,
    ) -> int:
        """The rows written, across as many sheets as they need (at least one, with its header);
        ``on_progress(rows so far)`` every ``progress_every`` rows and at the end."""
        sheets = 1
        sheet = self._new_sheet(name, sheets, columns)
        row_in_sheet = written = 0
        for row in rows:
            if row_in_sheet == self._rows_per_sheet:
                sheets += 1
                sheet, row_in_sheet = self._new_sheet(name, sheets, columns), 0
            row_in_sheet += 1
            self._write_row(sheet, row_in_sheet, row)
            written += 1
            if on_progress is not None and written % self._progress_every == 0:
                on_progress(written)
        if on_progress is not None:
            on_progress(written)
        return written

    def close(self) -> None:
        """Zips the sheets into ``out``, then removes the spool folder."""
        try:
            self._book.close()
        finally:
            self.discard()

    def discard(self) -> None:
        """Removes the spool folder without writing anything to ``out``."""
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> XlsxWorkbook:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
        else:
            self.discard()

    def _new_sheet(self, name: str, number: int, columns: Sequence[str]) -> Worksheet:
        sheet = self._book.add_worksheet(self._sheet_name(name, number))
        self._wide = set()
        for index, column in enumerate(columns):
            sheet.set_column(index, index, min(max(len(column) + 2, 12), 50))
            sheet.write_string(0, index, spreadsheet_safe(column), self._header)
        sheet.freeze_panes(1, 0)
        return sheet

    def _sheet_name(self, name: str, number: int) -> str:
        """Excel's rules: 31 characters, none of ``[]:*?/\\``, unique ignoring case."""
        base = NOT_IN_SHEET_NAMES.sub("_", name).strip("'") or "Sheet"
        while True:
            suffix = f" ({number})" if number > 1 else ""
            chosen = base[: SHEET_NAME_CHARS - len(suffix)] + suffix
            if chosen.casefold() not in self._names:
                self._names.add(chosen.casefold())
                return chosen
            number += 1

    def _write_row(self, sheet: Worksheet, row: int, cells: Sequence[Cell]) -> None:
        for column, cell in enumerate(cells):
            if type(cell) is str:
                sheet.write_string(row, column, _text(cell))
            elif cell is None:
                continue
            elif isinstance(cell, bool):
                sheet.write_boolean(row, column, cell)
            elif isinstance(cell, int | float | Decimal):
                _write_number(sheet, row, column, cell)
            elif isinstance(cell, datetime):
                self._write_datetime(sheet, row, column, cell)
            else:
                sheet.write_string(row, column, _text(str(cell)))

    def _write_datetime(self, sheet: Worksheet, row: int, column: int, moment: datetime) -> None:
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        sheet.write_datetime(row, column, moment, self._datetime)
        if column not in self._wide:  # a datetime shows as #### in a narrower column
            self._wide.add(column)
            sheet.set_column(column, column, DATETIME_WIDTH)


def _write_number(sheet: Worksheet, row: int, column: int, number: float | Decimal) -> None:
    """Excel numbers are doubles: a ``Decimal`` loses digits there as it would typed in by hand,
    but an integer beyond 2**53 is an id, not a quantity, and stays exact as text; infinities and
    NaN become ``#NUM!``."""
    exact = isinstance(number, int) and abs(number) > 2**53
    if exact or (isinstance(number, Decimal) and not number.is_finite()):
        sheet.write_string(row, column, str(number))
    else:
        sheet.write_number(row, column, float(number))


def _text(cell: str) -> str:
    safe = spreadsheet_safe(cell)
    return safe if len(safe) <= CELL_CHARS else safe[: CELL_CHARS - 1] + "…"
