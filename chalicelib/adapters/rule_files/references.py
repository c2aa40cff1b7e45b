"""``rules/reference/*.csv`` → :class:`ReferenceTable` values, with every problem at once.

Reference tables are small files operators keep beside the rules (stores and their regions, say):
UTF-8, a header row, one row per key in the first column. Lookups and ``entities_from`` find rows
by that key, so a key written twice is an error (which row would win?) reported with both lines.
Every value is kept as text: a table has no declared types, and text is what a key compares to.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from types import MappingProxyType

from chalicelib.adapters.rule_files.sources import display_name
from chalicelib.domain.errors import Detail
from chalicelib.domain.rules import ReferenceTable
from chalicelib.domain.sources import SOURCE_PATTERN


def read_references(directory: Path) -> tuple[dict[str, ReferenceTable], list[Detail]]:
    """Every table in ``directory / "reference"`` that reads cleanly, and every problem.

    Files are named relative to ``directory``'s parent (``rules/reference/stores.csv``).
    """
    folder = directory / "reference"
    paths = sorted(folder.glob("*.csv")) if folder.is_dir() else []
    tables: dict[str, ReferenceTable] = {}
    details: list[Detail] = []
    for path in (p for p in paths if p.is_file()):
        file = display_name(path, directory)
        if not SOURCE_PATTERN.fullmatch(path.stem):
            details.append(
                Detail(
                    f"'{path.stem}' is not a table name: lower case letters, "
                    "digits, '_' and '-', starting with a letter or digit",
                    file=file,
                )
            )
            continue
        table = read_reference(path, file)
        if isinstance(table, list):
            details.extend(table)
        else:
            tables[table.name] = table
    return tables, details


def read_text(path: Path, file: str) -> str | list[Detail]:
    """A reference file's text (UTF-8, a byte-order mark is fine), or why it cannot be read,
    with the line of the first byte that is not UTF-8."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        return [Detail(f"cannot be read ({exc.strerror})", file=file)]
    except UnicodeDecodeError as exc:
        return [
            Detail(
                f"is not UTF-8 text (byte 0x{exc.object[exc.start]:02x}); save it as UTF-8",
                line=exc.object[: exc.start].count(b"\n") + 1,
                file=file,
            )
        ]


def read_reference(path: Path, file: str) -> ReferenceTable | list[Detail]:
    text = read_text(path, file)
    if isinstance(text, list):
        return text
    try:
        return parse_reference(path.stem, file, text)
    except csv.Error as exc:
        return [Detail(f"is not valid CSV: {exc}", file=file)]


def parse_reference(name: str, file: str, text: str) -> ReferenceTable | list[Detail]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [cell.strip() for cell in next(reader, [])]
    problems = _header_problems(header, file)
    if problems:
        return problems
    rows: dict[str, tuple[str, ...]] = {}
    lines: dict[str, int] = {}
    while True:
        line = reader.line_num + 1
        cells = next(reader, None)
        if cells is None:
            break
        if not any(cell.strip() for cell in cells):
            continue
        problem = _row_problem(cells, header, lines, line)
        if problem is not None:
            problems.append(Detail(problem, line=line, file=file))
            continue
        key = cells[0].strip()
        rows[key] = tuple(cell.strip() for cell in cells)
        lines[key] = line
    return problems or ReferenceTable(name, file, tuple(header), MappingProxyType(rows))


def _header_problems(header: list[str], file: str) -> list[Detail]:
    if not header:
        return [
            Detail("is empty; expected a header row naming the columns, the key first", file=file)
        ]
    problems = []
    for index, cell in enumerate(header):
        if not cell:
            problems.append(Detail(f"header cell {index + 1} is empty", line=1, file=file))
        elif cell in header[:index]:
            problems.append(
                Detail(f"column '{cell}' is named twice", line=1, column=cell, file=file)
            )
    return problems


def _row_problem(
    cells: list[str], header: list[str], lines: dict[str, int], line: int
) -> str | None:
    key = cells[0].strip()
    if len(cells) != len(header):
        return f"has {len(cells)} cells; the header has {len(header)}"
    if not key:
        return f"the key ({header[0]}) is empty"
    if key in lines:
        return f"duplicate key '{key}' (first at line {lines[key]})"
    return None
