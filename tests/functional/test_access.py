"""API keys through app.py's authorizer, on SQLite and MySQL: 401 without a known key, 403 for a
key without the right, the audit log of operator actions, and `tripline keys` managing keys."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.adapters.db.access_store import SqlKeyStore
from chalicelib.adapters.db.engine import make_engine
from tests.builders import FixedClock
from tests.faults.harness import DatabaseOutage
from tests.functional.helpers import JSON, post_events, process, queued_records
from tripline.cli import main


def bearer(key: str) -> dict[str, str]:
    return JSON | {"Authorization": f"Bearer {key}"}


def payment(event_id: str, source: str = "payments") -> dict[str, Any]:
    return {
        "source": source,
        "type": "payment.attempted",
        "id": event_id,
        "data": {"amount": 9000, "card": "c-1", "merchant": "acme", "status": "captured"},
    }


def test_no_key_an_unknown_key_and_a_malformed_one_are_401_but_health_needs_none(
    client: Any,
) -> None:
    for headers in (
        {"Authorization": None},
        bearer("tl_0123456789ab_" + "x" * 32),
        bearer("let-me-in"),
    ):
        answer = client.http.get("/events", headers=headers)
        assert answer.status_code == 401, headers
    assert client.http.get("/health", headers={"Authorization": None}).status_code == 200
    assert client.http.get("/openapi.json", headers={"Authorization": None}).status_code == 200


def test_an_ingest_key_writes_its_own_source_only_and_reads_no_alerts(
    client: Any, app_env: dict[str, Any], make_key: Callable[..., str]
) -> None:
    key = make_key("ingest", ("payments",), name="shop-backend")
    # WHEN it posts to its own source THEN it is accepted
    mine = client.http.post(
        "/events", headers=bearer(key), body=json.dumps({"events": [payment("p-1")]})
    )
    assert mine.status_code == 202, mine.body
    # WHEN it posts a batch that also names another source THEN nothing of it is taken
    other = client.http.post(
        "/events",
        headers=bearer(key),
        body=json.dumps({"events": [payment("p-2"), payment("l-1", source="logins")]}),
    )
    assert other.status_code == 403
    error = json.loads(other.body)["error"]
    assert error["code"] == "forbidden"
    assert error["details"] == [
        {"message": "this key writes only to: payments", "field": "source", "value": "logins"}
    ]
    assert len(queued_records(app_env)) == 1
    # AND it may not grant an upload for another source, nor read or act on alerts
    upload = client.http.post(
        "/uploads", headers=bearer(key), body=json.dumps({"source": "shop", "filename": "a.csv"})
    )
    assert upload.status_code == 403
    assert client.http.get("/alerts", headers=bearer(key)).status_code == 403
    assert (
        client.http.post(
            "/alerts/1/ack", headers=bearer(key), body=json.dumps({"comment": "x"})
        ).status_code
        == 403
    )
    assert client.http.get("/events", headers=bearer(key)).status_code == 403


def test_an_ingest_key_reads_only_the_uploads_of_its_own_sources(
    client: Any, make_key: Callable[..., str]
) -> None:
    # GIVEN an upload of the shop source, granted by an operator's key
    granted = client.http.post(
        "/uploads", headers=JSON, body=json.dumps({"source": "shop", "filename": "orders.csv"})
    )
    upload_id = json.loads(granted.body)["upload_id"]
    shop, payments = make_key("ingest", ("shop",)), make_key("ingest", ("payments",))
    # WHEN the shop's own ingest key reads it THEN it sees it
    assert client.http.get(f"/uploads/{upload_id}", headers=bearer(shop)).status_code == 200
    # WHEN another source's ingest key asks for it THEN it is not there for that key, exactly as
    # an upload that does not exist
    theirs = client.http.get(f"/uploads/{upload_id}", headers=bearer(payments))
    absent = client.http.get("/uploads/0123456789abcdef0123456789abcdef", headers=bearer(payments))
    assert (theirs.status_code, absent.status_code) == (404, 404)
    assert json.loads(theirs.body)["error"]["code"] == json.loads(absent.body)["error"]["code"]
    assert "shop" not in theirs.body.decode()


def test_an_operator_acts_on_alerts_but_only_an_admin_reads_the_audit_log(
    client: Any, app_env: dict[str, Any], make_key: Callable[..., str]
) -> None:
    operator = make_key("operator", name="maria")
    assert post_events(client, {"events": [payment("p-1")]}).status_code == 202
    assert process(client, queued_records(app_env)) == []
    [alert] = json.loads(client.http.get("/alerts", headers=bearer(operator)).body)["items"]
    acked = client.http.post(
        f"/alerts/{alert['id']}/ack",
        headers=bearer(operator),
        body=json.dumps({"comment": "on it"}),
    )
    assert acked.status_code == 200, acked.body
    assert json.loads(acked.body)["acknowledged"]["by"].startswith("maria (")
    assert client.http.get("/audit", headers=bearer(operator)).status_code == 403
    # THEN the admin's audit log says who did it, what, when and from where
    entries = json.loads(client.http.get("/audit").body)["items"]
    [ack] = [one for one in entries if one["action"] == "alert.acknowledged"]
    assert ack["actor"].startswith("maria (") and ack["role"] == "operator"
    assert (ack["target"], ack["detail"]) == (f"alert {alert['id']}", {"comment": "on it"})
    assert ack["at"] and ack["origin"]


def test_silences_and_upload_grants_are_audited(client: Any, app_env: dict[str, Any]) -> None:
    created = client.http.post(
        "/silences",
        headers=JSON,
        body=json.dumps(
            {
                "matchers": {"rule": "large-payment"},
                "ends_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
                "comment": "maintenance",
                "author": "bob",
            }
        ),
    )
    silence_id = json.loads(created.body)["id"]
    client.http.delete(f"/silences/{silence_id}")
    grant = client.http.post(
        "/uploads", headers=JSON, body=json.dumps({"source": "shop", "filename": "a.csv"})
    )
    upload_id = json.loads(grant.body)["upload_id"]
    entries = json.loads(client.http.get("/audit").body)["items"]
    assert [(one["action"], one["target"]) for one in entries] == [
        ("upload.granted", f"upload {upload_id}"),
        ("silence.ended", f"silence {silence_id}"),
        ("silence.created", f"silence {silence_id}"),
    ]
    assert entries[2]["detail"]["comment"] == "maintenance"


def test_keys_are_created_listed_and_revoked_from_the_command_line(
    client: Any,
    app_env: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # WHEN an ingest key is created THEN it is printed once and works
    assert (
        main(
            [
                "keys",
                "create",
                "--name",
                "pos",
                "--role",
                "ingest",
                "--source",
                "payments",
                "--json",
            ]
        )
        == 0
    )
    created = json.loads(capsys.readouterr().out)
    assert created["role"] == "ingest" and created["sources"] == ["payments"]
    assert "secret_hash" not in created
    key = created["key"]
    assert post_events(client, {"events": [payment("p-9")]}).status_code == 202
    answer = client.http.post(
        "/events", headers=bearer(key), body=json.dumps({"events": [payment("p-10")]})
    )
    assert answer.status_code == 202
    # WHEN it is listed and revoked THEN the list shows no secret, and the key is refused
    assert main(["keys", "list"]) == 0
    listing = capsys.readouterr().out
    assert created["id"] in listing and key not in listing
    assert main(["keys", "revoke", created["id"]]) == 0
    assert "revoked key" in capsys.readouterr().out
    refused = client.http.post(
        "/events", headers=bearer(key), body=json.dumps({"events": [payment("p-11")]})
    )
    assert refused.status_code == 401
    # AND a bad request names what is wrong, and both actions are in the audit log
    assert main(["keys", "create", "--name", "x", "--role", "ingest"]) == 2
    assert "an ingest key needs at least one source" in capsys.readouterr().err
    assert main(["keys", "revoke", "nope"]) == 2
    bootstrap.reset()
    actions = [one["action"] for one in json.loads(client.http.get("/audit").body)["items"]]
    assert actions[:2] == ["key.revoked", "key.created"]


# While the database is away: the authorizer answers from the keys it remembers, so the queue in
# front of the processors keeps filling; a key it cannot check is a 503 to retry, never a 500.


def test_a_known_key_keeps_posting_events_while_the_database_is_unreachable(
    client: Any, app_env: dict[str, Any], make_key: Callable[..., str]
) -> None:
    # GIVEN an ingest key and an admin key this container has checked once, and a key it has
    # never seen
    key, unseen = make_key("ingest", ("payments",), name="pos"), make_key("ingest", ("payments",))
    assert (
        client.http.post(
            "/events", headers=bearer(key), body=json.dumps(payment("p-1"))
        ).status_code
        == 202
    )
    assert client.http.get("/events").status_code == 200
    # WHEN the database goes away
    with DatabaseOutage(bootstrap.container().engine):
        posted = client.http.post(
            "/events",
            headers=bearer(key),
            body=json.dumps({"events": [payment("p-2"), payment("p-3")]}),
        )
        stranger = client.http.post(
            "/events", headers=bearer(unseen), body=json.dumps(payment("p-4"))
        )
        unknown = client.http.post(
            "/events",
            headers=bearer("tl_0123456789ab_" + "x" * 32),
            body=json.dumps(payment("p-5")),
        )
        reading = client.http.get("/events")
    # THEN the known key's events are accepted and queued
    assert posted.status_code == 202, posted.body
    assert [item["status"] for item in json.loads(posted.body)["results"]] == ["accepted"] * 2
    assert {json.loads(r["body"])["item"]["id"] for r in queued_records(app_env)} == {
        "p-1",
        "p-2",
        "p-3",
    }
    # AND a key that cannot be checked is a 503 with Retry-After, in the API's error shape
    for refused in (stranger, unknown):
        assert refused.status_code == 503, refused.body
        assert refused.headers["Retry-After"] == "5"
        assert json.loads(refused.body)["error"]["code"] == "dependency_unavailable"
    # AND a route that needs the database itself says it is unavailable; nothing is a 500
    assert reading.status_code == 503


def test_remembered_keys_are_served_for_the_stale_window_and_the_database_asked_once_a_pause(
    client: Any, make_key: Callable[..., str]
) -> None:
    # GIVEN a key checked at 09:00 by a container whose clock the test moves
    clock = FixedClock()
    bootstrap.container().clock = clock  # type: ignore[assignment]
    key = make_key("ingest", ("payments",))
    assert (
        client.http.post(
            "/events", headers=bearer(key), body=json.dumps(payment("p-1"))
        ).status_code
        == 202
    )
    with DatabaseOutage(bootstrap.container().engine) as outage:
        # WHEN the database is away past the key's freshness, for ten requests in one pause
        clock.advance(minutes=2)
        answers = [
            client.http.post(
                "/events", headers=bearer(key), body=json.dumps(payment(f"p-{n}"))
            ).status_code
            for n in range(2, 12)
        ]
        # THEN each is accepted from memory, and the database was asked once, not ten times
        assert answers == [202] * 10
        assert len(outage.refused) == 1
        # WHEN it is still away 15 minutes after the key was last confirmed
        clock.advance(minutes=13, seconds=1)
        late = client.http.post("/events", headers=bearer(key), body=json.dumps(payment("p-99")))
        # THEN the key can no longer be vouched for: 503, retry later
        assert late.status_code == 503
    # WHEN the database is back THEN the key is checked again and accepted
    clock.advance(seconds=5)
    assert (
        client.http.post(
            "/events", headers=bearer(key), body=json.dumps(payment("p-100"))
        ).status_code
        == 202
    )


def test_a_key_revoked_elsewhere_is_refused_once_the_cache_time_has_passed(
    client: Any, app_env: dict[str, Any], make_key: Callable[..., str]
) -> None:
    # GIVEN a key this container has checked
    clock = FixedClock()
    bootstrap.container().clock = clock  # type: ignore[assignment]
    key = make_key("ingest", ("payments",))
    assert (
        client.http.post(
            "/events", headers=bearer(key), body=json.dumps(payment("p-1"))
        ).status_code
        == 202
    )
    # WHEN another process (`tripline keys revoke` on an operator's machine) revokes it
    elsewhere = make_engine(app_env["database_url"])
    SqlKeyStore(elsewhere).revoke(key.split("_")[1], clock.now())
    elsewhere.dispose()
    # THEN within TRIPLINE_KEY_CACHE_SECONDS it may still pass, and after it, it is refused
    clock.advance(seconds=59)
    assert (
        client.http.post(
            "/events", headers=bearer(key), body=json.dumps(payment("p-2"))
        ).status_code
        == 202
    )
    clock.advance(seconds=2)
    assert (
        client.http.post(
            "/events", headers=bearer(key), body=json.dumps(payment("p-3"))
        ).status_code
        == 401
    )
