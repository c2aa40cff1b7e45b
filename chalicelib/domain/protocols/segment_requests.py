"""The calls a Segment request carries, as Segment's HTTP tracking API reads them.

``/v1/batch`` sends ``{"batch": [call, ...], "sentAt", "context", "integrations", "writeKey"}``:
the batch's ``context`` and ``integrations`` apply to every call (a call's own keys win, as
Segment merges them) and its ``sentAt`` to every call that has none. ``/v1/track``,
``/v1/identify``, ``/v1/page``, ``/v1/screen``, ``/v1/group`` and ``/v1/alias`` send one call,
whose type is the route's.

``writeKey`` is dropped here, from the batch and from every call, before anything is queued: it
is the whole API key (the HTTP Basic user says it again), and the raw call is stored and shown.
A request that is not calls at all is refused whole (400), each problem named by its path
(``batch[3]``); what is wrong inside a call is the call's own problem (``segment_item``), kept
with it as a rejected item.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.errors import Detail, MalformedBody, PayloadTooLarge
from chalicelib.domain.json_values import json_kind
from chalicelib.domain.protocols.segment import CALL_TYPES, SECRET_FIELDS

BATCH = "batch"
MERGED = ("context", "integrations")  # a batch's defaults for each of its calls


def segment_calls(body: object, call_type: str | None, *, max_calls: int) -> list[dict[str, Any]]:
    """The calls of a ``/v1/batch`` body (``call_type`` None) or of a single-call route's body
    (``call_type`` the route's), without ``writeKey``; ``MalformedBody`` or ``PayloadTooLarge``
    naming what is wrong with the request."""
    if not isinstance(body, dict):
        raise MalformedBody(
            f"the body must be a JSON object, not {json_kind(body)}",
            [Detail("expected an object", field="$")],
        )
    if call_type is not None:
        if call_type not in CALL_TYPES:  # the routes name only these; a guard for other callers
            raise ValueError(f"no Segment call type {call_type!r}")
        return [_without_secrets(body) | {"type": call_type}]
    return _batch_calls(body, max_calls)


def _batch_calls(body: dict[str, Any], max_calls: int) -> list[dict[str, Any]]:
    calls = body.get(BATCH)
    if not isinstance(calls, list) or not calls:
        raise MalformedBody(
            "a batch carries its calls in 'batch', a non-empty array",
            [Detail(f"expected a non-empty array, not {json_kind(calls)}", field=BATCH)],
        )
    if len(calls) > max_calls:
        raise PayloadTooLarge(
            f"the batch has {len(calls)} calls; the limit is {max_calls}",
            [Detail(f"at most {max_calls} calls", field=BATCH)],
        )
    not_objects = [
        Detail(f"a call must be a JSON object, not {json_kind(call)}", field=f"{BATCH}[{index}]")
        for index, call in enumerate(calls)
        if not isinstance(call, dict)
    ]
    if not_objects:
        raise MalformedBody("every call in a batch must be a JSON object", not_objects)
    defaults = _batch_defaults(body)
    return [_with_defaults(_without_secrets(call), defaults) for call in calls]


def _batch_defaults(body: dict[str, Any]) -> dict[str, Any]:
    problems = [
        Detail(f"must be a JSON object, not {json_kind(body[name])}", field=name)
        for name in MERGED
        if body.get(name) is not None and not isinstance(body[name], dict)
    ]
    if problems:
        raise MalformedBody("a batch's context and integrations are objects", problems)
    defaults = {name: body[name] for name in MERGED if body.get(name)}
    if body.get("sentAt") is not None:
        defaults["sentAt"] = body["sentAt"]
    return defaults


def _with_defaults(call: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    merged = dict(call)
    for name, value in defaults.items():
        own = call.get(name)
        if name in MERGED and isinstance(own, dict):
            merged[name] = value | own
        elif own is None:
            merged[name] = value
    return merged


def _without_secrets(call: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in call.items() if name not in SECRET_FIELDS}
