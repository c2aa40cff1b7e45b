"""The app served over HTTP on localhost, for the integrators' own clients (Segment's, PagerDuty's,
a CloudEvents SDK's request): they speak HTTP, not Chalice's test client. It is the same app, on
the same moto and test database as ``client``, through ``chalice.local``'s gateway as the local
runtime serves it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def served_api(app_env: dict[str, Any]) -> Iterator[str]:
    """The API's base URL (``http://127.0.0.1:<port>``), served until the test ends."""
    import app
    from tripline.local.http_server import serve_app

    running = serve_app(app.app, ROOT, "127.0.0.1", 0)
    port = running.server.server.server_address[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        running.stop()
