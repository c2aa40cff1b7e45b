"""A poison message: the database refuses its event every time. It alone is handed back, the rest
of its batch is stored once, and after maxReceiveCount deliveries SQS moves it to the DLQ."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from chalicelib.topology import EVENTS_QUEUE, QUEUES
from tests.faults.harness import EVENTS, RefusingEvents, Tripline, deliver_in_order
from tests.faults.state import differences, snapshot
from tests.faults.workload import EVENT_ITEMS, GARBAGE, expect_events_done, payment
from tripline.local.pump import Handler

POISON = payment("pay-poison", 45, 99, "c-7", "acme")
SPEC = next(spec for spec in QUEUES if spec.name == EVENTS_QUEUE)


class Recording:
    """The function as Lambda calls it, remembering every record it was handed."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self.records: list[dict[str, Any]] = []

    def __call__(self, lambda_event: dict[str, Any], context: Any) -> Any:
        self.records += lambda_event["Records"]
        return self._handler(lambda_event, context)


def test_a_poison_message_ends_in_the_dlq_and_the_rest_of_its_batch_is_stored_once(
    tripline: Tripline, fresh_database: Callable[[str], str], database_url: str
) -> None:
    # GIVEN the workload's events run cleanly into one database
    tripline.use(fresh_database("clean"))
    tripline.post(EVENT_ITEMS[:9])
    tripline.post(EVENT_ITEMS[9:])
    tripline.send(EVENTS.queue, GARBAGE)
    deliver_in_order(tripline, EVENTS)
    clean = snapshot(tripline.engine)
    # AND, into another, the same with a payment the database refuses every time, in the first
    # batch of ten
    tripline.use(database_url)
    tripline.post([*EVENT_ITEMS[:8], POISON])
    tripline.post(EVENT_ITEMS[8:])
    tripline.send(EVENTS.queue, GARBAGE)
    handler = Recording(tripline.handler(EVENTS))
    pump = tripline.pump(EVENTS, handler)
    with RefusingEvents(tripline.engine, {POISON["id"]}) as refusing:
        # WHEN the queue is delivered as Lambda's event source mapping would, once more than
        # its redrive policy allows
        first = pump.poll_once()
        rest = [pump.poll_once() for _ in range(SPEC.max_receive_count + 1)]
    # THEN the first batch stored nine and handed back the poison alone
    [poison_id] = first.left
    assert (first.received, len(first.deleted)) == (10, 9)
    # AND it came back alone until its last delivery (maxReceiveCount), after the rest of the
    # queue's
    last = SPEC.max_receive_count
    poisoned = [record for record in handler.records if record["messageId"] == poison_id]
    assert [record["attributes"]["ApproximateReceiveCount"] for record in poisoned] == [
        str(count) for count in range(1, last + 1)
    ]
    assert [(one.received, len(one.left)) for one in rest] == [
        (8, 1),
        *[(1, 1)] * (last - 2),
        (0, 0),
        (0, 0),
    ]
    assert refusing.refusals >= last
    # AND then the queue moved it, exactly as it was sent, to the dead-letter queue
    dlq = tripline.queue_url(SPEC.dead_letter_queue)
    dead = tripline.sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]
    assert [(one["MessageId"], one["Body"]) for one in dead] == [(poison_id, poisoned[0]["body"])]
    assert json.loads(dead[0]["Body"])["item"] == POISON
    assert tripline.visible(EVENTS.queue) == 0
    # AND every other message was stored exactly once: the state of the clean run
    after = snapshot(tripline.engine)
    assert differences(clean, after) == {}
    expect_events_done(after)
