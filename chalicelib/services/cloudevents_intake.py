"""accept_cloudevents: ``POST /events`` in CloudEvents' HTTP modes, through Tripline's intake.

The request is read into CloudEvents in their JSON format (``domain.protocols.cloudevents_http``),
each event's ``source`` URI is mapped to a Tripline source (``cloudevent_sources``: the operator's
``rules/cloudevents.yaml``, then the URI itself when it is a source name, then the key's one
source), and the caller must be allowed to write every source decided, or nothing is queued, as
for Tripline's own bodies. Each event is then judged and queued as it was sent; the answer is
today's per-item answer.
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.domain.access import Principal
from chalicelib.domain.events import Limits
from chalicelib.domain.protocols import (
    CLOUDEVENTS,
    CloudEventsMessage,
    IncomingItem,
    SourceRoutes,
    cloudevents_in,
    decide_source,
)
from chalicelib.domain.sources import SourceCatalog
from chalicelib.ports import Clock, MessageQueue
from chalicelib.services.intake import IntakeResult, accept_items


def accept_cloudevents(
    message: CloudEventsMessage,
    *,
    caller: Principal,
    routes: SourceRoutes,
    queue: MessageQueue,
    clock: Clock,
    new_id: Callable[[], str],
    limits: Limits,
    sources: SourceCatalog | None = None,
) -> IntakeResult:
    """The message's events, each for the Tripline source decided for it."""
    events = cloudevents_in(message, limits.max_batch_events)
    items = [
        IncomingItem(event, CLOUDEVENTS, decide_source(event, routes, caller.single_source))
        for event in events
    ]
    caller.check_sources({item.source for item in items if item.source})
    return accept_items(
        items, queue=queue, clock=clock, new_id=new_id, limits=limits, sources=sources
    )
