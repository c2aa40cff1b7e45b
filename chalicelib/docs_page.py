"""``GET /docs``: Swagger UI over ``/openapi.json``, from files shipped in the package.

The local runtime has no internet and an integrator's browser should not fetch our docs' code from
a third party, so Swagger UI is vendored in ``static/swagger-ui/`` (its README says the version and
where it came from) and our own page and start-up script sit in ``static/docs/``, served as
``static_files`` serves every page's files.
"""

from __future__ import annotations

from collections.abc import Mapping

from chalice.app import Blueprint, Response

from chalicelib import static_files, web
from chalicelib.apidoc import openapi_document
from chalicelib.static_files import CSS, HTML, JAVASCRIPT, STATIC, Asset

# Swagger UI draws its icons as data: images, and some of its views set inline styles (the
# ones the browser test drives need none, but it drives few); everything else is ours.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
PAGE = Asset(STATIC / "docs" / "index.html", HTML)
ASSETS: Mapping[str, Asset] = {
    "swagger-ui.css": Asset(STATIC / "swagger-ui" / "swagger-ui.css", CSS),
    "swagger-ui-bundle.js": Asset(STATIC / "swagger-ui" / "swagger-ui-bundle.js", JAVASCRIPT),
    "docs.js": Asset(STATIC / "docs" / "docs.js", JAVASCRIPT),
}


def page_response(request_path: str) -> Response:
    """The page (``static_files.page_response``)."""
    return static_files.page_response(PAGE, request_path, "docs", CONTENT_SECURITY_POLICY)


def asset_response(name: str) -> Response:
    """The named file; ``NotFound`` for any name not in ``ASSETS``."""
    return static_files.asset_response(ASSETS, name, "docs")


def blueprint(incoming: web.RequestReader) -> Blueprint:
    """``/openapi.json``, ``/docs`` and its assets: the routes that need no key."""
    routes = Blueprint(__name__)

    @routes.route("/openapi.json", methods=["GET"])
    def openapi() -> Response:
        return web.json_response(openapi_document())

    @routes.route("/docs", methods=["GET"])
    def docs() -> Response:
        return page_response(incoming.request().context.get("path", ""))

    @routes.route("/docs/{asset}", methods=["GET"])
    @web.answers_errors
    def docs_asset(asset: str) -> Response:
        return asset_response(asset)

    return routes
