"""PagerDuty Events API v2 events read as PagerDuty documents them: every problem named at once
with its field path, in PagerDuty's words; a trigger without a dedup key gets one derived from
its payload; the routing key is a Tripline key that writes events and names one source."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.domain.access import Principal
from chalicelib.domain.pagerduty import (
    InvalidEvent,
    Link,
    accept,
    derived_dedup_key,
    read_event,
    sender_problems,
    well_formed,
)

KEY = "tl_0123456789ab_" + "A" * 32
INGEST = Principal("0123456789ab", "alertmanager", "ingest", ("sensors",))


def trigger(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "routing_key": KEY,
        "event_action": "trigger",
        "dedup_key": "disk-db-1",
        "payload": {"summary": "Disk full on db-1", "source": "db-1", "severity": "critical"},
    }
    return body | changes


def errors(body: object, sender: Principal | None = INGEST) -> list[str]:
    reading = read_event(body)
    with pytest.raises(InvalidEvent) as refused:
        accept(reading, sender_problems(reading.routing_key, sender))
    assert refused.value.message == "Event object is invalid"
    return [detail.message for detail in refused.value.details]


def test_a_full_trigger_is_read_with_every_field() -> None:
    # GIVEN a trigger with every field PagerDuty documents
    body = trigger(
        payload={
            "summary": "Disk full on db-1",
            "source": "db-1",
            "severity": "error",
            "timestamp": "2015-07-17T08:42:58.315+0000",
            "component": "postgres",
            "group": "prod-datapipe",
            "class": "disk",
            "custom_details": {"free space": "1%", "mounts": ["/var"]},
        },
        links=[{"href": "https://grafana.example/d/1", "text": "Dashboard"}],
        images=[{"src": "https://grafana.example/p.png", "alt": "graph"}],
        client="Alertmanager",
        client_url="https://alertmanager.example",
    )
    # WHEN it is read
    reading = read_event(body)
    event = accept(reading, sender_problems(reading.routing_key, INGEST))
    # THEN every field is kept, the time in UTC
    assert (event.action, event.dedup_key, event.derived) == ("trigger", "disk-db-1", False)
    assert event.payload is not None
    assert event.payload.timestamp == datetime(2015, 7, 17, 8, 42, 58, 315000, tzinfo=UTC)
    assert (event.payload.component, event.payload.group, event.payload.class_) == (
        "postgres",
        "prod-datapipe",
        "disk",
    )
    assert event.payload.custom_details == {"free space": "1%", "mounts": ["/var"]}
    assert event.links == (Link("https://grafana.example/d/1", "Dashboard"),)
    assert event.images[0].alt == "graph"
    assert (event.client, event.client_url) == ("Alertmanager", "https://alertmanager.example")
    assert reading.routing_key == KEY


def test_every_problem_is_named_at_once_with_its_field_path() -> None:
    # GIVEN a trigger wrong in many places
    body = trigger(
        dedup_key="k" * 256,
        payload={"source": 7, "severity": "fatal", "timestamp": "yesterday", "custom_details": []},
        links=[{"text": "no href"}, "not an object"],
        images={"src": "x"},
    )
    # THEN each problem is one of PagerDuty's errors, naming its field
    assert errors(body) == [
        "'dedup_key' is too long (256 characters; at most 255)",
        "'payload.summary' is missing or blank",
        "'payload.source' must be a string, not a number",
        "'payload.severity' is invalid (must be one of 'critical', 'error', 'warning' or 'info')",
        "'payload.timestamp' is not an ISO 8601 date-time (2026-12-07T10:00:00Z)",
        "'payload.custom_details' must be an object, not an array",
        "'links[0].href' is missing or blank",
        "'links[1]' must be an object, not a string",
        "'images' must be an array, not an object",
    ]


def test_the_action_and_a_triggers_payload_are_required() -> None:
    assert errors({"routing_key": KEY}) == ["'event_action' is missing or blank"]
    assert errors(trigger(event_action="escalate")) == [
        "'event_action' is invalid (must be one of 'trigger', 'acknowledge' or 'resolve')"
    ]
    body = trigger()
    del body["payload"]
    assert errors(body) == ["'payload' is missing (a trigger needs one)"]
    assert errors(trigger(payload="disk full")) == ["'payload' must be an object, not a string"]


def test_acknowledge_and_resolve_need_a_dedup_key_and_no_payload() -> None:
    # GIVEN an acknowledge without a dedup key, and a resolve with one and no payload
    assert errors({"routing_key": KEY, "event_action": "acknowledge"}) == [
        "'dedup_key' is missing or blank"
    ]
    reading = read_event({"routing_key": KEY, "event_action": "resolve", "dedup_key": "d"})
    # THEN the resolve is read as it is
    event = accept(reading, [])
    assert (event.action, event.dedup_key, event.payload) == ("resolve", "d", None)


def test_a_body_that_is_not_an_object_is_refused_saying_what_it_is() -> None:
    assert errors([trigger()]) == ["the event must be a JSON object, not an array"]


def test_a_summary_over_1024_characters_is_refused() -> None:
    body = trigger(payload={"summary": "s" * 1025, "source": "db-1", "severity": "info"})
    assert errors(body) == ["'payload.summary' is too long (1025 characters; at most 1024)"]


def test_unknown_fields_are_ignored_as_pagerduty_ignores_them() -> None:
    reading = read_event(trigger(extra="kept out", payload=trigger()["payload"] | {"x": 1}))
    assert accept(reading, []).dedup_key == "disk-db-1"


def test_a_time_without_an_offset_is_read_as_utc() -> None:
    payload = trigger()["payload"] | {"timestamp": "2026-12-07T10:00:00"}
    event = accept(read_event(trigger(payload=payload)), [])
    assert event.payload is not None
    assert event.payload.timestamp == datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def test_a_trigger_without_a_dedup_key_gets_one_derived_from_its_payload() -> None:
    # GIVEN the same trigger twice without a dedup key, its payload's keys in another order
    first = trigger()
    del first["dedup_key"]
    second = first | {"payload": dict(reversed(list(first["payload"].items())))}
    # WHEN both are read
    one, two = (accept(read_event(body), []) for body in (first, second))
    # THEN both get the same 32 hex characters, and a changed payload another
    assert one.derived and one.dedup_key == two.dedup_key == derived_dedup_key(first["payload"])
    assert len(one.dedup_key) == 32 and int(one.dedup_key, 16) >= 0
    changed = first | {"payload": first["payload"] | {"summary": "Disk full on db-2"}}
    assert accept(read_event(changed), []).dedup_key != one.dedup_key


@pytest.mark.parametrize(
    ("routing_key", "sender", "error"),
    [
        (None, None, "'routing_key' is missing or blank"),
        ("R0123456789abcdef0123456789abcdef", None, "'routing_key' is not a Tripline API key"),
        (KEY, None, "'routing_key' is not a valid Tripline API key (unknown or revoked)"),
        (KEY, Principal("0123456789ab", "prom", "metrics"), "'routing_key' is a metrics key"),
        (KEY, Principal("0123456789ab", "ops", "operator"), "'routing_key' must name exactly"),
        (
            KEY,
            Principal("0123456789ab", "two", "ingest", ("sensors", "stores")),
            "'routing_key' must name exactly one source, the alerts' (this key names: "
            "sensors, stores)",
        ),
    ],
)
def test_the_routing_key_must_be_a_tripline_key_of_one_source(
    routing_key: str | None, sender: Principal | None, error: str
) -> None:
    body = trigger(routing_key=routing_key) if routing_key else trigger(routing_key=None)
    [found] = errors(body, sender)
    assert found.startswith(error), found


def test_the_keys_problem_joins_the_bodys() -> None:
    body = trigger(payload={"source": "db-1", "severity": "info"})
    assert errors(body, None) == [
        "'payload.summary' is missing or blank",
        "'routing_key' is not a valid Tripline API key (unknown or revoked)",
    ]


def test_only_a_well_formed_key_is_worth_looking_up() -> None:
    assert well_formed(KEY)
    assert not well_formed(None) and not well_formed("R0123456789abcdef0123456789abcdef")
