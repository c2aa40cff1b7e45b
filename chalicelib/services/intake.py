"""accept_events: from a parsed POST body to per-item answers, with the accepted ones on the queue."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from chalicelib.domain.events import (
    ItemResult,
    ItemStatus,
    Limits,
    encode_envelope,
    extract_items,
    plan_intake,
    settle,
)
from chalicelib.domain.messages import OutgoingMessage
from chalicelib.domain.sources import SourceCatalog
from chalicelib.ports import Clock, MessageQueue


@dataclass(frozen=True)
class IntakeResult:
    results: list[ItemResult]

    def count(self, status: ItemStatus) -> int:
        return sum(1 for result in self.results if result.status is status)

    def summary(self) -> dict[str, int]:
        """The counts an integrator reads first, under the names the API answers with."""
        return {
            "accepted": self.count(ItemStatus.ACCEPTED),
            "duplicates": self.count(ItemStatus.DUPLICATE),
            "rejected": self.count(ItemStatus.REJECTED),
            "not_queued": self.count(ItemStatus.NOT_QUEUED),
        }

    @property
    def nothing_queued_for_lack_of_queue(self) -> bool:
        """True when valid items exist but the queue took none of them: a 503, not a 202."""
        return self.count(ItemStatus.NOT_QUEUED) > 0 and self.count(ItemStatus.ACCEPTED) == 0

    @property
    def all_queued(self) -> bool:
        """Every item the queue was to hold holds it: a protocol that answers for the whole
        request (Segment's) may say success only then."""
        return self.count(ItemStatus.NOT_QUEUED) == 0


def accept_events(
    payload: object,
    *,
    queue: MessageQueue,
    clock: Clock,
    new_id: Callable[[], str],
    limits: Limits,
    sources: SourceCatalog | None = None,
) -> IntakeResult:
    """``POST /events`` in Tripline's shape: one event, or ``{"events": [...]}``."""
    items = extract_items(payload, limits)
    return accept_items(
        items, queue=queue, clock=clock, new_id=new_id, limits=limits, sources=sources
    )


def accept_items(
    items: Sequence[object],
    *,
    queue: MessageQueue,
    clock: Clock,
    new_id: Callable[[], str],
    limits: Limits,
    sources: SourceCatalog | None = None,
    keep_rejected: bool = False,
) -> IntakeResult:
    """Items already taken out of their request (Tripline's own, or ``IncomingItem`` of another
    protocol, ``domain.protocols``): decided, queued, answered per item. ``keep_rejected``
    queues the rejected ones too, for the processor to record (a protocol whose answer cannot
    tell the client about an item)."""
    plan = plan_intake(
        items,
        received_at=clock.now(),
        new_id=new_id,
        limits=limits,
        sources=sources,
        keep_rejected=keep_rejected,
    )
    messages = [
        OutgoingMessage(entry_id=str(index), body=encode_envelope(envelope))
        for index, envelope in plan.envelopes()
    ]
    receipts = queue.send(messages) if messages else []
    queued = {int(receipt.entry_id) for receipt in receipts if receipt.queued}
    failures = {int(r.entry_id): r.error or "not queued" for r in receipts if not r.queued}
    return IntakeResult(settle(plan, queued, failures))
