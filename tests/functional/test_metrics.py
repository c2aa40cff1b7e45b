"""``GET /metrics`` through app.py on SQLite and MySQL, with moto's queues holding messages: the
body parses with ``prometheus-client``'s own parser, every figure equals what the tables and
queues hold, and a ``metrics`` key reaches this route (and ``/me``) only."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, insert, select

from chalicelib.adapters.db.engine import make_engine
from chalicelib.adapters.db.tables import alert_outbox, alerts, events, rejected_items, uploads
from chalicelib.topology import EVENTS_QUEUE, QUEUES, ROWS_QUEUE
from tests.kpi_data import NOW, seed
from tests.retention_data import _alert as alert_row


@pytest.fixture
def stored(client: Any, app_env: dict[str, Any]) -> Any:
    """The KPI rows, an acknowledged alert and an open pipeline incident, the outbox with two
    notices pending; the events queue holding three messages (one received, in flight) and the
    rows queue's DLQ two."""
    engine = make_engine(app_env["database_url"])
    seed(engine)
    acknowledged = alert_row(NOW) | {
        "fingerprint": "a" * 32,
        "active_key": "a" * 32,
        "status": "acknowledged",
        "severity": "critical",
        "resolved_at": None,
    }
    incident = alert_row(NOW) | {
        "fingerprint": "i" * 32,
        "active_key": "i" * 32,
        "rule_id": "pipeline.dead-letters",
        "kind": "incident",
        "severity": "high",
        "status": "open",
        "resolved_at": None,
    }
    with engine.begin() as conn:
        conn.execute(insert(alerts), [acknowledged, incident])
        conn.execute(
            insert(alert_outbox),
            [_notice(n, status) for n, status in enumerate(("pending", "pending", "sent"))],
        )
    sqs, urls = app_env["clients"]["sqs"], app_env["resources"].queue_urls
    for n in range(3):
        sqs.send_message(QueueUrl=urls[EVENTS_QUEUE], MessageBody=f"event {n}")
    sqs.receive_message(QueueUrl=urls[EVENTS_QUEUE], MaxNumberOfMessages=1)
    for n in range(2):
        sqs.send_message(QueueUrl=urls[f"{ROWS_QUEUE}-dlq"], MessageBody=f"poison {n}")
    yield engine
    engine.dispose()


def _notice(n: int, status: str) -> dict[str, Any]:
    return {
        "alert_id": 1,
        "transition": f"opened:{n}",
        "kind": "opened",
        "rule_id": "big-order",
        "status": status,
        "attempts": 0,
        "next_attempt_at": NOW,
        "created_at": NOW - timedelta(minutes=n),
    }


def scraped(client: Any, key: str | None = None) -> dict[str, dict[tuple[str, ...], float]]:
    """The scrape parsed by prometheus-client: per metric, value by its labels' values."""
    headers = {"Authorization": f"Bearer {key}"} if key else None
    response = client.http.get("/metrics", headers=headers)
    assert response.status_code == 200, response.body
    assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    body = response.body.decode() if isinstance(response.body, bytes) else response.body
    found: dict[str, dict[tuple[str, ...], float]] = {}
    for family in text_string_to_metric_families(body):
        assert family.type == "gauge", family.name
        for sample in family.samples:
            labels = tuple(sample.labels[name] for name in sorted(sample.labels))
            found.setdefault(sample.name, {})[labels] = sample.value
    return found


def rows(engine: Engine, *columns: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(*columns)).all())


def test_the_metrics_parse_and_equal_what_the_database_and_queues_hold(
    client: Any, stored: Engine, app_env: dict[str, Any]
) -> None:
    # WHEN Prometheus scrapes
    figures = scraped(client)
    # THEN each figure is what the tables hold, counted here row by row
    assert figures["tripline_events_stored"] == {
        (source,): float(n)
        for source, n in Counter(r.source for r in rows(stored, events.c.source)).items()
    }
    rejected = Counter(r.source or "" for r in rows(stored, rejected_items.c.source))
    assert figures["tripline_rows_rejected"] == {(k,): float(n) for k, n in rejected.items()}
    statuses = Counter(r.status for r in rows(stored, uploads.c.status))
    assert figures["tripline_uploads"] == {(k,): float(n) for k, n in statuses.items()}
    active = Counter(
        ("operations" if r.kind == "incident" else "rule", r.severity, r.status)
        for r in rows(stored, alerts.c.kind, alerts.c.severity, alerts.c.status)
        if r.status != "resolved"
    )
    assert figures["tripline_alerts_active"] == {k: float(n) for k, n in active.items()}
    assert ("operations", "high", "open") in figures["tripline_alerts_active"]
    assert figures["tripline_notifications_pending"] == {(): 2.0}
    # AND each queue's depth is what SQS says it holds (the uploads queue has S3's test event)
    assert figures["tripline_queue_messages"] == {
        (s.name,): sqs_count(app_env, s.name)[0] for s in QUEUES
    }
    assert figures["tripline_queue_messages_in_flight"] == {
        (spec.name,): sqs_count(app_env, spec.name)[1] for spec in QUEUES
    }
    assert figures["tripline_dead_letter_messages"] == {
        (spec.dead_letter_queue, spec.name): sum(sqs_count(app_env, spec.dead_letter_queue))
        for spec in QUEUES
    }
    # the messages sent above among them: 2 waiting and 1 in flight, 2 on the rows queue's DLQ
    assert figures["tripline_queue_messages"][(EVENTS_QUEUE,)] == 2.0
    assert figures["tripline_queue_messages_in_flight"][(EVENTS_QUEUE,)] == 1.0
    assert figures["tripline_dead_letter_messages"][(f"{ROWS_QUEUE}-dlq", ROWS_QUEUE)] == 2.0


def sqs_count(app_env: dict[str, Any], queue: str) -> tuple[float, float]:
    """(waiting, in flight) as SQS answers for ``queue``."""
    sqs, urls = app_env["clients"]["sqs"], app_env["resources"].queue_urls
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    got = sqs.get_queue_attributes(QueueUrl=urls[queue], AttributeNames=names)["Attributes"]
    return float(got[names[0]]), float(got[names[1]])


def test_a_metrics_key_reaches_the_metrics_and_nothing_else(
    client: Any, stored: Engine, make_key: Callable[..., str]
) -> None:
    # GIVEN a key made for a Prometheus server, and an operator's key
    scraper, operator = make_key("metrics", name="prometheus"), make_key("operator")
    # WHEN each asks THEN the scraper reads the figures and who it is, and nothing else
    assert scraped(client, scraper)["tripline_notifications_pending"] == {(): 2.0}
    bearer = {"Authorization": f"Bearer {scraper}"}
    assert client.http.get("/me", headers=bearer).status_code == 200
    assert client.http.get("/events", headers=bearer).status_code == 403
    assert client.http.get("/kpis", headers=bearer).status_code == 403
    # AND an operator does not read the metrics: they are an admin's or a scraper's
    refused = client.http.get("/metrics", headers={"Authorization": f"Bearer {operator}"})
    assert refused.status_code == 403


def test_the_hourly_purge_sends_the_same_figures_to_cloudwatch_as_emf(
    client: Any,
    stored: Engine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN metrics enabled, as on AWS, and what a scrape shows
    figures = scraped(client)
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    capsys.readouterr()
    # WHEN the purge schedule runs (nothing is past retention in the sample rules' sources)
    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    answer = client.lambda_.invoke("purge", event).payload
    # THEN its EMF lines carry the scrape's figures, each with its dimension
    assert answer["figures_recorded"] is True
    seen = emf_values(capsys.readouterr().out)
    for (source,), count in figures["tripline_events_stored"].items():
        assert seen[("EventsStored", source, None)] == count
    for (queue,), count in figures["tripline_queue_messages"].items():
        assert seen[("QueueMessages", None, queue)] == count
    assert seen[("NotificationsPending", None, None)] == 2


def emf_values(out: str) -> dict[tuple[str, str | None, str | None], float]:
    """Each EMF line's metric by (name, source, queue), as CloudWatch would read it."""
    found = {}
    for line in out.splitlines():
        if '"_aws"' not in line:
            continue
        record = json.loads(line)
        name = record["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"]
        value = record[name]
        found[(name, record.get("source"), record.get("queue"))] = (
            value[0] if isinstance(value, list) else value
        )
    return found
