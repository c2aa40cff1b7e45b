"""The body of ``POST /silences`` and the parameters of ``GET /silences``, every problem at once.

A silence is written by someone in the middle of an incident or planning a maintenance window,
so a mistake must be caught now, not discovered when the pager goes off anyway: an unknown rule
or source is refused with a suggestion, a local time the clocks skip or show twice is refused
rather than guessed, and a silence of everything must be asked for by name.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain.errors import Detail, InvalidQuery, RequestError
from chalicelib.domain.json_values import json_kind
from chalicelib.domain.silences.model import MATCHER_KEYS, Matchers, Silence
from chalicelib.domain.silences.schedule import (
    check_span,
    check_windows,
    parse_moment,
    parse_recurrence,
    parse_zone,
    unknown_keys,
)

SILENCE_KEYS = ("matchers", "starts_at", "ends_at", "timezone", "recurrence", "comment", "author")
QUERY_PARAMETERS = ("state",)
MAX_VALUES = 100
MAX_VALUE_LENGTH = 200
MAX_COMMENT_LENGTH = 1000
MAX_AUTHOR_LENGTH = 200
EVERYTHING = (
    "name at least one rule, source, label or group value; to silence every alert, "
    "say so explicitly by listing every rule under 'rule'"
)


def parse_silence(
    payload: object,
    *,
    now: datetime,
    new_id: str,
    known_rules: Collection[str],
    known_sources: Collection[str],
) -> Silence:
    """The silence ``payload`` asks for, created ``now``; ``RequestError`` lists every problem."""
    if not isinstance(payload, dict):
        shown = f"must be a JSON object, not {json_kind(payload)}"
        raise RequestError("invalid silence", [Detail(shown)])
    problems = unknown_keys(payload, SILENCE_KEYS, "")
    matchers = _matchers(payload.get("matchers"), known_rules, known_sources, problems)
    zone_name, zone = parse_zone(payload.get("timezone"), problems)
    starts_at = (
        now
        if payload.get("starts_at") is None
        else parse_moment(payload, "starts_at", zone, problems)
    )
    ends_at = parse_moment(payload, "ends_at", zone, problems)
    recurrence = parse_recurrence(payload.get("recurrence"), problems)
    if starts_at is not None and ends_at is not None:
        check_span(starts_at, ends_at, now, problems)
        if recurrence is not None and zone is not None and ends_at > starts_at:
            check_windows(recurrence, starts_at, ends_at, zone, problems)
    comment = _text(
        payload, "comment", MAX_COMMENT_LENGTH, "say why on-call will not be told", problems
    )
    author = _text(payload, "author", MAX_AUTHOR_LENGTH, "who asks for the silence", problems)
    if problems or starts_at is None or ends_at is None:
        raise RequestError("invalid silence", problems)
    return Silence(
        new_id, matchers, starts_at, ends_at, zone_name, recurrence, comment, author, created_at=now
    )


# --- matchers -------------------------------------------------------------------------------------


def _matchers(
    value: object,
    known_rules: Collection[str],
    known_sources: Collection[str],
    problems: list[Detail],
) -> Matchers:
    if not isinstance(value, dict):
        shown = "is required" if value is None else f"must be a JSON object, not {json_kind(value)}"
        problems.append(Detail(f"{shown}: {EVERYTHING}", field="matchers"))
        return Matchers()
    before = len(problems)
    problems.extend(unknown_keys(value, MATCHER_KEYS, "matchers."))
    matchers = Matchers(
        _names(value.get("rule"), "rule", known_rules, problems),
        _names(value.get("source"), "source", known_sources, problems),
        _pairs(value.get("labels"), "labels", problems),
        _pairs(value.get("group"), "group", problems),
    )
    if matchers.is_empty() and len(problems) == before:
        problems.append(Detail(f"is empty: {EVERYTHING}", field="matchers"))
    return matchers


def _names(
    value: object, key: str, known: Collection[str], problems: list[Detail]
) -> tuple[str, ...]:
    """Rule ids and source names: lower case like their definitions, and ones that exist."""
    found = []
    given = () if value is None else _values(value, f"matchers.{key}", problems)
    for where, text in given:
        name = text.lower()
        if name in known:
            found.append(name)
            continue
        close = difflib.get_close_matches(name, sorted(known), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known: {_listing(known)}"
        problems.append(Detail(f"no {key} is called this{hint}", field=where, value=text))
    return tuple(dict.fromkeys(found))


def _pairs(value: object, key: str, problems: list[Detail]) -> dict[str, tuple[str, ...]]:
    """Labels and group values: free names, each with one value or a choice of values."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        shown = f"must be a JSON object of names and values, not {json_kind(value)}"
        problems.append(Detail(shown, field=f"matchers.{key}"))
        return {}
    found = {}
    for name, wanted in value.items():
        where = f"matchers.{key}.{name}"
        if not name.strip() or len(name) > MAX_VALUE_LENGTH:
            problems.append(
                Detail(
                    f"a name must be 1 to {MAX_VALUE_LENGTH} characters, not blank",
                    field=where,
                    value=name,
                )
            )
            continue
        texts = [text for _, text in _values(wanted, where, problems, scalars=key == "group")]
        if texts:
            found[name] = tuple(dict.fromkeys(texts))
    return found


def _values(
    value: object, where: str, problems: list[Detail], scalars: bool = False
) -> Iterator[tuple[str, str]]:
    """``(field path, text)`` of a string or a non-empty list of them, lazily so that problems
    come in the order of the list; group values may also be JSON numbers, booleans or null."""
    if not isinstance(value, list):
        yield from _value(value, where, problems, scalars)
    elif not value or len(value) > MAX_VALUES:
        problems.append(Detail(f"must list 1 to {MAX_VALUES} values", field=where))
    else:
        for index, item in enumerate(value):
            yield from _value(item, f"{where}[{index}]", problems, scalars)


def _value(
    value: object, where: str, problems: list[Detail], scalars: bool
) -> Iterator[tuple[str, str]]:
    if scalars and (value is None or isinstance(value, bool | int | float)):
        yield where, _scalar_text(value)
    elif not isinstance(value, str):
        wanted = "a string or a list of strings" + (" (or JSON scalars)" if scalars else "")
        problems.append(
            Detail(f"must be {wanted}, not {json_kind(value)}", field=where, value=value)
        )
    elif not value.strip() or len(value.strip()) > MAX_VALUE_LENGTH:
        problems.append(
            Detail(
                f"must be 1 to {MAX_VALUE_LENGTH} characters, not blank", field=where, value=value
            )
        )
    else:
        yield where, value.strip()


def _scalar_text(value: object) -> str:
    """The text :func:`~chalicelib.domain.silences.model.group_texts` gives the same JSON value."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value)


# --- the rest -------------------------------------------------------------------------------------


def _text(
    payload: Mapping[str, Any], key: str, limit: int, purpose: str, problems: list[Detail]
) -> str:
    value = payload.get(key)
    if value is None:
        problems.append(Detail(f"is required: {purpose}", field=key))
        return ""
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > limit:
        shown = None if isinstance(value, str) and len(value) > limit else value
        problems.append(
            Detail(f"must be text of 1 to {limit} characters ({purpose})", field=key, value=shown)
        )
    return text


def _listing(names: Collection[str]) -> str:
    shown = sorted(names)
    return (", ".join(shown[:10]) + (", ..." if len(shown) > 10 else "")) or "none"


@dataclass(frozen=True)
class SilenceQuery:
    """``include_ended``: the history too (ended and expired silences), not only live ones."""

    include_ended: bool = False


def parse_silence_query(params: Mapping[str, str]) -> SilenceQuery:
    problems = unknown_keys(params, QUERY_PARAMETERS, "", noun="parameter")
    state = params.get("state", "active").strip().lower()
    if state not in ("active", "all"):
        problems.append(
            Detail(
                "must be 'active' (not yet ended, the default) or 'all' (history too)",
                field="state",
                value=params["state"],
            )
        )
    if problems:
        raise InvalidQuery("invalid query parameters", problems)
    return SilenceQuery(include_ended=state == "all")
