"""CloudEvents over HTTP (the HTTP protocol binding 1.0): a ``POST /events`` request read as the
CloudEvents it carries, each in the JSON format, as structured mode would have sent it.

The mode is told by the request itself:

- structured: ``Content-Type: application/cloudevents+json`` (parameters such as ``charset``
  allowed), the body one event;
- batch: ``application/cloudevents-batch+json``, the body a JSON array of events;
- binary: any other request with a ``ce-specversion`` header: each ``ce-<name>`` header is the
  attribute ``<name>`` (names case-insensitive, values percent-decoded, §3.1.3.2),
  ``Content-Type`` is ``datacontenttype`` and the body is the data: JSON for a JSON media type
  (``*/json``, ``*/*+json``, or none at all, the JSON format's default), UTF-8 text for
  ``text/*``, anything else (or text that is not UTF-8) kept as ``data_base64``. An empty body is
  no data.

Anything else is Tripline's own shape. The edge reads the request into a
:class:`CloudEventsMessage` (the body parsed where it is JSON, by the API's strict parser);
what the message holds is decided here.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_to_bytes

from chalicelib.domain.errors import Detail, MalformedBody, PayloadTooLarge, UnsupportedMediaType
from chalicelib.domain.json_values import json_kind

STRUCTURED, BATCH, BINARY = "structured", "batch", "binary"
STRUCTURED_TYPE = "application/cloudevents+json"
BATCH_TYPE = "application/cloudevents-batch+json"
HEADER_PREFIX = "ce-"
MODE_HEADER = "ce-specversion"

_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_OUTSIDE_ASCII = re.compile(r"[^\x20-\x7e\t]")
_QUOTED_PAIR = re.compile(r"\\(.)")


@dataclass(frozen=True)
class CloudEventsMessage:
    """A request in one of CloudEvents' HTTP modes, as the edge read it: the ``ce-*`` headers by
    their lower-case attribute name (values as sent), ``Content-Type`` as sent, the body, and
    the body's JSON where the mode says it is JSON (structured, batch, binary JSON data)."""

    mode: str
    content_type: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    document: Any = None


def media_type(content_type: str | None) -> str:
    """``Application/JSON; charset=utf-8`` → ``application/json``."""
    return (content_type or "").split(";")[0].strip().lower()


def http_mode(content_type: str | None, header_names: Iterable[str]) -> str | None:
    """The CloudEvents mode of a request, or None for Tripline's own shape.

    Raises :class:`UnsupportedMediaType` for another CloudEvents event format (Avro, Protobuf):
    only the JSON format is read."""
    kind = media_type(content_type)
    if kind == STRUCTURED_TYPE:
        return STRUCTURED
    if kind == BATCH_TYPE:
        return BATCH
    if kind.startswith("application/cloudevents"):
        raise UnsupportedMediaType(
            f"only CloudEvents' JSON format is read: send {STRUCTURED_TYPE} or {BATCH_TYPE}, "
            f"or binary mode (got {kind!r})",
            [Detail(f"must be {STRUCTURED_TYPE}", field="Content-Type", value=kind)],
        )
    if any(name.lower() == MODE_HEADER for name in header_names):
        return BINARY
    return None


def ce_attributes(headers: Mapping[str, str]) -> dict[str, str]:
    """The ``ce-*`` headers by attribute name (``CE-Subject`` → ``subject``), values as sent."""
    return {
        name.lower()[len(HEADER_PREFIX) :]: value
        for name, value in headers.items()
        if name.lower().startswith(HEADER_PREFIX)
    }


def carries_json(mode: str, content_type: str | None, body: bytes) -> bool:
    """Whether the body is JSON to parse: always in structured and batch mode; in binary mode
    when there is a body and its media type is JSON (none given means JSON, as the JSON format
    assumes of data without a ``datacontenttype``)."""
    if mode != BINARY:
        return True
    return bool(body) and is_json_media_type(content_type)


def is_json_media_type(content_type: str | None) -> bool:
    kind = media_type(content_type)
    subtype = kind.partition("/")[2]
    return not kind or subtype == "json" or subtype.endswith("+json")


def cloudevents_in(message: CloudEventsMessage, max_batch_events: int) -> list[object]:
    """The events the message carries, each in the JSON format; raises what today's bodies
    raise for a body of the wrong shape (400), or a batch too long (413)."""
    if message.mode == BINARY:
        return [binary_event(message)]
    document = message.document
    if message.mode == STRUCTURED:
        if not isinstance(document, dict):
            raise MalformedBody(
                f"a {STRUCTURED_TYPE} body is one CloudEvent: a JSON object",
                [Detail(f"expected an object, not {json_kind(document)}", field="$")],
            )
        return [document]
    if not isinstance(document, list) or not document:
        got = "an empty array" if document == [] else json_kind(document)
        raise MalformedBody(
            f"a {BATCH_TYPE} body is a non-empty JSON array of CloudEvents",
            [Detail(f"expected a non-empty array, not {got}", field="$")],
        )
    if len(document) > max_batch_events:
        raise PayloadTooLarge(
            f"the batch has {len(document)} events; the limit is {max_batch_events}",
            [Detail(f"at most {max_batch_events} items", field="$")],
        )
    return list(document)


def binary_event(message: CloudEventsMessage) -> dict[str, Any]:
    """A binary-mode request as the event in the JSON format; raises :class:`MalformedBody`
    naming each ``ce-*`` header whose value cannot be decoded."""
    event: dict[str, Any] = {}
    problems = []
    for name, value in message.headers.items():
        decoded = decode_header_value(value)
        if decoded.problem is None:
            event[name.lower()] = decoded.text
        else:
            problems.append(
                Detail(decoded.problem, field=f"{HEADER_PREFIX}{name.lower()}", value=value[:80])
            )
    if problems:
        raise MalformedBody(
            "a ce-* header is not percent-encoded UTF-8 (CloudEvents HTTP binding, 3.1.3.2)",
            problems,
        )
    if message.content_type is not None:
        event["datacontenttype"] = message.content_type
    if message.body:
        event |= _binary_data(message)
    return event


def _binary_data(message: CloudEventsMessage) -> dict[str, Any]:
    if is_json_media_type(message.content_type):
        return {"data": message.document}
    if media_type(message.content_type).startswith("text/"):
        try:
            return {"data": message.body.decode("utf-8")}
        except UnicodeDecodeError:
            pass  # kept as it came, byte for byte
    return {"data_base64": base64.b64encode(message.body).decode("ascii")}


@dataclass(frozen=True)
class DecodedHeader:
    text: str = ""
    problem: str | None = None


def decode_header_value(value: str) -> DecodedHeader:
    """A header value as the attribute's text (§3.1.3.2): a double-quoted string unescaped
    first (older senders quote), then one round of percent-decoding, to UTF-8 strictly (an
    overlong ``%C0%A0`` is refused). Unnecessary encoding is accepted; a ``%`` that starts no
    escape, a character outside printable ASCII and bytes that are no UTF-8 are not."""
    text = value.strip(" \t")
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = _QUOTED_PAIR.sub(r"\1", text[1:-1])
    if _OUTSIDE_ASCII.search(text):
        return DecodedHeader(problem="has a character outside printable ASCII: percent-encode it")
    if _BAD_PERCENT.search(text):
        return DecodedHeader(problem="has a '%' that starts no %XX escape: send '%' as %25")
    try:
        return DecodedHeader(unquote_to_bytes(text).decode("utf-8"))
    except UnicodeDecodeError:
        return DecodedHeader(problem="percent-decodes to bytes that are not UTF-8")
