"""What a dry-run is asked to do, checked before anything is read: a rule and a run of events.

The rule is given inline (the YAML of a rule file, as its author is writing it) or by the id of a
loaded rule; the events are given as a list (shaped like ``POST /events`` items) or as a stored
time range. Every problem with the request is reported at once, with its field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.errors import Detail, RequestError
from chalicelib.domain.paging import time_parameter

FIELDS = ("rule", "rule_id", "events", "since", "until")
MAX_LISTED_EVENTS = 10_000
MAX_RANGE = timedelta(days=93)


@dataclass(frozen=True)
class DryRunRequest:
    rule_text: str | None
    rule_id: str | None
    events: list[Any] | None
    since: datetime | None
    until: datetime | None


def parse_dry_run_request(payload: object, now: datetime) -> DryRunRequest:
    if not isinstance(payload, Mapping):
        raise RequestError(
            "a dry-run takes a JSON object",
            [
                Detail(
                    'expected {"rule": …, "events": […]} or {"rule_id": …, "since": …, "until": …}'
                )
            ],
        )
    problems = [Detail("unknown field", field=name) for name in payload if name not in FIELDS]
    rule_text, rule_id = _rule(payload, problems)
    events = _events(payload, problems)
    since, until = _range(payload, now, problems)
    if payload.get("events") is None and payload.get("since") is None and "until" not in payload:
        problems.append(
            Detail("give either events (a list) or since (and optionally until)", field="events")
        )
    if events is not None and ("since" in payload or "until" in payload):
        problems.append(Detail("give either events or a time range, not both", field="since"))
    if problems:
        raise RequestError("the dry-run request has problems", problems)
    return DryRunRequest(rule_text, rule_id, events, since, until)


def _rule(payload: Mapping[str, Any], problems: list[Detail]) -> tuple[str | None, str | None]:
    text, rule_id = payload.get("rule"), payload.get("rule_id")
    if (text is None) == (rule_id is None):
        problems.append(
            Detail("give exactly one of rule (the YAML of a rule) and rule_id", field="rule")
        )
    for name, value in (("rule", text), ("rule_id", rule_id)):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            problems.append(Detail("must be a non-empty string", field=name))
    return (
        text if isinstance(text, str) else None,
        rule_id.strip() if isinstance(rule_id, str) else None,
    )


def _events(payload: Mapping[str, Any], problems: list[Detail]) -> list[Any] | None:
    events = payload.get("events")
    if events is None:
        return None
    if not isinstance(events, list):
        problems.append(Detail("must be a list of events", field="events"))
        return None
    if len(events) > MAX_LISTED_EVENTS:
        problems.append(
            Detail(
                f"at most {MAX_LISTED_EVENTS} events; use a stored time range for more",
                field="events",
            )
        )
    return events


def _range(
    payload: Mapping[str, Any], now: datetime, problems: list[Detail]
) -> tuple[datetime | None, datetime | None]:
    stamps = {
        name: stamp
        for name in ("since", "until")
        if (stamp := time_parameter(payload, name, problems)) is not None
    }
    since, until = stamps.get("since"), stamps.get("until", now)
    if since is None:
        if "until" in stamps:
            problems.append(Detail("a range needs since", field="since"))
        return None, None
    if since >= until:
        problems.append(Detail("must be before until", field="since"))
    elif until - since > MAX_RANGE:
        problems.append(Detail(f"a range covers at most {MAX_RANGE.days} days", field="since"))
    return since, until
