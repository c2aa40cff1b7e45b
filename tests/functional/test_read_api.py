"""GET routes: pagination through the API, health, and the OpenAPI document covering every route."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import app
from chalicelib.topology import EVENTS_QUEUE
from tests.builders import event_item
from tests.functional.helpers import post_events, process, queued_records


def test_pages_follow_next_cursor_to_the_end(client: Any, app_env: dict[str, Any]) -> None:
    # GIVEN seven stored events a minute apart
    post_events(
        client,
        {
            "events": [
                event_item(id=f"p-{n}", occurred_at=f"2026-11-22T08:0{n}:00Z") for n in range(7)
            ]
        },
    )
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
    assert json.loads(response.body) == {
        "status": "ok",
        "checks": {"database": "ok", "queue": "ok"},
    }


def test_health_names_the_queue_when_it_is_gone(client: Any, app_env: dict[str, Any]) -> None:
    app_env["clients"]["sqs"].delete_queue(QueueUrl=app_env["resources"].queue_urls[EVENTS_QUEUE])
    response = client.http.get("/health")
    body = json.loads(response.body)
    assert response.status_code == 503
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["queue"].startswith("unavailable")


def test_openapi_documents_every_route_and_nothing_else(client: Any) -> None:
    # GIVEN the routes Chalice registered
    routes = {
        (path, method.lower()) for path, entries in app.app.routes.items() for method in entries
    }
    # WHEN the document is fetched
    document = json.loads(client.http.get("/openapi.json").body)
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    # THEN both sets are the same
    assert documented == routes


TRICKY_IDS = ("a b", "100%", "50%25", "a+b", "a/b", "AbC", "é中😀")


def test_an_event_is_fetched_by_any_id_it_was_stored_with(
    client: Any, app_env: dict[str, Any]
) -> None:
    # GIVEN events stored with ids holding spaces, percent and plus signs, a slash, non-ASCII
    post_events(client, {"events": [event_item(id=one) for one in TRICKY_IDS]})
    assert process(client, queued_records(app_env)) == []
    for event_id in TRICKY_IDS:
        # WHEN each is fetched with its id percent-encoded, as a client builds the URL
        response = client.http.get(f"/events/checkout/{quote(event_id, safe='')}")
        # THEN it is found, under the id it was stored with
        assert response.status_code == 200, (event_id, response.body)
        assert json.loads(response.body)["id"] == event_id
    # AND an id encoded where it need not be is the same id, and a plus sign stays a plus sign
    assert json.loads(client.http.get("/events/checkout/%41bC").body)["id"] == "AbC"
    assert json.loads(client.http.get("/events/checkout/a+b").body)["id"] == "a+b"


def test_a_path_parameter_that_is_not_utf8_is_a_400_naming_it(client: Any) -> None:
    # WHEN an id's percent-encoding is not UTF-8
    response = client.http.get("/events/checkout/%FF%FE")
    # THEN the answer says which parameter, and what it was
    assert response.status_code == 400
    error = json.loads(response.body)["error"]
    assert error["code"] == "invalid_path"
    assert error["details"] == [
        {"field": "event_id", "message": "not percent-encoded UTF-8", "value": "%FF%FE"}
    ]
