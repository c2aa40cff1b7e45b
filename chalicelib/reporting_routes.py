"""The reading side's routes: KPIs, asynchronous reports and the weekly digests.

A Chalice blueprint, registered by ``app.py`` with the app's own authorizer and request reader,
so each route stays what every route is (parse, one use case, answer) while ``app.py`` keeps to
its one screen. The reports' and digest's triggers stay in ``app.py``: Chalice names a trigger's
handler by the module that defines it.
"""

from __future__ import annotations

from chalice.app import Blueprint, ChaliceAuthorizer, Response

from chalicelib import web
from chalicelib.use_cases import use_cases

ANY = ["*/*"]  # any media type reaches the route: web.read_json_body refuses it in the API's shape


def blueprint(authorizer: ChaliceAuthorizer, incoming: web.RequestReader) -> Blueprint:
    """The routes, each taking a key through ``authorizer`` and reading through ``incoming``."""
    routes = Blueprint(__name__)

    @routes.route("/kpis", methods=["GET"], authorizer=authorizer)
    @web.answers_errors
    def get_kpis() -> Response:
        return web.json_response(use_cases().read_kpis(incoming.query(), incoming.caller()))

    @routes.route("/reports", methods=["POST"], content_types=ANY, authorizer=authorizer)
    @web.answers_errors
    def post_reports() -> Response:
        report = use_cases().request_report(incoming.body(), incoming.caller())
        return web.json_response(report, 202, {"Location": report["links"]["self"]})

    @routes.route("/reports", methods=["GET"], authorizer=authorizer)
    @web.answers_errors
    def get_reports() -> Response:
        return web.json_response(use_cases().list_reports(incoming.query(), incoming.caller()))

    @routes.route("/reports/{report_id}", methods=["GET"], authorizer=authorizer)
    @web.answers_errors
    def get_report(report_id: str) -> Response:
        return web.json_response(use_cases().describe_report(report_id, incoming.caller()))

    @routes.route("/digests", methods=["GET"], authorizer=authorizer)
    @web.answers_errors
    def get_digests() -> Response:
        return web.json_response(use_cases().list_digests(incoming.query()))

    @routes.route("/digests/latest", methods=["GET"], authorizer=authorizer)
    @web.answers_errors
    def get_latest_digest() -> Response:
        return web.json_response(use_cases().latest_digest())

    return routes
