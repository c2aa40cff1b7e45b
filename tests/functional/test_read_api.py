"""GET routes: pagination through the API, health, and the OpenAPI document covering every route."""

from __future__ import annotations

import json
from typing import Any

import app
from chalicelib.topology import EVENTS_QUEUE
from tests.builders import event_item
from tests.functional.helpers import post_events, process, queued_records


def test_pages_follow_next_cursor_to_the_end(client: Any, app_env: dict[str, Any]) -> None:
    # GIVEN seven stored events a minute apart
    post_events(client, {"events": [
        event_item(id=f"p-{n}", occurred_at=f"2026-11-22T08:0{n}:00Z") for n in range(7)
    ]})
    process(client, queued_records(app_env))
    # WHEN read three at a time by following next_cursor
    ids, url = [], "/events?limit=3"
    while url:
        page = json.loads(client.http.get(url).body)
        ids.extend(item["id"] for item in page["items"])
        url = f"/events?limit=3&cursor={page['next_cursor']}" if page["next_cursor"] else ""
    # THEN all seven come back once, newest first
    assert ids == [f"p-{n}" for n in reversed(range(7))]


def test_health_is_ok_when_database_and_queue_answer(client: Any) -> None:
    response = client.http.get("/health")
    assert response.status_code == 200
    assert json.loads(response.body) == {"status": "ok", "checks": {"database": "ok", "queue": "ok"}}


def test_health_names_the_queue_when_it_is_gone(client: Any, app_env: dict[str, Any]) -> None:
    app_env["clients"]["sqs"].delete_queue(QueueUrl=app_env["resources"].queue_urls[EVENTS_QUEUE])
    response = client.http.get("/health")
    body = json.loads(response.body)
    assert response.status_code == 503
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["queue"].startswith("unavailable")


def test_openapi_documents_every_route_and_nothing_else(client: Any) -> None:
    # GIVEN the routes Chalice registered
    routes = {(path, method.lower()) for path, entries in app.app.routes.items() for method in entries}
    # WHEN the document is fetched
    document = json.loads(client.http.get("/openapi.json").body)
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    # THEN both sets are the same
    assert documented == routes
