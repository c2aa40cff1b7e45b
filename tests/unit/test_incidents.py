"""Pipeline incidents decided as values: opened once, added to only when something new is said,
told as operations alerts (their labels say what failed, where and the error), and found again
by the same fingerprint for the same failed thing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.alerts import Alert, FlapState, notice_message, remind
from chalicelib.domain.incidents import (
    DEAD_LETTERS,
    INCIDENT,
    KINDS,
    POLICY,
    UPLOAD_FAILED,
    IncidentDetail,
    incident_kind,
    incident_print,
    open_incident,
)
from chalicelib.domain.silences import Matchers, Silence, SilenceTarget, silencing
from chalicelib.domain.uploads import LandedObject, landed_objects
from chalicelib.services.upload_retry import retry_notification

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
FAILED = IncidentDetail(
    what="upload u1 (incoming/shop/orders.csv, source shop)",
    error="the header does not fit source 'shop'",
    where="line 1, field store",
    source="shop",
)


def opened() -> Alert:
    change = open_incident(None, KINDS[UPLOAD_FAILED], "u1", FAILED, FlapState(), NOW)
    assert change is not None
    return change.alert


def test_a_failure_opens_an_incident_told_once_with_what_where_and_the_error() -> None:
    # GIVEN no incident for upload u1
    # WHEN its failure is seen
    change = open_incident(None, KINDS[UPLOAD_FAILED], "u1", FAILED, FlapState(), NOW)
    # THEN a new operations alert opens, grouped by the upload, with one opened notice
    assert change is not None
    alert = change.alert
    assert (alert.id, alert.kind, alert.rule_id, alert.status) == (
        None,
        INCIDENT,
        UPLOAD_FAILED,
        "open",
    )
    assert alert.group == (("upload", "u1"),)
    assert alert.fingerprint == incident_print(KINDS[UPLOAD_FAILED], "u1")
    assert [notice.transition for notice in change.notices] == ["opened"]
    # AND its labels and its first timeline line say what failed, where, and the error
    assert alert.labels["where"] == "line 1, field store"
    assert alert.labels["error"] == FAILED.error
    assert "line 1, field store" in change.timeline[0].detail


def test_the_same_failure_told_again_changes_nothing() -> None:
    # GIVEN the open incident of u1 (as stored)
    first = open_incident(None, KINDS[UPLOAD_FAILED], "u1", FAILED, FlapState(), NOW)
    assert first is not None
    stored = replace(first.alert, id=7)
    # WHEN the same failure is seen again (a redelivery)
    again = open_incident(stored, KINDS[UPLOAD_FAILED], "u1", FAILED, FlapState(), NOW)
    # THEN nothing is to be written or sent
    assert again is None


def test_a_new_error_adds_a_timeline_line_and_no_notice() -> None:
    # GIVEN the open incident of u1
    first = open_incident(None, KINDS[UPLOAD_FAILED], "u1", FAILED, FlapState(), NOW)
    assert first is not None
    stored = replace(first.alert, id=7)
    # WHEN another failure of the same upload is seen
    other = replace(FAILED, error="chunk 3 went to the dead-letter queue")
    change = open_incident(stored, KINDS[UPLOAD_FAILED], "u1", other, FlapState(), NOW)
    # THEN it counts, says so in the timeline, and on-call is not emailed again
    assert change is not None
    assert change.alert.count == 2 and change.alert.labels["error"] == other.error
    assert [line.kind for line in change.timeline] == ["failed again"]
    assert change.notices == ()


def test_a_dead_letter_queue_depth_change_is_recorded_not_counted() -> None:
    # GIVEN a dead-letter incident observed at one message
    kind = KINDS[DEAD_LETTERS]
    one = IncidentDetail("dead-letter queue q-dlq of q", "messages wait", observed=1.0)
    first = open_incident(None, kind, "q-dlq", one, FlapState(), NOW)
    assert first is not None
    # WHEN the queue holds three
    three = replace(one, observed=3.0)
    change = open_incident(replace(first.alert, id=1), kind, "q-dlq", three, FlapState(), NOW)
    # THEN its observed value follows, with a line, and the count of failures does not grow
    assert change is not None
    assert (change.alert.observed, change.alert.count) == (3.0, 1)


def test_an_incident_email_says_what_failed_where_the_error_and_how_it_resolves() -> None:
    # GIVEN an opened upload incident, stored as alert 7
    change = open_incident(None, KINDS[UPLOAD_FAILED], "u1", FAILED, FlapState(), NOW)
    assert change is not None
    alert = replace(change.alert, id=7)
    # WHEN its notice is written (no rule file stands behind it)
    message = notice_message("opened", alert, None, None, "https://tripline.test")
    # THEN the subject names the kind and the upload, the body what, where, error, resolution
    assert message.subject == "[HIGH] pipeline.upload-failed: upload=u1"
    assert "Where:     line 1, field store" in message.body
    assert "Error:     the header does not fit source 'shop'" in message.body
    assert "POST /uploads/{id}/retry" in message.body
    assert "no longer loaded" not in message.body
    assert message.attributes["rule"] == UPLOAD_FAILED


def test_a_silence_matches_an_incident_by_its_reserved_rule_id() -> None:
    # GIVEN a silence of every failed upload
    silence = Silence(
        id="s1",
        matchers=Matchers(rules=(UPLOAD_FAILED,)),
        starts_at=NOW - timedelta(hours=1),
        ends_at=NOW + timedelta(hours=1),
        timezone="UTC",
        recurrence=None,
        comment="maintenance",
        author="ops",
        created_at=NOW,
    )
    alert = opened()
    # WHEN the incident's notice is checked against it
    target = SilenceTarget(alert.rule_id, alert.source, alert.labels, alert.group)
    # THEN the silence covers it
    assert silencing([silence], target, NOW) is silence


def test_the_clock_only_reminds_an_incident_of_what_was_withheld() -> None:
    # GIVEN an open incident whose notice a silence withheld (owed), and one told already
    alert = replace(opened(), id=3, notified_at=NOW)
    later = NOW + timedelta(days=2)
    # WHEN the clock looks at them, long after
    quiet = remind(alert, POLICY, flap=FlapState(), silenced=False, now=later)
    owed = remind(replace(alert, owed=True), POLICY, flap=FlapState(), silenced=False, now=later)
    # THEN the told one is not repeated, and the owed one is told once
    assert quiet is None
    assert owed is not None and [n.kind for n in owed.notices] == ["reminder"]


def test_an_unknown_kind_is_named() -> None:
    # WHEN a caller names a kind that is not reserved
    with pytest.raises(ValueError, match=r"no incident kind 'pipeline\.nope'"):
        incident_kind("pipeline.nope")


def test_a_retry_sends_the_notification_the_object_landed_with() -> None:
    # GIVEN an object that landed under a key with a space, pinned to its version
    landed = LandedObject(
        bucket="tripline-data",
        key="incoming/shop/orders march.csv",
        size=1234,
        etag='"abc"',
        version_id="v-1",
        sequencer="0A1",
        landed_at=NOW,
    )
    # WHEN its retry's notification is read as the fan-out reads S3's
    again = landed_objects(retry_notification(landed))
    # THEN it is the same object, the same version, landed at the same moment
    assert again == [landed]
