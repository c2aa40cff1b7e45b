"""The operations side's routes: pipeline incidents, known errors, replays and metrics.

A Chalice blueprint, registered by ``blueprints.register`` with the app's own authorizer and
request reader, as ``reporting_routes`` is: each route parses, calls one use case, and answers.
"""

from __future__ import annotations

from chalice.app import Blueprint, ChaliceAuthorizer, Response

from chalicelib import web
from chalicelib.use_cases import use_cases

ANY = ["*/*"]  # any media type reaches the route: web.read_json_body refuses it in the API's shape


def blueprint(authorizer: ChaliceAuthorizer, incoming: web.RequestReader) -> Blueprint:
    """The routes, each taking a key through ``authorizer`` and reading through ``incoming``."""
    routes = Blueprint(__name__)

    # -- pipeline incidents: a failed upload imported again (202: the fan-out imports it) ------

    @routes.route(
        "/uploads/{upload_id}/retry", methods=["POST"], content_types=ANY, authorizer=authorizer
    )
    @web.answers_errors
    def post_upload_retry(upload_id: str) -> Response:
        upload = use_cases().retry_upload(upload_id, incoming.caller())
        return web.json_response(upload, 202, {"Location": f"/uploads/{upload['upload_id']}"})

    # -- known errors: rules/known-errors.yaml, each with its matches and remedies' outcomes ----

    @routes.route("/known-errors", methods=["GET"], authorizer=authorizer)
    @web.answers_errors
    def get_known_errors() -> Response:
        return web.json_response(use_cases().list_known_errors())

    # -- replays: POST answers 202 at once; the job runs in chunks on the replays queue ---------

    @routes.route("/replays", methods=["POST"], content_types=ANY, authorizer=authorizer)
    @web.answers_errors
    def post_replays() -> Response:
        replay = use_cases().request_replay(incoming.body(), incoming.caller())
        return web.json_response(replay, 202, {"Location": replay["links"]["self"]})

    @routes.route("/replays", methods=["GET"], authorizer=authorizer)
    @web.answers_errors
    def get_replays() -> Response:
        return web.json_response(use_cases().list_replays(incoming.query()))

    @routes.route("/replays/{replay_id}", methods=["GET"], authorizer=authorizer)
    @web.answers_errors
    def get_replay(replay_id: str) -> Response:
        return web.json_response(use_cases().describe_replay(replay_id))

    @routes.route(
        "/replays/{replay_id}/cancel", methods=["POST"], content_types=ANY, authorizer=authorizer
    )
    @web.answers_errors
    def post_replay_cancel(replay_id: str) -> Response:
        return web.json_response(use_cases().cancel_replay(replay_id, incoming.caller()))

    # -- metrics, and the audit log (moved from app.py to keep it one screen) ------------------

    @routes.route("/metrics", methods=["GET"], authorizer=authorizer)
    @web.answers_errors
    def get_metrics() -> Response:
        body, media_type = use_cases().scrape_metrics()
        return Response(body=body, status_code=200, headers={"Content-Type": media_type})

    # -- rejected items: every item refused on its way in, with its errors (Segment's calls too) --

    @routes.route("/rejections", methods=["GET"], authorizer=authorizer)
    @web.answers_errors
    def get_rejections() -> Response:
        return web.json_response(use_cases().list_rejections(incoming.query(), incoming.caller()))

    @routes.route("/audit", methods=["GET"], authorizer=authorizer)
    @web.answers_errors
    def get_audit() -> Response:
        return web.json_response(use_cases().list_audit(incoming.query()))

    return routes
