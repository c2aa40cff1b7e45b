"""How a source's files are split: encoding, delimiter and decimal separator.

These three must agree with each other (a delimiter the encoding cannot write, a decimal
separator that is also the delimiter) and with the CSV reader, which splits on ASCII bytes; a
definition that gets them wrong would mis-read every file, so they are refused at load.
"""

from __future__ import annotations

import codecs

from chalicelib.domain.sources.model import Located, LocatedMapping
from chalicelib.domain.sources.problems import Problems


def read_encoding(entry: Located | None, problems: Problems) -> str | None:
    """The canonical name of ``encoding:`` (utf-8 when absent), or None once a problem is noted."""
    name = problems.text(entry, "encoding", "utf-8")
    if name is None:
        return None
    try:
        return canonical_encoding(name)
    except ValueError as exc:
        problems.add(str(exc), "encoding", entry.line if entry else None)
        return None


_ASCII_PROBE = '\n\r,;|\t"'
_NOT_PLAIN_TEXT = (
    "utf-16",
    "utf-32",
    "utf-7",
    "idna",
    "punycode",
    "raw-unicode-escape",
    "unicode-escape",
)


def canonical_encoding(name: str) -> str:
    """Python's name for an encoding a CSV reader can split on ASCII bytes; else ValueError.

    ``utf-8-sig`` becomes ``utf-8``: the reader drops a byte-order mark whatever the encoding says.
    """
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        raise ValueError(f"unknown encoding '{name}' (e.g. utf-8, latin-1, cp1252)") from None
    canonical = "utf-8" if canonical == "utf-8-sig" else canonical
    try:
        compatible = _ASCII_PROBE.encode(canonical) == _ASCII_PROBE.encode("ascii")
    except (LookupError, UnicodeError, TypeError):  # bytes-to-bytes codecs such as base64
        compatible = False
    if not compatible or canonical.startswith(_NOT_PLAIN_TEXT):
        raise ValueError(
            f"encoding '{name}' is not ASCII-compatible, so a CSV reader cannot split "
            "it on commas and line breaks; use utf-8, latin-1 or cp1252, or convert "
            "the files"
        )
    return canonical


def read_separators(
    document: LocatedMapping, encoding: str | None, problems: Problems
) -> tuple[str | None, str | None]:
    """``delimiter`` and ``decimal_separator`` (``,`` and ``.`` when absent); None for a bad one."""
    entry, decimal_entry = document.get("delimiter"), document.get("decimal_separator")
    delimiter = problems.text(entry, "delimiter", ",")
    problem = _delimiter_problem(delimiter, encoding) if delimiter is not None else ""
    if problem:
        problems.add(problem, "delimiter", entry.line if entry else None)
        delimiter = None
    decimal = problems.text(decimal_entry, "decimal_separator", ".")
    line = decimal_entry.line if decimal_entry else None
    if decimal is not None and decimal not in (".", ","):
        problems.add(f"must be '.' or ',', not {decimal!r}", "decimal_separator", line)
        decimal = None
    elif decimal is not None and decimal == delimiter:
        problems.add(
            f"{decimal!r} is also the delimiter; a number could not be told from two cells",
            "decimal_separator",
            line,
        )
        decimal = None
    return delimiter, decimal


def _delimiter_problem(delimiter: str, encoding: str | None) -> str:
    if len(delimiter) != 1 or delimiter in '"\r\n':
        return f"must be one character other than a quote or a line break, not {delimiter!r}"
    try:
        delimiter.encode(encoding or "utf-8")
    except UnicodeError:
        return f"{delimiter!r} cannot be written in {encoding}"
    return ""
