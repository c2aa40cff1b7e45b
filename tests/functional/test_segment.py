"""Segment's tracking API on ``/v1/*``, sent by Segment's own Python client
(``segment-analytics-python``, its host pointed at the app served over HTTP), on SQLite and MySQL.

Each call is stored once by its ``messageId`` (sent twice, redelivered twice: still once), as an
event of the write key's one source; the raw call is stored without the write key. A bad call is
answered ``{"success": true}`` as Segment answers, and kept with its errors, named by the call's
own fields, in ``GET /rejections`` once, and counted in ``/metrics``. Any key that is not an
ingest key of one source is refused; a gzip body works, and a gzip bomb does not.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from segment.analytics import Client
from segment.analytics.request import APIError

from chalicelib.adapters.db.access_store import SqlKeyStore
from chalicelib.adapters.db.engine import make_engine
from chalicelib.adapters.db.event_store import SqlEventStore
from chalicelib.domain.errors import Detail
from chalicelib.domain.events import RejectedItem
from chalicelib.topology import EVENTS_QUEUE
from tests.functional.helpers import process, queued_records

ORDER = {"order_id": "o-1", "revenue": 25.5, "currency": "EUR"}


@pytest.fixture
def web_key(make_key: Callable[..., str]) -> str:
    """A write key: an ingest key of the one source ``web``."""
    return make_key("ingest", ("web",), name="web-tracking")


@pytest.fixture
def payments_key(make_key: Callable[..., str]) -> str:
    """payments declares its columns (rules/sources/payments.yaml): amount is a number."""
    return make_key("ingest", ("payments",), name="payments-tracking")


def segment(host: str, key: str, **options: Any) -> Client:
    """Segment's client as an integrator sets it up, sending each call at once."""
    return Client(write_key=key, host=host, sync_mode=True, **options)


def deliver(client: Any, app_env: dict[str, Any], times: int = 1) -> int:
    """Everything queued, through the processor ``times`` times (SQS redelivers); how many."""
    records = queued_records(app_env)
    for _ in range(times):
        assert process(client, records) == []
    return len(records)


def stored(client: Any, source: str, event_id: str) -> dict[str, Any]:
    answer = client.http.get(f"/events/{source}/{event_id}")
    assert answer.status_code == 200, answer.body
    found: dict[str, Any] = json.loads(answer.body)
    return found


def listed(client: Any, path: str) -> list[dict[str, Any]]:
    answer = client.http.get(path)
    assert answer.status_code == 200, answer.body
    items: list[dict[str, Any]] = json.loads(answer.body)["items"]
    return items


def basic(key: str) -> dict[str, str]:
    user = base64.b64encode(f"{key}:".encode()).decode()
    return {"Authorization": f"Basic {user}", "Content-Type": "application/json"}


def test_track_identify_and_page_are_each_stored_once_as_events_of_the_key_s_source(
    served_api: str, client: Any, app_env: dict[str, Any], web_key: str
) -> None:
    # GIVEN Segment's client with an ingest key of web as its write key
    tracker = segment(served_api, web_key)
    # WHEN it sends a track, an identify and a page call
    tracker.track("user-7", "Order Completed", ORDER, message_id="seg-track-1")
    tracker.identify("user-7", {"plan": "pro", "email": "a@example.com"}, message_id="seg-id-1")
    tracker.page("user-7", "Shop", "Checkout", {"url": "/checkout"}, message_id="seg-page-1")
    assert deliver(client, app_env) == 3
    # THEN each is an event of web, its message id the event id, its name the type
    track = stored(client, "web", "seg-track-1")
    assert track["type"] == "Order Completed"
    assert {name: track["data"][name] for name in ORDER} == ORDER
    assert track["data"]["segment"]["userId"] == "user-7"
    assert track["data"]["segment"]["context"]["library"]["name"] == "analytics-python"
    identify = stored(client, "web", "seg-id-1")
    assert identify["type"] == "identify" and identify["data"]["plan"] == "pro"
    page = stored(client, "web", "seg-page-1")
    assert page["type"] == "page"
    assert (page["data"]["name"], page["data"]["category"]) == ("Checkout", "Shop")
    assert page["data"]["url"] == "/checkout"
    # AND the raw call is what the client sent, without the write key anywhere
    assert track["raw"]["event"] == "Order Completed" and track["raw"]["messageId"] == "seg-track-1"
    for one in (track, identify, page):
        assert "writeKey" not in one["raw"] and web_key not in json.dumps(one)
    # AND the event list holds the three, once each; the type filter takes a name with spaces
    assert len(listed(client, "/events?source=web")) == 3
    assert [one["id"] for one in listed(client, "/events?type=Order%20Completed")] == [
        "seg-track-1"
    ]


def test_the_same_message_sent_twice_and_redelivered_is_stored_once(
    served_api: str, client: Any, app_env: dict[str, Any], web_key: str
) -> None:
    # GIVEN a call the client sends twice (a retry after a lost answer)
    tracker = segment(served_api, web_key)
    for _ in range(2):
        tracker.track("user-7", "Signed Up", {"plan": "free"}, message_id="seg-twice")
    # WHEN both are processed, and SQS delivers both twice
    assert deliver(client, app_env, times=2) == 2
    # THEN one event is stored
    assert [one["id"] for one in listed(client, "/events?source=web")] == ["seg-twice"]


def test_a_bad_call_is_answered_success_and_kept_once_in_rejections_with_its_errors(
    served_api: str, client: Any, app_env: dict[str, Any], payments_key: str
) -> None:
    # GIVEN calls to payments: one whose amount is no number, sent twice; one from the far future
    tracker = segment(served_api, payments_key)
    bad = {"payment_id": "p-1", "paid_at": "2026-12-07T09:00:00Z", "amount": "a lot"}
    bad |= {"card": "c-1", "merchant": "m-1", "status": "captured"}
    for _ in range(2):
        answer = tracker.track("user-7", "Payment Captured", bad, message_id="seg-bad-amount")
        # THEN the client hears success, as Segment answers (no exception raised)
        assert answer[0] is True
    future = datetime(2300, 1, 1, tzinfo=UTC)
    late = bad | {"amount": 3}
    tracker.track("user-7", "Payment Captured", late, timestamp=future, message_id="seg-late")
    # WHEN the queue is delivered twice
    assert deliver(client, app_env, times=2) == 3
    # THEN nothing is stored as an event, and each call is kept once, its errors named by its fields
    assert listed(client, "/events?source=payments") == []
    items = listed(client, "/rejections?source=payments")
    assert sorted(one["event_id"] for one in items) == ["seg-bad-amount", "seg-late"]
    kept = {one["event_id"]: one for one in items}
    amount = kept["seg-bad-amount"]
    assert [(e["field"], e["value"]) for e in amount["errors"]] == [("properties.amount", "a lot")]
    assert [e["field"] for e in kept["seg-late"]["errors"]] == ["timestamp"]
    # AND each shows its source, the call as sent (without the write key), and when it came
    assert amount["source"] == "payments" and amount["reason"] == "invalid event"
    assert amount["payload"]["properties"]["amount"] == "a lot"
    assert "writeKey" not in amount["payload"] and payments_key not in json.dumps(kept)
    assert amount["received_at"] and amount["upload_id"] is None and amount["line"] is None
    # AND /metrics counts them as rejected rows of payments
    metrics = client.http.get("/metrics")
    assert 'tripline_rows_rejected{source="payments"} 2.0' in metrics.body.decode()


def test_rejections_are_paged_by_cursor_and_an_ingest_key_reads_only_its_own_sources(
    served_api: str,
    client: Any,
    app_env: dict[str, Any],
    web_key: str,
    payments_key: str,
) -> None:
    # GIVEN three rejected calls of web and one of payments
    for n in range(3):
        segment(served_api, web_key).track("u", "Bad", {"segment": n}, message_id=f"web-{n}")
    segment(served_api, payments_key).track("u", "Bad", {"amount": "x"}, message_id="pay-0")
    deliver(client, app_env)
    # WHEN an operator pages through them two at a time
    first = json.loads(client.http.get("/rejections?limit=2").body)
    rest = json.loads(client.http.get(f"/rejections?limit=2&cursor={first['next_cursor']}").body)
    # THEN every one is read once, and the reserved field is named as the call has it
    seen = [one["event_id"] for one in first["items"] + rest["items"]]
    assert sorted(seen) == ["pay-0", "web-0", "web-1", "web-2"] and rest["next_cursor"] is None
    web = [one for one in first["items"] + rest["items"] if one["source"] == "web"]
    assert {e["field"] for one in web for e in one["errors"]} == {"properties.segment"}
    # AND web's own key reads web's only; payments is as empty to it as an unknown source
    own = client.http.get("/rejections", headers={"Authorization": f"Bearer {web_key}"})
    assert sorted(one["event_id"] for one in json.loads(own.body)["items"]) == [
        "web-0",
        "web-1",
        "web-2",
    ]
    other = client.http.get(
        "/rejections?source=payments", headers={"Authorization": f"Bearer {web_key}"}
    )
    assert json.loads(other.body) == {"items": [], "next_cursor": None}


def test_a_key_that_is_not_an_ingest_key_of_one_source_is_refused(
    served_api: str,
    client: Any,
    app_env: dict[str, Any],
    make_key: Callable[..., str],
    payments_key: str,
) -> None:
    # GIVEN keys of every other kind, and a revoked key of web
    operator = make_key("operator", name="ops")
    metrics = make_key("metrics", name="prometheus")
    two_sources = make_key("ingest", ("web", "payments"), name="both")
    revoked = make_key("ingest", ("web",), name="gone")
    engine = make_engine(app_env["database_url"])
    SqlKeyStore(engine).revoke(revoked.split("_")[1], datetime.now(UTC))
    engine.dispose()
    refusals = {}
    for name, key in [
        ("operator", operator),
        ("metrics", metrics),
        ("two sources", two_sources),
        ("revoked", revoked),
    ]:
        # WHEN Segment's client sends with it
        with pytest.raises(APIError) as raised:
            segment(served_api, key).track("u", "Order Completed", ORDER, message_id=name)
        refusals[name] = raised.value
    # THEN each is refused: an operator's or a two-source key naming why, in Segment's fields
    assert (refusals["operator"].status, refusals["operator"].code) == (403, "forbidden")
    assert "ingest key of exactly one source" in refusals["operator"].message
    assert (refusals["two sources"].status, refusals["two sources"].code) == (403, "forbidden")
    assert refusals["metrics"].status == 403  # its role reaches no /v1 route
    assert refusals["revoked"].status == 401
    # AND a call sent with payments' key went to payments (it names no source): web has nothing
    segment(served_api, payments_key).track("u", "Paid", {"amount": 1}, message_id="pay-1")
    deliver(client, app_env)
    assert client.http.get("/events/web/pay-1").status_code == 404
    assert listed(client, "/events?source=web") == []
    assert [one["event_id"] for one in listed(client, "/rejections")] == ["pay-1"]


def test_a_gzip_batch_from_the_client_is_stored(
    served_api: str, client: Any, app_env: dict[str, Any], web_key: str
) -> None:
    # WHEN the client sends gzip-compressed batches
    segment(served_api, web_key, gzip=True).track("u", "Zipped", {"n": 1}, message_id="gz-1")
    deliver(client, app_env)
    # THEN the call is stored as any other
    assert stored(client, "web", "gz-1")["data"]["n"] == 1


def test_a_gzip_bomb_a_broken_stream_and_malformed_json_are_refused_in_segment_s_shape(
    served_api: str, web_key: str
) -> None:
    url = f"{served_api}/v1/batch"
    zipped = basic(web_key) | {"Content-Encoding": "gzip"}
    # WHEN a body inflating to 100 MB is sent THEN it is too large, not inflated
    bomb = gzip.compress(b" " * 100_000_000)
    too_large = requests.post(url, data=bomb, headers=zipped, timeout=30)
    assert too_large.status_code == 413
    assert too_large.json()["success"] is False and too_large.json()["code"] == "payload_too_large"
    # WHEN a body that is no gzip stream is sent THEN it is a 400 saying so
    broken = requests.post(url, data=b'{"batch": []}', headers=zipped, timeout=30)
    assert broken.status_code == 400 and "gzip" in broken.json()["message"]
    # WHEN the JSON is malformed, or carries no calls THEN 400 with our error beside Segment's
    malformed = requests.post(url, data=b'{"batch": [', headers=basic(web_key), timeout=30)
    assert malformed.status_code == 400
    body = malformed.json()
    assert (body["success"], body["code"]) == (False, "malformed_body")
    assert body["error"]["code"] == "malformed_body" and "line 1" in body["message"]
    empty = requests.post(url, json={"batch": ["track"]}, headers=basic(web_key), timeout=30)
    assert empty.status_code == 400
    assert [one["field"] for one in empty.json()["error"]["details"]] == ["batch[0]"]


def test_a_single_call_route_takes_one_call_of_its_type(
    served_api: str, client: Any, app_env: dict[str, Any], web_key: str
) -> None:
    # WHEN a track and an identify are posted to their own routes, key in the body too
    call = {"userId": "u", "event": "Viewed Item", "properties": {"sku": "A-1"}}
    track = call | {"messageId": "single-1", "writeKey": web_key}
    identify = {"userId": "u", "traits": {"plan": "pro"}, "messageId": "single-2"}
    for path, body in [("/v1/track", track), ("/v1/identify", identify)]:
        answer = requests.post(f"{served_api}{path}", json=body, headers=basic(web_key), timeout=30)
        # THEN each is answered as Segment answers
        assert (answer.status_code, answer.json()) == (200, {"success": True})
    deliver(client, app_env)
    # AND each is stored as a call of its route's type, the key dropped from the raw call
    one = stored(client, "web", "single-1")
    assert (one["type"], one["data"]["sku"], one["raw"]["type"]) == ("Viewed Item", "A-1", "track")
    assert "writeKey" not in one["raw"]
    assert stored(client, "web", "single-2")["type"] == "identify"


def test_calls_the_queue_cannot_take_are_a_503_to_retry_never_a_success(
    client: Any, app_env: dict[str, Any], web_key: str
) -> None:
    # GIVEN the events queue is away
    sqs = app_env["clients"]["sqs"]
    sqs.delete_queue(QueueUrl=app_env["resources"].queue_urls[EVENTS_QUEUE])
    # WHEN a batch of a valid call and a refused one is posted as Segment's client posts it
    calls = [
        {"type": "track", "event": "Ok", "messageId": "q-1", "userId": "u"},
        {"type": "track", "event": "Bad", "messageId": "q-2", "properties": {"segment": 1}},
    ]
    answer = client.http.post(
        "/v1/batch", headers=basic(web_key), body=json.dumps({"batch": calls, "writeKey": web_key})
    )
    # THEN it is a 503 with Retry-After (Segment's clients retry it), naming both calls
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    body = json.loads(answer.body)
    assert (body["success"], body["code"]) == (False, "dependency_unavailable")
    assert [one["field"] for one in body["error"]["details"]] == ["batch[0]", "batch[1]"]


def test_rejections_show_a_csv_row_s_upload_and_line_and_filter_by_time(
    client: Any, app_env: dict[str, Any]
) -> None:
    # GIVEN a CSV row rejected yesterday and a JSON event rejected today, as the processors keep them
    today = datetime.now(UTC).replace(microsecond=0)
    yesterday = today - timedelta(days=1)
    row = RejectedItem(
        "upload:u-1:7",
        "invalid row",
        (Detail("must be a number", field="amount", line=7, column="amount", value="x"),),
        json.dumps({"payment_id": "p-7", "amount": "x"}),
        yesterday,
        source="payments",
        event_id="p-7",
        upload_id="u-1",
        line=7,
    )
    posted = RejectedItem("sqs:m-1", "invalid event", (), '{"source": "shop"}', today, "shop")
    engine = make_engine(app_env["database_url"])
    store = SqlEventStore(engine)
    with store.unit_of_work() as work:
        work.add_new_rejections([row], yesterday)
    with store.unit_of_work() as work:
        work.add_new_rejections([posted], today)
    engine.dispose()
    # WHEN an operator reads them all, then only those rejected before today
    everything = listed(client, "/rejections")
    since = (today - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    earlier = listed(client, f"/rejections?until={since}")
    # THEN they are newest first, the row with its upload, line, cells and errors
    assert [one["source"] for one in everything] == ["shop", "payments"]
    assert earlier == [everything[1]]
    assert (earlier[0]["upload_id"], earlier[0]["line"], earlier[0]["event_id"]) == (
        "u-1",
        7,
        "p-7",
    )
    assert earlier[0]["payload"] == {"payment_id": "p-7", "amount": "x"}
    assert earlier[0]["errors"] == [
        {
            "message": "must be a number",
            "field": "amount",
            "line": 7,
            "column": "amount",
            "value": "x",
        }
    ]
    # AND a bad parameter is a 400 naming it
    answer = client.http.get("/rejections?since=yesterday&type=x")
    assert answer.status_code == 400
    assert {one["field"] for one in json.loads(answer.body)["error"]["details"]} == {
        "since",
        "type",
    }
