"""process_event_messages: an SQS batch of envelopes to stored events, with partial failure.

Each valid event is conformed to its source's declared fields, enriched, and judged by the rules;
what the verdicts decide (windows that cross, alerts opened or added to) is decided in the same
unit of work that stores the events they judge (:mod:`~chalicelib.services.storing`).

A message that can never succeed (not an envelope, or an event that fails validation) is stored as
a rejected item and counts as done, so it does not loop. The batch is written in one transaction;
if the database is unreachable every message goes back to the queue at once (retrying each alone
would only multiply connection timeouts), and if the database refuses a row each message is
written alone, so only the one it refuses is redelivered.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from chalicelib.domain.errors import DependencyError, Detail, TriplineError
from chalicelib.domain.events import (
    ArrivedEvent,
    Event,
    Limits,
    RejectedItem,
    UndecodableMessage,
    decode_envelope,
    validate_event,
)
from chalicelib.domain.messages import QueueMessage
from chalicelib.domain.protocols import TRIPLINE, Refused, in_protocol_terms, tripline_item
from chalicelib.domain.rules import EventPipeline, Verdicts
from chalicelib.ports import Clock, EventStore, Notifier
from chalicelib.services.notifications import notify_now
from chalicelib.services.storing import store_events


@dataclass
class BatchOutcome:
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    matched: int = 0
    notices: int = 0
    rule_failures: int = 0
    failure_reasons: dict[str, str] = field(default_factory=dict)
    rejections: dict[str, RejectedItem] = field(default_factory=dict)

    @property
    def failed_message_ids(self) -> list[str]:
        """The messages to hand back to the queue, in batch order."""
        return list(self.failure_reasons)


def process_event_messages(
    messages: Sequence[QueueMessage],
    *,
    store: EventStore,
    clock: Clock,
    limits: Limits,
    pipeline: EventPipeline,
    notifier: Notifier | None = None,
) -> BatchOutcome:
    decided = [_decide(message, clock, limits, pipeline) for message in messages]
    outcome = BatchOutcome(
        rejections={one.message_id: one.rejected for one in decided if one.rejected is not None}
    )
    verdicts = pipeline.judge(
        (one.arrived.event for one in decided if one.arrived is not None), clock.now()
    )
    outcome.rule_failures = len(verdicts.failures)
    try:
        _write(store, clock, decided, verdicts, outcome)
    except DependencyError as exc:
        _fail(outcome, decided, exc)
    except TriplineError:
        for one in decided:
            try:
                _write(store, clock, [one], verdicts, outcome)
            except TriplineError as exc:
                _fail(outcome, [one], exc)
    if outcome.notices and notifier is not None:
        notify_now(notifier)
    return outcome


def _fail(outcome: BatchOutcome, decided: Sequence[_Decision], error: TriplineError) -> None:
    for one in decided:
        outcome.failure_reasons[one.message_id] = str(error)


@dataclass(frozen=True)
class _Decision:
    message_id: str
    arrived: ArrivedEvent | None = None
    rejected: RejectedItem | None = None


def _decide(
    message: QueueMessage, clock: Clock, limits: Limits, pipeline: EventPipeline
) -> _Decision:
    try:
        envelope = decode_envelope(message.body)
    except UndecodableMessage as exc:
        undecodable = RejectedItem(
            item_key=f"sqs:{message.message_id}",
            reason=str(exc),
            errors=(),
            payload=message.body,
            received_at=clock.now(),
        )
        return _Decision(message.message_id, rejected=undecodable)
    native = tripline_item(envelope.incoming())
    outcome: Event | list[Detail] = (
        list(native.problems)
        if isinstance(native, Refused)
        else validate_event(
            native,
            received_at=envelope.received_at,
            assigned_id=envelope.event_id,
            limits=limits,
        )
    )
    raw = json.dumps(envelope.item, ensure_ascii=False, separators=(",", ":"))
    if isinstance(outcome, Event):
        outcome = pipeline.prepare(outcome)
    if isinstance(outcome, Event):
        return _Decision(message.message_id, arrived=ArrivedEvent(outcome, raw, message.message_id))
    item_source = envelope.source or envelope.item.get("source")
    # another protocol's item has a key of its own: a client's retry is recorded once
    item_key = (
        f"sqs:{message.message_id}"
        if envelope.protocol == TRIPLINE
        else f"{envelope.protocol}:{envelope.source}:{envelope.event_id}"
    )
    rejected = RejectedItem(
        item_key=item_key,
        reason="invalid event",
        errors=(
            tuple(outcome)
            if isinstance(native, Refused)
            else in_protocol_terms(envelope.incoming(), outcome)
        ),
        payload=raw,
        received_at=envelope.received_at,
        source=item_source if isinstance(item_source, str) else None,
        event_id=envelope.event_id,
    )
    return _Decision(message.message_id, rejected=rejected)


def _write(
    store: EventStore,
    clock: Clock,
    decided: Sequence[_Decision],
    verdicts: Verdicts,
    outcome: BatchOutcome,
) -> None:
    """One unit of work; only the verdicts on the events it stores are recorded, so passing
    all is safe."""
    arrived = [one.arrived for one in decided if one.arrived is not None]
    rejected = [one.rejected for one in decided if one.rejected is not None]
    with store.unit_of_work() as work:
        written = store_events(work, arrived, rejected, verdicts, clock.now())
    outcome.stored += written.stored
    outcome.matched += written.matched
    outcome.notices += written.notices
    outcome.duplicates += written.duplicates
    outcome.rejected += written.rejected
