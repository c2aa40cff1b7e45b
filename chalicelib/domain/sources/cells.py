"""Reading a cell's text as its column's type: the per-row hot path.

Each column's converter is built once, when its definition loads (:func:`converter_for`), so a row
costs one call per cell and no dispatch. Converters see stripped, non-empty text: the empty cell,
defaults and ``required`` are the model's business (``model.read_cell``, the row loop's
entry point). A refusal is a :class:`CellError` whose message says what was expected.

The source model builds its columns' converters here, so this module imports nothing from it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeAlias
from zoneinfo import ZoneInfo

from chalicelib.domain.sources.formats import SAMPLE, strptime_parser

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

Converter: TypeAlias = Callable[[str, str], object]


class CellError(Exception):
    """Why a cell cannot be read; the row reader turns it into a rejected row with line and column.

    Not a :class:`TriplineError`: it never leaves the row loop, and it is raised often enough in a
    bad file that it carries nothing but its message.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def converter_for(column_type: str, fmt: str | None, timezone: str | None) -> Converter:
    """The converter of one column type, its format and zone bound now; ValueError if unknown."""
    if column_type == "timestamp":
        return _timestamp_converter(fmt, timezone)
    if column_type == "date":
        return _date_converter(fmt)
    simple = {"string": _string, "integer": _integer, "number": _number, "boolean": _boolean}
    if column_type not in simple:
        raise ValueError(f"unknown column type {column_type!r}")
    return simple[column_type]


def _string(text: str, decimal_separator: str) -> object:
    return text


_INTEGER = "is not an integer (expected digits with an optional sign, e.g. 42 or -7)"
_INT64 = f"is out of range for a 64-bit integer ({INT64_MIN} to {INT64_MAX})"


def _integer(text: str, decimal_separator: str) -> object:
    digits = text[1:] if text[0] in "+-" else text
    if not (digits.isascii() and digits.isdigit()):
        raise CellError(_INTEGER)
    if len(digits) > 19 and len(digits.lstrip("0")) > 19:
        raise CellError(_INT64)
    value = int(text)
    if INT64_MIN <= value <= INT64_MAX:
        return value
    raise CellError(_INT64)


_NUMBER = {
    ".": "is not a number (expected digits with '.' as the decimal separator and no thousands "
    "separator, e.g. 1234.50)",
    ",": "is not a number (expected digits with ',' as the decimal separator and no thousands "
    "separator, e.g. 1234,50)",
}
_OTHER_SEPARATOR = {".": ",", ",": "."}


def _number(text: str, decimal_separator: str) -> object:
    if _OTHER_SEPARATOR[decimal_separator] in text or "_" in text or not text.isascii():
        raise CellError(_NUMBER[decimal_separator])
    try:
        value = float(text if decimal_separator == "." else text.replace(",", "."))
    except ValueError:
        raise CellError(_NUMBER[decimal_separator]) from None
    if value - value == 0.0:  # false for inf and nan, and cheaper than math.isfinite
        return value
    if text.lstrip("+-")[:1].isalpha():
        raise CellError("is not a finite number (NaN and infinity are not allowed)")
    raise CellError("is out of range for a number")


_BOOLEANS = {
    "true": True,
    "yes": True,
    "y": True,
    "1": True,
    "false": False,
    "no": False,
    "n": False,
    "0": False,
}


def _boolean(text: str, decimal_separator: str) -> object:
    value = _BOOLEANS.get(text.lower())
    if value is None:
        raise CellError("is not a boolean (expected true/false, yes/no, y/n or 1/0)")
    return value


def _date_converter(fmt: str | None) -> Converter:
    if fmt is None:
        return _iso_date
    parse = strptime_parser(fmt)
    message = f"does not match the format {fmt} (e.g. {SAMPLE.strftime(fmt)})"

    def formatted_date(text: str, decimal_separator: str) -> object:
        try:
            return parse(text).date().isoformat()
        except ValueError:
            raise CellError(message) from None

    return formatted_date


def _iso_date(text: str, decimal_separator: str) -> object:
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            pass
    raise CellError("is not a date (expected YYYY-MM-DD, e.g. 2026-11-22)")


_OUT_OF_RANGE = "is out of range once converted to UTC"
_NO_ZONE = "has no time zone; add Z or an offset, or declare timezone: in the source"


def _timestamp_converter(fmt: str | None, timezone: str | None) -> Converter:
    localize = _localizer(timezone)
    parse: Callable[[str], datetime] = datetime.fromisoformat
    message = "is not an ISO 8601 timestamp (e.g. 2026-11-22T08:30:00Z)"
    if fmt is not None:
        parse = strptime_parser(fmt)
        message = f"does not match the format {fmt} (e.g. {SAMPLE.strftime(fmt)})"

    def timestamp(text: str, decimal_separator: str) -> object:
        try:
            moment = parse(text)
        except ValueError:
            raise CellError(message) from None
        if moment.tzinfo is None:
            return localize(moment)
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise CellError(_OUT_OF_RANGE) from None

    return timestamp


def _localizer(timezone: str | None) -> Callable[[datetime], datetime]:
    """Naive times are read in the column's zone; times the zone skips or repeats are refused,
    since guessing would misorder events around every DST change.

    ``datetime.combine`` stands in for ``replace``, which costs five times as much on 3.11.
    """
    if timezone is None:

        def refuse(moment: datetime) -> datetime:
            raise CellError(_NO_ZONE)

        return refuse
    utcoffset, combine = ZoneInfo(timezone).utcoffset, datetime.combine
    gap = f"does not exist in {timezone} (the clocks went forward)"
    fold = (
        f"is ambiguous in {timezone} (the clocks went back, so it happened twice); "
        "write it with an offset such as +01:00"
    )

    def localize(moment: datetime) -> datetime:
        offset = utcoffset(moment) or _ZERO
        second = time(moment.hour, moment.minute, moment.second, moment.microsecond, None, fold=1)
        other = utcoffset(combine(moment, second)) or _ZERO
        if offset != other:  # before the change < after it: a gap; the other way round: a fold
            raise CellError(gap if offset < other else fold)
        try:
            utc = moment - offset
        except OverflowError:
            raise CellError(_OUT_OF_RANGE) from None
        return combine(utc, utc.time(), UTC)

    return localize


_ZERO = timedelta(0)
