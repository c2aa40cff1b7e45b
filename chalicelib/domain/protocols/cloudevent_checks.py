"""CloudEvents 1.0 attributes checked as the specification says (spec.md, formats/json-format.md):
every problem of an event, each named by its attribute.

Required: ``specversion`` ("1.0"), ``id``, ``source`` (a URI-reference) and ``type``, non-empty
strings. Optional: ``subject`` (non-empty), ``time`` (RFC 3339), ``datacontenttype`` (a media
type), ``dataschema`` (an absolute URI). Any other member is an extension: its name lower-case
letters a-z and digits 0-9, at most 20 characters; its value a string, a 32-bit integer or a
boolean. No string may hold a control character. ``data`` and ``data_base64`` are not both sent.
JSON ``null`` is an unset attribute, as the JSON format says.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.domain.errors import Detail
from chalicelib.domain.json_values import json_kind

SPECVERSION = "1.0"
REQUIRED = ("id", "source", "specversion", "type")
DATA_MEMBERS = ("data", "data_base64")
RESERVED_DATA_KEY = "cloudevents"  # where the attributes are kept in the Tripline item's data
MAX_NAME_CHARS = 20
SHOWN_PROBLEMS = 20  # a hostile event could have thousands; these say enough
INTEGER_RANGE = (-(2**31), 2**31 - 1)  # CloudEvents' Integer is a signed 32-bit number

_NAME = re.compile(r"[a-z0-9]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_URI_CHARS = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_MEDIA_NAME = r"[A-Za-z0-9!#$&^_.+\-]+"  # RFC 6838 restricted-name characters
_MEDIA_TYPE = re.compile(rf"{_MEDIA_NAME}/{_MEDIA_NAME}\s*(?:;.*)?", re.DOTALL)
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))",
    re.ASCII,  # digits 0-9 only, not every script's
)


def cloudevent_problems(event: Mapping[str, Any]) -> list[Detail]:
    """Every problem of the event as CloudEvents 1.0 defines it, by attribute."""
    problems: list[Detail] = []
    for name, value in event.items():
        if name in DATA_MEMBERS:
            continue
        naming = _name_problem(name)
        if naming is not None:
            problems.append(Detail(naming, field=name[:64]))
        elif value is not None:
            reason = ATTRIBUTE_CHECKS.get(name, _extension_value)(value)
            if reason is not None:
                problems.append(Detail(reason, field=name, value=_shown(value)))
        if len(problems) >= SHOWN_PROBLEMS:
            return problems
    problems.extend(
        Detail("is required", field=name) for name in REQUIRED if event.get(name) is None
    )
    return problems + _data_problems(event)


def rfc3339_time(value: str) -> datetime | str:
    """An RFC 3339 timestamp in UTC (fractions past microseconds dropped); or why it is not one."""
    found = _RFC3339.fullmatch(value)
    if found is None:
        return "must be an RFC 3339 timestamp, such as 2026-12-07T08:30:00Z"
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = found.groups()
    if second == "60":
        return "is a leap second, which cannot be stored; send :59.999999 or :00"
    offset = 0 if zulu else (int(off_h) * 60 + int(off_m)) * (-1 if sign == "-" else 1)
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        local = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro
        )
        return (local.replace(tzinfo=UTC) - timedelta(minutes=offset)).astimezone(UTC)
    except (ValueError, OverflowError):
        return "is not a real date and time"


def _name_problem(name: str) -> str | None:
    if not _NAME.fullmatch(name):
        return (
            "is not a CloudEvents attribute name: only lower-case letters a-z and digits 0-9 "
            "(CloudEvents 1.0, attribute naming)"
        )
    if len(name) > MAX_NAME_CHARS:
        return f"is not a CloudEvents attribute name: at most {MAX_NAME_CHARS} characters"
    return None


def _text(value: object) -> str | None:
    """The problem with a String attribute's value, if any."""
    if not isinstance(value, str):
        return f"must be a string, not {json_kind(value)}"
    if not value:
        return "must be a non-empty string"
    if _CONTROL.search(value):
        return "must not contain control characters"
    return None


def _specversion(value: object) -> str | None:
    if not isinstance(value, str):
        return f"must be the string {SPECVERSION!r}, not {json_kind(value)}"
    if value != SPECVERSION:
        return f"CloudEvents {value!r} is not supported: send specversion {SPECVERSION!r}"
    return None


def _uri_reference(value: object) -> str | None:
    problem = _text(value)
    if problem is None and not _URI_CHARS.fullmatch(str(value)):
        return "must be a URI-reference (RFC 3986): percent-encode spaces and other characters"
    return problem


def _uri(value: object) -> str | None:
    problem = _uri_reference(value)
    if problem is None and not _SCHEME.match(str(value)):
        return "must be an absolute URI (RFC 3986), starting with a scheme such as https:"
    return problem


def _media_type(value: object) -> str | None:
    problem = _text(value)
    if problem is None and not _MEDIA_TYPE.fullmatch(str(value)):
        return "must be a media type (RFC 2046), such as application/json"
    return problem


def _time(value: object) -> str | None:
    if not isinstance(value, str):
        return f"must be an RFC 3339 timestamp string, not {json_kind(value)}"
    moment = rfc3339_time(value)
    return moment if isinstance(moment, str) else None


def _extension_value(value: object) -> str | None:
    """An extension's value: in the JSON format a string, an integer or a boolean."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        low, high = INTEGER_RANGE
        return None if low <= value <= high else f"must be an integer from {low} to {high}"
    if isinstance(value, str):
        return "must not contain control characters" if _CONTROL.search(value) else None
    what = "a number with a fraction" if isinstance(value, float) else json_kind(value)
    return f"must be a string, an integer or a boolean, not {what}"


ATTRIBUTE_CHECKS: Mapping[str, Callable[[object], str | None]] = {
    "id": _text,
    "source": _uri_reference,
    "specversion": _specversion,
    "type": _text,
    "datacontenttype": _media_type,
    "dataschema": _uri,
    "subject": _text,
    "time": _time,
}


def _data_problems(event: Mapping[str, Any]) -> list[Detail]:
    problems = []
    if "data" in event and "data_base64" in event:
        problems.append(Detail("send data or data_base64, not both", field="data_base64"))
    encoded = event.get("data_base64")
    if "data_base64" in event and not _is_base64(encoded):
        problems.append(
            Detail("must be a Base64 string (RFC 4648)", field="data_base64", value=_shown(encoded))
        )
    data = event.get("data")
    if isinstance(data, dict) and RESERVED_DATA_KEY in data:
        problems.append(
            Detail(
                "is where Tripline keeps the event's CloudEvents attributes: rename this key",
                field=f"data.{RESERVED_DATA_KEY}",
            )
        )
    return problems


def _is_base64(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _shown(value: object) -> object:
    """A value as an answer repeats it: long text cut, containers left out."""
    if isinstance(value, str):
        return value if len(value) <= 80 else value[:80] + "…"
    return value if isinstance(value, int | float | bool) else None
