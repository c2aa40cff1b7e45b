"""The HTTP edge: request bodies to Python values, results and ``TriplineError`` to responses.

Every error response has one shape, ``{"error": {"code", "message", "details"}}``, and its status
comes from one table, so integrators can rely on both.
"""

from __future__ import annotations

import codecs
import functools
import json
import math
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from chalice.app import Chalice, Request, Response

from chalicelib import access_edge, observability
from chalicelib.content_encoding import decoded_body
from chalicelib.domain.errors import (
    ConfigurationError,
    Conflict,
    DependencyError,
    Detail,
    Forbidden,
    InvalidPath,
    InvalidQuery,
    MalformedBody,
    NotFound,
    PayloadTooLarge,
    RequestError,
    StorageError,
    TriplineError,
    UnsupportedMediaType,
)
from chalicelib.domain.protocols import (
    CloudEventsMessage,
    carries_json,
    ce_attributes,
    http_mode,
)

if TYPE_CHECKING:
    from chalicelib.domain.access import Principal
    from chalicelib.services.health import HealthReport
    from chalicelib.services.intake import IntakeResult

STATUS_BY_ERROR: tuple[tuple[type[TriplineError], int], ...] = (
    (UnsupportedMediaType, 415),
    (PayloadTooLarge, 413),
    (NotFound, 404),
    (Forbidden, 403),
    (Conflict, 409),
    (MalformedBody, 400),
    (InvalidQuery, 400),
    (InvalidPath, 400),
    (RequestError, 400),
    (DependencyError, 503),
    (StorageError, 500),
    (ConfigurationError, 500),
    (TriplineError, 500),
)
JSON_TYPES = ("application/json",)


class RequestReader:
    """What a route reads from the request Chalice is answering: the JSON body (media type and
    size checked first), the query string, the caller. The body's limit is asked for on each
    read, so that importing app reads no settings."""

    def __init__(self, app: Chalice, max_body_bytes: Callable[[], int]) -> None:
        self._app = app
        self._max_body_bytes = max_body_bytes

    def request(self) -> Request:
        request = self._app.current_request
        if request is None:  # Chalice sets it before any route runs
            raise RuntimeError("no current request")
        return request

    def body(self, *, encodings: Collection[str] = ()) -> object:
        """The JSON body; one sent in a ``Content-Encoding`` of ``encodings`` is inflated first
        (``content_encoding``), within the same limit."""
        request = self.request()
        raw = request.raw_body
        if encodings:
            sent = raw.encode() if isinstance(raw, str) else raw or b""
            raw = decoded_body(request.headers, sent, self._max_body_bytes(), encodings)
        return read_json_body(request.headers, raw, self._max_body_bytes())

    def events(self) -> object:
        """``POST /events``: the CloudEvents message of a request in one of CloudEvents' HTTP
        modes (:func:`read_cloudevents`), else the JSON body as :meth:`body` reads it."""
        request = self.request()
        message = read_cloudevents(request.headers, request.raw_body, self._max_body_bytes())
        return self.body() if message is None else message

    def query(self) -> Mapping[str, str]:
        return self.request().query_params or {}

    def caller(self) -> Principal:
        """The API key the authorizer let in."""
        return access_edge.principal(self.request())


def status_of(error: TriplineError) -> int:
    return next(status for kind, status in STATUS_BY_ERROR if isinstance(error, kind))


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    all_headers: dict[str, str | list[str]] = {"Content-Type": "application/json"}
    all_headers.update(headers or {})
    return Response(
        body=json.dumps(body, ensure_ascii=False), status_code=status, headers=all_headers
    )


def created(body: dict[str, Any], location: str) -> Response:
    """201, with where the new thing is read back."""
    return json_response(body, 201, {"Location": location})


def error_body(error: TriplineError) -> dict[str, Any]:
    """The one shape of every error answer: ``{"error": {"code", "message", "details"}}``."""
    details = [detail.as_dict() for detail in error.details]
    return {"error": {"code": error.code, "message": error.message, "details": details}}


def error_response(error: TriplineError) -> Response:
    """The error's own words for the caller's mistakes and outages; none of ours in a 500."""
    status = status_of(error)
    if status == 500:
        observability.logger().error("internal error", extra={"error": str(error)})
        hidden = "internal error; the details are in the service's logs"
        return json_response(
            {"error": {"code": "internal_error", "message": hidden, "details": []}}, status
        )
    headers = {"Retry-After": "5"} if isinstance(error, DependencyError) else None
    return json_response(error_body(error), status, headers)


def answers_errors_as(
    refusal: Callable[[TriplineError], Response],
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """A decorator turning our errors raised by a view into ``refusal``'s response: the API's
    own shape (:func:`answers_errors`), or a protocol's (Segment's, PagerDuty's)."""

    def decorate(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            try:
                return view(*args, **kwargs)
            except TriplineError as error:
                return refusal(error)

        return wrapper

    return decorate


answers_errors = answers_errors_as(error_response)  # our errors as their JSON responses


def answers_request_errors(
    function: Callable[..., dict[str, Any]],
) -> Callable[..., dict[str, Any]]:
    """For a function invoked directly, not through API Gateway: the invoker's mistake is
    answered in the API's error shape; any other error fails the invocation, as it should."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            return function(*args, **kwargs)
        except RequestError as error:
            return error_body(error)

    return wrapper


def decode_path_parameters(
    request: Request, get_response: Callable[[Request], Response]
) -> Response:
    """Middleware body: every path parameter percent-decoded, once, before any route or audit
    reads it.

    API Gateway and Chalice's local gateway both hand path parameters over as the client encoded
    them (aws/chalice#688), so without this an id such as ``a b`` or ``é`` could be stored but
    never fetched. The parameters are decoded in place: Chalice passes the route the very dict
    the request holds. ``+`` is a plus sign in a path, not a space."""
    params = request.uri_params or {}
    problems = []
    for name, raw in params.items():
        try:
            params[name] = unquote(raw, errors="strict")
        except UnicodeDecodeError:
            problems.append(Detail("not percent-encoded UTF-8", field=name, value=raw))
    if problems:
        return error_response(
            InvalidPath("a path parameter is not percent-encoded UTF-8", problems)
        )
    return get_response(request)


def read_json_body(headers: Mapping[str, str], body: str | bytes | None, max_bytes: int) -> object:
    """Check media type and size, then parse; errors say where the JSON went wrong."""
    header = next((value for name, value in headers.items() if name.lower() == "content-type"), "")
    content_type = header.split(";")[0].strip().lower()
    if content_type not in JSON_TYPES and not content_type.endswith("+json"):
        raise UnsupportedMediaType(
            f"send Content-Type: application/json (got {content_type or 'none'!r})",
            [Detail("must be application/json", field="Content-Type", value=content_type)],
        )
    return parse_json(within_limit(body, max_bytes))


def read_cloudevents(
    headers: Mapping[str, str], body: str | bytes | None, max_bytes: int
) -> CloudEventsMessage | None:
    """A request in one of CloudEvents' HTTP modes (``domain.protocols.cloudevents_http``), its
    size checked and its JSON parsed as every body's is; None for Tripline's own shape."""
    content_type = next(
        (value for name, value in headers.items() if name.lower() == "content-type"), None
    )
    mode = http_mode(content_type, headers.keys())
    if mode is None:
        return None
    raw = within_limit(body, max_bytes)
    document = parse_json(raw) if carries_json(mode, content_type, raw) else None
    return CloudEventsMessage(mode, content_type, ce_attributes(headers), raw, document)


def within_limit(body: str | bytes | None, max_bytes: int) -> bytes:
    """The body's bytes; :class:`PayloadTooLarge` past ``max_bytes``."""
    raw = body.encode() if isinstance(body, str) else body or b""
    if len(raw) > max_bytes:
        raise PayloadTooLarge(
            f"the body is {len(raw)} bytes; the limit is {max_bytes}",
            [Detail(f"at most {max_bytes} bytes", field="body")],
        )
    return raw


def parse_json(raw: bytes) -> object:
    """Strict JSON: UTF-8 (a BOM is allowed), no NaN or Infinity, no number beyond a double."""
    bom = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    try:
        text = raw[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        where = Detail(f"invalid byte at offset {exc.start + bom}", field="body")
        raise MalformedBody("the body is not UTF-8", [where]) from exc
    if not text.strip():
        raise MalformedBody(
            "the body is empty; send a JSON object", [Detail("empty", field="body")]
        )
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise MalformedBody(
            f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            [Detail(exc.msg, line=exc.lineno, column=exc.colno)],
        ) from exc
    except (ValueError, RecursionError) as exc:  # NaN, 1e400, a 5,000-digit integer, [[[[...
        reason = str(exc) if isinstance(exc, _NotJsonNumber) else _python_limit(exc)
        raise MalformedBody(f"malformed JSON: {reason}", [Detail(reason, field="body")]) from exc


class _NotJsonNumber(ValueError):
    """Python's json module takes NaN, Infinity and 1e400; JSON (and MySQL's JSON type) do not."""


def _reject_constant(name: str) -> object:
    raise _NotJsonNumber(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotJsonNumber(f"{text[:40]} is too large for a number")
    return value


def _python_limit(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return "an integer has too many digits"


def intake_response(result: IntakeResult) -> Response:
    """202 with per-item results; 503 when valid items exist but the queue took none."""
    body = result.summary() | {"results": [item.as_dict() for item in result.results]}
    if result.nothing_queued_for_lack_of_queue:
        return json_response(body, 503, {"Retry-After": "5"})
    return json_response(body, 202)


def health_response(report: HealthReport) -> Response:
    """200 when every dependency answered, 503 naming the ones that did not."""
    status = "ok" if report.healthy else "degraded"
    return json_response(
        {"status": status, "checks": report.checks}, 200 if report.healthy else 503
    )
