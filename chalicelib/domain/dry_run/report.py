"""From a dry-run's matches to the alerts they would have opened, and a report to read.

Matches of one rule and group form one alert while they keep coming: a gap longer than the rule's
``resolve_after`` (by default an hour for a match rule and the window for a threshold rule) means
the alert would have resolved and the next match opens a new one. Each silence of an absence rule
is its own alert. The alert lifecycle proper (acknowledgement, flapping, repeats) is the alerting
service's; this is the part a rule author needs to judge a rule: how noisy it would have been.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.alerts import AlertFacts, Notification, notification
from chalicelib.domain.dry_run.engine import Replay
from chalicelib.domain.errors import Detail
from chalicelib.domain.json_values import json_value
from chalicelib.domain.rules import Rule, RuleMatch

SHOWN_MATCHES = 100
SHOWN_ALERTS = 50
SHOWN_FAILURES = 20


def resolve_after(rule: Rule) -> timedelta | None:
    """How long an alert waits without a match before it would resolve; None: each match alone.

    The rule's own quiet period where it has one; a threshold rule's alert clears with its
    condition, which the preview approximates by the window (no match for a window, no breach)."""
    if rule.quiet_after is not None:
        return rule.quiet_after
    return rule.threshold.within if rule.threshold is not None else None


@dataclass(frozen=True)
class WouldBeAlert:
    fingerprint: str
    facts: AlertFacts
    notification: Notification

    def as_dict(self) -> dict[str, Any]:
        facts = self.facts
        return {
            "fingerprint": self.fingerprint,
            "group": dict(facts.group),
            "opened_at": json_value(facts.first_at),
            "last_match_at": json_value(facts.last_at),
            "matches": facts.count,
            "observed": facts.observed,
            "notification": self.notification.as_dict(),
        }


def would_be_alerts(replay: Replay) -> list[WouldBeAlert]:
    rule, gap = replay.rule, resolve_after(replay.rule)
    open_runs: dict[str, list[RuleMatch]] = {}
    runs: list[list[RuleMatch]] = []
    for match in replay.matches:
        run = open_runs.get(match.fingerprint)
        if run is None or gap is None or match.occurred_at - run[-1].occurred_at > gap:
            run = []
            runs.append(run)
            open_runs[match.fingerprint] = run
        run.append(match)
    runs.sort(key=lambda run: run[0].occurred_at)
    return [_alert(rule, run, replay) for run in runs]


def _alert(rule: Rule, run: list[RuleMatch], replay: Replay) -> WouldBeAlert:
    first = run[0]
    sample = replay.samples.get((first.source or "", first.event_id or ""))
    observed = max((one.observed for one in run if one.observed is not None), default=None)
    facts = AlertFacts(
        first.group, len(run), first.occurred_at, run[-1].occurred_at, observed, sample
    )
    return WouldBeAlert(first.fingerprint, facts, notification(rule, facts))


def fires_per_day(matches: list[RuleMatch]) -> dict[str, int]:
    """Matches per UTC day, oldest first: the shape of a rule's noise."""
    days = Counter(match.occurred_at.date().isoformat() for match in matches)
    return dict(sorted(days.items()))


def preview(
    replay: Replay,
    *,
    rejected: list[Detail],
    scanned: int,
    truncated: bool,
    since: datetime | None,
    until: datetime | None,
) -> dict[str, Any]:
    """The dry-run's answer: counts first, then the would-be alerts with their email text."""
    alerts = would_be_alerts(replay)
    rule = replay.rule
    return {
        "rule": {
            "id": rule.id,
            "version": rule.version,
            "kind": rule.kind,
            "severity": rule.severity,
            "enabled": rule.enabled,
        },
        "range": {"since": json_value(since), "until": json_value(until)},
        "events": {
            "scanned": scanned,
            "evaluated": replay.evaluated,
            "truncated": truncated,
            "rejected": [detail.as_dict() for detail in rejected],
        },
        "matched": len(replay.matches),
        "alerts_opened": len(alerts),
        "fires_per_day": fires_per_day(replay.matches),
        "alerts": [alert.as_dict() for alert in alerts[:SHOWN_ALERTS]],
        "matches": [_match_view(one) for one in replay.matches[:SHOWN_MATCHES]],
        "failures": [
            {"source": one.source, "event_id": one.event_id, "reason": one.reason}
            for one in replay.failures[:SHOWN_FAILURES]
        ],
        "failed": len(replay.failures),
        "stored": False,
    }


def _match_view(match: RuleMatch) -> dict[str, Any]:
    view = {
        "occurred_at": json_value(match.occurred_at),
        "group": dict(match.group),
        "fingerprint": match.fingerprint,
        "observed": match.observed,
    }
    if match.event_id is not None:
        view["event"] = {"source": match.source, "id": match.event_id}
    return view
