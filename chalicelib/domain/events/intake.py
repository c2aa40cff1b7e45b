"""How a POSTed payload becomes per-item decisions, before anything is sent anywhere.

The plan is pure: which items go to the queue (with the id and receipt time they will carry), which
are rejected and why, and which repeat an earlier item of the same request. The intake service
then carries the plan out and reports an item accepted only once the queue holds it.

An item may come in another protocol's shape (``domain.protocols``): it is judged in Tripline's
shape and queued in its own. A protocol whose answer cannot carry per-item errors (Segment's is
always ``{"success": true}``) asks for its rejected items to be queued too (``keep_rejected``):
the processor records each with its errors where rejected items are kept, so none vanishes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from chalicelib.domain.errors import Detail, MalformedBody, PayloadTooLarge
from chalicelib.domain.events.conform import conform_event
from chalicelib.domain.events.envelopes import EventEnvelope
from chalicelib.domain.events.model import (
    MAX_EVENT_ID_LENGTH,
    Event,
    Limits,
    validate_event,
)
from chalicelib.domain.protocols import IncomingItem, Refused, in_protocol_terms, tripline_item
from chalicelib.domain.sources import SourceCatalog


class ItemStatus(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    NOT_QUEUED = "not_queued"


@dataclass(frozen=True)
class ItemResult:
    """The answer for one item of a request, in the order the items came."""

    index: int
    status: ItemStatus
    source: str | None = None
    event_id: str | None = None
    errors: tuple[Detail, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"index": self.index, "status": str(self.status)}
        if self.source is not None:
            shown["source"], shown["id"] = self.source, self.event_id
        if self.errors:
            shown["errors"] = [error.as_dict() for error in self.errors]
        return shown


@dataclass(frozen=True)
class Admission:
    """An item that passed validation and is to be queued."""

    index: int
    event: Event
    envelope: EventEnvelope


@dataclass(frozen=True)
class KeptRejection:
    """A rejected item queued all the same, so the processor records it (``keep_rejected``)."""

    index: int
    envelope: EventEnvelope
    errors: tuple[Detail, ...]


@dataclass
class IntakePlan:
    admissions: list[Admission] = field(default_factory=list)
    decided: list[ItemResult] = field(default_factory=list)
    kept: list[KeptRejection] = field(default_factory=list)

    def envelopes(self) -> list[tuple[int, EventEnvelope]]:
        """What goes to the queue, by the item's index."""
        admitted = [(one.index, one.envelope) for one in self.admissions]
        return admitted + [(one.index, one.envelope) for one in self.kept]


def extract_items(payload: object, limits: Limits) -> list[Any]:
    """One event, or ``{"events": [...]}``: the items in order, or why the shape is wrong."""
    if not isinstance(payload, dict):
        raise MalformedBody(
            'the body must be a JSON object: one event, or {"events": [...]}',
            [Detail("expected an object", field="$")],
        )
    if "events" not in payload:
        return [payload]
    items = payload["events"]
    extra = sorted(set(payload) - {"events"})
    if extra:
        raise MalformedBody(
            "a batch has only the field 'events'",
            [Detail("unknown field beside 'events'", field=name) for name in extra],
        )
    if not isinstance(items, list) or not items:
        raise MalformedBody(
            "'events' must be a non-empty array",
            [Detail("expected a non-empty array", field="events")],
        )
    if len(items) > limits.max_batch_events:
        raise PayloadTooLarge(
            f"the batch has {len(items)} events; the limit is {limits.max_batch_events}",
            [Detail(f"at most {limits.max_batch_events} items", field="events")],
        )
    return items


def plan_intake(
    items: Sequence[object],
    *,
    received_at: datetime,
    new_id: Callable[[], str],
    limits: Limits,
    sources: SourceCatalog | None = None,
    keep_rejected: bool = False,
) -> IntakePlan:
    """Decide each item (Tripline's own, or an :class:`IncomingItem` of another protocol); an
    event of a declared source must also fit its declared fields, so the integrator hears about
    a string in a number field now, not from a rejected row later."""
    plan = IntakePlan()
    first_index: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        incoming = item if isinstance(item, IncomingItem) else IncomingItem(item)
        native = tripline_item(incoming)
        given_id = native.get("id") if isinstance(native, dict) else None
        if isinstance(native, Refused):  # a refused item keeps its own id, for the kept copy
            given_id = native.event_id
        event_id = new_id() if given_id is None else None
        if isinstance(native, Refused):
            outcome: Event | list[Detail] = list(native.problems)
        else:
            outcome = validate_event(
                native, received_at=received_at, assigned_id=event_id, limits=limits
            )
        if isinstance(outcome, Event) and sources is not None:
            outcome = conform_event(outcome, sources)
        if not isinstance(outcome, Event):
            errors = (
                tuple(outcome)
                if isinstance(native, Refused)
                else in_protocol_terms(incoming, outcome)
            )
            plan.decided.append(ItemResult(index, ItemStatus.REJECTED, errors=errors))
            if keep_rejected and isinstance(incoming.raw, dict):
                # the item's own id, else the one assigned above: a fresh one only for a
                # given id that is no string (the rejection says so)
                kept_id = (
                    given_id if isinstance(given_id, str) and given_id else event_id or new_id()
                )
                envelope = _envelope(incoming, str(kept_id)[:MAX_EVENT_ID_LENGTH], received_at)
                plan.kept.append(KeptRejection(index, envelope, errors))
            continue
        if outcome.key in first_index:
            earlier = Detail(f"repeats item {first_index[outcome.key]} of this request", field="id")
            plan.decided.append(
                ItemResult(index, ItemStatus.DUPLICATE, *outcome.key, errors=(earlier,))
            )
            continue
        first_index[outcome.key] = index
        envelope = _envelope(incoming, outcome.event_id, received_at)
        plan.admissions.append(Admission(index, outcome, envelope))
    return plan


def _envelope(incoming: IncomingItem, event_id: str, received_at: datetime) -> EventEnvelope:
    item = incoming.raw if isinstance(incoming.raw, dict) else {}
    return EventEnvelope(item, event_id, received_at, incoming.protocol, incoming.source)


def settle(plan: IntakePlan, queued: set[int], failures: dict[int, str]) -> list[ItemResult]:
    """Final per-item answers once the queue has said which admissions it holds."""
    kept = {one.index for one in plan.kept}
    results = [
        _not_queued(result, failures)
        if result.index in kept and result.index not in queued
        else result
        for result in plan.decided
    ]
    for admission in plan.admissions:
        base = ItemResult(admission.index, ItemStatus.ACCEPTED, *admission.event.key)
        if admission.index in queued:
            results.append(base)
        else:
            reason = failures.get(admission.index, "the queue did not confirm it")
            results.append(
                replace(
                    base, status=ItemStatus.NOT_QUEUED, errors=(Detail(f"{reason}; send again"),)
                )
            )
    return sorted(results, key=lambda result: result.index)


def _not_queued(rejected: ItemResult, failures: dict[int, str]) -> ItemResult:
    """A kept rejection the queue did not take: it would vanish, so the caller must send again."""
    reason = failures.get(rejected.index, "the queue did not confirm it")
    return replace(
        rejected, status=ItemStatus.NOT_QUEUED, errors=(Detail(f"{reason}; send again"),)
    )
