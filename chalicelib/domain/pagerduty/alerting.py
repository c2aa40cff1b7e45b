"""What a PagerDuty event does to Tripline's alerts, decided as values.

A trigger is an alert another tool raised: an ``Alert`` of kind ``external`` under the reserved
rule id ``external.pagerduty`` (no rule file can declare it: a rule's id has no dot), grouped by
the key's source and the event's ``dedup_key``. So it has everything a rule's alert has: one
fingerprint per source and dedup key (a key of another source never touches it), the outbox and
SNS email, the timeline, ``/alerts`` to acknowledge and resolve, silences (a matcher
``rules: [external.pagerduty]``, or on its labels) and the flapping guard. It repeats, as a
rule's alert does by default, while nobody acknowledged it, and it resolves when its sender (or
on-call) says so, never by a clock: no condition of ours is behind it.

As PagerDuty does: a trigger on an active alert adds to it (the same payload told again changes
nothing, so a retry is harmless; a changed one counts once more and says so in the timeline);
acknowledge and resolve act on the active alert, and on none there is nothing to do; a trigger
after a resolve opens a new alert.
"""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from datetime import datetime
from typing import Any

from chalicelib.domain.alerts import (
    EXTERNAL,
    Alert,
    AlertChange,
    FlapState,
    Happening,
    acknowledge,
    open_alert,
    resolve,
)
from chalicelib.domain.json_values import json_value
from chalicelib.domain.pagerduty.events import PagerDutyEvent, Payload
from chalicelib.domain.rules import AlertPolicy, GroupValues, fingerprint

RULE_ID = "external.pagerduty"
VERSION = "events-v2"  # ``Alert.rule_version``: the protocol's, there is no file
POLICY = AlertPolicy()  # a rule's defaults: repeat every 4 h until acknowledged, flapping guard
SEVERITY = {"critical": "critical", "error": "high", "warning": "medium", "info": "info"}
STRUCTURED_LIMIT = 16384  # characters of JSON kept per structured label; longer is cut, and said
LINE_LIMIT = 1000  # the timeline's detail column
VIA = "PagerDuty Events API v2"


def alert_group(source: str, dedup_key: str) -> GroupValues:
    return (("source", source), ("dedup_key", dedup_key))


def alert_print(source: str, dedup_key: str) -> str:
    """The alert's fingerprint, as a rule's alert's is made: its id and its group."""
    return fingerprint(RULE_ID, alert_group(source, dedup_key))


def event_labels(event: PagerDutyEvent, payload: Payload) -> dict[str, str]:
    """What the trigger said, under PagerDuty's names; the structured fields as JSON text."""
    texts = {
        "summary": payload.summary,
        "severity": payload.severity,
        "source": payload.source,
        "timestamp": str(json_value(payload.timestamp)) if payload.timestamp else None,
        "component": payload.component,
        "group": payload.group,
        "class": payload.class_,
        "client": event.client,
        "client_url": event.client_url,
        "dedup_key": event.dedup_key,
    }
    labels = {name: value for name, value in texts.items() if value is not None}
    structured: dict[str, Any] = {
        "custom_details": payload.custom_details,
        "links": [_drop_none(asdict(link)) for link in event.links] or None,
        "images": [_drop_none(asdict(image)) for image in event.images] or None,
    }
    cut = []
    for name, value in structured.items():
        if value is None:
            continue
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        if len(text) > STRUCTURED_LIMIT:
            cut.append(f"{name} ({len(text)} characters of JSON, {STRUCTURED_LIMIT} kept)")
            text = text[:STRUCTURED_LIMIT]
        labels[name] = text
    if cut:
        labels["truncated"] = "; ".join(cut)
    return labels


def trigger(
    active: Alert | None,
    event: PagerDutyEvent,
    source: str,
    actor: str,
    flap: FlapState,
    now: datetime,
) -> AlertChange | None:
    """A trigger: it opens an alert, or adds to the active one; None when it says nothing new."""
    payload = event.payload
    if payload is None:
        raise ValueError("a trigger has a payload")
    labels = event_labels(event, payload)
    seen = min(payload.timestamp, now) if payload.timestamp else now
    severity = SEVERITY[payload.severity]
    if active is not None:
        if dict(active.labels) == labels:
            return None
        again = replace(
            active,
            count=active.count + 1,
            severity=severity,
            labels=labels,
            last_seen_at=max(active.last_seen_at, seen),
            last_matched_at=now,
        )
        line = Happening("triggered again", _line(f"{severity}: {payload.summary}"), actor)
        return AlertChange(again, (line,))
    alert = Alert(
        id=None,
        fingerprint=alert_print(source, event.dedup_key),
        rule_id=RULE_ID,
        rule_version=VERSION,
        kind=EXTERNAL,
        severity=severity,
        source=source,
        group=alert_group(source, event.dedup_key),
        labels=labels,
        status="open",
        count=1,
        first_seen_at=seen,
        last_seen_at=seen,
        last_matched_at=now,
        opened_at=now,
        notified_at=now,
    )
    opened = Happening("opened", _line(f"{severity}: {payload.summary} (via {VIA})"), actor)
    return open_alert(alert, opened, POLICY, flap)


def acknowledge_event(active: Alert | None, actor: str, now: datetime) -> AlertChange | None:
    """On-call's tool says someone is on it, as ``POST /alerts/{id}/ack`` does; nothing to do
    without an active alert, or when it is acknowledged already."""
    if active is None or active.status != "open":
        return None
    return acknowledge(active, actor=actor, comment=f"acknowledge event ({VIA})", now=now)


def resolve_event(
    active: Alert | None, actor: str, flap: FlapState, now: datetime
) -> AlertChange | None:
    """The sender says the problem is over: resolved, its resolve email queued once; nothing to
    do without an active alert."""
    if active is None:
        return None
    return resolve(
        active,
        now,
        f"resolved by its sender (resolve event, {VIA})",
        flap=flap,
        actor=actor,
        comment=f"resolve event ({VIA})",
    )


def _drop_none(fields: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not None}


def _line(text: str) -> str:
    return text if len(text) <= LINE_LIMIT else text[: LINE_LIMIT - 1] + "…"
