"""``GET /console``: the operators' web page, and ``GET /me``, which tells it who the key is.

The page and its ES modules are our own files in ``static/console/`` (no build step, no
third-party code: charts are SVG drawn by ``chart.js``), served as ``static_files`` serves every
page's. The page needs no key; the API key is typed into it and kept in the tab's
``sessionStorage``, and every figure it shows comes from the API with that key, so the console
can do nothing the key could not do with curl. ``/me`` says which routes the key's role reaches,
so the page offers only those actions.

Its policy allows no inline script or style and no other origin but the bucket's (where the
Uploads page sends a file, through the presigned POST the API grants): every value from the API
is inserted as text, and even a value that slipped through as markup could not run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from chalice.app import Blueprint, ChaliceAuthorizer, Response

from chalicelib import static_files, web
from chalicelib.static_files import CSS, HTML, JAVASCRIPT, STATIC, Asset
from chalicelib.use_cases import use_cases

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
ORIGIN = re.compile(r"https?://[A-Za-z0-9.:\[\]-]+")  # nothing a policy would read as syntax
FOLDER = STATIC / "console"
PAGE = Asset(FOLDER / "index.html", HTML)
ASSETS: Mapping[str, Asset] = {
    "console.css": Asset(FOLDER / "console.css", CSS),
    **{
        name: Asset(FOLDER / name, JAVASCRIPT)
        for name in (
            *("console.js", "api.js", "dom.js", "chart.js"),
            *("overview.js", "alerts.js", "uploads.js", "rules.js", "silences.js", "audit.js"),
            "integrations.js",
        )
    },
}


def content_security_policy(upload_origin: str | None) -> str:
    """The policy, letting the page connect to the one origin presigned POSTs go to as well (the
    Uploads page sends files to the bucket itself); without one, to this origin only."""
    if upload_origin is None or not ORIGIN.fullmatch(upload_origin):
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace(
        "connect-src 'self';", f"connect-src 'self' {upload_origin};"
    )


def blueprint(authorizer: ChaliceAuthorizer, incoming: web.RequestReader) -> Blueprint:
    """``/console`` and its files (no key), and ``/me`` (any key, through ``authorizer``)."""
    routes = Blueprint(__name__)

    @routes.route("/console", methods=["GET"])
    def console() -> Response:
        request_path = incoming.request().context.get("path", "")
        policy = content_security_policy(use_cases().upload_origin())
        return static_files.page_response(PAGE, request_path, "console", policy)

    @routes.route("/console/{asset}", methods=["GET"])
    @web.answers_errors
    def console_asset(asset: str) -> Response:
        return static_files.asset_response(ASSETS, asset, "console")

    @routes.route("/me", methods=["GET"], authorizer=authorizer)
    @web.answers_errors
    def get_me() -> Response:
        return web.json_response(use_cases().describe_caller(incoming.caller()))

    return routes
