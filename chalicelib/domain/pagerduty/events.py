"""PagerDuty Events API v2 events as values: a trigger, acknowledge or resolve read from the body
as PagerDuty's documentation describes it, every problem named as PagerDuty names it, with its
field path (``'payload.summary' is missing or blank``), so a tool's operator reads the same
errors they would read from PagerDuty.

Fields PagerDuty does not define are ignored, as PagerDuty ignores them: monitoring tools send
extras (Alertmanager's ``client``, templated fields) and refusing them would lose their alerts.
A trigger without a ``dedup_key`` gets one derived from its payload, not a random one, so a
client's retry of the same trigger finds the alert its first try opened.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chalicelib.domain.errors import Detail, MalformedBody
from chalicelib.domain.json_values import json_kind
from chalicelib.domain.pagerduty.fields import choices, items, problem, text_field

ACTIONS = ("trigger", "acknowledge", "resolve")
PAGERDUTY_SEVERITIES = ("critical", "error", "warning", "info")
MAX_DEDUP_KEY = 255  # PagerDuty's documented limits
MAX_SUMMARY = 1024
MAX_TEXT = 1024  # ours, for the other texts: PagerDuty documents none
MESSAGE = "Event object is invalid"  # PagerDuty's 400 message


class InvalidEvent(MalformedBody):
    """PagerDuty's 400: each detail's message is one of its ``errors``, naming its field."""


@dataclass(frozen=True)
class Link:
    href: str
    text: str | None = None


@dataclass(frozen=True)
class Image:
    src: str
    href: str | None = None
    alt: str | None = None


@dataclass(frozen=True)
class Payload:
    """A trigger's ``payload``; ``custom_details`` is any JSON object, as sent."""

    summary: str
    source: str
    severity: str
    timestamp: datetime | None = None
    component: str | None = None
    group: str | None = None
    class_: str | None = None
    custom_details: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class PagerDutyEvent:
    """One event, valid. ``dedup_key`` is the one given, or for a trigger without one the one
    derived from its payload (``derived``); ``payload`` is a trigger's only."""

    action: str
    dedup_key: str
    payload: Payload | None = None
    links: tuple[Link, ...] = ()
    images: tuple[Image, ...] = ()
    client: str | None = None
    client_url: str | None = None
    derived: bool = False


@dataclass(frozen=True)
class EventReading:
    """What the body says: the routing key's text when there is one to check, the event when
    the body is valid, and every problem found."""

    routing_key: str | None
    event: PagerDutyEvent | None
    problems: tuple[Detail, ...]


def read_event(body: object) -> EventReading:
    """The body read as an event; nothing is raised, so the key's problems join these."""
    if not isinstance(body, Mapping):
        found = Detail(f"the event must be a JSON object, not {json_kind(body)}", field="body")
        return EventReading(None, None, (found,))
    problems: list[Detail] = []
    routing_key = text_field(body, "routing_key", problems, required=True, limit=MAX_TEXT)
    action = _action(body, problems)
    dedup_key = text_field(
        body,
        "dedup_key",
        problems,
        required=action in ("acknowledge", "resolve"),
        limit=MAX_DEDUP_KEY,
    )
    payload = _payload(body.get("payload"), problems) if action == "trigger" else None
    links = tuple(_links(body.get("links"), problems))
    images = tuple(_images(body.get("images"), problems))
    client = text_field(body, "client", problems, required=False, limit=MAX_TEXT)
    client_url = text_field(body, "client_url", problems, required=False, limit=MAX_TEXT)
    if problems or action is None or (payload is None and action == "trigger"):
        return EventReading(routing_key, None, tuple(problems))
    derived = dedup_key is None
    event = PagerDutyEvent(
        action,
        dedup_key if dedup_key is not None else derived_dedup_key(body["payload"]),
        payload,
        links,
        images,
        client,
        client_url,
        derived,
    )
    return EventReading(routing_key, event, ())


def accept(reading: EventReading, key_problems: list[Detail]) -> PagerDutyEvent:
    """The event, once neither the body nor its key has a problem; else every problem."""
    problems = [*reading.problems, *key_problems]
    if problems or reading.event is None:
        raise InvalidEvent(MESSAGE, problems)
    return reading.event


def derived_dedup_key(payload: object) -> str:
    """32 hex characters of the SHA-256 of the payload's canonical JSON (keys sorted, no
    spaces): the same trigger sent again lands on the same alert, a changed one does not."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _action(body: Mapping[str, Any], problems: list[Detail]) -> str | None:
    value = body.get("event_action")
    if value is None or value == "":
        problems.append(problem("event_action", "is missing or blank"))
        return None
    if value not in ACTIONS:
        problems.append(problem("event_action", f"is invalid (must be one of {choices(ACTIONS)})"))
        return None
    return str(value)


def _payload(value: object, problems: list[Detail]) -> Payload | None:
    if value is None:
        problems.append(problem("payload", "is missing (a trigger needs one)"))
        return None
    if not isinstance(value, Mapping):
        problems.append(problem("payload", f"must be an object, not {json_kind(value)}"))
        return None
    before = len(problems)
    summary = text_field(value, "summary", problems, required=True, limit=MAX_SUMMARY, at="payload")
    source = text_field(value, "source", problems, required=True, limit=MAX_TEXT, at="payload")
    severity = _severity(value.get("severity"), problems)
    timestamp = _timestamp(value.get("timestamp"), problems)
    texts = {
        name: text_field(value, name, problems, required=False, limit=MAX_TEXT, at="payload")
        for name in ("component", "group", "class")
    }
    details = value.get("custom_details")
    if details is not None and not isinstance(details, Mapping):
        problems.append(
            problem("payload.custom_details", f"must be an object, not {json_kind(details)}")
        )
    if len(problems) > before or summary is None or source is None or severity is None:
        return None
    return Payload(
        summary,
        source,
        severity,
        timestamp,
        texts["component"],
        texts["group"],
        texts["class"],
        details,
    )


def _severity(value: object, problems: list[Detail]) -> str | None:
    if value is None or value == "":
        problems.append(problem("payload.severity", "is missing or blank"))
        return None
    if value not in PAGERDUTY_SEVERITIES:
        problems.append(
            problem(
                "payload.severity",
                f"is invalid (must be one of {choices(PAGERDUTY_SEVERITIES)})",
            )
        )
        return None
    return str(value)


def _timestamp(value: object, problems: list[Detail]) -> datetime | None:
    """ISO 8601 with a time; one without an offset is read as UTC (PagerDuty takes it)."""
    if value is None or value == "":
        return None
    wrong = problem("payload.timestamp", "is not an ISO 8601 date-time (2026-12-07T10:00:00Z)")
    if not isinstance(value, str) or len(value.strip()) <= len("2026-12-07"):
        problems.append(wrong)
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        problems.append(wrong)
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        problems.append(problem("payload.timestamp", "is out of range once read as UTC"))
        return None


def _links(value: object, problems: list[Detail]) -> list[Link]:
    found = []
    for index, item in items(value, "links", problems):
        path = f"links[{index}]"
        href = text_field(item, "href", problems, required=True, limit=MAX_TEXT, at=path)
        text = text_field(item, "text", problems, required=False, limit=MAX_TEXT, at=path)
        if href is not None:
            found.append(Link(href, text))
    return found


def _images(value: object, problems: list[Detail]) -> list[Image]:
    found = []
    for index, item in items(value, "images", problems):
        path = f"images[{index}]"
        src = text_field(item, "src", problems, required=True, limit=MAX_TEXT, at=path)
        href = text_field(item, "href", problems, required=False, limit=MAX_TEXT, at=path)
        alt = text_field(item, "alt", problems, required=False, limit=MAX_TEXT, at=path)
        if src is not None:
            found.append(Image(src, href, alt))
    return found
