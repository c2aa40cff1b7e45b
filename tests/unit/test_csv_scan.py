"""CsvScanner and read_records: a file cut into byte ranges of whole records, and read back.

The central property: for any file, any block size and any chunk size, reading every span back
with ``read_records`` gives exactly the records ``csv.reader`` gives for the whole file after its
header, with line numbers counted as physical ``\\n`` lines (the first line is 1).
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from chalicelib.domain.uploads import (
    ChunkSpan,
    CsvFormat,
    CsvScanner,
    Header,
    MalformedFile,
    read_records,
)
from chalicelib.domain.uploads.csv_scan import UTF8_BOM, readable, undecodable

MIB = 1024 * 1024
BLOCK_SIZES = (1, 2, 7, MIB)
CHUNK_SIZES = (1, 10, MIB)
Rows = list[tuple[int, list[str]]]


def blocks_of(data: bytes, size: int) -> Iterator[bytes]:
    return (data[start : start + size] for start in range(0, len(data), size))


@dataclass
class Scan:
    header: Header | None
    spans: list[ChunkSpan]
    rows: Rows  # (line, cells) of every record, read back span by span


def scan(data: bytes, *, block: int = MIB, chunk: int = MIB, fmt: CsvFormat | None = None) -> Scan:
    fmt = fmt or CsvFormat()
    scanner = CsvScanner(blocks_of(data, block), fmt)
    header = scanner.header()
    spans = list(scanner.chunks(chunk)) if header is not None else []
    rows: Rows = []
    for span in spans:
        records, _ = read_records(data[span.start : span.end], span.first_line, fmt)
        assert len(records) == span.rows, (span, records)
        rows.extend((record.line, record.cells) for record in records)
    return Scan(header, spans, rows)


def reference(data: bytes, fmt: CsvFormat) -> tuple[list[str] | None, Rows]:
    """What ``csv.reader`` reads from the whole file, each record on the ``\\n`` line it starts on."""
    if data.startswith(UTF8_BOM) and fmt.encoding.startswith("utf"):
        data = data[len(UTF8_BOM) :]
    text = data.decode(fmt.encoding, "surrogateescape")
    newlines = 0

    def lines() -> Iterator[str]:
        nonlocal newlines
        for line in io.StringIO(text, newline=""):
            newlines += line.count("\n")  # before yielding: the reader never reads ahead
            yield line

    reader = csv.reader(lines(), delimiter=fmt.delimiter, strict=False)
    found: Rows = []
    while True:
        line = newlines + 1
        cells = next(reader, None)
        if cells is None:
            break
        if cells:
            found.append((line, cells))
    return (found[0][1], found[1:]) if found else (None, [])


def assert_spans_tile_the_file(result: Scan, data: bytes) -> None:
    assert result.header is not None
    position = result.header.end
    for number, span in enumerate(result.spans):
        assert (span.number, span.start) == (number, position)
        assert span.end > span.start
        position = span.end
    assert position <= len(data)


def assert_every_split_reads_the_same(
    data: bytes, expected: Rows, *, fmt: CsvFormat | None = None
) -> None:
    for block in BLOCK_SIZES:
        for chunk in CHUNK_SIZES:
            result = scan(data, block=block, chunk=chunk, fmt=fmt)
            assert result.rows == expected, f"block {block}, chunk {chunk}"
            assert_spans_tile_the_file(result, data)


# --- the central property over tricky files -------------------------------------------------


TRICKY_FILES: dict[str, tuple[bytes, list[str], Rows]] = {
    "utf8_bom_and_crlf": (
        UTF8_BOM + b"id,name\r\n1,a\r\n2,b\r\n",
        ["id", "name"],
        [(2, ["1", "a"]), (3, ["2", "b"])],
    ),
    "quoted_newline": (
        b'id,note\n1,"two\nlines"\n2,x\n',
        ["id", "note"],
        [(2, ["1", "two\nlines"]), (4, ["2", "x"])],
    ),
    "quoted_crlf": (
        b'id,note\r\n1,"a\r\nb"\r\n2,x\r\n',
        ["id", "note"],
        [(2, ["1", "a\r\nb"]), (4, ["2", "x"])],
    ),
    "quoted_delimiter_and_doubled_quotes": (
        b'id,note\n1,"a,b ""c"""\n2,""\n',
        ["id", "note"],
        [(2, ["1", 'a,b "c"']), (3, ["2", ""])],
    ),
    "blank_lines_between_rows": (
        b"id,v\n\n1,a\n\r\n\n2,b\n\n",
        ["id", "v"],
        [(3, ["1", "a"]), (6, ["2", "b"])],
    ),
    "blank_lines_before_the_header": (b"\n\r\nid,v\n1,a\n", ["id", "v"], [(4, ["1", "a"])]),
    "final_line_without_newline": (
        b"id,v\n1,a\n2,b",
        ["id", "v"],
        [(2, ["1", "a"]), (3, ["2", "b"])],
    ),
    "header_only": (b"id,v\n", ["id", "v"], []),
    "header_only_without_newline": (b"id,v", ["id", "v"], []),
    "quoted_header_cell_holding_a_newline": (
        b'"order\nid",v\n1,a\n',
        ["order\nid", "v"],
        [(3, ["1", "a"])],
    ),
    "bare_cr_inside_a_quoted_field": (
        b'id,v\n1,"a\rb"\n2,c\n',
        ["id", "v"],
        [(2, ["1", "a\rb"]), (3, ["2", "c"])],
    ),
    "multibyte_characters_split_by_small_blocks": (
        "id,name\n1,Zoë 🚀\n2,日本\n".encode(),
        ["id", "name"],
        [(2, ["1", "Zoë 🚀"]), (3, ["2", "日本"])],
    ),
}


@pytest.mark.parametrize("name", TRICKY_FILES)
def test_spans_read_back_give_every_record_of_a_tricky_file_whatever_the_block_size(
    name: str,
) -> None:
    # GIVEN a file with a known header and records
    data, header, expected = TRICKY_FILES[name]
    # WHEN it is scanned with every block and chunk size, and each span is read back alone
    # THEN the header and the records (cells and lines) are those of the whole file
    for block in BLOCK_SIZES:
        found = scan(data, block=block).header
        assert found is not None and found.cells == header, f"block {block}"
    assert_every_split_reads_the_same(data, expected)
    assert reference(data, CsvFormat()) == (header, expected)


def test_latin1_file_with_semicolons_reads_back_whatever_the_block_size() -> None:
    # GIVEN the cold-room logger's Latin-1, ";"-separated file with a decimal comma
    fmt = CsvFormat(delimiter=";", encoding="latin-1")
    data = "Fühler;Zeit;Temperatur °C\nkühlraum-2;22.11.2026 08:30;-18,5\n".encode("latin-1")
    # WHEN it is scanned and read back
    # THEN cells are decoded from Latin-1 and split on ";" only
    assert scan(data, fmt=fmt).header == Header(["Fühler", "Zeit", "Temperatur °C"], 26, 1)
    assert_every_split_reads_the_same(
        data, [(2, ["kühlraum-2", "22.11.2026 08:30", "-18,5"])], fmt=fmt
    )


def test_byte_offsets_count_the_bom_so_ranges_address_the_object() -> None:
    # GIVEN a file starting with a UTF-8 byte-order mark
    data = UTF8_BOM + b"id\n1\n"
    # WHEN it is scanned one byte at a time
    result = scan(data, block=1)
    # THEN the header ends and the chunk starts at offsets of the file as stored
    assert result.header == Header(["id"], 6, 1)
    assert [(span.start, span.end) for span in result.spans] == [(6, 8)]


@pytest.mark.parametrize(
    "data", [b"", UTF8_BOM, b"\n\r\n\n"], ids=["empty", "only_bom", "only_blank_lines"]
)
@pytest.mark.parametrize("block", [1, MIB])
def test_a_file_without_any_record_has_no_header(data: bytes, block: int) -> None:
    # GIVEN a file with no record at all
    scanner = CsvScanner(blocks_of(data, block), CsvFormat())
    # WHEN its header is asked for
    header = scanner.header()
    # THEN there is none, and no chunk
    assert header is None
    assert list(scanner.chunks(1)) == []


def test_chunks_are_at_least_chunk_bytes_and_end_on_record_ends() -> None:
    # GIVEN ten rows of 6 bytes after a header, one holding a quoted newline
    rows = [f"{n},r{n:02}\n".encode() for n in range(10)]
    rows[4] = b'4,"x\ny"\n'
    data = b"id,v\n" + b"".join(rows)
    # WHEN it is cut into chunks of at least 10 bytes
    result = scan(data, block=3, chunk=10)
    # THEN each chunk holds two records, the last one ends the file, and lines follow the newline
    assert [(span.start, span.end, span.first_line, span.rows) for span in result.spans] == [
        (5, 17, 2, 2),
        (17, 29, 4, 2),
        (29, 43, 6, 2),
        (43, 55, 9, 2),
        (55, 67, 11, 2),
    ]
    assert result.rows[4] == (6, ["4", "x\ny"])
    assert result.rows[5] == (8, ["5", "r05"])


def test_a_chunk_of_blank_lines_only_is_not_cut() -> None:
    # GIVEN rows separated by runs of blank lines longer than a chunk
    data = b"id\n1\n" + b"\n" * 20 + b"2\n" + b"\n" * 20
    # WHEN it is cut into one-byte chunks
    result = scan(data, chunk=1)
    # THEN every span holds at least one row, and both rows are read back
    assert [span.rows for span in result.spans] == [1, 1]
    assert result.rows == [(2, ["1"]), (23, ["2"])]


def test_scanner_reports_bytes_and_lines_read() -> None:
    # GIVEN a header and two rows
    scanner = CsvScanner(blocks_of(b"a\n1\n2\n", 2), CsvFormat())
    # WHEN everything is scanned
    scanner.header()
    list(scanner.chunks(MIB))
    # THEN the scanner read every byte and every line
    assert (scanner.bytes_read, scanner.lines_read) == (6, 3)


# --- a randomized check of the property ---------------------------------------------------------


TOKENS = [
    b"a",
    b"b",
    b",",
    b";",
    b'"',
    b"\n",
    b"\r\n",
    b"\r",
    "é".encode(),
    "€".encode(),
    "😀".encode(),
    b"\xff",
    b"\xe2\x82",
]
WEIGHTS = [6, 3, 4, 2, 3, 4, 2, 0.4, 1, 1, 1, 0.3, 0.2]


def random_file(rng: random.Random) -> bytes:
    body = b"".join(rng.choices(TOKENS, WEIGHTS, k=rng.randint(0, 40)))
    return (UTF8_BOM if rng.random() < 0.1 else b"") + body


def has_bare_cr(data: bytes) -> bool:
    return b"\r" in data.replace(b"\r\n", b"")


def test_random_files_read_back_as_csv_reader_reads_them() -> None:
    # GIVEN two thousand small random files of quotes, delimiters, line ends and multibyte text
    rng = random.Random(20261122)
    outcomes = {"read": 0, "malformed": 0}
    for _ in range(2000):
        data = random_file(rng)
        fmt = CsvFormat(delimiter=rng.choice(",;"))
        block, chunk = rng.choice([1, 2, 3, 5, 7, 64]), rng.choice([1, 3, 16, 1000])
        # WHEN each is scanned and read back
        try:
            result = scan(data, block=block, chunk=chunk, fmt=fmt)
        except MalformedFile:
            # THEN only a bare carriage return (csv's universal newlines) may make a file malformed
            assert has_bare_cr(data), data
            outcomes["malformed"] += 1
            continue
        # THEN otherwise the header and records are the whole file's, with their lines
        header = result.header.cells if result.header else None
        assert (header, result.rows) == reference(data, fmt), (data, block, chunk)
        if result.header is not None:
            assert_spans_tile_the_file(result, data)
        outcomes["read"] += 1
    assert outcomes["read"] > 1200 and outcomes["malformed"] > 120, outcomes


# --- files that cannot be split into records --------------------------------------------------


SMALL = CsvFormat(max_record_bytes=64)


@pytest.mark.parametrize("block", [1, 7, MIB])
def test_a_never_closed_quote_fails_naming_the_line_the_record_starts_on(block: int) -> None:
    # GIVEN a quote opened on line 3 and never closed, the rest of the file short lines
    data = b'id,v\n1,a\n2,"oops\n' + b"more text\n" * 20
    # WHEN the file is scanned with a 64-byte record limit
    scanner = CsvScanner(blocks_of(data, block), SMALL)
    scanner.header()
    with pytest.raises(MalformedFile) as raised:
        list(scanner.chunks(MIB))
    # THEN the error names line 3 and the limit
    assert raised.value.line == 3
    assert "line 3" in raised.value.message and "64 bytes" in raised.value.message


@pytest.mark.parametrize("block", [1, 7, MIB])
def test_a_long_line_without_a_newline_fails_naming_its_line(block: int) -> None:
    # GIVEN two short lines, then 1,000 bytes with no newline
    data = b"id,v\n1,a\n" + b"x" * 1000
    # WHEN the file is scanned with a 64-byte record limit
    scanner = CsvScanner(blocks_of(data, block), SMALL)
    with pytest.raises(MalformedFile) as raised:
        scanner.header()
        list(scanner.chunks(MIB))
    # THEN the error names line 3, where the long record starts
    assert raised.value.line == 3


def test_a_record_of_exactly_the_limit_is_read() -> None:
    # GIVEN a record of exactly 64 bytes, newline included
    record = b"1," + b"x" * 61 + b"\n"
    # WHEN the file is scanned with a 64-byte record limit
    result = scan(b"id,v\n" + record, block=7, fmt=SMALL)
    # THEN the record is read
    assert result.rows == [(2, ["1", "x" * 61])]


class CountedBlocks:
    """100 MiB of blocks, produced one at a time, counting how many were taken."""

    def __init__(self, first: bytes, filler: bytes) -> None:
        self.first, self.filler, self.taken = first, filler, 0

    def __iter__(self) -> Iterator[bytes]:
        self.taken += 1
        yield self.first
        for _ in range(100 * MIB // len(self.filler)):
            self.taken += 1
            yield self.filler


@pytest.mark.parametrize("filler", [b"x" * 8192, b"more\n" * 1638], ids=["one_line", "open_quote"])
def test_scanner_fails_a_huge_record_without_reading_the_whole_file(filler: bytes) -> None:
    # GIVEN a 100 MiB object whose third record never ends (no newline, or an open quote)
    blocks = CountedBlocks(b'id,v\n1,a\n2,"', filler)
    scanner = CsvScanner(blocks, CsvFormat(max_record_bytes=64 * 1024))
    # WHEN it is scanned with a 64 KiB record limit
    with pytest.raises(MalformedFile) as raised:
        scanner.header()
        list(scanner.chunks(MIB))
    # THEN it stops after about 64 KiB, naming line 3
    assert raised.value.line == 3
    assert blocks.taken <= 12


@pytest.mark.parametrize(
    "data, line",
    [(b"id,v\n1,a\rb\n", 2), (b"id\rx,v\n1,a\n", 1)],
    ids=["in_a_row", "in_the_header"],
)
def test_a_bare_carriage_return_in_an_unquoted_field_is_malformed(data: bytes, line: int) -> None:
    # GIVEN a carriage return that is not part of a line end, outside quotes
    scanner = CsvScanner(blocks_of(data, 3), CsvFormat())
    # WHEN the file is scanned
    with pytest.raises(MalformedFile) as raised:
        scanner.header()
        list(scanner.chunks(MIB))
    # THEN the error names the line and says what to do
    assert raised.value.line == line
    assert raised.value.message.startswith(
        f"line {line}: a carriage return inside an unquoted field"
    )
    assert "quote the field" in raised.value.message


# --- bytes that do not decode ------------------------------------------------------------------


def test_undecodable_bytes_leave_boundaries_alone_and_flag_only_their_cell() -> None:
    # GIVEN a UTF-8 file with one Latin-1 byte in row 2's name, and the same file with an "e"
    data = b"id,name\n1,caf\xe9\n2,ok\n"
    valid = data.replace(b"\xe9", b"e")
    for block in (1, MIB):
        # WHEN both are scanned and the bad file's chunk is read back
        result = scan(data, block=block, chunk=1)
        assert result.spans == scan(valid, block=block, chunk=1).spans
        span = result.spans[0]
        records, clean = read_records(data[span.start : span.end], span.first_line, CsvFormat())
        # THEN the spans are the valid file's, the chunk is not clean, only the bad cell is flagged
        assert (span.start, span.end, span.rows) == (8, 15, 1)
        assert clean is False
        assert [
            (record.line, [undecodable(cell) for cell in record.cells]) for record in records
        ] == [(2, [False, True])]
        assert readable(records[0].cells[1], "utf-8") == "caf\ufffd"
        assert result.rows[1] == (3, ["2", "ok"])


def test_a_clean_chunk_is_read_as_clean_and_cells_stay_as_they_are() -> None:
    # GIVEN a chunk of valid UTF-8
    # WHEN it is read
    records, clean = read_records("1,café\n".encode(), 7, CsvFormat())
    # THEN it is clean, and readable leaves its cells alone
    assert clean is True
    assert records[0].line == 7
    assert [readable(cell, "utf-8") for cell in records[0].cells] == ["1", "café"]
