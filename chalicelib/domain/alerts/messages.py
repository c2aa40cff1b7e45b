"""What on-call reads, per notice: a subject that fits a phone's list, a body to act on, and the
SNS message attributes that subscription filter policies select on.

The body says what fired and why (the rule's message, description, condition and observed value),
where (source and group), how many and since when, a sample event, the runbook, and the exact API
calls that acknowledge or resolve the alert: curl commands to paste as they are, with the API key
taken from ``$TRIPLINE_API_KEY`` (and the address from ``$TRIPLINE_API_URL`` when the notifier was
not told it). When several alerts of one rule open at once they are told in one grouped email, so
a burst stays under SNS's email rate and out of a storm.

Each message also carries a plain subject, made of the severity, the rule and the alert's id only,
for the notifier to send when SNS refuses the subject that names the group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from chalicelib.domain.alerts.external import external_summary, external_text, is_external
from chalicelib.domain.alerts.mail_safety import safe_subject, visible
from chalicelib.domain.alerts.model import Alert
from chalicelib.domain.alerts.outgoing import OutgoingAlert
from chalicelib.domain.alerts.text import AlertFacts, body
from chalicelib.domain.json_values import json_value
from chalicelib.domain.rules import Rule, describe_group

SHOWN_IN_GROUP = 50
HEADLINES = {
    "opened": "opened",
    "repeat": "is still open and not acknowledged",
    "reminder": "is still open (its notice was withheld by a silence or flapping)",
    "resolved": "resolved",
    "flapping": "is flapping: it opened and resolved too often; later changes are not emailed "
    "until it settles",
}
PREFIXES = {"repeat": "still open: ", "reminder": "still open: ", "flapping": "flapping: "}
KEY_HEADER = '-H "Authorization: Bearer $TRIPLINE_API_KEY"'
JSON_HEADER = "-H 'Content-Type: application/json'"
KEY_NOTE = "TRIPLINE_API_KEY: an operator key (tripline keys create --name NAME --role operator)"
URL_NOTE = "TRIPLINE_API_URL: the API's address (the notifier has no TRIPLINE_API_URL set)"


def notice_message(
    kind: str,
    alert: Alert,
    rule: Rule | None,
    sample: Mapping[str, Any] | None,
    api_url: str | None,
) -> OutgoingAlert:
    return OutgoingAlert(
        notice_subject(kind, alert),
        _body(kind, alert, rule, sample, api_url),
        attributes(alert, _status(kind, alert)),
        plain_subject(kind, alert),
    )


def notice_subject(kind: str, alert: Alert) -> str:
    """An alert another tool sent says its own summary, where a rule's names its group."""
    if is_external(alert):
        prefix = PREFIXES.get(kind, "")
        return safe_subject(f"{_tag(kind, alert)} {prefix}{external_summary(alert)}")
    return safe_subject(f"{_headline(kind, alert)}: {describe_group(alert.group)}")


def plain_subject(kind: str, alert: Alert) -> str:
    """The subject without the group: nothing in it comes from event data."""
    return safe_subject(f"{_headline(kind, alert)}: alert {alert.id}")


def _headline(kind: str, alert: Alert) -> str:
    return f"{_tag(kind, alert)} {PREFIXES.get(kind, '')}{alert.rule_id}"


def _tag(kind: str, alert: Alert) -> str:
    return f"[{'RESOLVED' if kind == 'resolved' else alert.severity.upper()}]"


def grouped_message(
    alerts: Sequence[Alert], rule: Rule | None, api_url: str | None
) -> OutgoingAlert:
    """Several alerts of one rule opened at once: one email that lists them."""
    first = alerts[0]
    subject = safe_subject(
        f"[{first.severity.upper()}] {first.rule_id}: {len(alerts)} alerts opened"
    )
    lines = [
        f"{len(alerts)} alerts of rule {first.rule_id} opened at once; they are told in one "
        "email to keep on-call's inbox (and SNS's email rate) calm.",
        "",
    ]
    if rule is not None:
        lines += [rule.description, ""] if rule.description else []
    for alert in alerts[:SHOWN_IN_GROUP]:
        observed = f", observed {_number(alert.observed)}" if alert.observed is not None else ""
        lines.append(
            f"  #{alert.id} {visible(describe_group(alert.group))}: {alert.count} "
            f"match(es) since {_time(alert.first_seen_at)}{observed}"
        )
    if len(alerts) > SHOWN_IN_GROUP:
        lines.append(f"  … and {len(alerts) - SHOWN_IN_GROUP} more")
    if rule is not None and rule.runbook:
        lines += ["", f"Runbook:   {rule.runbook}"]
    base = _base(api_url)
    lines += [
        "",
        f'All of them:  curl "{base}/alerts?rule={first.rule_id}&status=open" {KEY_HEADER}',
        "Each one is acknowledged (or resolved: /resolve) as its own alert, ID from the "
        "list above:",
        f"Acknowledge: {_post(base, 'ID', 'ack', 'on it')}",
        *_notes(api_url),
    ]
    return OutgoingAlert(subject, "\n".join(lines) + "\n", attributes(first, "open"), subject)


def attributes(alert: Alert, status: str) -> dict[str, str]:
    return {
        "severity": alert.severity,
        "source": alert.source or "",
        "rule": alert.rule_id,
        "status": status,
    }


def _status(kind: str, alert: Alert) -> str:
    if kind == "flapping":
        return "flapping"
    return "resolved" if kind == "resolved" else alert.status


def _body(
    kind: str,
    alert: Alert,
    rule: Rule | None,
    sample: Mapping[str, Any] | None,
    api_url: str | None,
) -> str:
    head = f"Alert {alert.id} {HEADLINES.get(kind, kind)}."
    if rule is not None:
        facts = AlertFacts(
            alert.group,
            alert.count,
            alert.first_seen_at,
            alert.last_seen_at,
            alert.observed,
            sample,
        )
        text = body(rule, facts)
    elif alert.kind == "incident":
        text = _incident_text(alert)
    elif is_external(alert):
        text = external_text(alert)
    else:
        text = (
            f"Rule {alert.rule_id} (no longer loaded), {visible(describe_group(alert.group))}"
            f": {alert.count} match(es) since {_time(alert.first_seen_at)}\n"
        )
    return (
        "\n".join([head, "", text.rstrip("\n"), "", *_state(alert), "", *_calls(alert, api_url)])
        + "\n"
    )


def _incident_text(alert: Alert) -> str:
    """An operations incident (``domain.incidents``): no rule file behind it, its labels say
    what failed, where, the error and what resolves it."""
    lines = [f"Pipeline incident {alert.rule_id}: {visible(describe_group(alert.group))}", ""]
    for name in ("what", "where", "error", "resolves"):
        if alert.labels.get(name):
            lines.append(visible(f"{name.capitalize() + ':':<10} {alert.labels[name]}"))
    lines.append(f"How many:  {alert.count} time(s) since {_time(alert.first_seen_at)}")
    return "\n".join(lines) + "\n"


def _state(alert: Alert) -> list[str]:
    """Who acknowledged or resolved it, with their comment, as the API was told (visible)."""
    lines = [f"Status:    {alert.status}, opened {_time(alert.opened_at)}"]
    if alert.acknowledged_at is not None:
        lines.append(
            visible(
                f"           acknowledged by {alert.acknowledged_by} at "
                f"{_time(alert.acknowledged_at)}"
            )
        )
    if alert.resolved_at is not None:
        lines.append(
            visible(f"           resolved at {_time(alert.resolved_at)}: {alert.resolution}")
        )
    if alert.sample_event_id:
        lines.append(visible(f"Event:     {alert.sample_source}/{alert.sample_event_id}"))
    return lines


def _calls(alert: Alert, api_url: str | None) -> list[str]:
    """Commands that work when pasted into a shell: the routes and bodies the API takes, the
    key from the environment (an email must never carry one)."""
    base = _base(api_url)
    details = f"Details:     curl {base}/alerts/{alert.id} {KEY_HEADER}"
    if alert.status == "resolved":
        return [details, *_notes(api_url)]
    return [
        f"Acknowledge: {_post(base, str(alert.id), 'ack', 'on it')}",
        f"Resolve:     {_post(base, str(alert.id), 'resolve', 'fixed')}",
        details,
        *_notes(api_url),
    ]


def _post(base: str, alert_id: str, action: str, comment: str) -> str:
    return (
        f"curl -X POST {base}/alerts/{alert_id}/{action} {KEY_HEADER} {JSON_HEADER} "
        f'-d \'{{"comment": "{comment}"}}\''
    )


def _base(api_url: str | None) -> str:
    return api_url.rstrip("/") if api_url else "$TRIPLINE_API_URL"


def _notes(api_url: str | None) -> list[str]:
    return [f"             {KEY_NOTE}"] + ([] if api_url else [f"             {URL_NOTE}"])


def _number(value: float | None) -> str:
    if value is None:
        return "null"
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"


def _time(moment: datetime) -> str:
    return str(json_value(moment.astimezone(UTC)))
