"""PagerDuty's answers at the HTTP edge: ``POST /v2/enqueue`` speaks its error shapes, not ours.

A PagerDuty client reads ``{"status": "invalid event", "message": "Event object is invalid",
"errors": [...]}`` on a 400 and retries a 5xx, so every refusal is given that way: an invalid
event (each error naming its field), a body that is not JSON (its line and column), the wrong
``Content-Type`` (PagerDuty takes ``application/json``), and a body over the limit (413, in the
same shape). An outage of the key store or the database is a 503 with ``Retry-After``, and
anything else a 500 that shows none of our internals; the clients retry both.
"""

from __future__ import annotations

from chalice.app import Response

from chalicelib import observability, web
from chalicelib.domain.errors import (
    DependencyError,
    PayloadTooLarge,
    RequestError,
    TriplineError,
)
from chalicelib.domain.pagerduty import MESSAGE, InvalidEvent

RETRY_AFTER = "5"
INTERNAL = "internal error; the details are in the service's logs"


def refusal(error: TriplineError) -> Response:
    if isinstance(error, RequestError):
        status = 413 if isinstance(error, PayloadTooLarge) else 400
        body = {"status": "invalid event", "message": MESSAGE, "errors": errors_of(error)}
        return web.json_response(body, status)
    if isinstance(error, DependencyError):
        observability.logger().warning("pagerduty event not taken", extra={"reason": str(error)})
        body = {"status": "error", "message": f"{error.message}; retry later"}
        return web.json_response(body, 503, {"Retry-After": RETRY_AFTER})
    observability.logger().error("internal error", extra={"error": str(error)})
    return web.json_response({"status": "error", "message": INTERNAL}, 500)


answers_in_pagerduty_shape = web.answers_errors_as(refusal)  # our errors as PagerDuty's answers


def errors_of(error: RequestError) -> list[str]:
    """An invalid event's errors name their fields; the body's other refusals (not JSON, not
    ``application/json``, too large) say it in their message, with line and column."""
    if isinstance(error, InvalidEvent):
        return [detail.message for detail in error.details]
    return [error.message]
