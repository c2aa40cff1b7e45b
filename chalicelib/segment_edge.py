"""Segment's answers at the HTTP edge: the ``/v1/*`` routes answer as Segment's tracking API does.

Segment's clients read ``200 {"success": true}`` as delivered, retry a 5xx (and 429) with
backoff, and give up on any other 4xx, logging the ``code`` and ``message`` of the JSON body
(``APIError``). So a request is answered 200 only once every call it carried is on the queue
(a rejected call too: it is kept with its errors, ``GET /rejections``), and 503 with
``Retry-After`` otherwise, which the client retries harmlessly (a call's ``messageId`` is its
event id). A refusal carries Segment's ``success``, ``code`` and ``message`` beside Tripline's
own ``error``, so the client's log says why and our integrators read the shape they know.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from chalice.app import Response

from chalicelib import web
from chalicelib.content_encoding import GZIP
from chalicelib.domain.errors import DependencyError, Detail, TriplineError
from chalicelib.domain.events import ItemStatus

if TYPE_CHECKING:
    from chalicelib.services.intake import IntakeResult

ENCODINGS = (GZIP,)  # the clients' gzip=True
RETRY_AFTER = "5"


def refusal(error: TriplineError) -> Response:
    """Our error answer (status, headers, ``error``) with Segment's fields beside it; a 500
    shows none of our internals, as ``web.error_response`` makes sure."""
    ours = web.error_response(error)
    body = json.loads(ours.body)
    shown = body["error"]
    segment = {"success": False, "code": shown.get("code"), "message": shown.get("message")}
    headers = {name: str(value) for name, value in ours.headers.items()}
    return web.json_response(segment | body, ours.status_code, headers)


answers_in_segment_shape = web.answers_errors_as(refusal)  # our errors in Segment's shape


def answer(result: IntakeResult) -> Response:
    """200 ``{"success": true}`` once every call is on the queue; 503 otherwise, to be retried."""
    if result.all_queued:
        return web.json_response({"success": True})
    missing = [item for item in result.results if item.status == ItemStatus.NOT_QUEUED]
    error = DependencyError(
        f"the queue did not take {len(missing)} of the {len(result.results)} calls; send again",
        [
            Detail(
                item.errors[0].message if item.errors else "not queued",
                field=f"batch[{item.index}]",
            )
            for item in missing[:10]
        ],
    )
    return refusal(error)
