"""A table as CSV, written row by row to any binary sink: memory stays one buffer wide.

Decisions, each for the reader of the file:

- **UTF-8 with a byte-order mark.** Reports are opened by people in Excel, which reads a CSV
  without a BOM in the machine's legacy code page (``Zürich`` becomes ``ZÃ¼rich``); with the
  BOM it reads UTF-8. Machines lose little: Python's ``utf-8-sig``, pandas, R and most loaders
  skip it. ``bom=False`` writes plain UTF-8 for a consumer that does not.
- **RFC 4180**: comma, ``\\r\\n``, quotes only where needed, a header row first.
- **Text cells through ``spreadsheet_safe``** (as ``rejects.csv``): a cell that starts like a
  formula gets a leading apostrophe, so no spreadsheet runs data an integrator sent.
- **Datetimes in ISO 8601** with their offset; ``True``/``False`` as ``true``/``false``; a
  ``Decimal`` as written (never in exponent form); ``None`` as an empty cell.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from chalicelib.adapters.reports.sink import BinarySink
from chalicelib.domain.reports import Cell
from chalicelib.domain.uploads import spreadsheet_safe

FLUSH_CHARS = 256 * 1024
PROGRESS_EVERY = 10_000
BOM = "\ufeff"


def write_csv(
    columns: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    out: BinarySink,
    *,
    bom: bool = True,
    on_progress: Callable[[int], None] | None = None,
    progress_every: int = PROGRESS_EVERY,
) -> int:
    """The rows written; ``on_progress(rows so far)`` every ``progress_every`` rows and at the end.

    ``out`` is written to, never closed: the caller decides whether the file is complete.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if bom:
        buffer.write(BOM)
    writer.writerow([spreadsheet_safe(name) for name in columns])
    written = 0
    for row in rows:
        writer.writerow([_text(cell) for cell in row])
        written += 1
        if buffer.tell() >= FLUSH_CHARS:
            _drain(buffer, out)
        if on_progress is not None and written % progress_every == 0:
            on_progress(written)
    _drain(buffer, out)
    if on_progress is not None:
        on_progress(written)
    return written


def _text(cell: Cell) -> str:
    """A cell as CSV text; ``str`` first, since most cells are."""
    if type(cell) is str:
        return spreadsheet_safe(cell)
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, datetime):
        return cell.isoformat()
    if isinstance(cell, Decimal):
        return format(cell, "f")
    if isinstance(cell, int | float):
        return repr(cell)
    return spreadsheet_safe(str(cell))


def _drain(buffer: io.StringIO, out: BinarySink) -> None:
    out.write(buffer.getvalue().encode("utf-8"))
    buffer.seek(0)
    buffer.truncate()
