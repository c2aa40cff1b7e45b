"""The row shapes of the tables the write path fills in bulk, and events as their rows.

Posted events and CSV rows land in the same ``events`` table; a posted event also keeps its raw
payload, a CSV row its upload and line (its raw form is the stored chunk).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.adapters.db.new_rows import Kind, RowShape
from chalicelib.adapters.db.tables import events, raw_events, rejected_items, rule_matches
from chalicelib.domain.events import ArrivedEvent, Event, RejectedItem, RowEvent
from chalicelib.domain.rules import RuleMatch

EVENTS = RowShape(
    events,
    (
        ("source", Kind.LABEL),
        ("event_id", Kind.TEXT),
        ("type", Kind.LABEL),
        ("occurred_at", Kind.STAMP),
        ("received_at", Kind.STAMP),
        ("processed_at", Kind.STAMP),
        ("data", Kind.JSON),
        ("upload_id", Kind.LABEL),
        ("line", Kind.INTEGER),
    ),
    ("source", "event_id"),
)
RAW_EVENTS = RowShape(
    raw_events,
    (
        ("source", Kind.LABEL),
        ("event_id", Kind.TEXT),
        ("message_id", Kind.TEXT),
        ("received_at", Kind.STAMP),
        ("payload", Kind.TEXT),
    ),
    ("source", "event_id"),
)
REJECTED_ITEMS = RowShape(
    rejected_items,
    (
        ("item_key", Kind.TEXT),
        ("source", Kind.LABEL),
        ("event_id", Kind.TEXT),
        ("reason", Kind.LABEL),
        ("errors", Kind.JSON),
        ("payload", Kind.TEXT),
        ("received_at", Kind.STAMP),
        ("rejected_at", Kind.STAMP),
        ("upload_id", Kind.LABEL),
        ("line", Kind.INTEGER),
    ),
    ("item_key",),
)
RULE_MATCHES = RowShape(
    rule_matches,
    (
        ("rule_id", Kind.LABEL),
        ("rule_version", Kind.LABEL),
        ("kind", Kind.LABEL),
        ("match_key", Kind.TEXT),
        ("fingerprint", Kind.LABEL),
        ("group_values", Kind.JSON_LABEL),
        ("source", Kind.LABEL),
        ("event_id", Kind.TEXT),
        ("occurred_at", Kind.STAMP),
        ("observed", Kind.NUMBER),
        ("matched_at", Kind.STAMP),
    ),
    ("rule_id", "match_key"),
)


def arrived_row(one: ArrivedEvent, processed_at: datetime) -> tuple[Any, ...]:
    return _event_values(one.event, processed_at, None, None)


def raw_row(one: ArrivedEvent) -> tuple[Any, ...]:
    event = one.event
    return (event.source, event.event_id, one.message_id, event.received_at, one.raw_payload)


def upload_row(one: RowEvent, processed_at: datetime) -> tuple[Any, ...]:
    return _event_values(one.event, processed_at, one.upload_id, one.line)


def _event_values(
    event: Event, processed_at: datetime, upload_id: str | None, line: int | None
) -> tuple[Any, ...]:
    """An ``events`` row in ``EVENTS`` column order."""
    return (
        event.source,
        event.event_id,
        event.type,
        event.occurred_at,
        event.received_at,
        processed_at,
        event.data,
        upload_id,
        line,
    )


def rejection_row(one: RejectedItem, rejected_at: datetime) -> tuple[Any, ...]:
    return (
        one.item_key,
        one.source,
        one.event_id,
        one.reason[:255],
        [error.as_dict() for error in one.errors],
        one.payload,
        one.received_at,
        rejected_at,
        one.upload_id,
        one.line,
    )


def match_row(match: RuleMatch, at: datetime) -> tuple[Any, ...]:
    return (
        match.rule_id,
        match.rule_version,
        match.kind,
        match.match_key,
        match.fingerprint,
        match.group,  # pairs as JSON arrays, as a list of lists would be
        match.source,
        match.event_id,
        match.occurred_at,
        match.observed,
        at,
    )
