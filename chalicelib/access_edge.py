"""Access at the HTTP edge: the authorizer's answer, the caller it let in, and the audit trail
of operator actions.

The trail is one middleware over a table of audited routes, so no handler can forget it: after a
route answers 2xx, an entry records who (the key), what (the action and its target, with the
comment given), when, and from where (the caller's address as API Gateway saw it).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from chalice.app import AuthResponse, AuthRoute, Request, Response

from chalicelib import observability
from chalicelib.domain.access import Principal
from chalicelib.domain.errors import DependencyError, Detail, Forbidden, TriplineError
from chalicelib.services.access import AUTH_CACHE_SECONDS as AUTH_CACHE_SECONDS
from chalicelib.services.access import (
    allowed_routes,
    principal_context,
    principal_from_context,
)

if TYPE_CHECKING:
    from chalicelib.use_cases import UseCases

# (method, route as app.py declares it) -> (action, target pattern from the URI parameters)
AUDITED: Mapping[tuple[str, str], tuple[str, str]] = {
    ("POST", "/alerts/{alert_id}/ack"): ("alert.acknowledged", "alert {alert_id}"),
    ("POST", "/alerts/{alert_id}/resolve"): ("alert.resolved", "alert {alert_id}"),
    ("POST", "/silences"): ("silence.created", "silence {id}"),
    ("DELETE", "/silences/{silence_id}"): ("silence.ended", "silence {silence_id}"),
    ("POST", "/uploads"): ("upload.granted", "upload {upload_id}"),
    ("POST", "/replays"): ("replay.requested", "replay {id}"),  # it writes matches and alerts
    ("POST", "/replays/{replay_id}/cancel"): ("replay.cancelled", "replay {replay_id}"),
}
DETAIL_FIELDS = (
    "comment",
    "by",
    "source",
    "filename",
    "matchers",
    "starts_at",
    "ends_at",
    "author",
    "rules",  # a replay's
    "since",
    "until",
    "sources",
    "notify",
)


# The bodies API Gateway answers with on AWS (infra/template.yaml's gateway responses), given by
# the local gateway too, so a client sees one API wherever it runs.
UNAUTHORIZED_BODY = (
    '{"error": {"code": "unauthorized", "message": "a valid API key is required: '
    'Authorization: Bearer tl_...", "details": []}}'
)
UNCHECKABLE_BODY = (
    '{"error": {"code": "dependency_unavailable", "message": "the API key cannot '
    'be checked right now; retry later", "details": []}}'
)
UNCHECKABLE_RETRY_AFTER = "5"


def authorizer_refusal(status: int) -> Exception:
    """What the authorizer raises to answer ``status``: 401 (no valid key), 503 (the key cannot
    be checked: the key store is down), or 500 (the authorizer itself is broken).

    API Gateway answers 401 for ``Exception("Unauthorized")`` and its AUTHORIZER_FAILURE
    response (503 with ``Retry-After``, set in infra/) for any other exception, so on AWS a
    broken authorizer is a 503 too. Chalice's local gateway (the local runtime, the test client)
    answers the status of the ``LocalGatewayException`` raised, with its headers and body."""
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return Exception("Unauthorized" if status == 401 else "authorizer failed")
    from chalice.local import InvalidAuthorizerError, LocalGatewayException, NotAuthorizedError

    class KeyUncheckable(LocalGatewayException):
        CODE = 503

    if status == 401:
        return NotAuthorizedError(
            {"x-amzn-ErrorType": "UnauthorizedException", "WWW-Authenticate": "Bearer"},
            UNAUTHORIZED_BODY.encode(),
        )
    if status == 503:
        return KeyUncheckable(
            {
                "x-amzn-ErrorType": "AuthorizerFailureException",
                "Retry-After": UNCHECKABLE_RETRY_AFTER,
            },
            UNCHECKABLE_BODY.encode(),
        )
    return InvalidAuthorizerError(
        {"x-amzn-ErrorType": "AuthorizerConfigurationException"}, b'{"message":null}'
    )


def authorize(token: str | None, use_cases: Callable[[], UseCases]) -> AuthResponse:
    """The authorizer's answer: the routes the key's role reaches, and who it is for the routes.

    ``use_cases`` is called here, inside the error handling, so a configuration that cannot build
    them is a 500 like any other failure of the authorizer; a key store that is down, a 503."""
    try:
        found = use_cases().authenticate(token)
    except DependencyError as error:  # the key store is down: not the caller's fault, retry
        observability.logger().warning(
            "authorizer cannot check the key", extra={"reason": error.message}
        )
        raise authorizer_refusal(503) from error
    except TriplineError as error:  # misconfigured: ours to fix
        observability.logger().error("authorizer failed", extra={"reason": str(error)})
        raise authorizer_refusal(500) from error
    if found is None:
        raise authorizer_refusal(401)
    routes: list[str | AuthRoute] = [
        AuthRoute(path, methods) for path, methods in allowed_routes(found.role)
    ]
    return AuthResponse(routes=routes, principal_id=found.key_id, context=principal_context(found))


def principal(request: Request) -> Principal:
    """The caller; a route behind the authorizer always has one."""
    found = principal_from_context((request.context or {}).get("authorizer"))
    if found is None:
        raise Forbidden(
            "no API key was checked for this request",
            [Detail("send Authorization: Bearer <key>", field="Authorization")],
        )
    return found


def origin(request: Request) -> str | None:
    identity = (request.context or {}).get("identity") or {}
    address = identity.get("sourceIp")
    return str(address) if address else None


class AuditTrail:
    """The middleware that answers, then records an audited route's success. ``use_cases`` is
    called only then: most requests are not audited, and ``/health`` must answer even when the
    use cases cannot be built."""

    def __init__(self, use_cases: Callable[[], UseCases]) -> None:
        self._use_cases = use_cases

    def __call__(self, request: Request, get_response: Callable[[Request], Response]) -> Response:
        response = get_response(request)
        route = (request.context or {}).get("resourcePath", "")
        audited = AUDITED.get((request.method, route))
        if audited is None or not 200 <= response.status_code < 300:
            return response
        action, pattern = audited
        answer = _json(response.body)
        names = dict(request.uri_params or {}) | {
            "id": answer.get("id", ""),
            "upload_id": answer.get("upload_id", ""),
        }
        body = _json(request.raw_body)
        detail = {name: body[name] for name in DETAIL_FIELDS if name in body}
        caller = principal_from_context((request.context or {}).get("authorizer"))
        self._use_cases().record_action(
            caller, action, pattern.format(**names), detail, origin=origin(request)
        )
        return response


def _json(raw: object) -> dict[str, Any]:
    try:
        value = json.loads(raw) if isinstance(raw, str | bytes) and raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
