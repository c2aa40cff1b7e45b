"""How a POSTed payload becomes per-item decisions, before anything is sent anywhere.

The plan is pure: which items go to the queue (with the id and receipt time they will carry), which
are rejected and why, and which repeat an earlier item of the same request. The intake service
then carries the plan out and reports an item accepted only once the queue holds it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from chalicelib.domain.errors import Detail, MalformedBody, PayloadTooLarge
from chalicelib.domain.events.conform import conform_event
from chalicelib.domain.events.envelopes import EventEnvelope
from chalicelib.domain.events.model import Event, Limits, validate_event
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


@dataclass
class IntakePlan:
    admissions: list[Admission] = field(default_factory=list)
    decided: list[ItemResult] = field(default_factory=list)


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
    items: list[Any],
    *,
    received_at: datetime,
    new_id: Callable[[], str],
    limits: Limits,
    sources: SourceCatalog | None = None,
) -> IntakePlan:
    """Decide each item; an event of a declared source must also fit its declared fields, so the
    integrator hears about a string in a number field now, not from a rejected row later."""
    plan = IntakePlan()
    first_index: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        given_id = item.get("id") if isinstance(item, dict) else None
        assigned = new_id() if given_id is None else None
        outcome = validate_event(item, received_at=received_at, assigned_id=assigned, limits=limits)
        if isinstance(outcome, Event) and sources is not None:
            outcome = conform_event(outcome, sources)
        if not isinstance(outcome, Event):
            plan.decided.append(ItemResult(index, ItemStatus.REJECTED, errors=tuple(outcome)))
            continue
        if outcome.key in first_index:
            earlier = Detail(f"repeats item {first_index[outcome.key]} of this request", field="id")
            plan.decided.append(
                ItemResult(index, ItemStatus.DUPLICATE, *outcome.key, errors=(earlier,))
            )
            continue
        first_index[outcome.key] = index
        envelope = EventEnvelope(item=item, event_id=outcome.event_id, received_at=received_at)
        plan.admissions.append(Admission(index, outcome, envelope))
    return plan


def settle(plan: IntakePlan, queued: set[int], failures: dict[int, str]) -> list[ItemResult]:
    """Final per-item answers once the queue has said which admissions it holds."""
    results = list(plan.decided)
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
