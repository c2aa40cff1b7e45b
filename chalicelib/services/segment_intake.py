"""accept_segment_calls: Segment's tracking calls through Tripline's intake.

The write key is a Tripline ingest key of exactly one source, and that source receives every
call: Segment's calls name no source, and a key that could write several (or any, an operator's)
would leave the choice to a guess. Each call is judged as Tripline judges an event; since
Segment's answer is ``{"success": true}`` for the whole request, a rejected call cannot be told to
the client, so it is queued all the same (``keep_rejected``) and the processor records it with its
errors, where ``GET /rejections`` reads it and ``/metrics`` counts it.
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.domain.access import Principal
from chalicelib.domain.errors import Detail, Forbidden
from chalicelib.domain.events import Limits
from chalicelib.domain.protocols import SEGMENT, IncomingItem, segment_calls
from chalicelib.domain.sources import SourceCatalog
from chalicelib.ports import Clock, MessageQueue
from chalicelib.services.intake import IntakeResult, accept_items


def accept_segment_calls(
    body: object,
    call_type: str | None,
    *,
    caller: Principal,
    queue: MessageQueue,
    clock: Clock,
    new_id: Callable[[], str],
    limits: Limits,
    sources: SourceCatalog | None = None,
) -> IntakeResult:
    """The calls of a ``/v1/batch`` body (``call_type`` None) or of a ``/v1/<call_type>`` body,
    each queued for the caller's one source, valid or not."""
    source = receiving_source(caller)
    calls = segment_calls(body, call_type, max_calls=limits.max_batch_events)
    return accept_items(
        [IncomingItem(call, SEGMENT, source) for call in calls],
        queue=queue,
        clock=clock,
        new_id=new_id,
        limits=limits,
        sources=sources,
        keep_rejected=True,
    )


def receiving_source(caller: Principal) -> str:
    """The one source a write key's calls go to; ``Forbidden`` for any other key."""
    if caller.single_source is not None:
        return caller.single_source
    held = f"an {caller.role} key" + (
        f" of sources {', '.join(caller.sources)}" if caller.sources else ""
    )
    raise Forbidden(
        f"a Segment write key must be a Tripline ingest key of exactly one source, which "
        f"receives the calls; key {caller.key_id} is {held}",
        [
            Detail(
                "use an ingest key of one source as the write key",
                field="Authorization",
                value=caller.key_id,
            )
        ],
    )
