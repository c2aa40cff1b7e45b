"""Keyset pagination, shared by every list the API answers (events, uploads, alerts, audit).

Pages are keyset, not offset: newest first by a time and a tie-breaking key, so a page stays
correct while rows keep arriving and costs one index range scan however deep the reader goes. The
cursor is opaque to the caller; a cursor this API did not issue is a 400 naming ``cursor``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TypeVar

from chalicelib.domain.errors import Detail, InvalidQuery
from chalicelib.domain.json_values import parse_timestamp

C = TypeVar("C")


def encode_keyset(stamp: datetime, key: int | str) -> str:
    """An opaque cursor: the time and tie-breaking key of the last row of a page."""
    raw = json.dumps([stamp.isoformat(), key]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_keyset(text: str) -> tuple[datetime, object]:
    """The time and key of :func:`encode_keyset`; ``InvalidQuery`` for anything else."""
    try:
        stamp, key = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        moment = parse_timestamp(stamp)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise invalid_parameter("cursor", "is not a cursor this API returned", text) from exc
    if isinstance(moment, str):
        raise invalid_parameter("cursor", "is not a cursor this API returned", text)
    return moment, key


def page_window(
    params: Mapping[str, str],
    allowed: tuple[str, ...],
    decode: Callable[[str], C],
    problems: list[Detail],
    *,
    default_limit: int,
    max_limit: int,
) -> tuple[datetime | None, datetime | None, int, C | None]:
    """What every keyset-paginated list takes: known parameters only, ``since`` before ``until``,
    a bounded ``limit`` and a cursor this API issued. Problems are added to ``problems``."""
    problems.extend(
        Detail(f"unknown parameter; expected one of {', '.join(allowed)}", field=name)
        for name in params
        if name not in allowed
    )
    since, until = (
        time_parameter(params, "since", problems),
        time_parameter(params, "until", problems),
    )
    limit = limit_parameter(params.get("limit"), default_limit, max_limit, problems)
    after = None
    if params.get("cursor"):
        try:
            after = decode(params["cursor"])
        except InvalidQuery as exc:
            problems.extend(exc.details)
    if since and until and since >= until:
        problems.append(Detail("must be before 'until'", field="since"))
    return since, until, limit, after


def time_parameter(
    params: Mapping[str, object], name: str, problems: list[Detail]
) -> datetime | None:
    """``params[name]`` as a UTC time; None when absent (or null, in a JSON body) or when it is
    not one, which ``problems`` then names."""
    if params.get(name) is None:
        return None
    parsed = parse_timestamp(params[name])
    if isinstance(parsed, str):
        problems.append(Detail(parsed, field=name, value=params[name]))
        return None
    return parsed


def limit_parameter(value: str | None, default: int, maximum: int, problems: list[Detail]) -> int:
    if value is None:
        return default
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= maximum:
        problems.append(
            Detail(f"must be a whole number from 1 to {maximum}", field="limit", value=value)
        )
        return default
    return int(value)


def invalid_parameter(name: str, message: str, value: str) -> InvalidQuery:
    return InvalidQuery("invalid query parameters", [Detail(message, field=name, value=value)])
