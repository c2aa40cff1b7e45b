"""Pages and their files shipped in ``static/``, served as text with their own headers.

``/docs`` and ``/console`` are each one page and a fixed list of files. A request names an entry
of that list, never a path: nothing outside it can be read, whatever it sends.

Everything served is UTF-8 text. Chalice and API Gateway pass text through as it is, while an
image would need a binary media type and base64 (and API Gateway decodes it only when the
request's ``Accept`` matches); the pages need none, their icons are empty ``data:`` URLs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from chalice.app import Response

from chalicelib.domain.errors import Detail, NotFound

STATIC = Path(__file__).with_name("static")
CSS = "text/css; charset=utf-8"
JAVASCRIPT = "text/javascript; charset=utf-8"
HTML = "text/html; charset=utf-8"
PAGE_CACHE = "no-cache"  # tiny, and it names the assets: an upgrade shows on the next load
ASSET_CACHE = "public, max-age=86400"  # names without a version: a day is the price of an upgrade


@dataclass(frozen=True)
class Asset:
    path: Path
    content_type: str


def page_response(page: Asset, request_path: str, address: str, policy: str) -> Response:
    """The page at ``address`` (``docs``, ``console``); ``request_path`` is the path as the
    browser sent it (API Gateway's stage included). At ``…/docs/``, which API Gateway and Chalice
    route to the page too, every relative link would point one folder too deep, so that address
    is sent back to ``…/docs``."""
    if request_path.endswith("/"):
        return Response(
            body="",
            status_code=308,
            headers={"Location": f"../{address}", "Cache-Control": PAGE_CACHE},
        )
    return file_response(page, PAGE_CACHE, {"Content-Security-Policy": policy})


def asset_response(assets: Mapping[str, Asset], name: str, page: str) -> Response:
    """The named file of ``assets``; ``NotFound`` for any other name."""
    asset = assets.get(name)
    if asset is None:
        raise NotFound(
            f"no {page} asset {name!r}",
            [Detail(f"one of {', '.join(assets)}", field="asset", value=name)],
        )
    return file_response(asset, ASSET_CACHE)


def file_response(
    asset: Asset, cache_control: str, extra: Mapping[str, str] | None = None
) -> Response:
    headers: dict[str, str | list[str]] = {
        "Content-Type": asset.content_type,
        "Cache-Control": cache_control,
        "X-Content-Type-Options": "nosniff",
        **(extra or {}),
    }
    return Response(body=_text(asset.path), status_code=200, headers=headers)


@cache
def _text(path: Path) -> str:
    """Read on first use, then kept for the container's life (Swagger UI's bundle is 1.8 MB)."""
    return path.read_text(encoding="utf-8")
