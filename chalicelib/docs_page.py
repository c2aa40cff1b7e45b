"""``GET /docs``: Swagger UI over ``/openapi.json``, from files shipped in the package.

The local runtime has no internet and an integrator's browser should not fetch our docs' code from
a third party, so Swagger UI is vendored in ``static/swagger-ui/`` (its README says the version and
where it came from) and our own page and start-up script sit in ``static/docs/``. A request names
an entry of ``ASSETS``, never a path: nothing outside that list can be read, whatever it sends.

Everything served is UTF-8 text. Chalice and API Gateway pass text through as it is, while an
image would need a binary media type and base64 (and API Gateway decodes it only when the
request's ``Accept`` matches); the page needs none, its icon is an empty ``data:`` URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from chalice.app import Blueprint, Response

from chalicelib import web
from chalicelib.apidoc import openapi_document
from chalicelib.domain.errors import Detail, NotFound

STATIC = Path(__file__).with_name("static")
CSS = "text/css; charset=utf-8"
JAVASCRIPT = "text/javascript; charset=utf-8"
HTML = "text/html; charset=utf-8"
# Swagger UI draws its icons as data: images, and some of its views set inline styles (the
# ones the browser test drives need none, but it drives few); everything else is ours.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
PAGE_CACHE = "no-cache"  # tiny, and it names the assets: an upgrade shows on the next load
ASSET_CACHE = "public, max-age=86400"  # names without a version: a day is the price of an upgrade


@dataclass(frozen=True)
class Asset:
    path: Path
    content_type: str


PAGE = Asset(STATIC / "docs" / "index.html", HTML)
ASSETS: Mapping[str, Asset] = {
    "swagger-ui.css": Asset(STATIC / "swagger-ui" / "swagger-ui.css", CSS),
    "swagger-ui-bundle.js": Asset(STATIC / "swagger-ui" / "swagger-ui-bundle.js", JAVASCRIPT),
    "docs.js": Asset(STATIC / "docs" / "docs.js", JAVASCRIPT),
}


def page_response(request_path: str) -> Response:
    """The page; ``request_path`` is the path as the browser sent it (API Gateway's stage
    included). At ``…/docs/``, which API Gateway and Chalice route here too, every relative link
    would point one folder too deep, so that address is sent back to ``…/docs``."""
    if request_path.endswith("/"):
        return Response(
            body="", status_code=308, headers={"Location": "../docs", "Cache-Control": PAGE_CACHE}
        )
    return _response(PAGE, PAGE_CACHE, {"Content-Security-Policy": CONTENT_SECURITY_POLICY})


def asset_response(name: str) -> Response:
    """The named file; ``NotFound`` for any name not in ``ASSETS``."""
    asset = ASSETS.get(name)
    if asset is None:
        raise NotFound(
            f"no docs asset {name!r}",
            [Detail(f"one of {', '.join(ASSETS)}", field="asset", value=name)],
        )
    return _response(asset, ASSET_CACHE)


def _response(asset: Asset, cache_control: str, extra: Mapping[str, str] | None = None) -> Response:
    headers: dict[str, str | list[str]] = {
        "Content-Type": asset.content_type,
        "Cache-Control": cache_control,
        "X-Content-Type-Options": "nosniff",
        **(extra or {}),
    }
    return Response(body=_text(asset.path), status_code=200, headers=headers)


@cache
def _text(path: Path) -> str:
    """Read on first use, then kept for the container's life (the bundle is 1.8 MB)."""
    return path.read_text(encoding="utf-8")


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
