"""When things go wrong: partial batch failures, outages, and bad requests, each with a clear answer."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.domain.errors import StorageError
from chalicelib.domain.events import ArrivedEvent
from chalicelib.ports import EventStore, EventWork
from chalicelib.topology import EVENTS_QUEUE
from tests.builders import event_item
from tests.functional.helpers import JSON, listed_ids, post_events, process, queued_records


class StoreFailingFor:
    """Fault injection: the real store, except that the database refuses writes holding these ids."""

    def __init__(self, real: EventStore, failing_ids: set[str]) -> None:
        self._real = real
        self._failing_ids = failing_ids

    @contextmanager
    def unit_of_work(self) -> Iterator[EventWork]:
        with self._real.unit_of_work() as work:
            yield WorkFailingFor(work, self._failing_ids)


class WorkFailingFor:
    """The real unit of work, refusing to add events holding the failing ids."""

    def __init__(self, real: EventWork, failing_ids: set[str]) -> None:
        self._real = real
        self._failing_ids = failing_ids

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def add_new_events(
        self, arrived: Sequence[ArrivedEvent], processed_at: datetime
    ) -> list[ArrivedEvent]:
        if any(one.event.event_id in self._failing_ids for one in arrived):
            raise StorageError("injected: the database refused a row")
        return self._real.add_new_events(arrived, processed_at)


def test_one_failing_record_is_the_only_one_redelivered(
    client: Any, app_env: dict[str, Any]
) -> None:
    # GIVEN a batch of five where the write of "e-2" fails
    post_events(client, {"events": [event_item(id=f"e-{n}") for n in range(5)]})
    records = queued_records(app_env)
    services = bootstrap.container()
    services.__dict__["store"] = StoreFailingFor(services.store, {"e-2"})
    # WHEN the batch is processed
    failed = process(client, records)
    # THEN only that record is reported failed and the other four are stored
    failed_bodies = [r["body"] for r in records if r["messageId"] in failed]
    assert len(failed) == 1 and '"e-2"' in failed_bodies[0]
    assert sorted(listed_ids(client)) == ["e-0", "e-1", "e-3", "e-4"]


def test_database_down_reports_every_record_failed_and_loses_none(
    client: Any, app_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN three queued events and a database that cannot be reached
    post_events(client, {"events": [event_item(id=f"d-{n}") for n in range(3)]})
    records = queued_records(app_env)
    monkeypatch.setenv("DATABASE_URL", "mysql+pymysql://root@127.0.0.1:1/nowhere")
    bootstrap.reset()
    # WHEN processed, every record goes back to the queue
    assert sorted(process(client, records)) == sorted(r["messageId"] for r in records)
    # THEN once the database is back, the redelivery stores all three
    monkeypatch.setenv("DATABASE_URL", app_env["database_url"])
    bootstrap.reset()
    assert process(client, records) == []
    assert sorted(listed_ids(client)) == ["d-0", "d-1", "d-2"]


def test_queue_unavailable_answers_503_and_accepts_nothing(
    client: Any, app_env: dict[str, Any]
) -> None:
    # GIVEN the events queue is gone
    sqs = app_env["clients"]["sqs"]
    sqs.delete_queue(QueueUrl=app_env["resources"].queue_urls[EVENTS_QUEUE])
    # WHEN a batch with one valid and one invalid item is posted
    response = post_events(client, {"events": [event_item(id="q-1"), event_item(type=None)]})
    # THEN 503 with Retry-After; the valid item is not_queued with the reason, never "accepted"
    body = json.loads(response.body)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert [r["status"] for r in body["results"]] == ["not_queued", "rejected"]
    assert EVENTS_QUEUE in body["results"][0]["errors"][0]["message"]


def test_malformed_json_is_400_naming_line_and_column(client: Any) -> None:
    response = client.http.post("/events", headers=JSON, body='{\n  "source": "shop",\n  "type": }')
    error = json.loads(response.body)["error"]
    assert response.status_code == 400
    assert error["code"] == "malformed_body"
    assert error["details"][0]["line"] == 3
    assert error["details"][0]["column"] == 11


def test_batch_over_the_limit_is_413_and_nothing_is_queued(
    client: Any, app_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIPLINE_MAX_BATCH_EVENTS", "3")
    bootstrap.reset()
    response = post_events(client, {"events": [event_item() for _ in range(4)]})
    assert response.status_code == 413
    assert "limit is 3" in json.loads(response.body)["error"]["message"]
    assert queued_records(app_env) == []


def test_body_over_the_limit_is_413(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIPLINE_MAX_BODY_BYTES", "1000")
    monkeypatch.setenv("TRIPLINE_MAX_EVENT_BYTES", "1000")
    bootstrap.reset()
    response = post_events(client, event_item(data={"blob": "x" * 2000}))
    assert response.status_code == 413
    assert json.loads(response.body)["error"]["details"] == [
        {"message": "at most 1000 bytes", "field": "body"}
    ]


def test_oversized_event_is_rejected_alone(client: Any, app_env: dict[str, Any]) -> None:
    response = post_events(
        client, {"events": [event_item(id="small"), event_item(data={"blob": "x" * 40_000})]}
    )
    results = json.loads(response.body)["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected"]
    assert "limit is 32768" in results[1]["errors"][0]["message"]


def test_non_json_content_type_is_415(client: Any) -> None:
    response = client.http.post("/events", headers={"Content-Type": "text/csv"}, body="a,b\n1,2")
    assert response.status_code == 415
    assert json.loads(response.body)["error"]["code"] == "unsupported_media_type"


def test_unknown_event_is_404(client: Any) -> None:
    response = client.http.get("/events/shop/missing")
    assert response.status_code == 404
    assert json.loads(response.body)["error"]["details"][0]["field"] == "id"


def test_bad_query_is_400_listing_every_parameter(client: Any) -> None:
    response = client.http.get("/events?limit=0&since=yesterday&colour=red")
    fields = {d["field"] for d in json.loads(response.body)["error"]["details"]}
    assert response.status_code == 400
    assert fields == {"limit", "since", "colour"}


def test_misconfiguration_is_a_500_that_shows_no_internals(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a deploy with a bad database URL holding a password
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:s3cret@db/tripline")
    bootstrap.reset()
    # WHEN a route runs (one without a key: the authorizer of the others fails the same way,
    # as API Gateway's 500, before any route)
    response = client.http.get("/health")
    # THEN a generic 500: the variable and password stay in the logs' territory
    assert response.status_code == 500
    assert json.loads(response.body)["error"]["code"] == "internal_error"
    assert b"s3cret" not in response.body and b"DATABASE_URL" not in response.body
