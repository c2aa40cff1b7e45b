"""The generated row converter against the careful path: the same events, the same rejections.

The converter (``chalicelib/domain/uploads/row_code.py``) may decline any row, since a declined
row is read again by the careful path; what it must never do is accept a row the careful path
rejects, or build a different event. These tests hold it to more: on rows of every column type
(defaults, empty cells, bad cells of each kind, decimal commas, ragged and oversized rows,
undecodable bytes) it accepts exactly the rows the careful path accepts whenever the row is small
enough to skip the byte count, and every event is the same down to the types and order of its
data (compared by ``repr``: ``1``, ``1.0`` and ``True`` are equal but not the same).
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.adapters.rule_files.sources import located_yaml
from chalicelib.domain.events import FUTURE_TOLERANCE, Event
from chalicelib.domain.sources import (
    ColumnSpec,
    HeaderMatch,
    SourceDefinition,
    match_header,
    normalize_header,
    parse_source_definition,
)
from chalicelib.domain.uploads import CsvFormat, RowReader, RowRejection, read_records
from chalicelib.domain.uploads.csv_scan import Record
from chalicelib.domain.uploads.row_code import row_converter
from chalicelib.domain.uploads.rows import CarefulReader
from tests.fuzz.profiles import PROPERTY

RECEIVED = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)

EVERY_TYPE = """
type: thing.seen
id: code
occurred_at: at
columns:
  - {name: code, type: string}
  - {name: at, type: timestamp}
  - {name: local, type: timestamp, timezone: Europe/Berlin, default: "2026-11-20T10:00:00Z"}
  - {name: formatted, type: timestamp, format: "%d.%m.%Y %H:%M", timezone: Europe/Berlin}
  - {name: day, type: date}
  - {name: day_formatted, type: date, format: "%d/%m/%Y"}
  - {name: count, type: integer, default: 1}
  - {name: amount, type: number}
  - {name: price, type: number, required: true}
  - {name: flag, type: boolean, default: false}
  - {name: label, type: string, default: "it's \\"quoted\\"'); import os #"}
  - {name: note, type: string}
"""

DECIMAL_COMMA = """
type_column: kind
id: [unit, at]
occurred_at: at
encoding: latin-1
delimiter: ";"
decimal_separator: ","
columns:
  - {name: unit, type: integer}
  - {name: kind, type: string}
  - {name: at, type: timestamp}
  - {name: reading, type: number, default: 1.5}
  - {name: ok, type: boolean}
  - {name: since, type: timestamp, default: "2026-01-01T00:00:00Z"}
  - {name: gauge, type: string, required: true, aliases: ["Fühler"]}
"""


def definition(name: str, yaml_text: str) -> SourceDefinition:
    file = f"rules/sources/{name}.yaml"
    located = located_yaml(yaml_text, file)
    assert not isinstance(located, list), located
    return parse_source_definition(file, located)


SOURCES = [definition("every", EVERY_TYPE), definition("comma", DECIMAL_COMMA)]

ISO = [
    "2026-11-22T08:30:00Z",
    "2026-11-22T08:30:00+02:00",
    "2026-11-22T08:30:00+00:00",
    "2026-11-22T08:30:00.123456Z",
    "2026-11-22 08:30:00Z",
    "2026-11-22T08:30:00",
    "2026-11-22T08:30Z",
    "20261122T083000Z",
    "2026-W47-1T08:30:00Z",
    "2026-11-22T24:00:00Z",
    "2026-11-22T23:59:60Z",
    "2026-02-30T08:30:00Z",
    "2026-11-22t08:30:00Z",
    "2026-11-22T08:30:00z",
    "1969-12-31T23:59:59Z",
    "1970-01-01T00:00:00Z",
    "2026-11-23T09:00:00Z",  # exactly a day after RECEIVED: accepted
    "2026-11-23T09:00:01Z",
    "0001-01-01T00:30:00+01:00",
    "9999-12-31T23:30:00-01:00",
    "2026-03-29T02:30:00",  # skipped in Berlin
    "2026-10-25T02:30:00",  # twice in Berlin
    "2026-11-22T08:30:0\u0661Z",
    " 2026-11-22T08:30:00Z ",
    "not a time",
]
CELLS = {
    "string": ["a", "A-1", " padded ", "x" * 129, "tab\there", "é", "\x00", "order.paid"],
    "timestamp": [*ISO, "22.11.2026 08:30", "29.03.2026 02:30", "25.10.2026 02:30"],
    "date": ["2026-11-22", "2026-02-30", "20261122", "22/11/2026", "2/1/2026", "31/02/2026"],
    "integer": [
        *("0", "42", "-7", "+7", "007", "1.5", "1e3", "1_000", "\u0661\u0662", "²", " 3 "),
        *("9223372036854775807", "9223372036854775808", "-9223372036854775808"),
        *("999999999999999999", "1000000000000000000", "0" * 25 + "1"),
    ],
    "number": [
        *("1234.50", "12,50", "1,234.50", "-1.5", "+1.5", ".5", "5.", ".", "1e3", "1E400"),
        *("inf", "nan", "-inf", "1_0", "\u0661.\u0665", "0x10", "-18,5", ",5", "1.2.3"),
        *("9" * 299, "9" * 300, "9" * 310, "9" * 298 + ".5", "9" * 310 + ".5"),
    ],
    "boolean": ["yes", "No", "Y", "1", "0", "true", "FALSE", "maybe"],
}
BLANKS = ["", " ", "\t"]
PRINTABLE = st.characters(categories=("L", "N", "P", "S"))
REQUIRED_CELLS = ["good"] * 16 + ["bad", "padded", "blank"]  # a blank required cell rejects
OPTIONAL_CELLS = ["good"] * 6 + ["bad", "padded", "blank", "blank"]


@st.composite
def headers(draw: st.DrawFn, source: SourceDefinition) -> list[str]:
    """Every required column, some optional ones, in any order, by any spelling."""
    columns = [column for column in source.columns if column.required or draw(st.booleans())]
    return draw(st.permutations([draw(st.sampled_from(column.spellings)) for column in columns]))


def cell(column_type: str) -> st.SearchStrategy[str]:
    known = st.sampled_from(CELLS[column_type] + BLANKS)
    any_cell = st.sampled_from([text for texts in CELLS.values() for text in texts])
    return st.one_of(known, known, any_cell, st.text(max_size=12))


@st.composite
def instants(draw: st.DrawFn) -> datetime:
    moment = draw(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2026, 11, 21)))
    return moment if draw(st.booleans()) else moment.replace(microsecond=0)


@st.composite
def iso(draw: st.DrawFn, naive: bool) -> str:
    text = draw(instants()).isoformat(draw(st.sampled_from(["T", " "])))
    return text if naive else text + draw(st.sampled_from(["Z", "Z", "+00:00", "+02:00", "-05:30"]))


def number_text(value: float, decimal_separator: str) -> str:
    return repr(value).replace(".", decimal_separator)


def good(source: SourceDefinition, column: ColumnSpec) -> st.SearchStrategy[str]:
    """Cells the column reads, mostly; ``kind`` holds event types."""
    if column.name == "kind":
        return st.sampled_from(["order.paid", "device.seen", " a ", "x/y:z"])
    texts: dict[str, st.SearchStrategy[str]] = {
        "string": st.text(PRINTABLE, min_size=1, max_size=12),
        "integer": st.integers(-(2**63), 2**63 - 1).map(str)
        | st.integers(0, 99).map("{:03}".format),
        "number": st.floats(allow_nan=False, allow_infinity=False).map(
            lambda value: number_text(value, source.decimal_separator)
        )
        | st.integers(0, 10**6).map(
            lambda cents: f"{cents // 100}{source.decimal_separator}{cents % 100:02}"
        ),
        "boolean": st.sampled_from(["yes", "no", "Y", "n", "1", "0", "true", "False", "TRUE"]),
    }
    if column.type == "timestamp" and column.format:
        texts["timestamp"] = instants().map(lambda moment: moment.strftime(column.format or ""))
    elif column.type == "timestamp":
        texts["timestamp"] = st.booleans().flatmap(
            lambda naive: iso(naive and column.timezone is not None)
        )
    texts["date"] = instants().map(
        lambda moment: (
            moment.strftime(column.format) if column.format else moment.date().isoformat()
        )
    )
    return texts[column.type]


@st.composite
def rows(draw: st.DrawFn, source: SourceDefinition, header: Sequence[str]) -> list[str]:
    """A row for the header: mostly cells its columns read, some blank or bad, sometimes ragged
    or oversized."""
    cells = []
    for name in header:
        column = source.by_header[normalize_header(name)]
        kind = draw(st.sampled_from(REQUIRED_CELLS if column.required else OPTIONAL_CELLS))
        if kind == "blank":
            cells.append(draw(st.sampled_from(BLANKS)))
            continue
        text = draw(cell(column.type) if kind == "bad" else good(source, column))
        cells.append(f" {text}\t" if kind == "padded" else text)
    change = draw(st.sampled_from(["none"] * 12 + ["fewer", "more", "long", "wide"]))
    if change == "fewer" and cells:
        cells.pop(draw(st.integers(0, len(cells) - 1)))
    elif change == "more":
        cells.insert(draw(st.integers(0, len(cells))), draw(st.text(max_size=3)))
    elif change in ("long", "wide"):
        index = draw(st.integers(0, len(cells) - 1))
        cells[index] += ("€" if change == "wide" else "x") * draw(st.integers(1, 120))
    return cells


def readers(
    source: SourceDefinition, header: Sequence[str], max_row_bytes: int
) -> tuple[HeaderMatch, CarefulReader]:
    match = match_header(source, header)
    assert isinstance(match, HeaderMatch), match
    return match, CarefulReader(source, match, len(header), RECEIVED, max_row_bytes)


def same(fast: Event | RowRejection | None, careful: Event | RowRejection | None) -> None:
    assert fast == careful
    assert repr(fast) == repr(careful)  # types too: 1, 1.0 and True are equal, not the same


@st.composite
def cases(draw: st.DrawFn) -> tuple[SourceDefinition, list[str], list[list[str]], int]:
    source = draw(st.sampled_from(SOURCES))
    header = draw(headers(source))
    max_row_bytes = draw(st.sampled_from([80, 200, 400, 32 * 1024]))
    return source, header, draw(st.lists(rows(source, header), max_size=8)), max_row_bytes


@PROPERTY
@given(case=cases())
def test_the_converter_accepts_exactly_what_the_careful_path_accepts_with_the_same_event(
    case: tuple[SourceDefinition, list[str], list[list[str]], int],
) -> None:
    # GIVEN a source of every column type or one with decimal commas, a header that fits it,
    # rows of good, blank and bad cells, ragged and oversized, and a row byte limit
    source, header, cells, max_row_bytes = case
    match, careful = readers(source, header, max_row_bytes)
    convert = row_converter(source, match, len(header), max_row_bytes)(
        RECEIVED, RECEIVED + FUTURE_TOLERANCE
    )
    for line, row in enumerate(cells, start=2):
        # WHEN each row is read by the generated converter and by the careful path
        fast, outcome = convert(row), careful.row(Record(line, row), True)
        # THEN the converter accepts it exactly when the careful path does (a row too long to
        # skip the byte count may be left to the careful path), with the same event
        if isinstance(outcome, RowRejection):
            assert fast is None, (row, outcome)
        elif fast is not None or sum(map(len, row)) * 4 <= max_row_bytes:
            same(fast, outcome)


def high(data: bytes) -> bytes:
    """Bytes that are never CSV syntax, and never UTF-8 alone."""
    return bytes(byte | 0x80 for byte in data)


def written(row: list[str], delimiter: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerow(row)  # quotes CR and LF
    return out.getvalue().removesuffix("\r\n")


@PROPERTY
@given(case=cases(), bad=st.lists(st.binary(min_size=1, max_size=2).map(high), max_size=3))
def test_a_chunk_reads_to_the_same_events_and_rejections_as_on_the_careful_path(
    case: tuple[SourceDefinition, list[str], list[list[str]], int], bad: list[bytes]
) -> None:
    # GIVEN the rows written as a chunk of the source's file, some with bytes that may not decode
    source, header, cells, max_row_bytes = case
    lines = [written(row, source.delimiter).encode(source.encoding, "replace") for row in cells]
    for number, junk in enumerate(bad):
        if lines:
            lines[number % len(lines)] += junk
    records, clean = read_records(
        b"\n".join(lines), 2, CsvFormat(source.delimiter, source.encoding)
    )
    match, careful = readers(source, header, max_row_bytes)
    # WHEN the chunk is read by the reader and, row by row, by the careful path alone
    read = RowReader(source, match, len(header), RECEIVED, max_row_bytes).read(records, clean)
    outcomes = [careful.row(record, clean) for record in records]
    # THEN the events and rejections are the same, in the same order
    same_events = [
        (record.line, outcome)
        for record, outcome in zip(records, outcomes, strict=True)
        if isinstance(outcome, Event)
    ]
    assert repr(read.events) == repr(same_events)
    assert read.rejections == [one for one in outcomes if isinstance(one, RowRejection)]


VALID = {  # a row of each source that both paths accept, every column present
    "every": {
        "code": "A-1",
        "at": "2026-11-22T08:30:00Z",
        "local": "2026-11-22T08:30:00",
        "formatted": "22.11.2026 08:30",
        "day": "2026-11-22",
        "day_formatted": "22/11/2026",
        "count": "3",
        "amount": "1.25",
        "price": "12.50",
        "flag": "yes",
        "label": "x",
        "note": "n",
    },
    "comma": {
        "unit": "7",
        "kind": "device.seen",
        "at": "2026-11-22T08:30:00+01:00",
        "reading": "-18,5",
        "ok": "no",
        "since": "2026-01-01T00:00:00Z",
        "gauge": "g-1",
    },
}


@pytest.mark.parametrize(
    ("source", "column"),
    [(source, column.name) for source in SOURCES for column in source.columns],
    ids=lambda value: value if isinstance(value, str) else value.source,
)
def test_every_known_cell_in_every_column_reads_alike(
    source: SourceDefinition, column: str
) -> None:
    # GIVEN a valid row of the source with every column, and every known cell, good and bad
    valid = VALID[source.source]
    header = list(valid)
    match, careful = readers(source, header, 32 * 1024)
    convert = row_converter(source, match, len(header), 32 * 1024)(
        RECEIVED, RECEIVED + FUTURE_TOLERANCE
    )
    assert convert(list(valid.values())) is not None
    for text in [*BLANKS, *(text for texts in CELLS.values() for text in texts)]:
        row = list((valid | {column: text}).values())
        # WHEN the cell stands in the column and the row is read both ways
        fast, outcome = convert(row), careful.row(Record(2, row), True)
        # THEN the converter accepts the row exactly when the careful path does, alike
        if isinstance(outcome, RowRejection):
            assert fast is None, (text, outcome)
        else:
            same(fast, outcome)


def test_every_zulu_shaped_timestamp_reads_as_the_careful_path_reads_it() -> None:
    # GIVEN cells shaped YYYY-MM-DDTHH:MM:SSZ with every field at and past its limits
    fields = [
        ["0000", "0001", "1969", "1970", "2026", "9999"],
        ["00", "01", "02", "12", "13"],
        ["00", "01", "28", "29", "30", "31", "32"],
        ["00", "09", "23", "24", "29"],
        ["00", "59", "60"],
        ["00", "59", "60", "61"],
    ]
    source = SOURCES[0]
    header = ["code", "local", "price"]  # not occurred_at: any instant is accepted
    match, careful = readers(source, header, 32 * 1024)
    convert = row_converter(source, match, 3, 32 * 1024)(RECEIVED, RECEIVED + timedelta(days=1))
    accepted = 0
    for year, month, day, hour, minute, second in itertools.product(*fields):
        row = ["A-1", f"{year}-{month}-{day}T{hour}:{minute}:{second}Z", "1.5"]
        # WHEN each is read by the converter and by the careful path
        fast, outcome = convert(row), careful.row(Record(2, row), True)
        # THEN both accept or refuse it alike, and store the same text
        if isinstance(outcome, RowRejection):
            assert fast is None, row
        else:
            same(fast, outcome)
            accepted += 1
    assert accepted == 5 * 12 * 3 * 2 * 2  # years, real days, valid hours, minutes, seconds


def test_a_default_of_any_text_reaches_the_event_as_written() -> None:
    # GIVEN a string default holding quotes and Python (constants never become code)
    source = SOURCES[0]
    match, _ = readers(source, ["code", "price", "label"], 1024)
    convert = row_converter(source, match, 3, 1024)(RECEIVED, RECEIVED + FUTURE_TOLERANCE)
    # WHEN a row leaves the label empty
    event = convert(["A-1", "2", ""])
    # THEN the event holds the default as the definition wrote it
    assert event is not None
    assert event.data["label"] == "it's \"quoted\"'); import os #"
