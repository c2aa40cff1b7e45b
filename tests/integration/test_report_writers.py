"""Report files as their readers see them: XLSX read back with openpyxl, CSV with ``csv``."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from chalicelib.adapters.reports import XlsxWorkbook, write_csv, write_table
from chalicelib.domain.reports import Cell

COLUMNS = ("name", "count", "ratio", "ok", "at", "amount", "note")
AT = datetime(2026, 12, 7, 9, 30, 15, tzinfo=UTC)


def a_row(**overrides: Cell) -> tuple[Cell, ...]:
    values: dict[str, Cell] = {
        "name": "Zürich ☃ 東京",
        "count": 42,
        "ratio": 0.25,
        "ok": True,
        "at": AT,
        "amount": Decimal("12.50"),
        "note": None,
    }
    values.update(overrides)
    return tuple(values[name] for name in COLUMNS)


def xlsx_of(rows: Sequence[Sequence[Cell]], **options: Any) -> bytes:
    out = io.BytesIO()
    write_table(COLUMNS, rows, "xlsx", out, **options)
    return out.getvalue()


def sheets(data: bytes) -> dict[str, list[tuple[Any, ...]]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def csv_of(rows: Sequence[Sequence[Cell]]) -> str:
    out = io.BytesIO()
    write_table(COLUMNS, rows, "csv", out)
    return out.getvalue().decode("utf-8")


def test_xlsx_keeps_each_cells_type() -> None:
    # GIVEN a row of every kind of cell
    row = a_row()
    # WHEN it is written as XLSX and read back
    read = sheets(xlsx_of([row], sheet_name="Events"))
    # THEN the header comes first, and numbers, booleans and datetimes keep their types
    assert read == {
        "Events": [
            COLUMNS,
            ("Zürich ☃ 東京", 42, 0.25, True, AT.replace(tzinfo=None), 12.5, None),
        ]
    }


def test_xlsx_header_is_bold_and_frozen_and_datetimes_have_a_format() -> None:
    # GIVEN a written report
    book = openpyxl.load_workbook(io.BytesIO(xlsx_of([a_row()])))
    sheet = book.worksheets[0]
    # THEN the header row stays in view and stands out, and a datetime shows as one
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1])
    assert sheet["E2"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert sheet["E2"].is_date


def test_xlsx_writes_other_zones_in_utc() -> None:
    # GIVEN a time in UTC+02:00
    local = datetime(2026, 12, 7, 11, 30, 15, tzinfo=timezone(timedelta(hours=2)))
    # WHEN written
    read = sheets(xlsx_of([a_row(at=local)]))
    # THEN the cell holds UTC's wall time
    assert read["Report"][1][4] == datetime(2026, 12, 7, 9, 30, 15)


@pytest.mark.parametrize(
    "text", ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "=HYPERLINK(1)"]
)
def test_xlsx_text_that_looks_like_a_formula_stays_text(text: str) -> None:
    # GIVEN text an integrator sent that a spreadsheet would run
    # WHEN it is written as XLSX
    data = xlsx_of([a_row(name=text)])
    # THEN the cell is a string, escaped as the CSV escapes it, and no formula is in the file
    cell = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]["A2"]
    assert cell.data_type == "s"
    assert cell.value == "'" + text


def test_xlsx_strings_are_never_numbers_or_links() -> None:
    # GIVEN text that looks like a number and a link
    read = sheets(xlsx_of([a_row(name="007", note="https://example.test/x")]))
    # THEN both are written as the text they were
    assert read["Report"][1][0] == "007"
    assert read["Report"][1][6] == "https://example.test/x"


def test_xlsx_numbers_excel_cannot_hold_stay_exact_as_text() -> None:
    # GIVEN an id beyond a double's precision and a Decimal that is not a number
    read = sheets(xlsx_of([a_row(count=2**60, amount=Decimal("NaN"))]))
    # THEN both are kept as text
    assert read["Report"][1][1] == str(2**60)
    assert read["Report"][1][5] == "NaN"


def test_xlsx_cuts_text_longer_than_a_cell_holds_and_says_so() -> None:
    # GIVEN text longer than Excel's 32,767 characters a cell
    read = sheets(xlsx_of([a_row(note="x" * 40_000)]))
    # THEN the cell holds the most it can, ending with an ellipsis
    note = read["Report"][1][6]
    assert len(note) == 32_767 and note.endswith("…")


def test_a_table_longer_than_a_sheet_continues_on_the_next() -> None:
    # GIVEN 7 rows and sheets of 3 rows
    rows = [a_row(count=number) for number in range(7)]
    progress: list[int] = []
    # WHEN written
    out = io.BytesIO()
    written = write_table(
        COLUMNS,
        rows,
        "xlsx",
        out,
        sheet_name="Events",
        rows_per_sheet=3,
        on_progress=progress.append,
    )
    read = sheets(out.getvalue())
    # THEN each sheet has its header and the rows follow on in order
    assert written == 7 and progress[-1] == 7
    assert list(read) == ["Events", "Events (2)", "Events (3)"]
    assert all(table[0] == COLUMNS for table in read.values())
    assert [row[1] for table in read.values() for row in table[1:]] == list(range(7))


def test_an_empty_table_is_a_sheet_with_its_header() -> None:
    assert sheets(xlsx_of([])) == {"Report": [COLUMNS]}


def test_a_workbook_holds_one_sheet_per_table_with_names_excel_accepts(tmp_path: Path) -> None:
    # GIVEN the digest's tables, one with characters Excel refuses in sheet names
    out = io.BytesIO()
    # WHEN each is added to one workbook
    with XlsxWorkbook(out, tmpdir=str(tmp_path), rows_per_sheet=2) as book:
        book.add_table("sources", ("source",), [("shop",), ("pos",), ("web",)])
        book.add_table("uploads/rejects: [week]", ("upload",), [("u1",)])
        book.add_table("a very long name for a sheet that Excel cuts", ("n",), [(1,), (2,), (3,)])
    # THEN each is a sheet of its own, named as Excel allows, and the spool folder is gone
    assert list(sheets(out.getvalue())) == [
        "sources",
        "sources (2)",
        "uploads_rejects_ _week_",
        "a very long name for a sheet th",
        "a very long name for a shee (2)",
    ]
    assert list(tmp_path.iterdir()) == []


def test_a_workbook_that_fails_writes_nothing_and_leaves_no_spool(tmp_path: Path) -> None:
    # GIVEN rows that break off half-way
    def rows() -> Any:
        yield a_row()
        raise RuntimeError("the database went away")

    out = io.BytesIO()
    # WHEN the workbook is written from them
    with pytest.raises(RuntimeError), XlsxWorkbook(out, tmpdir=str(tmp_path)) as book:
        book.add_table("Report", COLUMNS, rows())
    # THEN nothing reached the file and nothing is left on disk
    assert out.getvalue() == b""
    assert list(tmp_path.iterdir()) == []


def test_csv_has_a_bom_a_header_and_every_kind_of_cell() -> None:
    # GIVEN a row of every kind of cell
    text = csv_of([a_row()])
    # THEN Excel reads it as UTF-8, and each cell is written as a machine reads it back
    assert text.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(text.removeprefix("\ufeff")))) == [
        list(COLUMNS),
        ["Zürich ☃ 東京", "42", "0.25", "true", "2026-12-07T09:30:15+00:00", "12.50", ""],
    ]
    assert "\r\n" in text


@pytest.mark.parametrize("text", ["=1+1", "+cmd", "@SUM(A1)", "\tx", "-x"])
def test_csv_escapes_text_a_spreadsheet_would_run(text: str) -> None:
    rows = list(csv.reader(io.StringIO(csv_of([a_row(name=text)]).removeprefix("\ufeff"))))
    assert rows[1][0] == "'" + text


def test_csv_leaves_plain_negative_numbers_and_quotes_as_they_are() -> None:
    # GIVEN text that is a negative number, and text with a quote, comma and line break
    rows = list(
        csv.reader(
            io.StringIO(csv_of([a_row(name="-12.5", note='a "b", c\nd')]).removeprefix("\ufeff"))
        )
    )
    # THEN both read back exactly
    assert rows[1][0] == "-12.5" and rows[1][6] == 'a "b", c\nd'


def test_csv_reports_progress_and_counts_rows() -> None:
    # GIVEN 25 rows
    out, progress = io.BytesIO(), list[int]()
    # WHEN written with progress every 10 rows
    written = write_csv(
        COLUMNS, [a_row()] * 25, out, on_progress=progress.append, progress_every=10
    )
    # THEN progress came at 10, 20 and the end
    assert written == 25 and progress == [10, 20, 25]


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="csv or xlsx"):
        write_table(COLUMNS, [], "pdf", io.BytesIO())  # type: ignore[arg-type]
