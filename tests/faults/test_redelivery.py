"""A function killed between its write and the acknowledgement: the write committed, the message
was never deleted, SQS delivers it again, and the second delivery changes nothing, not even an
email."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.faults.harness import EVENTS, ROWS, UPLOADS, Tripline, deliver_in_order, poll_until_quiet
from tests.faults.state import differences, snapshot
from tests.faults.workload import EMAILS, expect_all_done, submit
from tests.functional.alerts import Inbox
from tripline.local.pump import Handler


class KilledAfterWork:
    """Fault injection: the function does all its work, then dies before Lambda reads its answer
    (a timeout, the process killed), on every first delivery of a message; so SQS, never told,
    delivers each message again."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self.killed: list[str] = []

    def __call__(self, lambda_event: dict[str, Any], context: Any) -> Any:
        answer = self._handler(lambda_event, context)
        first = [
            record["messageId"]
            for record in lambda_event["Records"]
            if record["attributes"]["ApproximateReceiveCount"] == "1"
        ]
        if first:
            self.killed += first
            raise TimeoutError("Task timed out after 30.00 seconds")
        return answer


@pytest.fixture
def inbox(app_env: dict[str, Any]) -> Inbox:
    return Inbox(app_env)


def test_every_function_killed_after_its_work_and_redelivered_leaves_a_clean_runs_state(
    tripline: Tripline, fresh_database: Callable[[str], str], database_url: str, inbox: Inbox
) -> None:
    # GIVEN the workload run cleanly into one database
    tripline.use(fresh_database("clean"))
    submit(tripline)
    deliver_in_order(tripline, EVENTS, UPLOADS, ROWS)
    clean, clean_reports = snapshot(tripline.engine), tripline.reports()
    assert sorted(inbox.subjects()) == EMAILS
    # WHEN, into another, each of the three functions dies after its work on the first delivery
    # of every message (events stored, chunks sent, rows stored, emails published) and SQS
    # delivers each again
    tripline.use(database_url)
    submit(tripline)
    killers = [KilledAfterWork(tripline.handler(one)) for one in (EVENTS, UPLOADS, ROWS)]
    pumps = [
        tripline.pump(trigger, killer)
        for trigger, killer in zip((EVENTS, UPLOADS, ROWS), killers, strict=True)
    ]
    poll_until_quiet(pumps)
    # THEN every message was killed once, after its work: 16 event messages, 2 notifications
    # (each redelivered after its upload completed: the claim is taken, nothing is sent again),
    # 5 chunk tasks
    assert [sorted(set(killer.killed)) for killer in killers] == [
        sorted(killer.killed) for killer in killers
    ]
    assert [len(killer.killed) for killer in killers] == [16, 2, 5]
    # AND the database, the reports and the emails are the clean run's, each email once
    after = snapshot(tripline.engine)
    assert differences(clean, after) == {}
    expect_all_done(after)
    assert tripline.reports() == clean_reports
    assert sorted(inbox.subjects()) == EMAILS


def test_redelivering_every_batch_after_a_run_changes_nothing(
    tripline: Tripline, database_url: str, inbox: Inbox
) -> None:
    # GIVEN the workload run, its emails sent and reports written
    tripline.use(database_url)
    submit(tripline)
    batches = deliver_in_order(tripline, EVENTS, UPLOADS, ROWS)
    before = snapshot(tripline.engine)
    expect_all_done(before)
    assert len(tripline.reports()) == 4
    assert sorted(inbox.subjects()) == EMAILS
    # WHEN every batch is delivered again, as if no delete had reached SQS
    failed = [tripline.invoke(trigger, records) for trigger, records in batches]
    # THEN each succeeds, and nothing changed: no row, no report, no new task, no email
    assert [(trigger.function, len(records)) for trigger, records in batches] == [
        ("process_events", 10),
        ("process_events", 6),
        *[("fan_out_uploads", 1)] * 3,
        ("process_rows", 4),
        ("process_rows", 1),
    ]  # the S3 test event, then the two files
    assert failed == [[]] * len(batches)
    assert differences(before, snapshot(tripline.engine)) == {}
    assert tripline.reports() == {}
    assert [tripline.visible(one.queue) for one in (EVENTS, UPLOADS, ROWS)] == [0, 0, 0]
    assert inbox.subjects() == []
