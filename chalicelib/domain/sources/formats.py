"""Declared date and timestamp formats: checked once at load, then read fast on every row.

A ``format:`` is a ``strptime`` pattern an operator wrote. Two questions are asked of it, at
different times: when the definition loads, whether it can hold a date (or a timestamp to the
minute) at all; and for each cell, what it reads, which for the common all-numeric formats is
answered by one compiled regex instead of ``strptime``. Both live here, beside the sample instant
that the load check tries each format on and the converters' messages show as an example.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from operator import itemgetter

# the instant every format is tried on, and shown in messages as what a cell should look like
SAMPLE = datetime(2026, 11, 22, 20, 30, 45, tzinfo=UTC)


def format_problem(fmt: str, column_type: str) -> str | None:
    """Why ``fmt`` cannot read back a sample date (or timestamp to the minute), or None."""
    try:
        parsed = datetime.strptime(SAMPLE.strftime(fmt), fmt)
    except ValueError as exc:
        return f"is not a usable strptime format ({exc})"
    minutes = column_type == "date" or (parsed.hour, parsed.minute) == (20, 30)
    if parsed.date() == SAMPLE.date() and minutes:
        return None
    needs = "year, month and day" + ("" if column_type == "date" else ", hours and minutes")
    return (
        f"'{fmt}' cannot hold a {column_type}: {SAMPLE:%Y-%m-%d %H:%M} reads back as "
        f"{parsed:%Y-%m-%d %H:%M}; it needs the {needs}"
    )


# strptime_parser's own patterns for the numeric directives: the fast path accepts exactly what
# datetime.strptime accepts, at a third of its cost; any other directive goes to strptime
# itself.
_NUMERIC_DIRECTIVES = {
    "Y": r"(\d\d\d\d)",
    "m": r"(1[0-2]|0[1-9]|[1-9])",
    "d": r"(3[0-1]|[1-2]\d|0[1-9]|[1-9]| [1-9])",
    "H": r"(2[0-3]|[0-1]\d|\d)",
    "M": r"([0-5]\d|\d)",
    "S": r"(6[0-1]|[0-5]\d|\d)",
}


def strptime_parser(fmt: str) -> Callable[[str], datetime]:
    """``datetime.strptime`` with ``fmt`` bound; compiled to one regex when ``fmt`` holds only
    %Y %m %d %H %M %S (each at most once, with the date complete) and literal text."""
    pieces = re.split(r"(%.)", fmt)
    keys = [directive[1] for directive in pieces[1::2]]
    numeric = {"Y", "m", "d"} <= set(keys) <= set(_NUMERIC_DIRECTIVES)
    if not numeric or len(set(keys)) != len(keys):
        return lambda text: datetime.strptime(text, fmt)
    pattern = "".join(
        _NUMERIC_DIRECTIVES[piece[1]] if index % 2 else _literal(piece)
        for index, piece in enumerate(pieces)
    )
    match = re.compile(pattern, re.IGNORECASE).match
    # a missing %H, %M or %S picks the "0" appended after the groups
    pick = itemgetter(*(keys.index(key) if key in keys else len(keys) for key in "YmdHMS"))

    def parse(text: str) -> datetime:
        found = match(text)
        if found is None or found.end() != len(text):
            raise ValueError(f"time data {text!r} does not match format {fmt!r}")
        year, month, day, hour, minute, second = map(int, pick((*found.groups(), "0")))
        return datetime(year, month, day, hour, minute, second)

    return parse


def _literal(text: str) -> str:
    """Literal format text as strptime reads it: white space matches any run of white space."""
    return r"\s+".join(re.escape(part) for part in re.split(r"\s+", text))
