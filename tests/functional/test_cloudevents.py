"""CloudEvents 1.0 over HTTP on ``POST /events``, sent as the CNCF's Python SDK (``cloudevents``)
writes them: structured, binary and batch mode, the SDK's ``HTTPMessage`` headers and body posted
as they are to the app served over HTTP, on SQLite and MySQL. Each event is stored once (sent
twice and redelivered twice: still once) with its CloudEvent as the raw form; a bad event is
refused per item naming its attribute; a key for another source is refused (403) with nothing
queued; ``source`` URIs map to Tripline sources through ``rules/cloudevents.yaml``."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from cloudevents.core.bindings.http import HTTPMessage, to_binary_event, to_structured_event
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v03.event import CloudEvent as CloudEventV03
from cloudevents.core.v1.event import CloudEvent

from chalicelib import bootstrap
from tests.builders import sqs_record
from tests.functional.helpers import listed_ids, process, queued_records

SENT_AT = datetime(2026, 12, 7, 8, 30, tzinfo=UTC)
REPO_RULES = Path(__file__).resolve().parents[2] / "rules"
BATCH = "application/cloudevents-batch+json"


def order_event(event_id: str, source: str = "crm", **attributes: Any) -> CloudEvent:
    """A CloudEvent as a service builds it with the SDK."""
    return CloudEvent(
        {
            "id": event_id,
            "source": source,
            "type": "com.example.order.created",
            "time": SENT_AT,
            **attributes,
        },
        {"order": event_id, "amount": 12.5},
    )


def batch_message(*events: CloudEvent) -> HTTPMessage:
    """Batch mode, built from the SDK's JSON format (it has no batch writer)."""
    body = b"[" + b",".join(JSONFormat().write(event) for event in events) + b"]"
    return HTTPMessage({"content-type": BATCH}, body)


def send(served_api: str, key: str, message: HTTPMessage) -> tuple[int, dict[str, Any]]:
    """POST /events with exactly the headers and body the SDK produced, and the key (requests
    adds no Content-Type of its own, as urllib would)."""
    headers = dict(message.headers) | {"Authorization": f"Bearer {key}"}
    answer = requests.post(f"{served_api}/events", data=message.body, headers=headers, timeout=10)
    return answer.status_code, answer.json()


def stored(client: Any, source: str, event_id: str) -> dict[str, Any]:
    response = client.http.get(f"/events/{source}/{event_id}")
    assert response.status_code == 200, response.body
    event: dict[str, Any] = json.loads(response.body)
    return event


@pytest.fixture
def admin_key(make_key: Callable[..., str]) -> str:
    return make_key("admin", name="ce-admin")


def test_a_structured_event_is_stored_once_with_its_attributes_kept(
    served_api: str, client: Any, app_env: dict[str, Any], admin_key: str
) -> None:
    # GIVEN a CloudEvent with a subject and an extension, in structured mode, whose source is a
    # Tripline source name (crm)
    event = order_event("ord-1", subject="order/1", tenant="acme")
    message = to_structured_event(event)
    # WHEN the SDK's message is posted and the queue processed
    status, answer = send(served_api, admin_key, message)
    assert process(client, queued_records(app_env)) == []
    # THEN it is accepted for crm and stored: raw is the CloudEvent as sent, data its data with
    # the other attributes under data.cloudevents, occurred_at its time
    assert (status, answer["results"]) == (
        202,
        [{"index": 0, "status": "accepted", "source": "crm", "id": "ord-1"}],
    )
    kept = stored(client, "crm", "ord-1")
    assert kept["raw"] == json.loads(message.body)
    assert kept["type"] == "com.example.order.created"
    assert kept["occurred_at"] == "2026-12-07T08:30:00+00:00"
    assert kept["data"] == {
        "order": "ord-1",
        "amount": 12.5,
        "cloudevents": {
            "specversion": "1.0",
            "source": "crm",
            "subject": "order/1",
            "tenant": "acme",
        },
    }


def test_a_binary_event_is_stored_with_content_type_as_datacontenttype(
    served_api: str, client: Any, app_env: dict[str, Any], admin_key: str
) -> None:
    # GIVEN a CloudEvent in binary mode, its subject needing percent-encoding in its header
    event = order_event("ord-2", subject="caf\u00e9 order", datacontenttype="application/json")
    message = to_binary_event(event)
    assert message.headers["ce-subject"] == "caf%C3%A9%20order"
    # WHEN posted and processed
    status, answer = send(served_api, admin_key, message)
    process(client, queued_records(app_env))
    # THEN it is stored once; raw is the event in the JSON format, the header decoded
    assert status == 202 and answer["accepted"] == 1
    kept = stored(client, "crm", "ord-2")
    assert kept["raw"] == {
        "specversion": "1.0",
        "id": "ord-2",
        "source": "crm",
        "type": "com.example.order.created",
        "time": "2026-12-07T08:30:00Z",
        "subject": "caf\u00e9 order",
        "datacontenttype": "application/json",
        "data": {"order": "ord-2", "amount": 12.5},
    }
    assert kept["data"]["cloudevents"]["datacontenttype"] == "application/json"
    assert kept["data"]["amount"] == 12.5


def test_binary_data_that_is_not_json_is_kept_as_text_or_base64(
    served_api: str, client: Any, app_env: dict[str, Any], admin_key: str
) -> None:
    # GIVEN an XML payload and a binary one, each in binary mode
    xml = CloudEvent(
        {"id": "x-1", "source": "crm", "type": "note", "datacontenttype": "text/xml"}, "<a/>"
    )
    png = CloudEvent(
        {"id": "p-1", "source": "crm", "type": "scan", "datacontenttype": "image/png"},
        b"\x89PNG\r\n",
    )
    # WHEN both are posted and processed
    for event in (xml, png):
        assert send(served_api, admin_key, to_binary_event(event))[0] == 202
    process(client, queued_records(app_env))
    # THEN the text is data.value and the bytes data.data_base64
    assert stored(client, "crm", "x-1")["data"]["value"] == "<a/>"
    assert stored(client, "crm", "p-1")["data"]["data_base64"] == "iVBORw0K"


def test_a_batch_sent_twice_and_delivered_twice_stores_each_event_once(
    served_api: str, client: Any, app_env: dict[str, Any], make_key: Callable[..., str]
) -> None:
    # GIVEN an ingest key of one source (warehouse) and three events whose source URIs name no
    # Tripline source: they go to the key's source
    key = make_key("ingest", ("warehouse",), name="scanner")
    events = [order_event(f"scan-{n}", source=f"/warehouse/dock-{n}") for n in range(3)]
    message = batch_message(*events)
    # WHEN the batch is posted twice (a client's retry) and every message delivered twice
    first = send(served_api, key, message)
    second = send(served_api, key, message)
    records = queued_records(app_env)
    process(client, records)
    process(client, [sqs_record(r["body"], message_id=r["messageId"]) for r in records])
    # THEN both answers accept the three for warehouse, and each is stored once
    for status, answer in (first, second):
        assert status == 202
        assert [(r["source"], r["id"]) for r in answer["results"]] == [
            ("warehouse", f"scan-{n}") for n in range(3)
        ]
    assert len(records) == 6
    assert sorted(listed_ids(client, "?source=warehouse")) == ["scan-0", "scan-1", "scan-2"]
    assert stored(client, "warehouse", "scan-1")["raw"] == json.loads(JSONFormat().write(events[1]))


def test_a_bad_event_in_a_batch_is_refused_naming_its_attributes(
    served_api: str, client: Any, app_env: dict[str, Any], admin_key: str
) -> None:
    # GIVEN a batch of a good event and one without a type, with a bad extension name and time
    bad = {"specversion": "1.0", "id": "b-1", "source": "crm", "Tenant": "x", "time": "today"}
    good = json.loads(JSONFormat().write(order_event("g-1")))
    message = HTTPMessage({"content-type": BATCH}, json.dumps([good, bad]).encode())
    # WHEN posted
    status, answer = send(served_api, admin_key, message)
    # THEN the good one is accepted and the bad one rejected, each problem by attribute
    assert status == 202
    assert (answer["accepted"], answer["rejected"]) == (1, 1)
    errors = {error["field"]: error["message"] for error in answer["results"][1]["errors"]}
    assert set(errors) == {"Tenant", "time", "type"}
    assert errors["type"] == "is required"
    assert len(queued_records(app_env)) == 1


def test_cloudevents_0_3_are_refused_naming_specversion(
    served_api: str, app_env: dict[str, Any], admin_key: str
) -> None:
    # GIVEN a CloudEvents 0.3 event from the SDK, structured
    old = CloudEventV03({"id": "o-1", "source": "crm", "type": "legacy"}, {"a": 1})
    # WHEN posted
    status, answer = send(served_api, admin_key, to_structured_event(old))
    # THEN it is rejected, naming specversion, and nothing is queued
    assert status == 202
    [error] = answer["results"][0]["errors"]
    assert error["field"] == "specversion" and "'0.3' is not supported" in error["message"]
    assert queued_records(app_env) == []


def test_a_key_for_another_source_is_refused_and_nothing_is_queued(
    served_api: str, app_env: dict[str, Any], make_key: Callable[..., str]
) -> None:
    # GIVEN an ingest key of shop, and a batch whose second event maps to payments
    key = make_key("ingest", ("shop",), name="shop-service")
    message = batch_message(
        order_event("s-1", source="/shop/orders"), order_event("p-1", "payments")
    )
    # WHEN posted
    status, answer = send(served_api, key, message)
    # THEN the whole request is refused, naming payments, and nothing is queued
    assert status == 403
    assert answer["error"]["details"] == [
        {"message": "this key writes only to: shop", "field": "source", "value": "payments"}
    ]
    assert queued_records(app_env) == []


def test_a_source_uri_no_rule_maps_is_refused_saying_how_to_map_it(
    served_api: str, app_env: dict[str, Any], admin_key: str
) -> None:
    # GIVEN an admin key (no single source) and an event from an unmapped URI
    message = to_structured_event(order_event("u-1", source="https://erp.example.org/x"))
    # WHEN posted THEN the event is rejected naming source, with the ways to map it
    status, answer = send(served_api, admin_key, message)
    assert status == 202
    [error] = answer["results"][0]["errors"]
    assert error["field"] == "source" and "rules/cloudevents.yaml" in error["message"]


@pytest.fixture
def mapped_rules(app_env: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the repository's rules whose CloudEvents map sends the ERP's URIs to billing."""
    rules = tmp_path / "rules"
    shutil.copytree(REPO_RULES, rules)
    (rules / "cloudevents.yaml").write_text(
        'sources:\n  "https://erp.example.org/": billing\n  "https://erp.example.org/hr/": hr\n'
    )
    monkeypatch.setenv("TRIPLINE_RULES_DIR", str(rules))
    bootstrap.reset()
    return rules


def test_the_rules_file_maps_source_uris_by_their_longest_prefix(
    mapped_rules: Path, served_api: str, client: Any, app_env: dict[str, Any], admin_key: str
) -> None:
    # GIVEN events from two ERP URIs, one under the longer prefix
    message = batch_message(
        order_event("i-1", source="https://erp.example.org/invoices"),
        order_event("h-1", source="https://erp.example.org/hr/leave"),
    )
    # WHEN posted and processed
    status, answer = send(served_api, admin_key, message)
    process(client, queued_records(app_env))
    # THEN each went to the source of its longest prefix
    assert status == 202
    assert [(r["source"], r["id"]) for r in answer["results"]] == [
        ("billing", "i-1"),
        ("hr", "h-1"),
    ]
    cloud = stored(client, "billing", "i-1")["data"]["cloudevents"]
    assert cloud["source"] == "https://erp.example.org/invoices"
    assert stored(client, "hr", "h-1")["id"] == "h-1"


def test_the_shipped_map_sends_the_shops_uris_to_the_shop_source(
    served_api: str, client: Any, app_env: dict[str, Any], admin_key: str
) -> None:
    # GIVEN an order from the shop's URI, with the fields the shop source declares as required
    event = CloudEvent(
        {"id": "web-1", "source": "https://shop.example.com/orders", "type": "order.created"},
        {"store": "berlin-1", "unit_price": 20.0, "quantity": 2},
    )
    # WHEN posted and processed
    status, answer = send(served_api, admin_key, to_structured_event(event))
    process(client, queued_records(app_env))
    # THEN the repository's rules/cloudevents.yaml sent it to shop, conformed as shop's events are
    assert status == 202
    assert answer["results"][0]["source"] == "shop"
    assert stored(client, "shop", "web-1")["data"]["total"] == 40.0


def test_a_malformed_binary_json_body_is_refused_with_its_line_and_column(
    served_api: str, admin_key: str
) -> None:
    message = HTTPMessage(
        {
            "ce-specversion": "1.0",
            "ce-id": "m-1",
            "ce-source": "crm",
            "ce-type": "t",
            "content-type": "application/json",
        },
        b'{"a": 1,\n "b": }',
    )
    status, answer = send(served_api, admin_key, message)
    assert status == 400
    assert answer["error"]["details"] == [{"message": "Expecting value", "line": 2, "column": 7}]


@pytest.mark.parametrize(
    ("headers", "body", "status", "field"),
    [
        ({"content-type": "application/cloudevents+avro"}, b"\x00", 415, "Content-Type"),
        ({"content-type": BATCH}, b"[]", 400, "$"),
        ({"content-type": "application/cloudevents+json"}, b"[]", 400, "$"),
        (
            {"ce-specversion": "1.0", "ce-id": "h-1", "ce-source": "crm", "ce-type": "t"}
            | {"ce-subject": "%C0%A0", "content-type": "text/plain"},
            b"x",
            400,
            "ce-subject",
        ),
    ],
)
def test_a_request_no_mode_can_read_is_refused_whole_saying_where(
    served_api: str,
    app_env: dict[str, Any],
    admin_key: str,
    headers: dict[str, str],
    body: bytes,
    status: int,
    field: str,
) -> None:
    # GIVEN another event format, an empty batch, a structured array, an undecodable header
    # WHEN posted THEN the request is refused with the API's error shape, naming where
    got, answer = send(served_api, admin_key, HTTPMessage(headers, body))
    assert got == status
    assert answer["error"]["details"][0]["field"] == field
    assert queued_records(app_env) == []


def test_a_binary_event_without_datacontenttype_has_json_data(
    served_api: str, client: Any, app_env: dict[str, Any], admin_key: str
) -> None:
    # GIVEN the SDK's binary message of an event without datacontenttype: no Content-Type at all
    message = to_binary_event(order_event("n-1"))
    assert "content-type" not in message.headers
    # WHEN posted as it is and processed
    status, _ = send(served_api, admin_key, message)
    process(client, queued_records(app_env))
    # THEN its body is read as JSON, as the JSON format assumes, and no datacontenttype is made up
    kept = stored(client, "crm", "n-1")
    assert status == 202 and kept["data"]["order"] == "n-1"
    assert "datacontenttype" not in kept["raw"]
