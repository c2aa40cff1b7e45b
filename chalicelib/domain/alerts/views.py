"""Alerts as the API shows them, and the body of an acknowledge or resolve request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.alerts.model import Alert
from chalicelib.domain.errors import Detail, MalformedBody, NotFound
from chalicelib.domain.json_values import json_value

ACTION_KEYS = ("comment", "by")
MAX_COMMENT = 1000
MAX_ACTOR = 200
DEFAULT_ACTOR = "api"  # a call with no key behind it (a test of the service alone)


@dataclass(frozen=True)
class AlertAction:
    """Who acknowledges or resolves an alert, and why."""

    comment: str
    actor: str


def parse_alert_action(payload: object, default_actor: str = DEFAULT_ACTOR) -> AlertAction:
    """``{"comment": "...", "by": "alice"}``; every problem at once, each naming its field."""
    if not isinstance(payload, Mapping):
        raise MalformedBody(
            'send a JSON object: {"comment": "..."}', [Detail("must be an object", field="body")]
        )
    problems = [
        Detail(f"unknown field; expected {' or '.join(ACTION_KEYS)}", field=str(key))
        for key in payload
        if key not in ACTION_KEYS
    ]
    comment = _text(payload, "comment", MAX_COMMENT, problems, required=True)
    actor = _text(payload, "by", MAX_ACTOR, problems, required=False)
    if problems:
        raise MalformedBody("invalid request", problems)
    return AlertAction(comment or "", actor or default_actor)


def _text(
    payload: Mapping[str, Any], name: str, limit: int, problems: list[Detail], *, required: bool
) -> str | None:
    value = payload.get(name)
    if value is None:
        if required:
            problems.append(Detail("is required: say what was done and why", field=name))
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(Detail("must be non-empty text", field=name, value=value))
        return None
    if len(value) > limit:
        problems.append(Detail(f"must be at most {limit} characters", field=name))
        return None
    return value.strip()


def parse_alert_id(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise NotFound(f"no alert {text!r}", [Detail("not an alert id", field="id", value=text)])
    return int(text)


def alert_view(alert: Alert) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": alert.id,
        "status": alert.status,
        "rule": alert.rule_id,
        "rule_version": alert.rule_version,
        "kind": alert.kind,
        "severity": alert.severity,
        "source": alert.source,
        "group": dict(alert.group),
        "labels": dict(alert.labels),
        "fingerprint": alert.fingerprint,
        "count": alert.count,
        "first_seen_at": json_value(alert.first_seen_at),
        "last_seen_at": json_value(alert.last_seen_at),
        "opened_at": json_value(alert.opened_at),
        "flapping": alert.flapping,
        "observed": alert.observed,
        "sample_event": (
            {"source": alert.sample_source, "id": alert.sample_event_id}
            if alert.sample_event_id
            else None
        ),
        "acknowledged": (
            {"at": json_value(alert.acknowledged_at), "by": alert.acknowledged_by}
            if alert.acknowledged_at
            else None
        ),
        "resolved": (
            {
                "at": json_value(alert.resolved_at),
                "by": alert.resolved_by,
                "resolution": alert.resolution,
            }
            if alert.resolved_at
            else None
        ),
        "clear_since": json_value(alert.clear_since),
        "notifications": {
            "last_at": json_value(alert.notified_at),
            "repeats": alert.repeats,
            "owed": alert.owed,
        },
    }
    return view
