"""The two files written next to a finished upload: ``rejects.csv`` and ``report.json``.

``rejects.csv`` is the rejected rows as the file had them, plus where and why, so an operator can
open it in a spreadsheet, fix the cells and upload the fixed rows again. Spreadsheets run a cell
that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (CSV injection), so such cells are
written with a leading apostrophe unless they are plain numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.domain.errors import Detail

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")
REPORT_COLUMNS = ("line", "column", "error")
FIRST_ERRORS = 100


def spreadsheet_safe(cell: str) -> str:
    """A cell a spreadsheet shows as text, never runs; numbers such as ``-12.5`` stay as they are."""
    if cell.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


@dataclass(frozen=True)
class RejectedRow:
    line: int
    cells: Sequence[str]
    errors: Sequence[Detail]


def rejects_csv(
    header: Sequence[str], rows: Iterable[RejectedRow], delimiter: str = ","
) -> Iterator[str]:
    """The lines of ``rejects.csv``: the header and each rejected row, with line, column, error.

    A row with several problems stays one row (so the file can be fixed and uploaded again); its
    columns and errors are joined with ``"; "``. The report columns always sit under their
    headers: a short row is padded, and a long row's surplus cells follow the error, kept for the
    operator to see. Yielded as text pieces for streaming.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    columns = [*header, *_report_columns(header)]
    writer.writerow([spreadsheet_safe(cell) for cell in columns])
    width = len(header)
    for row in rows:
        cells = [spreadsheet_safe(cell) for cell in row.cells]
        cells += [""] * (width - len(cells))
        where = "; ".join(str(detail.column) for detail in row.errors if detail.column is not None)
        why = "; ".join(_error_text(detail) for detail in row.errors)
        writer.writerow(
            [
                *cells[:width],
                str(row.line),
                spreadsheet_safe(where),
                spreadsheet_safe(why),
                *cells[width:],
            ]
        )
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _report_columns(header: Sequence[str]) -> list[str]:
    """``line``, ``column``, ``error``; prefixed when the file has a column of the same name."""
    taken = {cell.strip().casefold() for cell in header}
    return [name if name not in taken else f"tripline_{name}" for name in REPORT_COLUMNS]


def _error_text(detail: Detail) -> str:
    if detail.value is None:
        return detail.message
    return f"{detail.message} (got {str(detail.value)[:80]!r})"


@dataclass
class UploadReport:
    """``report.json``: counts, timings and the first errors of one upload."""

    upload_id: str
    source: str
    filename: str
    key: str
    status: str
    reason: str | None
    rows: dict[str, int]
    chunks: int
    timings: dict[str, datetime | None]
    first_errors: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    reports: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        landed, done = self.timings.get("landed_at"), self.timings.get("completed_at")
        seconds = (done - landed).total_seconds() if landed and done else None
        rate = round(self.rows.get("seen", 0) / seconds, 1) if seconds else None
        return {
            "upload_id": self.upload_id,
            "source": self.source,
            "filename": self.filename,
            "key": self.key,
            "status": self.status,
            "reason": self.reason,
            "rows": self.rows,
            "chunks": self.chunks,
            "timings": {
                name: stamp.isoformat() if stamp else None for name, stamp in self.timings.items()
            }
            | {"seconds_from_landing": seconds, "rows_per_second": rate},
            "first_errors": self.first_errors,
            "problems": self.problems,
            "reports": self.reports,
        }


def first_errors(rows: Iterable[RejectedRow], limit: int = FIRST_ERRORS) -> list[dict[str, Any]]:
    """Up to ``limit`` problems, in line order, each with its line."""
    found: list[dict[str, Any]] = []
    for row in rows:
        for detail in row.errors:
            found.append(
                {"line": row.line} | {k: v for k, v in detail.as_dict().items() if k != "line"}
            )
            if len(found) >= limit:
                return found
    return found
