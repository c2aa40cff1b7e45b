"""Pipeline incidents on SQLite and MySQL: told twice they open one incident and queue one email,
resolved twice they queue one resolve email, and writers racing on one failure open one; the
reads behind the schedule's watch (failing rules) and the retry (an upload reopened once)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, insert, select

from chalicelib.adapters.db.alert_store import SqlAlertStore
from chalicelib.adapters.db.incident_reads import SqlRuleFailures
from chalicelib.adapters.db.tables import (
    alert_fingerprints,
    alert_outbox,
    alert_timeline,
    alerts,
    rule_failures,
)
from chalicelib.adapters.db.upload_store import SqlUploadStore
from chalicelib.domain.incidents import UPLOAD_FAILED, IncidentDetail
from chalicelib.domain.uploads import Origin, UploadRecord, UploadStatus
from chalicelib.services.incidents import Incidents
from tests.builders import FixedClock

T0 = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
FAILED = IncidentDetail("upload u1 (incoming/shop/x.csv, source shop)", "bad header", "line 1")


def counts(engine: Engine) -> tuple[int, int, list[str]]:
    """Alerts, outbox rows, and the outbox's transitions in order."""
    with engine.connect() as conn:
        opened = conn.scalar(select(func.count()).select_from(alerts)) or 0
        queued = conn.execute(select(alert_outbox.c.transition).order_by(alert_outbox.c.id))
        transitions = [row.transition for row in queued]
    return opened, len(transitions), transitions


def test_a_failure_told_twice_opens_one_incident_and_queues_one_email(engine: Engine) -> None:
    # GIVEN the incidents' API over the alerts' store
    incidents = Incidents(SqlAlertStore(engine), FixedClock(T0))
    # WHEN the same upload's failure is told twice (a redelivery)
    first = incidents.open_incident(UPLOAD_FAILED, "u1", FAILED)
    second = incidents.open_incident(UPLOAD_FAILED, "u1", FAILED)
    # THEN one incident is open, with one opened notice
    assert first is not None and second is not None and first.id == second.id
    assert counts(engine) == (1, 1, ["opened"])
    assert incidents.active_incident(UPLOAD_FAILED, "u1") == first


def test_a_note_goes_on_the_open_incident_and_nowhere_without_one(engine: Engine) -> None:
    # GIVEN an open incident of u1 and none of u2
    incidents = Incidents(SqlAlertStore(engine), FixedClock(T0))
    opened = incidents.open_incident(UPLOAD_FAILED, "u1", FAILED)
    assert opened is not None and opened.id is not None
    # WHEN a remedy is noted on both
    noted = incidents.note_incident(UPLOAD_FAILED, "u1", "re-read as latin-1", what="remedy")
    nothing = incidents.note_incident(UPLOAD_FAILED, "u2", "re-read as latin-1", what="remedy")
    # THEN u1's timeline has the line, u2 has no incident and nothing was written for it
    assert noted is not None and nothing is None
    lines, _ = SqlAlertStore(engine).history(opened.id)
    assert [(line.kind, line.detail) for line in lines][-1] == ("remedy", "re-read as latin-1")
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(alert_fingerprints)) == 1


def test_resolving_twice_queues_one_resolve_email_and_a_new_failure_opens_anew(
    engine: Engine,
) -> None:
    # GIVEN an open incident
    clock = FixedClock(T0)
    incidents = Incidents(SqlAlertStore(engine), clock)
    incidents.open_incident(UPLOAD_FAILED, "u1", FAILED)
    # WHEN its cause goes away, told twice
    clock.advance(minutes=5)
    done = incidents.resolve_incident(UPLOAD_FAILED, "u1", "the upload was imported: complete")
    again = incidents.resolve_incident(UPLOAD_FAILED, "u1", "the upload was imported: complete")
    # THEN it resolved once, saying why, with one resolve notice
    assert done is not None and done.status == "resolved" and again is None
    assert done.resolution == "the upload was imported: complete"
    assert counts(engine) == (1, 2, ["opened", "resolved"])
    # AND the next failure of the same upload opens a new incident
    clock.advance(minutes=5)
    incidents.open_incident(UPLOAD_FAILED, "u1", FAILED)
    assert counts(engine)[0] == 2


def test_writers_racing_on_one_failure_open_one_incident(engine: Engine) -> None:
    # GIVEN six processors noticing the same upload's failure at once
    store = SqlAlertStore(engine)
    errors: list[BaseException] = []

    def tell() -> None:
        try:
            Incidents(store, FixedClock(T0)).open_incident(UPLOAD_FAILED, "u1", FAILED)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=tell) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # THEN one incident and one email, and none of them failed
    assert errors == []
    assert counts(engine) == (1, 1, ["opened"])
    with engine.connect() as conn:
        kinds = [row.kind for row in conn.execute(select(alert_timeline.c.kind))]
    assert kinds == ["opened"]


def test_failing_rules_are_counted_since_a_moment_with_their_latest_failure(
    engine: Engine,
) -> None:
    # GIVEN a rule that failed on three events, one of them long ago, and another rule once
    rows = [
        ("big", "e-old", T0 - timedelta(hours=2), "old"),
        ("big", "e-1", T0 - timedelta(minutes=5), "division by zero"),
        ("big", "e-2", T0 - timedelta(minutes=1), "amount is null"),
        ("other", "e-3", T0 - timedelta(minutes=2), "no such field"),
    ]
    with engine.begin() as conn:
        conn.execute(
            insert(rule_failures),
            [
                {
                    "rule_id": rule_id,
                    "rule_version": "v1",
                    "source": "payments",
                    "event_id": event_id,
                    "reason": reason,
                    "failed_at": at,
                }
                for rule_id, event_id, at, reason in rows
            ],
        )
    # WHEN the last fifteen minutes are read
    failing = SqlRuleFailures(engine).failing_since(T0 - timedelta(minutes=15))
    # THEN each rule's failures in them are counted, with the latest one
    assert [(one.rule_id, one.failures, one.reason, one.event_id) for one in failing] == [
        ("big", 2, "amount is null", "e-2"),
        ("other", 1, "no such field", "e-3"),
    ]


def test_a_failed_upload_is_reopened_once_and_keeps_the_version_it_was_read_at(
    engine: Engine,
) -> None:
    # GIVEN an upload claimed with its object's pin, then failed
    uploads = SqlUploadStore(engine)
    record = UploadRecord(
        "u1", "shop", "x.csv", "incoming/shop/x.csv", Origin.DIRECT, "awaiting_upload", T0
    )
    uploads.add(record)
    pin = {"version_id": "v-1", "sequencer": "0A1", "etag": '"abc"'}
    assert uploads.claim(
        "u1", identity="v-1", size=9, landed_at=T0, message_id="m1", at=T0, pin=pin
    )
    uploads.fail("u1", "bad header", [], T0)
    # WHEN two retries reopen it
    first, second = uploads.reopen("u1", "retry asked"), uploads.reopen("u1", "retry asked")
    # THEN only the first did, the upload waits for its notification, and the pin is kept
    assert (first, second) == (True, False)
    again = uploads.get("u1")
    assert again is not None and again.status == UploadStatus.AWAITING_UPLOAD
    assert again.status_reason == "retry asked" and again.completed_at is None
    assert uploads.object_pin("u1") == pin
