"""Alerts another tool sent (kind ``external``): what their email says.

Such an alert has no rule file behind it: another tool decided it is a problem and said so
through a protocol Tripline speaks (PagerDuty's Events API v2, ``domain.pagerduty``). What it said
is kept in the alert's labels under the protocol's own names (``summary``, ``source``,
``component``, ``custom_details``, ``links``, ...; the structured ones as JSON text), and this
module tells it to on-call. Everything here comes from outside, so every value goes through
``visible``, and only an ``http``/``https`` address is written as an address: a
``javascript:`` or ``file:`` link is named, never offered to click.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from chalicelib.domain.alerts.mail_safety import visible
from chalicelib.domain.alerts.model import Alert
from chalicelib.domain.json_values import json_value

EXTERNAL = "external"  # ``Alert.kind`` of an alert another tool sent
SHOWN_DETAILS = 4000  # characters of custom details in an email; the API has them whole
TEXTS = (  # label, as the email names it
    ("summary", "Summary"),
    ("source", "Source"),
    ("component", "Component"),
    ("group", "Group"),
    ("class", "Class"),
    ("timestamp", "Sent at"),
)
WEB_SCHEMES = ("http://", "https://")


def is_external(alert: Alert) -> bool:
    return alert.kind == EXTERNAL


def external_summary(alert: Alert) -> str:
    """What the sender said is wrong, for the subject (``safe_subject`` cleans it there)."""
    return alert.labels.get("summary") or alert.rule_id


def external_text(alert: Alert) -> str:
    """The body's account of what the other tool sent."""
    labels = alert.labels
    lines = [
        visible(f"Sent by another tool ({alert.rule_id}) for source {alert.source}."),
        "",
    ]
    for name, title in TEXTS:
        if labels.get(name):
            lines.append(visible(f"{title + ':':<10} {labels[name]}"))
    if labels.get("severity"):
        lines.append(visible(f"Severity:  {alert.severity} (sent as {labels['severity']})"))
    if labels.get("client"):
        lines.append(visible(f"Client:    {labels['client']}{_address(labels.get('client_url'))}"))
    lines += _details(labels.get("custom_details"), alert.id)
    lines += _links(labels.get("links"))
    lines += _images(labels.get("images"))
    if labels.get("truncated"):
        lines.append(visible(f"Cut:       {labels['truncated']}"))
    if labels.get("dedup_key"):
        lines.append(visible(f"Dedup key: {labels['dedup_key']}"))
    lines.append(
        f"How many:  {alert.count} trigger(s) since {_time(alert.first_seen_at)}, "
        f"last at {_time(alert.last_seen_at)}"
    )
    if alert.active:
        lines.append(
            "The sender resolves it with event_action resolve and this dedup key "
            "(POST /v2/enqueue), or on-call with the commands below."
        )
    return "\n".join(lines) + "\n"


def _details(text: str | None, alert_id: int | None) -> list[str]:
    if not text:
        return []
    shown = text
    if len(text) > SHOWN_DETAILS:
        shown = f"{text[:SHOWN_DETAILS]}… ({len(text)} characters in all: GET /alerts/{alert_id})"
    return [visible(f"Details:   {shown}")]


def _links(text: str | None) -> list[str]:
    lines = []
    for link in _objects(text):
        href, label = str(link.get("href", "")), link.get("text")
        said = f" ({label})" if label else ""
        if _is_web(href):
            lines.append(visible(f"Link:      {href}{said}"))
        else:
            lines.append(visible(f"Link:      not an http(s) address, not shown as one{said}"))
    return lines


def _images(text: str | None) -> list[str]:
    lines = []
    for image in _objects(text):
        src, alt = str(image.get("src", "")), image.get("alt")
        said = f" ({alt})" if alt else ""
        shown = src if _is_web(src) else "not an http(s) address, not shown as one"
        lines.append(visible(f"Image:     {shown}{said}{_address(image.get('href'), 'opens')}"))
    return lines


def _objects(text: str | None) -> list[dict[str, Any]]:
    """The JSON array a label holds (a cut one holds none that can be read: the API has it)."""
    try:
        found = json.loads(text) if text else []
    except ValueError:
        return []
    return [one for one in found if isinstance(one, dict)] if isinstance(found, list) else []


def _address(url: object, verb: str = "at") -> str:
    return f" {verb} {url}" if isinstance(url, str) and _is_web(url) else ""


def _is_web(url: str) -> bool:
    return url.lower().startswith(WEB_SCHEMES) and url.isprintable() and " " not in url


def _time(moment: datetime) -> str:
    return str(json_value(moment.astimezone(UTC)))
