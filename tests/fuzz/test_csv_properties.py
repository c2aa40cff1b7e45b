"""Properties of reading CSV files, over generated files: the fan-out's scan into byte ranges and
the processors' reads of each range, as the services run them, on the real ``rules/sources``.

- Any bytes, after a fitting header or not, give a reason for the whole file (``MalformedFile``,
  no header, a header that does not fit) or one event or one rejection per record, each
  rejection naming its line; an event holds only values JSON and UTF-8 can store.
- Rows written by Python's ``csv`` module for a declared source read back as the same values,
  whatever the quoting, line ends, byte-order mark, header spelling and column order.
- Cutting a file into byte ranges at record ends, with any block and chunk size, gives the same
  records, events and rejections as reading the file whole.

``tests/unit/test_csv_scan.py`` and ``test_csv_rows.py`` pin the same behaviour on chosen files.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import assume, given
from hypothesis import strategies as st

from chalicelib.adapters.rule_files.sources import load_sources, located_yaml
from chalicelib.domain.errors import Detail
from chalicelib.domain.events import Event
from chalicelib.domain.sources import (
    HeaderMatch,
    SourceDefinition,
    match_header,
    parse_source_definition,
)
from chalicelib.domain.uploads import (
    ChunkSpan,
    CsvFormat,
    CsvScanner,
    MalformedFile,
    RowReader,
    RowRejection,
    read_records,
)
from chalicelib.domain.uploads.csv_scan import UTF8_BOM, Record, undecodable
from tests.fuzz.profiles import PROPERTY

SOURCES = load_sources(Path(__file__).resolve().parents[2] / "rules")
SHOP, SENSORS = SOURCES.get("shop"), SOURCES.get("sensors")
assert SHOP is not None and SENSORS is not None
RECEIVED = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
MAX_RECORD_BYTES = 4096  # small, so that the limit is reached too
MAX_ROW_BYTES = 2048
WHOLE = 1 << 30  # a block or chunk size that takes the file at once


# --- the import, as the fan-out and the processors run it --------------------------------------


@dataclass(frozen=True)
class Refused:
    """The whole file is refused before any row: no header, or one that does not fit."""

    reason: str
    details: tuple[Detail, ...] = ()


@dataclass(frozen=True)
class Imported:
    header: list[str]
    body: int  # the byte offset just past the header
    spans: list[ChunkSpan]
    records: list[Record]
    rows: list[tuple[int, Event | RowRejection]]  # by line, in file order


def blocks_of(data: bytes, size: int) -> Iterator[bytes]:
    return (data[start : start + size] for start in range(0, len(data), size))


def import_file(
    data: bytes, definition: SourceDefinition, *, block: int = WHOLE, chunk: int = WHOLE
) -> Imported | Refused | MalformedFile:
    """The fan-out's scan and header checks, then each span read alone by a processor."""
    fmt = CsvFormat(definition.delimiter, definition.encoding, MAX_RECORD_BYTES)
    scanner = CsvScanner(blocks_of(data, block), fmt)
    try:
        header = scanner.header()
        if header is None:
            return Refused("the file is empty")
        if any(undecodable(cell) for cell in header.cells):
            return Refused(f"the header is not valid {fmt.encoding}")
        match = match_header(definition, header.cells)
        if isinstance(match, list):
            return Refused("the header does not fit", tuple(match))
        spans = list(scanner.chunks(chunk))
    except MalformedFile as exc:
        return exc
    imported = Imported(header.cells, header.end, spans, [], [])
    for span in spans:
        records, clean = read_records(data[span.start : span.end], span.first_line, fmt)
        read = _reader(definition, match, header.cells).read(records, clean)
        imported.records.extend(records)
        rows: list[tuple[int, Event | RowRejection]] = [*read.events]
        rows.extend((rejection.line, rejection) for rejection in read.rejections)
        imported.rows.extend(sorted(rows, key=lambda row: row[0]))
    return imported


def _reader(definition: SourceDefinition, match: HeaderMatch, header: list[str]) -> RowReader:
    return RowReader(definition, match, len(header), RECEIVED, MAX_ROW_BYTES)


def stored(value: object) -> bytes:
    """The value as the event store writes it: strict JSON in UTF-8 (else ValueError)."""
    return json.dumps(value, allow_nan=False, ensure_ascii=False).encode("utf-8")


# --- any bytes --------------------------------------------------------------------------------

PIECES = st.sampled_from(
    [
        ",",
        ";",
        '"',
        '""',
        "\n",
        "\r\n",
        "\r",
        "\ufeff",
        " ",
        "\t",
        "\x00",
        "a",
        "Z",
        "é",
        "ü",
        "日",
        "🚀",
        "0",
        "7",
        "-",
        "+",
        ".",
        ":",
        "T",
        "12,5",
        "2026-11-22T08:30:00Z",
        "22.11.2026 08:30",
        "true",
        "yes",
        "1e400",
        "nan",
        "9" * 25,
        "A-1",
        "\\",
        "\x85",
        "\u2028",
    ]
)
CSVISH_TEXT = st.lists(PIECES | st.text(max_size=4), max_size=60).map("".join)
DEFINITIONS = st.sampled_from(sorted(SOURCES.names())).map(SOURCES.get)


def body_bytes(encoding: str) -> st.SearchStrategy[bytes]:
    return st.binary(max_size=300) | CSVISH_TEXT.map(
        lambda text: text.encode(encoding, errors="replace")
    )


@st.composite
def spelled_header(draw: st.DrawFn, definition: SourceDefinition) -> str:
    """A header that fits: every required column, some optional ones, any order and spelling."""
    columns = [column for column in definition.columns if column.required or draw(st.booleans())]
    names = [draw(st.sampled_from(column.spellings)) for column in columns]
    names = [
        draw(st.sampled_from([name, name.upper(), name.lower(), f" {name} "])) for name in names
    ]
    return definition.delimiter.join(draw(st.permutations(names)))


@st.composite
def files_with_a_fitting_header(draw: st.DrawFn) -> tuple[SourceDefinition, bytes]:
    """A header that fits a source, then lines of any bytes, and valid rows among them."""
    definition = draw(DEFINITIONS)
    assert definition is not None
    header = draw(spelled_header(definition))
    bom = UTF8_BOM if definition.encoding == "utf-8" and draw(st.booleans()) else b""
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    pieces = [bom + (header + ending).encode(definition.encoding)]
    for _ in range(draw(st.integers(0, 6))):
        if definition.source in ROWS and draw(st.booleans()):
            cells = draw(ROWS[definition.source])[0]
            row = [
                [
                    cells[definition.by_header[_key(spelled)].name]
                    for spelled in header.split(definition.delimiter)
                ]
            ]
            line = (
                written(
                    row, delimiter=definition.delimiter, quoting=csv.QUOTE_MINIMAL, ending=ending
                )
                or ""
            )
            pieces.append(line.encode(definition.encoding))
        else:
            pieces.append(draw(body_bytes(definition.encoding)))
    return definition, b"".join(pieces)


def assert_documented(
    outcome: Imported | Refused | MalformedFile, definition: SourceDefinition
) -> None:
    """A reason for the whole file, or one event or one rejection per record, each in its
    place: events of the source that JSON and UTF-8 can store, rejections naming their line."""
    if isinstance(outcome, MalformedFile):
        assert outcome.message and outcome.line >= 1
        return
    if isinstance(outcome, Refused):
        assert outcome.reason
        assert all(detail.line == 1 for detail in outcome.details)
        return
    assert [line for line, _ in outcome.rows] == [record.line for record in outcome.records]
    assert sum(span.rows for span in outcome.spans) == len(outcome.records)
    lines = [record.line for record in outcome.records]
    assert lines == sorted(set(lines)) and all(line >= 2 for line in lines)
    for line, row in outcome.rows:
        if isinstance(row, RowRejection):
            assert row.line == line and row.errors
            assert all(error.line == line and error.message for error in row.errors)
            stored(row.cells)  # the report lists them
            continue
        assert (row.source, row.received_at) == (definition.source, RECEIVED)
        assert row.event_id and row.event_id.isprintable()
        assert datetime(1970, 1, 1, tzinfo=UTC) <= row.occurred_at <= RECEIVED + timedelta(days=1)
        stored(row.data)


@PROPERTY
@given(file=files_with_a_fitting_header(), block=st.integers(1, 64), chunk=st.integers(1, 200))
def test_any_bytes_after_a_fitting_header_give_events_rejections_or_a_reason(
    file: tuple[SourceDefinition, bytes], block: int, chunk: int
) -> None:
    # GIVEN a header that fits a declared source, then any bytes: quotes, delimiters, CR, LF,
    # byte-order marks, NUL, bytes that do not decode
    definition, data = file
    # WHEN it is imported, cut into blocks and chunks of any size
    outcome = import_file(data, definition, block=block, chunk=chunk)
    # THEN the answer is one of the documented ones, each in its place
    assert_documented(outcome, definition)


@PROPERTY
@given(
    definition=DEFINITIONS,
    data=st.binary(max_size=400) | CSVISH_TEXT.map(str.encode),
    block=st.integers(1, 64),
)
def test_any_bytes_at_all_give_events_rejections_or_a_reason(
    definition: SourceDefinition, data: bytes, block: int
) -> None:
    # GIVEN any bytes, header included WHEN they are imported for any source
    outcome = import_file(data, definition, block=block, chunk=block * 3)
    # THEN the answer is one of the documented ones
    assert_documented(outcome, definition)


# --- written by Python's csv module, read back ---------------------------------------------------

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
# what an event id may hold: printable characters (spaces inside, trimmed around)
PRINTABLE = st.characters(exclude_categories=("C", "Z")) | st.just(" ")
ID_TEXT = st.text(PRINTABLE, min_size=1, max_size=12).filter(str.strip)
LATIN1_ID_TEXT = st.text(
    st.characters(max_codepoint=255, exclude_categories=("C", "Z")) | st.just(" "),
    min_size=1,
    max_size=12,
).filter(str.strip)
BOOLEANS = {
    "true": True,
    "yes": True,
    "y": True,
    "1": True,
    "false": False,
    "no": False,
    "n": False,
    "0": False,
}
AWARE = st.datetimes(
    min_value=datetime(1970, 1, 2),
    max_value=datetime(2026, 11, 21),
    timezones=st.sampled_from(
        [UTC, BERLIN, ZoneInfo("Asia/Kolkata"), ZoneInfo("America/St_Johns")]
    ),
)


def written(rows: list[list[str]], *, delimiter: str, quoting: int, ending: str) -> str | None:
    """The rows as Python's csv module writes them; None when it cannot read them back itself
    (a bare CR in an unquoted field, with LF line ends), which is not this reader's business."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator=ending).writerows(rows)
    try:
        back = list(csv.reader(io.StringIO(out.getvalue(), newline=""), delimiter=delimiter))
    except csv.Error:
        return None
    return out.getvalue() if back == rows else None


@st.composite
def shop_rows(draw: st.DrawFn) -> tuple[dict[str, str], dict[str, object], str]:
    """One order: its cells by column, the data its event must hold, and its event id."""
    order_id = draw(ID_TEXT)
    at = draw(AWARE)
    store = draw(st.text(min_size=1, max_size=12).filter(str.strip) | ID_TEXT)
    sku, currency = draw(TEXT), draw(TEXT)
    quantity = draw(st.none() | st.integers(-(2**63), 2**63 - 1))
    price = draw(st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(10**15), 10**15))
    paid = draw(
        st.none()
        | st.sampled_from(sorted(BOOLEANS)).flatmap(
            lambda word: st.sampled_from([word, word.upper(), word.capitalize()])
        )
    )
    cells = {
        "order_id": order_id,
        "ordered_at": draw(
            st.sampled_from([at.isoformat(), at.isoformat().replace("+00:00", "Z")])
        ),
        "store": store,
        "sku": sku,
        "quantity": "" if quantity is None else str(quantity),
        "unit_price": repr(price),
        "currency": currency,
        "paid": paid or "",
    }
    data = {
        "order_id": order_id.strip(),
        "ordered_at": at.astimezone(UTC).isoformat(),
        "store": store.strip(),
        "sku": sku.strip() or None,
        "quantity": 1 if quantity is None else quantity,
        "unit_price": float(price),
        "currency": currency.strip() or "EUR",
        "paid": BOOLEANS[paid.lower()] if paid else False,
    }
    return cells, data, order_id.strip()


def _unambiguous_in_berlin(moment: datetime) -> bool:
    return (
        moment.replace(tzinfo=BERLIN, fold=0).utcoffset()
        == moment.replace(tzinfo=BERLIN, fold=1).utcoffset()
    )


@st.composite
def sensor_rows(draw: st.DrawFn) -> tuple[dict[str, str], dict[str, object], str]:
    """One reading in the cold-room logger's Latin-1, ";", decimal-comma file."""
    sensor = draw(LATIN1_ID_TEXT)
    local = draw(
        st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2026, 11, 21))
        .map(lambda moment: moment.replace(second=0, microsecond=0, fold=0))
        .filter(_unambiguous_in_berlin)
    )
    celsius = draw(st.floats(allow_nan=False, allow_infinity=False))
    battery = draw(st.none() | st.integers(-(2**63), 2**63 - 1))
    at = local.replace(tzinfo=BERLIN).astimezone(UTC)
    cells = {
        "sensor": sensor,
        "reading_at": local.strftime("%d.%m.%Y %H:%M"),
        "celsius": repr(celsius).replace(".", ","),
        "battery": "" if battery is None else str(battery),
    }
    data = {
        "sensor": sensor.strip(),
        "reading_at": at.isoformat(),
        "celsius": celsius,
        "battery": battery,
    }
    return cells, data, f"{sensor.strip()}:{at.isoformat().replace('+00:00', 'Z')}"


ROWS = {"shop": shop_rows(), "sensors": sensor_rows()}


@PROPERTY
@given(
    data=st.data(),
    name=st.sampled_from(sorted(ROWS)),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]),
    ending=st.sampled_from(["\n", "\r\n"]),
    bom=st.booleans(),
    block=st.integers(1, 4096),
    chunk=st.integers(1, 4096),
)
def test_rows_written_by_pythons_csv_module_read_back_as_the_same_values(
    data: st.DataObject, name: str, quoting: int, ending: str, bom: bool, block: int, chunk: int
) -> None:
    # GIVEN rows of a declared source, written by Python's csv module under a header that fits
    definition = SOURCES.get(name)
    assert definition is not None
    header = data.draw(spelled_header(definition), label="header").split(definition.delimiter)
    by_header = {spelled: definition.by_header[_key(spelled)].name for spelled in header}
    rows = data.draw(st.lists(ROWS[name], min_size=1, max_size=8), label="rows")
    text = written(
        [header] + [[cells[by_header[spelled]] for spelled in header] for cells, _, _ in rows],
        delimiter=definition.delimiter,
        quoting=quoting,
        ending=ending,
    )
    assume(text is not None)
    assert text is not None
    encoded = text.encode(definition.encoding)
    file = (UTF8_BOM if bom and definition.encoding == "utf-8" else b"") + encoded
    # WHEN the file is imported, in blocks and chunks of any size
    outcome = import_file(file, definition, block=block, chunk=chunk)
    # THEN every row is an event holding the values written (columns left out: their default)
    assert isinstance(outcome, Imported), outcome
    found = [row for _, row in outcome.rows]
    assert all(isinstance(row, Event) for row in found), found
    expected = [(event_id, values | _absent(definition, header)) for _, values, event_id in rows]
    assert [(row.event_id, dict(row.data)) for row in found if isinstance(row, Event)] == expected


def _key(spelled: str) -> str:
    return "".join(character for character in spelled.casefold() if character.isalnum())


def _absent(definition: SourceDefinition, header: list[str]) -> dict[str, object]:
    """What a column the header leaves out gives every row: its default, or null."""
    present = {definition.by_header[_key(spelled)].name for spelled in header}
    return {
        column.name: column.default for column in definition.columns if column.name not in present
    }


# --- split at record ends, or read whole --------------------------------------------------------


@PROPERTY
@given(file=files_with_a_fitting_header(), block=st.integers(1, 64), chunk=st.integers(1, 300))
def test_a_file_cut_at_record_ends_reads_as_the_whole_file(
    file: tuple[SourceDefinition, bytes], block: int, chunk: int
) -> None:
    # GIVEN any file with a fitting header, read whole: one block, one chunk
    definition, data = file
    whole = import_file(data, definition)
    assume(isinstance(whole, Imported))
    assert isinstance(whole, Imported)
    # WHEN it is cut into byte ranges at record ends, with any block and chunk size
    cut = import_file(data, definition, block=block, chunk=chunk)
    # THEN the ranges tile the file after its header up to its last record, each ends a
    # record, and together they give the same records, events and rejections, on the same lines
    assert isinstance(cut, Imported), cut
    assert cut.header == whole.header
    position = cut.body
    for number, span in enumerate(cut.spans):
        assert (span.number, span.start) == (number, position) and span.end > span.start
        assert span.rows >= 1  # no range of blank lines only
        position = span.end
    assert data[position:].strip(b"\r\n") == b"", "only blank lines may follow the last range"
    assert cut.records == whole.records
    assert cut.rows == whole.rows


# --- any encoding the loader accepts ----------------------------------------------------------

ENCODINGS = ["utf-8", "latin-1", "cp1252", "shift_jis", "gb18030", "big5", "euc-jp", "koi8-r"]
DELIMITERS = [",", ";", "|", "\t"]


@cache
def notes_source(encoding: str, delimiter: str) -> SourceDefinition:
    """A source of free-text notes, through the real loader, in ``encoding`` and ``delimiter``."""
    text = (
        f"type: note.written\nid: note_id\nencoding: {encoding}\n"
        f"delimiter: {json.dumps(delimiter)}\ncolumns:\n"
        "  - {name: note_id, type: string, required: true}\n"
        "  - {name: note, type: string}\n  - {name: amount, type: number}\n"
    )
    document = located_yaml(text, "rules/sources/notes.yaml")
    assert not isinstance(document, list), document
    return parse_source_definition("rules/sources/notes.yaml", document)


def _encodable(text: str, encoding: str) -> str:
    return "".join(character for character in text if _fits(character, encoding))


def _fits(character: str, encoding: str) -> bool:
    """Whether the encoding writes ``character`` and reads it back (Shift JIS writes "¥" as the
    byte of a backslash, and reads a backslash)."""
    try:
        return character.encode(encoding).decode(encoding) == character
    except UnicodeError:
        return False


@PROPERTY
@given(
    data=st.data(),
    encoding=st.sampled_from(ENCODINGS),
    delimiter=st.sampled_from(DELIMITERS),
    ending=st.sampled_from(["\n", "\r\n"]),
    block=st.integers(1, 64),
    chunk=st.integers(1, 300),
)
def test_notes_in_any_accepted_encoding_read_back_cut_or_whole(
    data: st.DataObject, encoding: str, delimiter: str, ending: str, block: int, chunk: int
) -> None:
    # GIVEN notes in an encoding the loader accepts (multibyte ones too), written by Python's csv
    # module, with lines of any bytes among them or not
    definition = notes_source(encoding, delimiter)
    notes = data.draw(
        st.lists(
            st.tuples(
                ID_TEXT.map(lambda text: _encodable(text, encoding)).filter(str.strip),
                TEXT.map(lambda text: _encodable(text, encoding)),
                st.floats(allow_nan=False, allow_infinity=False),
            ),
            min_size=1,
            max_size=6,
        ),
        label="notes",
    )
    text = written(
        [["note_id", "note", "amount"]]
        + [[key, note, repr(amount)] for key, note, amount in notes],
        delimiter=delimiter,
        quoting=csv.QUOTE_MINIMAL,
        ending=ending,
    )
    assume(text is not None)
    assert text is not None
    garbage = data.draw(st.lists(st.binary(min_size=1, max_size=12), max_size=3), label="garbage")
    file = text.encode(encoding) + b"\n".join(garbage)
    # WHEN it is imported whole, and cut into ranges of any size
    whole = import_file(file, definition)
    cut = import_file(file, definition, block=block, chunk=chunk)
    # THEN both read the same, and without the garbage every note reads back as written
    assert_documented(cut, definition)
    if isinstance(whole, Imported) and isinstance(cut, Imported):
        assert (cut.records, cut.rows) == (whole.records, whole.rows)
    else:
        assert type(cut) is type(whole)
    if garbage:
        return
    assert isinstance(whole, Imported), whole
    assert [(row.event_id, dict(row.data)) for _, row in whole.rows if isinstance(row, Event)] == [
        (key.strip(), {"note_id": key.strip(), "note": note.strip() or None, "amount": amount})
        for key, note, amount in notes
    ]
