"""Tripline through app.py, chosen to make every AWS call the Lambda code can make.

Two parts. A day's work on SQLite: the fault suite's morning (events posted, a stray message, two
CSV files, seven alerts), then what it leaves out: a presigned upload and its report links, a file
the fan-out refuses (it writes that report itself), known errors' re-imports queued by the fan-out
and by the rows' function, the health check, the scheduled minute that
resolves an alert by email, a Prometheus scrape and the hourly purge (the queues' depths),
two reports asked for through the API (a CSV large enough to go up in
parts, whose first completion S3 refuses, and a workbook) and their links, and the weekly digest
(a workbook of parts too, refused the same way once, then sent) and its link. Then a fresh
deployment on AWS's database settings (MySQL, the logins in Secrets Manager): ``migrate`` with the
owner login, making the application's, then each function from a cold container of its own with
the login the deployment gives it, as Lambda runs them, so each one reads its secret itself and
does its work with the application user's grants.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote_plus

import botocore.client
import pytest
from botocore.exceptions import ClientError
from sqlalchemy import select

from chalicelib import bootstrap
from chalicelib.adapters.aws.s3_multipart import PART_BYTES
from chalicelib.adapters.db.access_store import SqlKeyStore
from chalicelib.adapters.db.tables import events, uploads
from chalicelib.domain.access import ApiKey, hash_secret, new_key_text
from chalicelib.domain.errors import DependencyError
from chalicelib.domain.reports import due_week
from chalicelib.topology import REPLAYS_QUEUE, UPLOADS_QUEUE
from tests.faults.harness import (
    EVENTS,
    NOW,
    REPORTS,
    ROWS,
    UPLOADS,
    DatabaseOutage,
    Trigger,
    Tripline,
    copy_keys,
    deliver_in_order,
)
from tests.faults.workload import PAYMENTS, submit
from tests.functional.uploads import grant

PRESIGNED_ROWS = (
    b"order_id,ordered_at,store,sku,quantity,unit_price,currency,paid\n"
    b"P-1,2026-11-22T08:30:00Z,berlin-1,SKU-1,1,9.5,EUR,yes\n"
    b"P-2,soon,berlin-1,SKU-2,1,9.5,EUR,yes\n"  # rejected: a rejects.csv to link to
)
REFUSED_KEY = "incoming/shop/refused.csv"
REFUSED = b"what,is,this\n1,2,3\n"  # no column of the shop source: the whole file fails
DEPLOYED_KEY = "incoming/shop/after-deploy.csv"
# rules/known-errors.yaml's remedies queue a re-import from the function that saw the failure:
# a Windows-1252 header (the fan-out's) and a chunk that goes to the dead-letter queue (the rows')
LEGACY_KEY = "incoming/shop/legacy.csv"
LEGACY = PRESIGNED_ROWS.replace(b"order_id", "Order\u2019ID".encode("cp1252"), 1)
GIVEN_UP_KEY = "incoming/shop/given-up.csv"
BULK_SOURCE = "bulk"  # of records stored straight into the database, for files of parts
BULK_NOTE = "n" * 4000
BULK_EVENTS = PART_BYTES // len(BULK_NOTE) + 300  # a CSV of two parts: one full, one not
BULK_UPLOADS = 12_500  # a digest workbook of two parts: 960 random characters a row, ~750 B zipped


class VersionedBucket(Tripline):
    """S3 notifications as a versioned bucket sends them, with each object's ``versionId``
    (moto leaves it out; the fan-out pins its reads to it, which takes s3:GetObjectVersion)."""

    def receive(self, queue: str) -> list[dict[str, Any]]:
        records = super().receive(queue)
        if queue == UPLOADS_QUEUE:
            for record in records:
                record["body"] = self._with_versions(record["body"])
        return records

    def _with_versions(self, body: str) -> str:
        message = json.loads(body)
        for entry in message.get("Records", []):
            landed = entry["s3"]["object"]
            head = self.s3.head_object(
                Bucket=entry["s3"]["bucket"]["name"], Key=unquote_plus(landed["key"])
            )
            landed.setdefault("versionId", head["VersionId"])
        return json.dumps(message)


def day(app: Tripline) -> None:
    submit(app)
    for trigger in (EVENTS, UPLOADS, ROWS):
        deliver_through_an_outage(app, trigger)
    deliver_in_order(app, EVENTS, UPLOADS, ROWS)
    upload_id = presigned_upload(app)
    app.put(REFUSED_KEY, REFUSED)
    app.put(LEGACY_KEY, LEGACY)  # re-read as cp1252 by its known error, then imported
    deliver_in_order(app, UPLOADS, ROWS)
    retry_the_refused_upload(app)  # its notification queued again by the API
    links = get(app, f"/uploads/{upload_id}")["reports"]
    assert links["rejects_csv"] and links["report_json"], links
    assert get(app, "/health")["status"] == "ok"
    pagerduty_trigger(app, make_routing_key(app))  # the API itself emails the alert it opened
    assert "tripline_dead_letter_messages" in scrape(app)  # every queue's and DLQ's depth
    assert purge(app)["complete"] is True  # then the figures as EMF: the queues' depths again
    # three minutes on, maria's failed sign-ins slide out of their window: a resolve email
    app.clock.advance(minutes=3)
    assert app.tick()["notifications"]["sent"] >= 1
    reports(app)
    digest(app)
    replay(app)


def deployment(
    app: Tripline, home_url: str, database_url: str, environment: Callable[[str], None]
) -> None:
    """``database_url`` names the empty database the secrets' logins reach; ``home_url`` the one
    holding the test client's API key; ``environment`` sets a function's login variables."""
    cold_start(app, environment, "migrate")
    answer = app.client.lambda_.invoke("migrate", {}).payload
    assert answer["revision"] and answer["app_user"], answer
    copy_keys(home_url, database_url)  # `tripline keys create` after the first deploy
    cold_start(app, environment, "api_key")
    get(app, "/alerts")  # the authorizer's container reads the secret, then the route shares it
    cold_start(app, environment, "api_handler")
    assert get(app, "/health")["status"] == "ok"  # the API's own container: no authorizer
    pagerduty_trigger(app, ROUTING_KEY[0])  # the key made in the day's work, copied over
    assert "tripline_queue_messages" in scrape(app)
    app.post(PAYMENTS[:1])
    cold_start(app, environment, "process_events")
    deliver_in_order(app, EVENTS)
    app.put(DEPLOYED_KEY, PRESIGNED_ROWS)
    cold_start(app, environment, "fan_out_uploads")
    deliver_in_order(app, UPLOADS)
    cold_start(app, environment, "process_rows")
    deliver_in_order(app, ROWS)
    chunk_goes_to_the_dead_letter_queue(app)  # its own container resolves the uploads queue
    cold_start(app, environment, "tick")
    app.tick()
    report_id = request_report(app, {"kind": "events", "format": "csv"})
    cold_start(app, environment, "generate_reports")
    deliver_in_order(app, REPORTS)
    assert get(app, f"/reports/{report_id}")["status"] == "complete"
    store_unjudged_payments(app)  # two chunks: the function looks its queue up to queue the second
    replay_id = request_replay(app, notify=False)
    cold_start(app, environment, "run_replays")
    deliver_in_order(app, REPLAYS)
    assert get(app, f"/replays/{replay_id}")["status"] == "complete"
    cold_start(app, environment, "send_digest")
    assert app.send_digest()["sent"] is True
    cold_start(app, environment, "purge")
    assert purge(app)["figures_recorded"] is True


ROUTING_KEY: list[str] = []  # the ingest key PagerDuty's events carry, made once


def make_routing_key(app: Tripline) -> str:
    """An ingest key of one source, as ``tripline keys create --role ingest --source`` makes
    the one a monitoring tool sends as PagerDuty's ``routing_key``."""
    key_id, secret, text = new_key_text()
    SqlKeyStore(app.engine).add(
        ApiKey(key_id, "alertmanager", "ingest", ("sensors",), hash_secret(secret), NOW, "iam")
    )
    ROUTING_KEY[:] = [text]
    return text


def pagerduty_trigger(app: Tripline, routing_key: str) -> None:
    """``POST /v2/enqueue`` as PagerDuty's clients send it (the key in the body, no
    Authorization header): the alert opens and the API sends its email at once."""
    event = {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": f"disk-{len(routing_key)}-{app.clock.now().isoformat()}",
        "payload": {"summary": "Disk full on db-1", "source": "db-1", "severity": "critical"},
    }
    response = app.client.http.post(
        "/v2/enqueue",
        headers={"Content-Type": "application/json", "Authorization": None},
        body=json.dumps(event),
    )
    assert response.status_code == 202, response.body


def retry_the_refused_upload(app: Tripline) -> None:
    """``POST /uploads/{id}/retry`` on the file the fan-out refused: the API sends its object's
    notification to the uploads queue again (it fails again there: nothing was fixed). The API
    runs in a container of its own, as on Lambda: the functions that send to the uploads queue
    too (known errors' re-imports) look its address up themselves."""
    with app.engine.connect() as conn:
        upload_id = conn.scalar(select(uploads.c.id).where(uploads.c.object_key == REFUSED_KEY))
    bootstrap.reset()
    bootstrap.container().clock = app.clock  # type: ignore[assignment]
    path = f"/uploads/{upload_id}/retry"
    response = app.client.http.post(path, headers={"Content-Type": "application/json"}, body="{}")
    assert response.status_code == 202, response.body
    bootstrap.reset()  # and the functions that follow in containers of their own
    bootstrap.container().clock = app.clock  # type: ignore[assignment]


def chunk_goes_to_the_dead_letter_queue(app: Tripline) -> None:
    """A chunk task reaching past its file, on its last delivery: the upload fails, and the known
    error ``pipeline-gave-up`` queues its retry from the rows' function (five minutes on)."""
    app.put(GIVEN_UP_KEY, PRESIGNED_ROWS)
    deliver_in_order(app, UPLOADS)
    [record] = app.receive(ROWS.queue)
    task = json.loads(record["body"])
    record["body"] = json.dumps(task | {"end": task["end"] + 64})
    record["attributes"]["ApproximateReceiveCount"] = "10"
    assert app.invoke(ROWS, [record]) == [record["messageId"]]


def purge(app: Tripline) -> dict[str, Any]:
    """The hourly retention purge's run at the clock's time."""
    event_ = app.client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    payload: dict[str, Any] = app.client.lambda_.invoke("purge", event_).payload
    return payload


def scrape(app: Tripline) -> str:
    """``GET /metrics`` as Prometheus asks for it."""
    response = app.client.http.get("/metrics")
    assert response.status_code == 200, response.body
    body = response.body
    return body.decode() if isinstance(body, bytes) else str(body)


def reports(app: Tripline) -> None:
    """A CSV of more than one part, and a workbook of one: S3 refuses the CSV's first completion
    (its upload is aborted, the message put back with its backoff), the second goes through."""
    store_bulk_events(app)
    big = request_report(
        app, {"kind": "events", "format": "csv", "params": {"sources": [BULK_SOURCE]}}
    )
    book = request_report(app, {"kind": "events", "format": "xlsx"})
    records = app.receive(REPORTS.queue)
    with s3_refuses("CompleteMultipartUpload"):
        failed = [one for record in records for one in app.invoke(REPORTS, [record])]
    assert len(failed) == 1, failed
    for record in records:
        if record["messageId"] in failed:
            assert app.invoke(REPORTS, [record]) == []
    for report_id in (big, book):
        answer = get(app, f"/reports/{report_id}")
        assert answer["status"] == "complete" and answer["download"]["url"], answer
    assert get(app, f"/reports/{big}")["size_bytes"] > PART_BYTES


def digest(app: Tripline) -> None:
    """The hourly schedule builds the week due; S3 refuses the workbook's completion once (its
    upload is aborted, the week left to the next hour), then it is sent; the API signs a fresh
    link to it."""
    store_bulk_uploads(app, due_week(app.clock.now(), "UTC").starts_at)
    with s3_refuses("CompleteMultipartUpload"), pytest.raises(DependencyError):
        app.send_digest()
    assert app.send_digest()["sent"] is True
    assert get(app, "/digests")["items"]
    assert get(app, "/digests/latest")["download"]["url"]


def store_bulk_events(app: Tripline) -> None:
    """Enough event data for a report bigger than one part, written as the processor stores
    events but without the queue: the workload is after the report's calls, not the events'."""
    at = NOW - timedelta(days=1)
    rows = [
        {
            "source": BULK_SOURCE,
            "event_id": f"bulk-{number}",
            "type": "bulk.noted",
            "occurred_at": at + timedelta(seconds=number),
            "received_at": at,
            "processed_at": at,
            "data": {"note": BULK_NOTE},
        }
        for number in range(BULK_EVENTS)
    ]
    with app.engine.begin() as conn:
        conn.execute(events.insert(), rows)


def store_bulk_uploads(app: Tripline, week_starts_at: datetime) -> None:
    """Enough finished uploads in the week, each with a long reason of random text (a workbook
    is compressed), that the digest's workbook is bigger than one part."""
    rows = [
        {
            "id": f"bulk{number:028d}",
            "source": BULK_SOURCE,
            "filename": f"bulk-{number}.csv",
            "object_key": f"incoming/{BULK_SOURCE}/bulk-{number}.csv",
            "origin": "direct",
            "status": "failed",
            "status_reason": base64.b64encode(os.urandom(720)).decode(),
            "created_at": week_starts_at + timedelta(seconds=number),
        }
        for number in range(BULK_UPLOADS)
    ]
    with app.engine.begin() as conn:
        conn.execute(uploads.insert(), rows)


def request_report(app: Tripline, payload: dict[str, Any]) -> str:
    response = app.client.http.post(
        "/reports", headers={"Content-Type": "application/json"}, body=json.dumps(payload)
    )
    assert response.status_code == 202, response.body
    report_id: str = json.loads(response.body)["id"]
    return report_id


@contextmanager
def s3_refuses(operation: str) -> Iterator[None]:
    """Fault injection: S3 answers every ``operation`` with a 503, as when it sheds load."""
    send = botocore.client.BaseClient._make_api_call  # type: ignore[attr-defined]

    def make_api_call(client: Any, name: str, params: dict[str, Any]) -> Any:
        if name == operation and client.meta.service_model.service_name == "s3":
            error = {"Error": {"Code": "ServiceUnavailable", "Message": "Please reduce your rate"}}
            raise ClientError(error, name)  # type: ignore[arg-type]
        return send(client, name, params)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.client.BaseClient, "_make_api_call", make_api_call)
        yield


def deliver_through_an_outage(app: Tripline, trigger: Trigger) -> None:
    """Every batch on ``trigger``'s queue meets the database away, so the function puts the
    messages it could not handle back with their backoff; delivered again, each goes through."""
    records = app.receive(trigger.queue)
    batches = [
        records[start : start + trigger.batch_size]
        for start in range(0, len(records), trigger.batch_size)
    ]
    with DatabaseOutage(app.engine):
        failed = [one for batch in batches for one in app.invoke(trigger, batch)]
    assert failed, f"nothing on {trigger.queue} needed the database"
    for batch in batches:
        assert app.invoke(trigger, batch) == []


def cold_start(app: Tripline, environment: Callable[[str], None], function: str) -> None:
    """A new container for ``function`` (Lambda runs each in its own), with the variables the
    deployment gives it, on the test's fixed clock."""
    environment(function)
    bootstrap.reset()
    bootstrap.container().clock = app.clock  # type: ignore[assignment]


def presigned_upload(app: Tripline) -> str:
    """Granted by the API, then sent to S3 as the browser's POST would (moto enforces no POST
    policy, so a put under the granted key is the same object)."""
    granted = grant(app.client, source="shop", filename="orders.csv")
    assert granted.status_code == 201, granted.body
    answer = json.loads(granted.body)
    app.put(answer["key"], PRESIGNED_ROWS)
    upload_id: str = answer["upload_id"]
    return upload_id


def get(app: Tripline, path: str) -> dict[str, Any]:
    response = app.client.http.get(path)
    assert response.status_code == 200, (path, response.body)
    answer: dict[str, Any] = json.loads(response.body)
    return answer


# -- a replay: two chunks, the first queuing the second, its alerts emailed -----------------------

REPLAYS = Trigger(REPLAYS_QUEUE, "run_replays", 1)
REPLAYED_PAYMENTS = 5_001  # one more than a chunk (TRIPLINE_REPLAY_CHUNK_EVENTS)
REPLAY_SINCE = NOW - timedelta(days=30)


def replay(app: Tripline) -> None:
    """Payments stored before a rule judged them, replayed with notifications: the first chunk
    meets the database away (put back with its backoff), then queues the second, and the alert
    the replay opens is emailed from the function."""
    store_unjudged_payments(app)
    replay_id = request_replay(app, notify=True)
    deliver_through_an_outage(app, REPLAYS)
    deliver_in_order(app, REPLAYS)
    answer = get(app, f"/replays/{replay_id}")
    assert answer["status"] == "complete" and answer["notices"] >= 1, answer
    assert answer["progress"]["chunks_done"] == 2, answer


def store_unjudged_payments(app: Tripline) -> None:
    """Payments written as the processor stores them, but never judged by a rule: one in a
    hundred is over 5,000 EUR at a merchant nothing else names (a new large-payment alert)."""
    rows = [
        {
            "source": "payments",
            "event_id": f"replayed-{number}",
            "type": "payment.attempted",
            "occurred_at": REPLAY_SINCE + timedelta(seconds=number),
            "received_at": REPLAY_SINCE,
            "processed_at": REPLAY_SINCE,
            "data": {
                "payment_id": f"replayed-{number}",
                "paid_at": (REPLAY_SINCE + timedelta(seconds=number)).isoformat(),
                "amount": 9000 if number % 100 == 0 else 10,
                "currency": "EUR",
                "card": "c-replayed",
                "merchant": "replayed-merchant",
                "status": "captured",
            },
        }
        for number in range(REPLAYED_PAYMENTS)
    ]
    with app.engine.begin() as conn:
        conn.execute(events.insert(), rows)


def request_replay(app: Tripline, *, notify: bool) -> str:
    body = {
        "rules": ["large-payment"],
        "since": REPLAY_SINCE.isoformat(),
        "until": (REPLAY_SINCE + timedelta(days=1)).isoformat(),
        "notify": notify,
    }
    response = app.client.http.post(
        "/replays", headers={"Content-Type": "application/json"}, body=json.dumps(body)
    )
    assert response.status_code == 202, response.body
    replay_id: str = json.loads(response.body)["id"]
    return replay_id
