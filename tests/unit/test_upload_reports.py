"""rejects.csv and report.json: what an operator opens after an upload with errors."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.errors import Detail
from chalicelib.domain.uploads import RejectedRow, UploadReport, first_errors, rejects_csv
from chalicelib.domain.uploads.reports import spreadsheet_safe

LANDED = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def parsed(pieces: list[str], delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO("".join(pieces), newline=""), delimiter=delimiter))


def bad_price(line: int, cells: list[str]) -> RejectedRow:
    return RejectedRow(
        line, cells, [Detail("is not a number", line=line, column="price", value=cells[-1])]
    )


def report(**overrides: Any) -> UploadReport:
    """A report of 10 rows, completed 4 seconds after the object landed."""
    base = UploadReport(
        upload_id="u1",
        source="shop",
        filename="orders.csv",
        key="incoming/shop/orders.csv",
        status="complete",
        reason=None,
        rows={"seen": 10, "accepted": 10},
        chunks=1,
        timings={"landed_at": LANDED, "completed_at": LANDED + timedelta(seconds=4)},
    )
    return replace(base, **overrides)


# --- spreadsheet_safe ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell", ["=SUM(A1:A2)", "+1+1", "-2+3", "@cmd", "\tx", "\r=1", "=1", "-", "+"]
)
def test_cells_a_spreadsheet_would_run_are_escaped_with_an_apostrophe(cell: str) -> None:
    # GIVEN a cell starting with a formula character (a lone "-" or "+" too: it is not a
    # number, and an apostrophe costs nothing where a formula could cost a lot)
    # WHEN it is made safe
    # THEN it is shown as text
    assert spreadsheet_safe(cell) == "'" + cell


@pytest.mark.parametrize(
    "cell", ["-12.5", "+3", "-0,5", "-.5", "-1e5", "1e5", "12", "a=b", "", "order 1"]
)
def test_numbers_and_plain_text_are_left_alone(cell: str) -> None:
    # GIVEN a signed number, or a cell not starting with a formula character
    # WHEN it is made safe
    # THEN it is unchanged
    assert spreadsheet_safe(cell) == cell


# --- rejects.csv -----------------------------------------------------------------------------


def test_rejects_csv_is_the_header_and_each_row_with_line_column_and_error() -> None:
    # GIVEN a rejected row
    rows = [bad_price(3, ["A-1", "12,50"])]
    # WHEN rejects.csv is written and parsed back
    table = parsed(list(rejects_csv(["id", "price"], rows)))
    # THEN it has the file's columns plus line, column and error
    assert table == [
        ["id", "price", "line", "column", "error"],
        ["A-1", "12,50", "3", "price", "is not a number (got '12,50')"],
    ]


def test_report_columns_are_prefixed_when_the_file_has_a_column_of_that_name() -> None:
    # GIVEN a file with its own "Line" column
    # WHEN rejects.csv is written
    table = parsed(list(rejects_csv(["Line", "price"], [])))
    # THEN the report's line column is tripline_line, the others keep their names
    assert table == [["Line", "price", "tripline_line", "column", "error"]]


def test_several_problems_of_a_row_stay_one_row_joined_with_semicolons() -> None:
    # GIVEN a row with two problems
    row = RejectedRow(
        4,
        ["x", "y"],
        [
            Detail("is not an integer", column="qty", value="x"),
            Detail("is not a number", column="price", value="y"),
        ],
    )
    # WHEN rejects.csv is written
    [_, line] = parsed(list(rejects_csv(["qty", "price"], [row])))
    # THEN the columns and errors are joined with "; "
    assert line[2:] == ["4", "qty; price", "is not an integer (got 'x'); is not a number (got 'y')"]


def test_cells_holding_delimiters_quotes_and_newlines_parse_back_as_written() -> None:
    # GIVEN a rejected row whose cells hold ";", quotes and a newline, in a ";" file
    cells = ["a;b", 'say "hi"', "two\nlines"]
    row = RejectedRow(2, cells, [Detail("is too long", column="note")])
    # WHEN rejects.csv is written with ";" and parsed back
    table = parsed(list(rejects_csv(["id", "quote", "note"], [row], delimiter=";")), ";")
    # THEN the cells are as they were
    assert table[1] == [*cells, "2", "note", "is too long"]


def test_formula_cells_are_escaped_in_rejects_csv() -> None:
    # GIVEN a rejected row with a formula in a cell
    # WHEN rejects.csv is written
    table = parsed(list(rejects_csv(["id", "price"], [bad_price(2, ["=HYPERLINK(1)", "-3"])])))
    # THEN the formula is text and the negative number stays a number
    assert table[1][:2] == ["'=HYPERLINK(1)", "-3"]


def test_a_row_shorter_than_the_header_is_padded() -> None:
    # GIVEN a rejected row with one cell of three
    row = RejectedRow(5, ["A-1"], [Detail("has 1 cells; the header has 3", line=5)])
    # WHEN rejects.csv is written
    [_, line] = parsed(list(rejects_csv(["id", "price", "qty"], [row])))
    # THEN the report columns are under their own headers
    assert line == ["A-1", "", "", "5", "", "has 1 cells; the header has 3"]


def test_a_row_longer_than_the_header_keeps_the_report_columns_under_their_headers() -> None:
    # GIVEN a rejected row with four cells for a two-column header
    row = RejectedRow(
        6, ["A-1", "2", "extra", "more"], [Detail("has 4 cells; the header has 2", line=6)]
    )
    # WHEN rejects.csv is written
    [header, line] = parsed(list(rejects_csv(["id", "price"], [row])))
    # THEN line, column and error are where the header says, the surplus cells after them
    assert dict(zip(header, line, strict=False)) == {
        "id": "A-1",
        "price": "2",
        "line": "6",
        "column": "",
        "error": "has 4 cells; the header has 2",
    }
    assert line[5:] == ["extra", "more"]


def test_rejects_csv_streams_a_large_report_in_pieces() -> None:
    # GIVEN 5,000 rejected rows
    rows = [bad_price(line, [f"A-{line}", "x" * 20]) for line in range(2, 5002)]
    # WHEN rejects.csv is written
    pieces = list(rejects_csv(["id", "price"], iter(rows)))
    # THEN it comes in several pieces that together hold every row
    assert len(pieces) > 2
    table = parsed(pieces)
    assert len(table) == 5001
    assert table[-1][:3] == ["A-5001", "x" * 20, "5001"]


# --- first_errors and report.json -------------------------------------------------------------


def test_first_errors_lists_problems_in_order_up_to_the_limit() -> None:
    # GIVEN three rows with two problems each
    rows = [
        RejectedRow(
            line,
            ["x"],
            [
                Detail("is bad", line=line, column="a", value="x"),
                Detail("is worse", line=line, column="b"),
            ],
        )
        for line in (2, 3, 4)
    ]
    # WHEN the first three errors are taken
    errors = first_errors(rows, limit=3)
    # THEN they are the first three problems, each with its line
    assert errors == [
        {"line": 2, "message": "is bad", "column": "a", "value": "x"},
        {"line": 2, "message": "is worse", "column": "b"},
        {"line": 3, "message": "is bad", "column": "a", "value": "x"},
    ]


def test_report_json_gives_seconds_from_landing_and_rows_per_second() -> None:
    # GIVEN an upload of 10 rows completed 4 seconds after it landed
    # WHEN the report is made a dict
    timings = report().as_dict()["timings"]
    # THEN it has the timestamps, the duration and the rate
    assert timings == {
        "landed_at": "2026-11-22T09:00:00+00:00",
        "completed_at": "2026-11-22T09:00:04+00:00",
        "seconds_from_landing": 4.0,
        "rows_per_second": 2.5,
    }


@pytest.mark.parametrize(
    "completed_at", [None, LANDED], ids=["not_completed", "completed_as_it_landed"]
)
def test_report_json_has_no_rate_without_a_duration(completed_at: datetime | None) -> None:
    # GIVEN an upload not completed, or completed the instant it landed
    timings = {"landed_at": LANDED, "completed_at": completed_at}
    # WHEN the report is made a dict
    view = report(timings=timings).as_dict()
    # THEN there is no rate to divide by zero for
    assert view["timings"]["rows_per_second"] is None
    assert view["status"] == "complete" and view["rows"] == {"seen": 10, "accepted": 10}
