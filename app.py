"""Tripline's Chalice app: every route and trigger, each a translation around one service call.

Nothing is built at import: Chalice imports this module to package it, and the test suite imports
it with no AWS, database or network in reach.
"""

from __future__ import annotations

from typing import Any

from chalice.app import (
    AuthRequest,
    AuthResponse,
    AuthRoute,
    Chalice,
    CloudWatchEvent,
    Rate,
    Request,
    Response,
    SQSEvent,
)

from chalicelib import access_edge, bootstrap, docs_page, observability, web
from chalicelib.apidoc import openapi_document
from chalicelib.domain.alert_views import alert_view
from chalicelib.domain.errors import DependencyError, RequestError, TriplineError
from chalicelib.domain.upload_records import upload_view
from chalicelib.services.access import (
    AUTH_CACHE_SECONDS,
    allowed_routes,
    authenticate,
    list_audit,
    principal_context,
    record_action,
)
from chalicelib.services.alerts import (
    acknowledge_alert,
    describe_alert,
    list_alerts,
    resolve_alert,
)
from chalicelib.services.chunks import process_chunks
from chalicelib.services.dry_run import dry_run_rule
from chalicelib.services.fanout import fan_out_uploads
from chalicelib.services.health import check_health
from chalicelib.services.intake import accept_events
from chalicelib.services.processing import process_event_messages
from chalicelib.services.reads import get_event, list_events
from chalicelib.services.rules import list_rules
from chalicelib.services.schema import migrate as run_migrate
from chalicelib.services.silences import (
    create_silence,
    expire_silence,
    get_silence,
    list_silences,
)
from chalicelib.services.tick import tick
from chalicelib.services.uploads import describe_upload, grant_upload, list_uploads
from chalicelib.topology import EVENTS_QUEUE, ROWS_QUEUE, UPLOADS_QUEUE
from chalicelib.triggers import answer_batch, sqs_messages

app = Chalice(app_name="tripline", configure_logs=False)  # observability owns the "tripline" logger


def _request() -> Request:
    request = app.current_request
    if request is None:  # Chalice sets it before any route runs
        raise RuntimeError("no current request")
    return request


@app.middleware("all")
def observe(event: Any, get_response: Any) -> Any:
    return observability.observe(event, get_response)


@app.middleware("http")
def decode_path(event: Request, get_response: Any) -> Response:
    return web.decode_path_parameters(event, get_response)


@app.middleware("http")
def audit(event: Request, get_response: Any) -> Response:
    return access_edge.audit_trail(event, get_response, _record_action)


def _record_action(*args: Any, **kwargs: Any) -> None:
    """Built on use: most requests are not audited, and /health must answer without a
    container when the configuration is broken."""
    services = bootstrap.container()
    record_action(*args, audit=services.audit, clock=services.clock, **kwargs)


@app.authorizer(ttl_seconds=AUTH_CACHE_SECONDS)
def api_key(auth_request: AuthRequest) -> AuthResponse:
    """Every route but /health, /openapi.json and /docs: a known, unrevoked key, and the routes its
    role reaches (API Gateway keeps this answer per key for ``AUTH_CACHE_SECONDS``). Keys come
    from the container's memory first, so a database outage is a 503 only for keys it never
    confirmed (``services.key_cache``)."""
    try:
        principal = authenticate(auth_request.token, keys=bootstrap.container().keys)
    except DependencyError as error:  # the key store is down: not the caller's fault, retry
        observability.logger().warning("authorizer cannot check the key",
                                       extra={"reason": error.message})
        raise access_edge.authorizer_refusal(503) from error
    except TriplineError as error:  # misconfigured: ours to fix
        observability.logger().error("authorizer failed", extra={"reason": str(error)})
        raise access_edge.authorizer_refusal(500) from error
    if principal is None:
        raise access_edge.authorizer_refusal(401)
    routes: list[str | AuthRoute] = [AuthRoute(path, methods)
                                     for path, methods in allowed_routes(principal.role)]
    return AuthResponse(routes=routes, principal_id=principal.key_id,
                        context=principal_context(principal))


@app.route("/events", methods=["POST"], content_types=["*/*"], authorizer=api_key)
@web.answers_errors
def post_events() -> Response:
    services = bootstrap.container()
    request = _request()
    payload = web.read_json_body(request.headers, request.raw_body, services.settings.max_body_bytes)
    access_edge.principal(request).check_sources(access_edge.written_sources(payload))
    result = accept_events(
        payload,
        queue=services.events_queue,
        clock=services.clock,
        new_id=services.new_id,
        limits=services.settings.limits,
        sources=services.sources,
    )
    observability.record_intake(result)
    return web.intake_response(result)


@app.route("/events", methods=["GET"], authorizer=api_key)
@web.answers_errors
def get_events() -> Response:
    services = bootstrap.container()
    page = list_events(
        _request().query_params or {},
        reader=services.reader,
        default_limit=services.settings.page_size,
        max_limit=services.settings.max_page_size,
    )
    return web.json_response(
        {"items": [view.as_dict() for view in page.items], "next_cursor": page.next_cursor}
    )


@app.route("/events/{source}/{event_id}", methods=["GET"], authorizer=api_key)
@web.answers_errors
def get_one_event(source: str, event_id: str) -> Response:
    view = get_event(source, event_id, reader=bootstrap.container().reader,
                     caller=access_edge.principal(_request()))
    return web.json_response(view.as_dict())


@app.route("/uploads", methods=["POST"], content_types=["*/*"], authorizer=api_key)
@web.answers_errors
def post_uploads() -> Response:
    services = bootstrap.container()
    request = _request()
    payload = web.read_json_body(request.headers, request.raw_body, services.settings.max_body_bytes)
    access_edge.principal(request).check_sources(access_edge.written_sources(payload))
    grant = grant_upload(payload, sources=services.sources, objects=services.objects,
                         uploads=services.uploads, clock=services.clock,
                         new_id=services.new_upload_id, limits=services.upload_limits)
    return web.json_response(grant.as_dict(), 201,
                             {"Location": f"/uploads/{grant.upload.id}"})


@app.route("/uploads", methods=["GET"], authorizer=api_key)
@web.answers_errors
def get_uploads() -> Response:
    services = bootstrap.container()
    page = list_uploads(_request().query_params or {}, uploads=services.uploads,
                        default_limit=services.settings.page_size,
                        max_limit=services.settings.max_page_size)
    return web.json_response({"items": [upload_view(record, progress)
                                        for record, progress in page.items],
                              "next_cursor": page.next_cursor})


@app.route("/uploads/{upload_id}", methods=["GET"], authorizer=api_key)
@web.answers_errors
def get_upload(upload_id: str) -> Response:
    services = bootstrap.container()
    return web.json_response(describe_upload(upload_id, uploads=services.uploads,
                                             objects=services.objects,
                                             limits=services.upload_limits,
                                             caller=access_edge.principal(_request())))


@app.route("/rules", methods=["GET"], authorizer=api_key)
@web.answers_errors
def get_rules() -> Response:
    services = bootstrap.container()
    return web.json_response({"items": list_rules(book=services.rulebook,
                                                  reader=services.rule_reader)})


@app.route("/rules/test", methods=["POST"], content_types=["*/*"], authorizer=api_key)
@web.answers_errors
def post_rules_test() -> Response:
    services = bootstrap.container()
    request = _request()
    payload = web.read_json_body(request.headers, request.raw_body, services.settings.max_body_bytes)
    return web.json_response(dry_run_rule(payload, pipeline=services.pipeline,
                                          reader=services.rule_reader, clock=services.clock,
                                          limits=services.settings.limits,
                                          parse_rule=services.parse_rule))


@app.route("/alerts", methods=["GET"], authorizer=api_key)
@web.answers_errors
def get_alerts() -> Response:
    services = bootstrap.container()
    page = list_alerts(_request().query_params or {}, store=services.alerts,
                       default_limit=services.settings.page_size,
                       max_limit=services.settings.max_page_size)
    return web.json_response({"items": [alert_view(alert) for alert in page.items],
                              "next_cursor": page.next_cursor})


@app.route("/alerts/{alert_id}", methods=["GET"], authorizer=api_key)
@web.answers_errors
def get_alert(alert_id: str) -> Response:
    return web.json_response(describe_alert(alert_id, store=bootstrap.container().alerts))


@app.route("/alerts/{alert_id}/ack", methods=["POST"], content_types=["*/*"], authorizer=api_key)
@web.answers_errors
def post_alert_ack(alert_id: str) -> Response:
    services = bootstrap.container()
    request = _request()
    payload = web.read_json_body(request.headers, request.raw_body, services.settings.max_body_bytes)
    return web.json_response(acknowledge_alert(alert_id, payload, store=services.alerts,
                                               book=services.rulebook, clock=services.clock,
                                               actor=access_edge.principal(request).actor))


@app.route("/alerts/{alert_id}/resolve", methods=["POST"], content_types=["*/*"], authorizer=api_key)
@web.answers_errors
def post_alert_resolve(alert_id: str) -> Response:
    services = bootstrap.container()
    request = _request()
    payload = web.read_json_body(request.headers, request.raw_body, services.settings.max_body_bytes)
    return web.json_response(resolve_alert(alert_id, payload, store=services.alerts,
                                           book=services.rulebook, clock=services.clock,
                                           actor=access_edge.principal(request).actor))


@app.route("/silences", methods=["POST"], content_types=["*/*"], authorizer=api_key)
@web.answers_errors
def post_silences() -> Response:
    services = bootstrap.container()
    request = _request()
    payload = web.read_json_body(request.headers, request.raw_body, services.settings.max_body_bytes)
    silence = create_silence(payload, store=services.silences, clock=services.clock,
                             new_id=services.new_id, book=services.rulebook)
    return web.json_response(silence.as_dict(services.clock.now()), 201,
                             {"Location": f"/silences/{silence.id}"})


@app.route("/silences", methods=["GET"], authorizer=api_key)
@web.answers_errors
def get_silences() -> Response:
    services = bootstrap.container()
    found = list_silences(_request().query_params or {}, store=services.silences,
                          clock=services.clock)
    now = services.clock.now()
    return web.json_response({"items": [silence.as_dict(now) for silence in found]})


@app.route("/silences/{silence_id}", methods=["GET"], authorizer=api_key)
@web.answers_errors
def get_one_silence(silence_id: str) -> Response:
    services = bootstrap.container()
    silence = get_silence(silence_id, store=services.silences)
    return web.json_response(silence.as_dict(services.clock.now()))


@app.route("/silences/{silence_id}", methods=["DELETE"], authorizer=api_key)
@web.answers_errors
def delete_silence(silence_id: str) -> Response:
    services = bootstrap.container()
    silence = expire_silence(silence_id, store=services.silences, clock=services.clock)
    return web.json_response(silence.as_dict(services.clock.now()))


@app.route("/audit", methods=["GET"], authorizer=api_key)
@web.answers_errors
def get_audit() -> Response:
    services = bootstrap.container()
    page = list_audit(_request().query_params or {}, audit=services.audit,
                      default_limit=services.settings.page_size,
                      max_limit=services.settings.max_page_size)
    return web.json_response({"items": [entry.view() for entry in page.items],
                              "next_cursor": page.next_cursor})


@app.route("/health", methods=["GET"])
@web.answers_errors
def health() -> Response:
    services = bootstrap.container()
    report = check_health({"database": services.reader.ping, "queue": services.events_queue.ping})
    status = "ok" if report.healthy else "degraded"
    return web.json_response({"status": status, "checks": report.checks},
                             200 if report.healthy else 503)


@app.route("/openapi.json", methods=["GET"])
def openapi() -> Response:
    return web.json_response(openapi_document())


@app.route("/docs", methods=["GET"])
def docs() -> Response:
    return docs_page.page_response(_request().context.get("path", ""))


@app.route("/docs/{asset}", methods=["GET"])
@web.answers_errors
def docs_asset(asset: str) -> Response:
    return docs_page.asset_response(asset)


@app.on_sqs_message(queue=EVENTS_QUEUE, batch_size=10, maximum_batching_window_in_seconds=1,
                    name="process_events")
def process_events(event: SQSEvent) -> dict[str, Any]:
    services = bootstrap.container()
    messages = sqs_messages(event.to_dict()["Records"])
    outcome = process_event_messages(
        messages,
        store=services.store,
        clock=services.clock,
        limits=services.settings.limits,
        pipeline=services.pipeline,
        notifier=services.notifier,
    )
    observability.record_processing(outcome)
    return answer_batch(messages, outcome.failed_message_ids, redelivery=services.redelivery,
                        schedule=services.settings.retry_schedule)


@app.on_sqs_message(queue=UPLOADS_QUEUE, batch_size=1, name="fan_out_uploads")
def fan_out(event: SQSEvent) -> dict[str, Any]:
    services = bootstrap.container()
    messages = sqs_messages(event.to_dict()["Records"])
    outcome = fan_out_uploads(messages, services=services.upload_services,
                              settings=services.fan_out_settings)
    return answer_batch(messages, outcome.failed_message_ids, redelivery=services.redelivery,
                        schedule=services.settings.retry_schedule)


@app.on_sqs_message(queue=ROWS_QUEUE, batch_size=4, name="process_rows")
def process_rows(event: SQSEvent) -> dict[str, Any]:
    services = bootstrap.container()
    messages = sqs_messages(event.to_dict()["Records"])
    outcome = process_chunks(messages, services=services.upload_services,
                             settings=services.chunk_settings)
    return answer_batch(messages, outcome.failed_message_ids, redelivery=services.redelivery,
                        schedule=services.settings.retry_schedule)


@app.schedule(Rate(1, unit=Rate.MINUTES), name="tick")
def run_tick(event: CloudWatchEvent) -> dict[str, Any]:
    """What only a clock notices: absences, alerts to resolve or repeat, the outbox to retry."""
    services = bootstrap.container()
    return tick(book=services.rulebook, absence_state=services.absence_state,
                alerts=services.alerts, silences=services.silences, notifier=services.notifier,
                clock=services.clock)


@app.lambda_function(name="migrate")
def migrate(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """One-off, invoked by an operator or the deploy pipeline after a deploy, never by a cold
    start: applies sql/ to head and answers the revision, then (on AWS) creates or updates the
    application's database login the other functions use; running it again changes nothing.
    ``{"create_key": {"name", "role", "sources"}}`` also makes an API key (docs/deploy.md)."""
    services = bootstrap.container()
    try:
        return run_migrate(event or {}, schema=services.schema, keys=services.keys,
                           audit=services.audit, clock=services.clock, book=services.rulebook,
                           app_login=services.app_login)
    except RequestError as error:  # the invoker's mistake: say what, where, in the API's shape
        return {"error": {"code": error.code, "message": error.message,
                          "details": [detail.as_dict() for detail in error.details]}}
