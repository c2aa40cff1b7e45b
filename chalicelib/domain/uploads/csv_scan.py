"""CSV records found in a stream of bytes, and read back from one byte range of it.

The fan-out never holds a file. It reads blocks, splits them into physical lines and lets the
``csv`` module say where each record ends, counting bytes as it goes, so a chunk is a byte range
``[start, end)`` that begins and ends on a record boundary, with the line number it starts on. A
processor then reads that range alone, with the same splitting and the same parser, so both agree
on every record and line number; quoted fields may hold delimiters, quotes and newlines.

Lines are split on ``\\n`` only (a ``\\r`` before it is part of the line ending and the csv
module drops it): ``str.splitlines`` would also split on form feeds and Unicode separators inside
fields and shift every line number after them. Encodings must be ASCII-compatible (the source
loader refuses others), so quotes, delimiters and newlines are the same bytes in every one of them
and bytes that do not decode cannot move a boundary.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

UTF8_BOM = codecs.BOM_UTF8
DECODE_FALLBACK = "surrogateescape"  # keeps undecodable bytes, one lone surrogate each


class MalformedFile(Exception):
    """The file cannot be split into records at all; ``line`` is where reading stopped."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class CsvFormat:
    delimiter: str = ","
    encoding: str = "utf-8"
    max_record_bytes: int = 1024 * 1024
    skip_lines: int = 0  # physical lines before the header (a preamble), left unread


@dataclass(frozen=True)
class Header:
    cells: list[str]
    end: int  # byte offset just past the header record
    lines: int  # physical lines up to its end: blank lines before it, and newlines in its cells


@dataclass(frozen=True)
class ChunkSpan:
    """Records ``[start, end)`` of the file, the first on ``first_line``; ``rows`` excludes blanks."""

    number: int
    start: int
    end: int
    first_line: int
    rows: int


@dataclass(frozen=True)
class Record:
    line: int  # the physical line the record starts on
    cells: list[str]


def _allow_long_fields(limit: int) -> None:
    """The csv module refuses fields over 128 KiB by default; records have their own limit here."""
    if csv.field_size_limit() < limit:
        csv.field_size_limit(limit)


class _Lines:
    """Physical lines of a byte stream, decoded, with the byte offset and line number reached."""

    def __init__(self, blocks: Iterable[bytes], fmt: CsvFormat) -> None:
        self._blocks = iter(blocks)
        self._fmt = fmt
        self._pending: list[bytes] = []
        self._tail = b""
        self.offset = 0
        self.line = 0
        self.record_start = 0
        self.record_line = 1
        # the first bytes, held until they can be told from a UTF-8 byte-order mark (None: told)
        self._head: bytes | None = b"" if fmt.encoding.startswith("utf") else None

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if not self._pending:
            self._refill()
        raw = self._pending.pop()
        self.offset += len(raw)
        self.line += 1
        if self.offset - self.record_start > self._fmt.max_record_bytes:
            raise MalformedFile(self._too_long(), self.record_line)
        return raw.decode(self._fmt.encoding, DECODE_FALLBACK)

    def _refill(self) -> None:
        """Split blocks into lines until one is whole; a line that never ends fails at the limit.

        The limit counts the record so far plus the line being gathered, so memory stays bounded
        however long the file, and only a tail with no complete line before it is checked: a long
        line after complete ones is a later record, reported on its own line when it is reached.
        """
        for block in self._blocks:
            parts = self._without_bom(block).split(b"\n")
            if len(parts) > 1:
                parts[0] = self._tail + parts[0]
                self._tail = parts.pop()
                self._pending = [part + b"\n" for part in reversed(parts)]
                return
            self._tail += parts[0]
            if self.offset - self.record_start + len(self._tail) > self._fmt.max_record_bytes:
                raise MalformedFile(self._too_long(), self.record_line)
        self._tail, self._head = self._tail + (self._head or b""), None
        if not self._tail:
            raise StopIteration
        self._pending, self._tail = [self._tail], b""

    def _without_bom(self, block: bytes) -> bytes:
        """Blocks may be a byte long: the mark is looked for once three bytes have come."""
        if self._head is None:
            return block
        head = self._head + block
        if len(head) < len(UTF8_BOM) and UTF8_BOM.startswith(head):
            self._head = head
            return b""
        self._head = None
        if head.startswith(UTF8_BOM):
            self.offset = self.record_start = len(UTF8_BOM)
            return head[len(UTF8_BOM) :]
        return head

    def _too_long(self) -> str:
        return (
            f"the record starting on line {self.record_line} is longer than "
            f"{self._fmt.max_record_bytes} bytes; is a quote left open?"
        )

    def mark_record_start(self) -> None:
        self.record_start = self.offset
        self.record_line = self.line + 1


class CsvScanner:
    """One pass over a file: the header first, then chunk spans of whole records."""

    def __init__(self, blocks: Iterable[bytes], fmt: CsvFormat) -> None:
        _allow_long_fields(fmt.max_record_bytes)
        self._lines = _Lines(blocks, fmt)
        self._skip_lines = fmt.skip_lines
        self._reader = csv.reader(self._lines, delimiter=fmt.delimiter, strict=False)

    def header(self) -> Header | None:
        """The first non-blank record after the lines to skip; ``None`` when there is none.

        Skipped lines are physical lines, read past before the CSV parser sees anything (a
        preamble may hold quotes of its own); line numbers still count them."""
        for _ in range(self._skip_lines):
            if next(self._lines, None) is None:
                return None
        for cells in self._records():
            if cells:
                return Header(cells, self._lines.offset, self._lines.line)
        return None

    def chunks(self, chunk_bytes: int) -> Iterator[ChunkSpan]:
        """Spans of at least ``chunk_bytes`` (the last may be shorter), ending on record ends."""
        number, start, first_line, rows = 0, self._lines.offset, self._lines.line + 1, 0
        for cells in self._records():
            rows += 1 if cells else 0
            if rows and self._lines.offset - start >= chunk_bytes:  # no chunk of blank lines
                yield ChunkSpan(number, start, self._lines.offset, first_line, rows)
                number, start, first_line, rows = (
                    number + 1,
                    self._lines.offset,
                    self._lines.line + 1,
                    0,
                )
        if rows:
            yield ChunkSpan(number, start, self._lines.offset, first_line, rows)

    @property
    def bytes_read(self) -> int:
        return self._lines.offset

    @property
    def lines_read(self) -> int:
        return self._lines.line

    def _records(self) -> Iterator[list[str]]:
        while True:
            self._lines.mark_record_start()
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                line = self._lines.line
                reason = str(exc)
                if "new-line character" in reason:
                    reason = "a carriage return inside an unquoted field (quote the field, or use \\n line ends)"
                raise MalformedFile(f"line {line}: {reason}", line) from exc
            yield cells


def read_records(data: bytes, first_line: int, fmt: CsvFormat) -> tuple[list[Record], bool]:
    """The records of one chunk, with their line numbers; and whether every byte decoded.

    When some bytes do not decode, the chunk is read with ``surrogateescape`` and the caller
    checks cells with :func:`undecodable` to reject exactly the rows that hold them.
    """
    _allow_long_fields(fmt.max_record_bytes)
    try:
        text, clean = data.decode(fmt.encoding), True
    except UnicodeDecodeError:
        text, clean = data.decode(fmt.encoding, DECODE_FALLBACK), False
    parts = text.split("\n")
    last = parts.pop()
    lines = [part + "\n" for part in parts]
    if last:
        lines.append(last)
    reader = csv.reader(lines, delimiter=fmt.delimiter, strict=False)
    records: list[Record] = []
    consumed = 0
    for cells in reader:
        if cells:
            records.append(Record(first_line + consumed, cells))
        consumed = reader.line_num
    return records, clean


def undecodable(cell: str) -> bool:
    """Whether a cell read with ``surrogateescape`` holds bytes its encoding could not decode."""
    return any("\udc80" <= ch <= "\udcff" for ch in cell)


def readable(cell: str, encoding: str) -> str:
    """A cell with its undecodable bytes shown as U+FFFD, fit to store and to write as UTF-8."""
    if not undecodable(cell):
        return cell
    return cell.encode(encoding, DECODE_FALLBACK).decode(encoding, "replace")
