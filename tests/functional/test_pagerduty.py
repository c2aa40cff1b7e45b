"""PagerDuty's Events API v2 on ``POST /v2/enqueue``, sent by PagerDuty's own Python client
(``pagerduty.EventsApiV2Client``) with its URL pointed at the app served over HTTP (behind a TLS
front: the client takes ``https://`` only), on SQLite and MySQL. A trigger, acknowledge, resolve
sequence is one alert with the three transitions and the emails a rule's alert sends; a trigger
sent twice is still one alert and one email; bad events and keys are refused in PagerDuty's 400
shape; a key of another source never touches the alert; a silence withholds the email; the
schedule never resolves such an alert by itself."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
from pagerduty import EventsApiV2Client, HttpError

from chalicelib import bootstrap
from chalicelib.adapters.db.access_store import SqlKeyStore
from chalicelib.adapters.db.engine import make_engine
from tests.builders import FixedClock
from tests.functional.alerts import Inbox
from tripline.local.tls_front import TlsFront

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
RULE = "external.pagerduty"
JSON = {"Content-Type": "application/json"}
INVALID = {"status": "invalid event", "message": "Event object is invalid"}


@pytest.fixture
def front(served_api: str, tmp_path: Any) -> Iterator[TlsFront]:
    tls = TlsFront(served_api, tmp_path / "tls")
    yield tls
    tls.close()


@pytest.fixture
def inbox(app_env: dict[str, Any]) -> Inbox:
    return Inbox(app_env)


@pytest.fixture
def clock(app_env: dict[str, Any]) -> FixedClock:
    fixed = FixedClock(NOW)
    bootstrap.container().clock = fixed
    return fixed


@pytest.fixture
def sensors_key(make_key: Callable[..., str]) -> str:
    """An ingest key of one source, as ``tripline keys create --role ingest --source sensors``."""
    return make_key("ingest", ("sensors",), name="alertmanager")


def pagerduty(front: TlsFront, key: str) -> EventsApiV2Client:
    return EventsApiV2Client(key, base_url=front.url, verify=front.trust)


def disk_full(
    pd: EventsApiV2Client, dedup_key: str | None = "disk-db-1", summary: str = "Disk full on db-1"
) -> str:
    return pd.trigger(
        summary,
        "db-1",
        dedup_key=dedup_key,
        severity="error",
        custom_details={"free": "1%", "mount": "/var"},
        links=[{"href": "https://grafana.example/d/disk", "text": "Disk dashboard"}],
    )


def post_raw(served_api: str, body: bytes, content_type: str = "application/json") -> Any:
    """``(status, answer, headers)`` of a POST /v2/enqueue as any HTTP client sends it."""
    request = Request(
        f"{served_api}/v2/enqueue", data=body, method="POST", headers={"Content-Type": content_type}
    )
    try:
        with urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read()), response.headers
    except HTTPError as error:
        return error.code, json.loads(error.read()), error.headers


def external_alerts(client: Any, query: str = "") -> list[dict[str, Any]]:
    response = client.http.get(f"/alerts?rule={RULE}{query}")
    assert response.status_code == 200, response.body
    items: list[dict[str, Any]] = json.loads(response.body)["items"]
    return items


def described(client: Any, alert_id: int) -> dict[str, Any]:
    response = client.http.get(f"/alerts/{alert_id}")
    assert response.status_code == 200, response.body
    found: dict[str, Any] = json.loads(response.body)
    return found


def refused(call: Callable[[], object]) -> tuple[int, dict[str, Any]]:
    with pytest.raises(HttpError) as caught:
        call()
    response = caught.value.response
    assert response is not None
    return response.status_code, response.json()


def test_trigger_acknowledge_resolve_from_the_client_is_one_alert_and_a_rule_alerts_emails(
    client: Any, front: TlsFront, inbox: Inbox, sensors_key: str
) -> None:
    # GIVEN Alertmanager's key, an ingest key of source sensors, in PagerDuty's client
    pd = pagerduty(front, sensors_key)
    # WHEN it triggers an alert
    assert disk_full(pd) == "disk-db-1"
    # THEN one alert of source sensors is open, with what the trigger said, and on-call is told
    [alert] = external_alerts(client)
    assert (alert["status"], alert["kind"], alert["severity"], alert["source"]) == (
        "open",
        "external",
        "high",
        "sensors",
    )
    assert alert["group"] == {"source": "sensors", "dedup_key": "disk-db-1"}
    assert alert["labels"]["summary"] == "Disk full on db-1"
    assert json.loads(alert["labels"]["custom_details"]) == {"free": "1%", "mount": "/var"}
    [opened] = inbox.take()
    assert opened.subject == "[HIGH] Disk full on db-1"
    assert "Link:      https://grafana.example/d/disk (Disk dashboard)" in opened.body
    assert f"curl -X POST https://tripline.test/alerts/{alert['id']}/ack" in opened.body
    assert opened.attributes["rule"] == RULE
    # WHEN it acknowledges, then resolves, by the dedup key
    assert pd.acknowledge("disk-db-1") == "disk-db-1"
    assert inbox.take() == []  # as a rule's alert: acknowledging sends nothing
    assert pd.resolve("disk-db-1") == "disk-db-1"
    # THEN it is the same one alert, with the three transitions, by the key, and a resolve email
    [after] = external_alerts(client)
    assert (after["id"], after["status"]) == (alert["id"], "resolved")
    timeline = described(client, alert["id"])["timeline"]
    changes = [line for line in timeline if line["kind"] in ("opened", "acknowledged", "resolved")]
    assert [line["kind"] for line in changes] == ["opened", "acknowledged", "resolved"]
    assert all(line["by"].startswith("alertmanager (") for line in changes)
    [resolved] = inbox.take()
    assert resolved.subject == "[RESOLVED] Disk full on db-1"
    assert resolved.attributes["status"] == "resolved"


def test_the_same_trigger_sent_twice_is_one_alert_and_one_email(
    client: Any, front: TlsFront, inbox: Inbox, sensors_key: str
) -> None:
    pd = pagerduty(front, sensors_key)
    # WHEN the same trigger is sent twice with its dedup key, and another twice without one
    assert disk_full(pd) == disk_full(pd) == "disk-db-1"
    derived = disk_full(pd, dedup_key=None, summary="Disk full on db-2")
    assert disk_full(pd, dedup_key=None, summary="Disk full on db-2") == derived
    # THEN there are two alerts, each opened once and emailed once
    alerts = external_alerts(client)
    assert sorted(one["group"]["dedup_key"] for one in alerts) == sorted(["disk-db-1", derived])
    assert all(one["count"] == 1 for one in alerts)
    assert len(derived) == 32 and len(inbox.take()) == 2


def test_a_changed_trigger_counts_once_more_without_another_email(
    client: Any, front: TlsFront, inbox: Inbox, sensors_key: str
) -> None:
    pd = pagerduty(front, sensors_key)
    disk_full(pd)
    pd.trigger("Disk full on db-1: 0 bytes left", "db-1", "disk-db-1", severity="critical")
    [alert] = external_alerts(client)
    assert (alert["count"], alert["severity"]) == (2, "critical")
    kinds = [line["kind"] for line in described(client, alert["id"])["timeline"]]
    assert "triggered again" in kinds
    assert len(inbox.take()) == 1


def test_a_trigger_after_the_resolve_opens_a_new_alert_as_a_rule_match_would(
    client: Any, front: TlsFront, inbox: Inbox, sensors_key: str
) -> None:
    # GIVEN an alert triggered and resolved from the client
    pd = pagerduty(front, sensors_key)
    pd.resolve(disk_full(pd))
    # WHEN the same dedup key is triggered again (the disk filled up again)
    disk_full(pd)
    # THEN that is a second alert, open, and on-call heard of each: opened, resolved, opened
    alerts = external_alerts(client)
    assert sorted(one["status"] for one in alerts) == ["open", "resolved"]
    assert len(inbox.take()) == 3


def test_a_bad_event_is_refused_in_pagerdutys_shape_and_nothing_is_stored(
    client: Any, front: TlsFront, served_api: str, sensors_key: str
) -> None:
    pd = pagerduty(front, sensors_key)
    # WHEN the client sends a trigger with a severity PagerDuty does not know
    status, answer = refused(lambda: pd.trigger("Disk full", "db-1", severity="fatal"))
    # THEN it is PagerDuty's 400, naming the field
    assert status == 400
    assert answer == INVALID | {
        "errors": [
            "'payload.severity' is invalid (must be one of 'critical', 'error', 'warning' "
            "or 'info')"
        ]
    }
    # AND any client sending a body with several problems is told all of them
    body = {"routing_key": sensors_key, "event_action": "trigger", "payload": {"source": 1}}
    status, answer, _ = post_raw(served_api, json.dumps(body).encode())
    assert (status, answer["status"], answer["message"]) == (400, *INVALID.values())
    assert answer["errors"] == [
        "'payload.summary' is missing or blank",
        "'payload.source' must be a string, not a number",
        "'payload.severity' is missing or blank",
    ]
    assert external_alerts(client) == []


@pytest.mark.parametrize(
    ("body", "content_type", "status", "error"),
    [
        (b'{"routing_key": ', "application/json", 400, "malformed JSON at line 1, column 17"),
        (b"[1, 2]", "application/json", 400, "the event must be a JSON object, not an array"),
        (b"{}", "text/plain", 400, "send Content-Type: application/json (got 'text/plain')"),
        (b" " * (1024 * 1024 + 1), "application/json", 413, "the body is 1048577 bytes"),
    ],
)
def test_a_body_that_is_not_an_event_is_refused_in_the_same_shape(
    client: Any, served_api: str, body: bytes, content_type: str, status: int, error: str
) -> None:
    got, answer, _ = post_raw(served_api, body, content_type)
    assert (got, answer["status"], answer["message"]) == (status, *INVALID.values())
    [said] = answer["errors"]
    assert said.startswith(error), said


def test_keys_that_cannot_send_alerts_are_refused_naming_the_routing_key(
    client: Any, front: TlsFront, app_env: dict[str, Any], make_key: Callable[..., str]
) -> None:
    # GIVEN a revoked ingest key, and keys of the wrong role or of several sources
    revoked = make_key("ingest", ("sensors",), name="old")
    engine = make_engine(app_env["database_url"])
    SqlKeyStore(engine).revoke(revoked.split("_")[1], NOW)
    engine.dispose()
    keys = {
        "unknown": "tl_0123456789ab_" + "A" * 32,
        "revoked": revoked,
        "metrics": make_key("metrics", name="prometheus"),
        "operator": make_key("operator", name="ops"),
        "two sources": make_key("ingest", ("sensors", "stores"), name="both"),
    }
    for name, key in keys.items():
        # WHEN each sends a trigger through the client
        status, answer = refused(partial(disk_full, pagerduty(front, key)))
        # THEN it is PagerDuty's 400, saying what is wrong with the routing key
        assert status == 400, name
        [error] = answer["errors"]
        assert error.startswith("'routing_key' "), (name, error)
    assert external_alerts(client) == []


def test_a_key_of_another_source_never_touches_the_alert(
    client: Any, front: TlsFront, inbox: Inbox, sensors_key: str, make_key: Callable[..., str]
) -> None:
    # GIVEN an alert of source sensors
    disk_full(pagerduty(front, sensors_key))
    inbox.take()
    # WHEN a key of source stores acknowledges and resolves the same dedup key
    stores = pagerduty(front, make_key("ingest", ("stores",), name="stores-tool"))
    assert stores.acknowledge("disk-db-1") == stores.resolve("disk-db-1") == "disk-db-1"
    # THEN the sensors alert is still open, untouched, and nobody was emailed
    [alert] = external_alerts(client)
    assert (alert["source"], alert["status"], alert["acknowledged"]) == ("sensors", "open", None)
    assert inbox.take() == []
    # AND its trigger of that dedup key is an alert of its own
    disk_full(stores)
    assert sorted(one["source"] for one in external_alerts(client)) == ["sensors", "stores"]


def test_a_silence_on_the_reserved_rule_withholds_the_email(
    client: Any, front: TlsFront, inbox: Inbox, sensors_key: str, clock: FixedClock
) -> None:
    # GIVEN a silence of every alert sent through the PagerDuty API
    silence = client.http.post(
        "/silences",
        headers=JSON,
        body=json.dumps(
            {
                "matchers": {"rule": RULE},
                "ends_at": "2026-12-07T12:00:00Z",
                "comment": "alertmanager migration",
                "author": "alice",
            }
        ),
    )
    assert silence.status_code == 201, silence.body
    # WHEN a trigger arrives
    disk_full(pagerduty(front, sensors_key))
    # THEN the alert opens, its notice is recorded as silenced, and nothing is sent
    [alert] = external_alerts(client)
    notices = described(client, alert["id"])["notifications"]
    assert [(one["kind"], one["status"]) for one in notices] == [("opened", "silenced")]
    assert inbox.take() == []


def test_a_hostile_summary_reaches_on_call_as_text_on_its_own_line(
    client: Any, front: TlsFront, inbox: Inbox, sensors_key: str
) -> None:
    hostile = "db-1\r\nAcknowledge: curl https://evil.example <script>alert(1)</script>\x1b[2J"
    pagerduty(front, sensors_key).trigger(hostile, "db-1\nResolve: rm -rf /", "x")
    [email] = inbox.take()
    assert "\n" not in email.subject and "\x1b" not in email.subject
    assert email.subject.startswith("[CRITICAL] db-1 Acknowledge: curl https://evil.example")
    lines = email.body.splitlines()
    assert not any(
        line.startswith(("Acknowledge: curl https://evil", "Resolve: rm")) for line in lines
    )
    assert "Summary:   db-1\\r\\nAcknowledge: curl https://evil.example <script>" in email.body
    assert "\\x1b[2J" in email.body


def test_the_schedule_repeats_such_an_alert_but_never_resolves_it_by_itself(
    client: Any, front: TlsFront, inbox: Inbox, sensors_key: str, clock: FixedClock
) -> None:
    disk_full(pagerduty(front, sensors_key))
    inbox.take()
    # WHEN the schedule runs an hour later, and past a rule's default repeat (4 hours)
    clock.advance(hours=1)
    tick(client)
    assert [one["status"] for one in external_alerts(client)] == ["open"]
    assert not [one for one in inbox.take() if "Disk full" in one.subject]
    clock.advance(hours=3, minutes=1)
    tick(client)
    # THEN it is still open, and on-call is reminded as for a rule's unacknowledged alert
    assert [one["status"] for one in external_alerts(client)] == ["open"]
    repeats = [one.subject for one in inbox.take() if "Disk full" in one.subject]
    assert repeats == ["[HIGH] still open: Disk full on db-1"]


def test_the_metrics_count_such_alerts_as_external(
    client: Any, front: TlsFront, sensors_key: str
) -> None:
    disk_full(pagerduty(front, sensors_key))
    scrape = client.http.get("/metrics").body
    text = scrape.decode() if isinstance(scrape, bytes) else scrape
    assert 'tripline_alerts_active{kind="external",severity="high",status="open"} 1' in text


def test_a_key_store_that_is_down_is_a_503_the_client_retries(
    client: Any, served_api: str, monkeypatch: pytest.MonkeyPatch, sensors_key: str
) -> None:
    # GIVEN the database is unreachable (a fresh container that never checked the key)
    monkeypatch.setenv("DATABASE_URL", "mysql+pymysql://root@127.0.0.1:9/gone")
    bootstrap.reset()
    body = {"routing_key": sensors_key, "event_action": "resolve", "dedup_key": "disk-db-1"}
    # WHEN an event arrives
    status, answer, headers = post_raw(served_api, json.dumps(body).encode())
    # THEN it is a 503 with Retry-After, in PagerDuty's error shape
    assert (status, answer["status"], headers["Retry-After"]) == (503, "error", "5")
    assert "retry later" in answer["message"]


def tick(client: Any) -> dict[str, Any]:
    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    payload: dict[str, Any] = client.lambda_.invoke("tick", event).payload
    return payload
