"""What on-call reads, per notice: a subject that fits a phone's list, a body to act on, and the
SNS message attributes that subscription filter policies select on.

The body says what fired and why (the rule's message, description, condition and observed value),
where (source and group), how many and since when, a sample event, the runbook, and the exact API
calls that acknowledge or resolve the alert. When several alerts of one rule open at once they
are told in one grouped email, so a burst stays under SNS's email rate and out of a storm.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from chalicelib.domain.alert_model import Alert
from chalicelib.domain.notification_text import MAX_SUBJECT, AlertFacts, body
from chalicelib.domain.outgoing import OutgoingAlert
from chalicelib.domain.rule_model import Rule
from chalicelib.domain.rule_verdicts import describe_group, json_value

SHOWN_IN_GROUP = 50
HEADLINES = {
    "opened": "opened",
    "repeat": "is still open and not acknowledged",
    "reminder": "is still open (its notice was withheld by a silence or flapping)",
    "resolved": "resolved",
    "flapping": "is flapping: it opened and resolved too often; later changes are not emailed "
                "until it settles",
}


def notice_message(kind: str, alert: Alert, rule: Rule | None,
                   sample: Mapping[str, Any] | None, api_url: str | None) -> OutgoingAlert:
    return OutgoingAlert(notice_subject(kind, alert), _body(kind, alert, rule, sample, api_url),
                         attributes(alert, _status(kind, alert)))


def notice_subject(kind: str, alert: Alert) -> str:
    what = f"{alert.rule_id}: {describe_group(alert.group)}"
    tag = "RESOLVED" if kind == "resolved" else alert.severity.upper()
    prefix = {"repeat": "still open: ", "reminder": "still open: ",
              "flapping": "flapping: "}.get(kind, "")
    return fit(f"[{tag}] {prefix}{what}")


def grouped_message(alerts: Sequence[Alert], rule: Rule | None,
                    api_url: str | None) -> OutgoingAlert:
    """Several alerts of one rule opened at once: one email that lists them."""
    first = alerts[0]
    subject = fit(f"[{first.severity.upper()}] {first.rule_id}: {len(alerts)} alerts opened")
    lines = [f"{len(alerts)} alerts of rule {first.rule_id} opened at once; they are told in one "
             "email to keep on-call's inbox (and SNS's email rate) calm.", ""]
    if rule is not None:
        lines += [rule.description, ""] if rule.description else []
    for alert in alerts[:SHOWN_IN_GROUP]:
        observed = f", observed {_number(alert.observed)}" if alert.observed is not None else ""
        lines.append(f"  #{alert.id} {describe_group(alert.group)}: {alert.count} match(es) "
                     f"since {_time(alert.first_seen_at)}{observed}")
    if len(alerts) > SHOWN_IN_GROUP:
        lines.append(f"  … and {len(alerts) - SHOWN_IN_GROUP} more")
    if rule is not None and rule.runbook:
        lines += ["", f"Runbook:   {rule.runbook}"]
    base = api_url.rstrip("/") if api_url else ""
    lines += ["", f"All of them: GET {base}/alerts?rule={first.rule_id}&status=open",
              "Each one can be acknowledged or resolved as its own alert "
              f"(POST {base}/alerts/<id>/ack)."]
    return OutgoingAlert(subject, "\n".join(lines) + "\n", attributes(first, "open"))


def attributes(alert: Alert, status: str) -> dict[str, str]:
    return {"severity": alert.severity, "source": alert.source or "", "rule": alert.rule_id,
            "status": status}


def fit(subject: str) -> str:
    """SNS refuses subjects of 100 characters or more, and control characters."""
    flat = " ".join(subject.split())
    return flat if len(flat) <= MAX_SUBJECT else flat[: MAX_SUBJECT - 1] + "…"


def _status(kind: str, alert: Alert) -> str:
    if kind == "flapping":
        return "flapping"
    return "resolved" if kind == "resolved" else alert.status


def _body(kind: str, alert: Alert, rule: Rule | None, sample: Mapping[str, Any] | None,
          api_url: str | None) -> str:
    head = f"Alert {alert.id} {HEADLINES.get(kind, kind)}."
    if rule is not None:
        facts = AlertFacts(alert.group, alert.count, alert.first_seen_at, alert.last_seen_at,
                           alert.observed, sample)
        text = body(rule, facts)
    else:
        text = (f"Rule {alert.rule_id} (no longer loaded), {describe_group(alert.group)}: "
                f"{alert.count} match(es) since {_time(alert.first_seen_at)}\n")
    return "\n".join([head, "", text.rstrip("\n"), "", *_state(alert), "",
                      *_calls(alert, api_url)]) + "\n"


def _state(alert: Alert) -> list[str]:
    lines = [f"Status:    {alert.status}, opened {_time(alert.opened_at)}"]
    if alert.acknowledged_at is not None:
        lines.append(f"           acknowledged by {alert.acknowledged_by} at "
                     f"{_time(alert.acknowledged_at)}")
    if alert.resolved_at is not None:
        lines.append(f"           resolved at {_time(alert.resolved_at)}: {alert.resolution}")
    if alert.sample_event_id:
        lines.append(f"Event:     {alert.sample_source}/{alert.sample_event_id}")
    return lines


def _calls(alert: Alert, api_url: str | None) -> list[str]:
    base = api_url.rstrip("/") if api_url else ""
    details = f"Details:     GET {base}/alerts/{alert.id}"
    if alert.status == "resolved":
        return [details]
    json_header = "-H 'Content-Type: application/json'"
    return [f"Acknowledge: curl -X POST {base}/alerts/{alert.id}/ack {json_header} "
            "-d '{\"comment\": \"on it\"}'",
            f"Resolve:     curl -X POST {base}/alerts/{alert.id}/resolve {json_header} "
            "-d '{\"comment\": \"fixed\"}'", details]


def _number(value: float | None) -> str:
    if value is None:
        return "null"
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"


def _time(moment: datetime) -> str:
    return str(json_value(moment.astimezone(UTC)))
