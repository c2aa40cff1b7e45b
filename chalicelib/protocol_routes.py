"""The routes that speak other tools' protocols, so an integrator points an existing client at
Tripline by changing a URL and a key: Segment's tracking API (``/v1/*``) and PagerDuty's Events
API v2 (``/v2/enqueue``). CloudEvents arrive on ``POST /events`` itself, told apart by their media
type and ``ce-*`` headers (``app.py``).

Each protocol answers in its own documented shape (Segment's ``{"success": true}``, PagerDuty's
``{"status": "success", ...}``), while what arrives goes through Tripline's intake or alert
lifecycle like everything else. A blueprint, like ``reporting_routes``, so ``app.py`` keeps to
its one screen.
"""

from __future__ import annotations

from chalice.app import Blueprint, ChaliceAuthorizer, Response

from chalicelib import pagerduty_edge, segment_edge, web
from chalicelib.use_cases import use_cases

ANY = ["*/*"]  # any media type reaches the route: each protocol refuses a wrong one in its shape


def blueprint(authorizer: ChaliceAuthorizer, incoming: web.RequestReader) -> Blueprint:
    """The routes, each taking a key through ``authorizer`` (PagerDuty's carries its key in the
    body, as ``routing_key``) and reading through ``incoming``."""
    routes = Blueprint(__name__)

    # -- Segment's tracking API: the write key (HTTP Basic user) is an ingest key of one source --

    def segment_calls(call_type: str | None) -> Response:
        body = incoming.body(encodings=segment_edge.ENCODINGS)
        result = use_cases().accept_segment_calls(body, call_type, incoming.caller())
        return segment_edge.answer(result)

    @routes.route("/v1/batch", methods=["POST"], content_types=ANY, authorizer=authorizer)
    @segment_edge.answers_in_segment_shape
    def post_segment_batch() -> Response:
        return segment_calls(None)

    @routes.route("/v1/track", methods=["POST"], content_types=ANY, authorizer=authorizer)
    @segment_edge.answers_in_segment_shape
    def post_segment_track() -> Response:
        return segment_calls("track")

    @routes.route("/v1/identify", methods=["POST"], content_types=ANY, authorizer=authorizer)
    @segment_edge.answers_in_segment_shape
    def post_segment_identify() -> Response:
        return segment_calls("identify")

    @routes.route("/v1/page", methods=["POST"], content_types=ANY, authorizer=authorizer)
    @segment_edge.answers_in_segment_shape
    def post_segment_page() -> Response:
        return segment_calls("page")

    @routes.route("/v1/screen", methods=["POST"], content_types=ANY, authorizer=authorizer)
    @segment_edge.answers_in_segment_shape
    def post_segment_screen() -> Response:
        return segment_calls("screen")

    @routes.route("/v1/group", methods=["POST"], content_types=ANY, authorizer=authorizer)
    @segment_edge.answers_in_segment_shape
    def post_segment_group() -> Response:
        return segment_calls("group")

    @routes.route("/v1/alias", methods=["POST"], content_types=ANY, authorizer=authorizer)
    @segment_edge.answers_in_segment_shape
    def post_segment_alias() -> Response:
        return segment_calls("alias")

    # No authorizer: PagerDuty's clients send no Authorization header; the use case checks the
    # body's routing_key, and every answer, refusals too, is in PagerDuty's shape.
    @routes.route("/v2/enqueue", methods=["POST"], content_types=ANY)
    @pagerduty_edge.answers_in_pagerduty_shape
    def post_pagerduty_event() -> Response:
        return web.json_response(use_cases().enqueue_pagerduty_event(incoming.body()), 202)

    return routes
