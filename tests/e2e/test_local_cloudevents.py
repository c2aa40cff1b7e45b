"""CloudEvents on `tripline local`, sent as the CNCF's Python SDK writes them: one structured, one
binary and one batch request, posted over real HTTP with the SDK's headers and body, are each
stored once (the structured one sent twice: still once) and listed by ``GET /events``; the batch's
shop URI goes to the shop source through the repository's ``rules/cloudevents.yaml``."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from cloudevents.core.bindings.http import HTTPMessage, to_binary_event, to_structured_event
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from chalicelib.topology import EVENTS_QUEUE
from tests.e2e.test_local_runtime import (
    ADMIN_KEY,
    DEAD_LETTERS,
    PROCESSING_SECONDS,
    LocalRun,
    http,
    messages_on,
    stored,
    wait_until,
)

pytestmark = pytest.mark.slow
SENT_AT = datetime(2026, 12, 7, 8, 30, tzinfo=UTC)


def send(run: LocalRun, message: HTTPMessage) -> tuple[int, Any]:
    """The SDK's message posted as it is, with the runtime's admin key."""
    headers = dict(message.headers) | {"Authorization": f"Bearer {ADMIN_KEY}"}
    answer = requests.post(f"{run.api}/events", data=message.body, headers=headers, timeout=10)
    return answer.status_code, answer.json()


def event(event_id: str, source: str, data: Any, **attributes: Any) -> CloudEvent:
    return CloudEvent(
        {"id": event_id, "source": source, "type": "com.example.sale", "time": SENT_AT}
        | attributes,
        data,
    )


def test_structured_binary_and_batch_cloudevents_are_each_stored_once(
    start_local: Callable[..., LocalRun], tmp_path: Path
) -> None:
    # GIVEN tripline local on SQLite, and a source of this run's own
    run = start_local(f"sqlite:///{tmp_path / 'cloudevents.db'}")
    source = f"ce{uuid.uuid4().hex[:8]}"
    structured = to_structured_event(event("s-1", source, {"amount": 5}, tenant="acme"))
    binary = to_binary_event(
        event("b-1", source, {"amount": 7}, subject="caf\u00e9", datacontenttype="application/json")
    )
    shop_order = event(
        "web-1", "https://shop.example.com/orders", {"store": "berlin-1", "unit_price": 3.5}
    )
    in_batch = event("t-1", source, "plain text", datacontenttype="text/plain")
    batch = HTTPMessage(
        {"content-type": "application/cloudevents-batch+json"},
        b"[" + b",".join(JSONFormat().write(one) for one in (in_batch, shop_order)) + b"]",
    )

    # WHEN the three requests are posted, the structured one twice
    answers = [send(run, message) for message in (structured, structured, binary, batch)]

    # THEN every event is accepted for the source decided for it
    assert [status for status, _ in answers] == [202] * 4, answers
    assert [(r["source"], r["id"]) for _, a in answers for r in a["results"]] == [
        (source, "s-1"),
        (source, "s-1"),
        (source, "b-1"),
        (source, "t-1"),
        ("shop", "web-1"),
    ]
    # AND once the queue is drained, each is stored once and GET /events lists it
    wait_until(lambda: len(stored(run, source)) == 3, PROCESSING_SECONDS, "all stored", run)
    wait_until(lambda: messages_on(run, EVENTS_QUEUE) == 0, PROCESSING_SECONDS, "drained", run)
    assert sorted(view["id"] for view in stored(run, source)) == ["b-1", "s-1", "t-1"]
    assert [view["id"] for view in stored(run, "shop") if view["id"] == "web-1"] == ["web-1"]
    assert messages_on(run, DEAD_LETTERS) == 0, run.output()
    # AND each keeps its CloudEvent: raw as sent, its attributes under data.cloudevents
    status, one = http("GET", f"{run.api}/events/{source}/{quote('s-1')}")
    assert status == 200 and one["raw"] == json.loads(structured.body)
    assert one["data"]["cloudevents"]["tenant"] == "acme"
    status, two = http("GET", f"{run.api}/events/{source}/b-1")
    assert status == 200 and two["data"]["cloudevents"]["subject"] == "caf\u00e9"
    status, three = http("GET", f"{run.api}/events/{source}/t-1")
    assert status == 200
    assert three["data"] == {
        "value": "plain text",
        "cloudevents": {"specversion": "1.0", "source": source, "datacontenttype": "text/plain"},
    }
