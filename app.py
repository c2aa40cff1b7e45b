"""Tripline's Chalice app: every route and trigger, each a parse, one bound use case, an answer.

The use cases are bound in ``chalicelib.use_cases`` to the collaborators ``chalicelib.bootstrap``
builds on first use: nothing is built at import, since Chalice imports this module to package it.
"""

from __future__ import annotations

from typing import Any

from chalice.app import (
    AuthRequest,
    AuthResponse,
    Chalice,
    CloudWatchEvent,
    Rate,
    Response,
    SQSEvent,
)

from chalicelib import access_edge, blueprints, bootstrap, observability, topology, web
from chalicelib.topology import EVENTS_QUEUE, REPORTS_QUEUE, ROWS_QUEUE, UPLOADS_QUEUE
from chalicelib.triggers import sqs_messages
from chalicelib.use_cases import use_cases

app = Chalice(app_name="tripline", configure_logs=False)  # observability owns the "tripline" logger
incoming = web.RequestReader(app, lambda: bootstrap.container().settings.max_body_bytes)
ANY = ["*/*"]  # any media type reaches the route: web.read_json_body refuses it in the API's shape

app.register_middleware(observability.observe, "all")
app.register_middleware(web.decode_path_parameters, "http")  # before audit reads them
app.register_middleware(access_edge.AuditTrail(use_cases), "http")


@app.authorizer(ttl_seconds=access_edge.AUTH_CACHE_SECONDS)
def api_key(auth_request: AuthRequest) -> AuthResponse:
    """Every route but /health, /openapi.json, /docs and /console (``access_edge.authorize``)."""
    return access_edge.authorize(auth_request.token, use_cases)


blueprints.register(app, api_key, incoming)  # /docs, /console, /me, /kpis, /reports, /digests


@app.route("/events", methods=["POST"], content_types=ANY, authorizer=api_key)
@web.answers_errors
def post_events() -> Response:
    return web.intake_response(use_cases().accept_events(incoming.events(), incoming.caller()))


@app.route("/events", methods=["GET"], authorizer=api_key)
@web.answers_errors
def get_events() -> Response:
    return web.json_response(use_cases().list_events(incoming.query()))


@app.route("/events/{source}/{event_id}", methods=["GET"], authorizer=api_key)
@web.answers_errors
def get_one_event(source: str, event_id: str) -> Response:
    return web.json_response(use_cases().get_event(source, event_id, incoming.caller()))


@app.route("/uploads", methods=["POST"], content_types=ANY, authorizer=api_key)
@web.answers_errors
def post_uploads() -> Response:
    grant = use_cases().grant_upload(incoming.body(), incoming.caller())
    return web.created(grant, grant["links"]["self"])


@app.route("/uploads", methods=["GET"], authorizer=api_key)
@web.answers_errors
def get_uploads() -> Response:
    return web.json_response(use_cases().list_uploads(incoming.query()))


@app.route("/uploads/{upload_id}", methods=["GET"], authorizer=api_key)
@web.answers_errors
def get_upload(upload_id: str) -> Response:
    return web.json_response(use_cases().describe_upload(upload_id, incoming.caller()))


@app.route("/rules", methods=["GET"], authorizer=api_key)
@web.answers_errors
def get_rules() -> Response:
    return web.json_response(use_cases().list_rules())


@app.route("/rules/test", methods=["POST"], content_types=ANY, authorizer=api_key)
@web.answers_errors
def post_rules_test() -> Response:
    return web.json_response(use_cases().dry_run_rule(incoming.body()))


@app.route("/alerts", methods=["GET"], authorizer=api_key)
@web.answers_errors
def get_alerts() -> Response:
    return web.json_response(use_cases().list_alerts(incoming.query()))


@app.route("/alerts/{alert_id}", methods=["GET"], authorizer=api_key)
@web.answers_errors
def get_alert(alert_id: str) -> Response:
    return web.json_response(use_cases().describe_alert(alert_id))


@app.route("/alerts/{alert_id}/ack", methods=["POST"], content_types=ANY, authorizer=api_key)
@web.answers_errors
def post_alert_ack(alert_id: str) -> Response:
    answer = use_cases().acknowledge_alert(alert_id, incoming.body(), incoming.caller())
    return web.json_response(answer)


@app.route("/alerts/{alert_id}/resolve", methods=["POST"], content_types=ANY, authorizer=api_key)
@web.answers_errors
def post_alert_resolve(alert_id: str) -> Response:
    answer = use_cases().resolve_alert(alert_id, incoming.body(), incoming.caller())
    return web.json_response(answer)


@app.route("/silences", methods=["POST"], content_types=ANY, authorizer=api_key)
@web.answers_errors
def post_silences() -> Response:
    silence = use_cases().create_silence(incoming.body())
    return web.created(silence, f"/silences/{silence['id']}")


@app.route("/silences", methods=["GET"], authorizer=api_key)
@web.answers_errors
def get_silences() -> Response:
    return web.json_response(use_cases().list_silences(incoming.query()))


@app.route("/silences/{silence_id}", methods=["GET"], authorizer=api_key)
@web.answers_errors
def get_one_silence(silence_id: str) -> Response:
    return web.json_response(use_cases().get_silence(silence_id))


@app.route("/silences/{silence_id}", methods=["DELETE"], authorizer=api_key)
@web.answers_errors
def delete_silence(silence_id: str) -> Response:
    return web.json_response(use_cases().expire_silence(silence_id))


@app.route("/health", methods=["GET"])
@web.answers_errors
def health() -> Response:
    return web.health_response(use_cases().check_health())


@app.on_sqs_message(
    queue=EVENTS_QUEUE, batch_size=10, maximum_batching_window_in_seconds=1, name="process_events"
)
def process_events(event: SQSEvent) -> dict[str, Any]:
    return use_cases().process_events(sqs_messages(event.to_dict()["Records"]))


@app.on_sqs_message(queue=UPLOADS_QUEUE, batch_size=1, name="fan_out_uploads")
def fan_out(event: SQSEvent) -> dict[str, Any]:
    return use_cases().fan_out_uploads(sqs_messages(event.to_dict()["Records"]))


@app.on_sqs_message(queue=ROWS_QUEUE, batch_size=4, name="process_rows")
def process_rows(event: SQSEvent) -> dict[str, Any]:
    return use_cases().process_rows(sqs_messages(event.to_dict()["Records"]))


@app.on_sqs_message(queue=REPORTS_QUEUE, batch_size=1, name="generate_reports")
def generate_reports(event: SQSEvent) -> dict[str, Any]:
    return use_cases().generate_reports(sqs_messages(event.to_dict()["Records"]))


@app.on_sqs_message(queue=topology.REPLAYS_QUEUE, batch_size=1, name="run_replays")
def run_replays(event: SQSEvent) -> dict[str, Any]:
    return use_cases().run_replays(sqs_messages(event.to_dict()["Records"]))


@app.schedule(Rate(1, unit=Rate.MINUTES), name="tick")
def run_tick(event: CloudWatchEvent) -> dict[str, Any]:
    """What only a clock notices: absences, alerts to resolve or repeat, the outbox to retry."""
    return use_cases().tick()


@app.schedule(Rate(1, unit=Rate.HOURS), name="send_digest")
def send_digest(event: CloudWatchEvent) -> dict[str, Any]:
    """Last week's digest, once, from Monday 07:00 in the digest's time zone (services.digests)."""
    return use_cases().send_digest(None)


@app.schedule(Rate(1, unit=Rate.HOURS), name="purge")
def purge(event: CloudWatchEvent) -> dict[str, Any]:
    return use_cases().purge_expired()  # rows past retention, in short batches; then EMF


@app.lambda_function(name="migrate")
@web.answers_request_errors
def migrate(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """One-off, after a deploy, never at a cold start; a bad invocation gets the API's errors."""
    return use_cases().migrate(event or {})
