"""The words on-call reads: a subject that fits a phone's list, a body that says what to do.

The dry-run shows exactly this text, so a rule author sees the email before anyone receives one.
The message's placeholders see what the rule saw: the sample event's data and its own fields
(``id``, ``source``, ``type``, ``occurred_at``, ``received_at``). Values from events are shown
whole in the body but can never add a line to it (``mail_safety``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.domain.alerts.mail_safety import safe_subject, visible
from chalicelib.domain.durations import format_duration
from chalicelib.domain.json_values import json_value
from chalicelib.domain.rules import GroupValues, Rule, describe_group


@dataclass(frozen=True)
class Notification:
    subject: str
    body: str

    def as_dict(self) -> dict[str, str]:
        return {"subject": self.subject, "body": self.body}


@dataclass(frozen=True)
class AlertFacts:
    """What an alert knows when it is told: its group, how often and since when, and a sample."""

    group: GroupValues
    count: int
    first_at: datetime
    last_at: datetime
    observed: float | None
    sample: Mapping[str, Any] | None


def notification(rule: Rule, facts: AlertFacts) -> Notification:
    return Notification(subject(rule, facts.group), body(rule, facts))


def subject(rule: Rule, group: GroupValues) -> str:
    return safe_subject(f"[{rule.severity.upper()}] {rule.id}: {describe_group(group)}")


def body(rule: Rule, facts: AlertFacts) -> str:
    values = dict(facts.group) | dict(facts.sample or {})
    values.update(rule=rule.id, severity=rule.severity, group=describe_group(facts.group))
    if rule.threshold is not None:
        values.update(observed=_number(facts.observed), threshold=_number(rule.threshold.value))
    if rule.absence is not None:
        values.update(observed=_number(facts.observed))
    lines = [
        visible(rule.message.render(values)),
        "",
        rule.description,
        "",
        f"Condition: {condition_text(rule)}",
    ]
    if facts.observed is not None:
        lines.append(f"Observed:  {_observed(rule, facts.observed)}")
    lines += [
        f"Where:     {', '.join(rule.sources) or 'any source'}; "
        f"{visible(describe_group(facts.group))}",
        f"How many:  {facts.count} match(es) since {_time(facts.first_at)}, "
        f"last at {_time(facts.last_at)}",
    ]
    if facts.sample:
        sample = ", ".join(f"{key}={json_value(value)}" for key, value in facts.sample.items())
        lines.append(f"Sample:    {visible(sample)}")
    if rule.runbook:
        lines.append(f"Runbook:   {rule.runbook}")
    return "\n".join(lines) + "\n"


def condition_text(rule: Rule) -> str:
    """The rule's condition in one line, as the operator wrote it."""
    when = rule.when.text if rule.when is not None else None
    if rule.threshold is not None:
        spec = rule.threshold
        measured = f"{spec.aggregate}({spec.field})" if spec.field else spec.aggregate
        text = (
            f"{measured} {spec.comparator} {_number(spec.value)} within "
            f"{format_duration(spec.within)}"
        )
        return f"{text} of events where {when}" if when else text
    if rule.absence is not None:
        text = f"no event for {format_duration(rule.absence.within)}"
        return f"{text} where {when}" if when else text
    return when or "every event"


def _observed(rule: Rule, observed: float) -> str:
    if rule.absence is not None:
        return f"silent for {format_duration_seconds(observed)}"
    return _number(observed)


def format_duration_seconds(seconds: float) -> str:
    return format_duration(timedelta(seconds=max(1, int(seconds))))


def _number(value: float | None) -> str:
    if value is None:
        return "null"
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
