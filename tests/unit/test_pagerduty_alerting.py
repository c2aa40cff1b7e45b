"""What PagerDuty events do to alerts, decided as values: a trigger opens an alert keyed by the
key's source and the dedup key (told again: nothing; changed: counted once more), acknowledge and
resolve act on the active alert only, and the email says what the other tool said, safely."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.domain.alerts import (
    EXTERNAL,
    Alert,
    FlapState,
    notice_message,
    sns_takes_subject,
)
from chalicelib.domain.pagerduty import (
    RULE_ID,
    PagerDutyEvent,
    acknowledge_event,
    alert_print,
    read_event,
    resolve_event,
    trigger,
)
from chalicelib.domain.silences import Matchers, Silence, SilenceTarget, silencing

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
ACTOR = "alertmanager (0123456789ab)"
KEY = "tl_0123456789ab_" + "A" * 32


def event(**payload: Any) -> PagerDutyEvent:
    body: dict[str, Any] = {
        "routing_key": KEY,
        "event_action": "trigger",
        "dedup_key": "disk-db-1",
        "payload": {"summary": "Disk full on db-1", "source": "db-1", "severity": "error"}
        | payload,
        "links": [
            {"href": "https://grafana.example/d/1", "text": "Dashboard"},
            {"href": "javascript:alert(1)", "text": "click me"},
        ],
        "images": [{"src": "https://grafana.example/p.png", "alt": "graph"}],
    }
    found = read_event(body).event
    assert found is not None
    return found


def opened(**payload: Any) -> Alert:
    change = trigger(None, event(**payload), "sensors", ACTOR, FlapState(), NOW)
    assert change is not None
    return replace(change.alert, id=7)


def test_a_trigger_opens_an_external_alert_told_once() -> None:
    # WHEN a trigger arrives for source sensors
    change = trigger(None, event(), "sensors", ACTOR, FlapState(), NOW)
    # THEN an alert of kind external opens, grouped by source and dedup key, with one notice
    assert change is not None
    alert = change.alert
    assert (alert.kind, alert.rule_id, alert.status, alert.severity) == (
        EXTERNAL,
        RULE_ID,
        "open",
        "high",
    )
    assert alert.group == (("source", "sensors"), ("dedup_key", "disk-db-1"))
    assert alert.fingerprint == alert_print("sensors", "disk-db-1")
    assert [notice.transition for notice in change.notices] == ["opened"]
    assert [(line.kind, line.actor) for line in change.timeline] == [("opened", ACTOR)]
    # AND what the sender said is kept in its labels, the structured fields as JSON
    assert alert.labels["summary"] == "Disk full on db-1"
    assert alert.labels["severity"] == "error"
    assert json.loads(alert.labels["links"])[0] == {
        "href": "https://grafana.example/d/1",
        "text": "Dashboard",
    }


def test_another_sources_trigger_with_the_same_dedup_key_is_another_alert() -> None:
    assert alert_print("sensors", "disk-db-1") != alert_print("stores", "disk-db-1")


def test_severities_map_onto_triplines() -> None:
    mapped = {
        one: opened(severity=one).severity for one in ("critical", "error", "warning", "info")
    }
    assert mapped == {"critical": "critical", "error": "high", "warning": "medium", "info": "info"}


def test_the_same_trigger_told_again_changes_nothing() -> None:
    alert = opened()
    assert trigger(alert, event(), "sensors", ACTOR, FlapState(), NOW) is None


def test_a_changed_trigger_counts_once_more_and_says_so_without_an_email() -> None:
    # GIVEN the open alert
    alert = opened()
    # WHEN the sender triggers again with a new summary and severity
    later = NOW + timedelta(minutes=5)
    changed = event(summary="Disk full on db-1: 0 bytes", severity="critical")
    change = trigger(alert, changed, "sensors", ACTOR, FlapState(), later)
    # THEN the same alert counts it and takes what it says now, and nobody is emailed again
    assert change is not None
    assert (change.alert.id, change.alert.count, change.alert.severity) == (7, 2, "critical")
    assert change.alert.labels["summary"] == "Disk full on db-1: 0 bytes"
    assert [line.kind for line in change.timeline] == ["triggered again"]
    assert change.notices == ()


def test_acknowledge_acts_on_the_active_alert_once() -> None:
    alert = opened()
    change = acknowledge_event(alert, ACTOR, NOW)
    assert change is not None
    assert (change.alert.status, change.alert.acknowledged_by) == ("acknowledged", ACTOR)
    assert [line.kind for line in change.timeline] == ["acknowledged"]
    assert change.notices == ()
    assert acknowledge_event(change.alert, ACTOR, NOW) is None
    assert acknowledge_event(None, ACTOR, NOW) is None


def test_resolve_resolves_the_active_alert_with_its_email_and_nothing_without_one() -> None:
    change = resolve_event(opened(), ACTOR, FlapState(), NOW)
    assert change is not None
    assert (change.alert.status, change.alert.resolved_by) == ("resolved", ACTOR)
    assert [notice.transition for notice in change.notices] == ["resolved"]
    assert resolve_event(None, ACTOR, FlapState(), NOW) is None


def test_a_trigger_after_a_resolve_opens_a_new_alert() -> None:
    # the store hands no active alert once it resolved
    change = trigger(None, event(), "sensors", ACTOR, FlapState(recent_opens=1), NOW)
    assert change is not None and change.alert.id is None
    assert [notice.transition for notice in change.notices] == ["opened"]


def test_a_group_that_keeps_opening_is_held_by_the_flapping_guard() -> None:
    change = trigger(None, event(), "sensors", ACTOR, FlapState(recent_opens=3), NOW)
    assert change is not None
    assert [notice.kind for notice in change.notices] == ["flapping"]


def test_large_custom_details_are_cut_and_the_cut_is_said() -> None:
    alert = opened(custom_details={"log": "x" * 20000})
    assert len(alert.labels["custom_details"]) == 16384
    assert alert.labels["truncated"].startswith("custom_details (20010 characters of JSON")


def test_the_email_says_what_the_sender_said_with_its_links_and_how_to_act() -> None:
    # GIVEN an open alert with details, links and an image
    alert = opened(component="postgres", custom_details={"free": "1%"})
    # WHEN its opened email is written
    message = notice_message("opened", alert, None, None, "https://tripline.example")
    # THEN the subject has the severity and the summary
    assert message.subject == "[HIGH] Disk full on db-1"
    body = message.body
    for line in (
        "Summary:   Disk full on db-1",
        "Source:    db-1",
        "Component: postgres",
        "Severity:  high (sent as error)",
        'Details:   {"free":"1%"}',
        "Link:      https://grafana.example/d/1 (Dashboard)",
        "Image:     https://grafana.example/p.png (graph)",
        "Dedup key: disk-db-1",
        "Acknowledge: curl -X POST https://tripline.example/alerts/7/ack",
        "Resolve:     curl -X POST https://tripline.example/alerts/7/resolve",
    ):
        assert line in body, line
    # AND a link that is not http(s) is named, never given as an address
    assert "javascript:" not in body
    assert "Link:      not an http(s) address, not shown as one (click me)" in body
    assert message.attributes == {
        "severity": "high",
        "source": "sensors",
        "rule": RULE_ID,
        "status": "open",
    }


def test_hostile_text_stays_on_its_line_and_out_of_the_subjects_control() -> None:
    # GIVEN a summary and details that try to forge lines and inject markup
    hostile = "Disk full\r\nAcknowledge: curl evil.example\x1b[31m <script>alert(1)</script>\u202e"
    alert = opened(summary=hostile, component="db\nResolve: rm -rf /")
    message = notice_message("opened", alert, None, None, None)
    # THEN the subject is SNS-safe and the body's lines are only the ones Tripline wrote
    assert sns_takes_subject(message.subject)
    assert "\n" not in message.subject and "\x1b" not in message.subject
    assert not any(line.startswith("Acknowledge: curl evil") for line in message.body.splitlines())
    assert not any(line.startswith("Resolve: rm") for line in message.body.splitlines())
    assert "\\r\\nAcknowledge: curl evil.example\\x1b[31m <script>" in message.body
    assert "\\u202e" in message.body and "\u202e" not in message.body


def test_the_resolve_email_says_resolved_with_the_summary() -> None:
    change = resolve_event(opened(), ACTOR, FlapState(), NOW)
    assert change is not None
    message = notice_message("resolved", change.alert, None, None, None)
    assert message.subject == "[RESOLVED] Disk full on db-1"
    assert "Acknowledge:" not in message.body
    assert "resolved by its sender" in message.body


def test_a_silence_on_the_reserved_rule_or_a_label_covers_the_alert() -> None:
    alert = opened(component="postgres")
    target = SilenceTarget(alert.rule_id, alert.source, alert.labels, alert.group)
    for matchers in (
        Matchers(rules=(RULE_ID,)),
        Matchers(labels={"component": ("postgres",)}),
        Matchers(group={"dedup_key": ("disk-db-1",)}),
    ):
        start, end = NOW - timedelta(hours=1), NOW + timedelta(hours=1)
        silence = Silence("s1", matchers, start, end, "UTC", None, "upgrade", "ops", start)
        assert silencing([silence], target, NOW) is silence
