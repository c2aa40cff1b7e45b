"""``/docs`` in a real browser: Debian's Chromium, driven by Playwright, renders Swagger UI from the
app's own HTTP edge and lists every route with its lock, nothing fetched from anywhere else.

The app is served in-process by ``serve_app`` (what ``tripline local`` serves it with), on a free
port. The browser reaches it as it reaches API Gateway, under a stage prefix: requests for
``/api/…`` are passed to the server without the prefix, and any other request, to any host, is
refused and recorded, so a root-relative link or a CDN would show up as a failure.
``scripts/ensure-chromium`` (run by ``make test``) installs the browser; Playwright's own browser
download is not used (it needs a host this machine cannot reach).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import app
from tripline.local.http_server import RunningServer, serve_app

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PREFIX = "/api"
RENDER_MS = 20_000


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    running = serve_app(app.app, REPO, "127.0.0.1", 0)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which runs scripts/ensure-chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class StagedPage:
    """A page whose requests under ``prefix`` reach the server as API Gateway passes them on,
    with the console's errors and every refused request kept for the assertions."""

    def __init__(self, browser: Any, server: RunningServer | str, prefix: str = PREFIX) -> None:
        """``server`` is the in-process server, or the origin of one (``tripline local``'s)."""
        if isinstance(server, str):
            self.origin = server
        else:
            host, port = server.server.server.server_address[:2]
            self.origin = f"http://{host}:{port}"
        self.prefix = prefix
        self.errors: list[str] = []
        self.refused: list[str] = []
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        self.page.route("**/*", self._pass_on)

    def close(self) -> None:
        """Close the page, letting go of requests still being passed on: a fetch answered after
        the page is gone must not fail the next test's page."""
        self.page.unroute_all(behavior="ignoreErrors")
        self.page.close()

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def _pass_on(self, route: Any) -> None:
        url = route.request.url
        if not url.startswith(f"{self.origin}{self.prefix}/"):
            self.refused.append(url)
            route.abort()
            return
        upstream = self.origin + url[len(self.origin) + len(self.prefix) :]
        route.fulfill(response=route.fetch(url=upstream, max_redirects=0))


@pytest.fixture
def staged(browser: Any, server: RunningServer) -> Iterator[StagedPage]:
    page = StagedPage(browser, server)
    yield page
    page.close()


def listed_operations(staged: StagedPage) -> dict[tuple[str, str], bool]:
    """Each operation Swagger UI shows, ``(path, METHOD)``, and whether it shows a lock."""
    found: list[list[Any]] = staged.page.eval_on_selector_all(
        ".opblock",
        """blocks => blocks.map(
        block => [block.querySelector(".opblock-summary-path").getAttribute("data-path"),
                  block.querySelector(".opblock-summary-method").textContent,
                  block.querySelector(".authorization__btn") !== null])""",
    )
    return {(path, method.upper()): locked for path, method, locked in found}


def test_swagger_ui_lists_every_route_with_its_lock_from_the_package_alone(
    staged: StagedPage, tmp_path: Path
) -> None:
    # GIVEN the app's routes, and whether each takes a key
    routes = {
        (path, method): entry.authorizer is not None
        for path, entries in app.app.routes.items()
        for method, entry in entries.items()
    }
    # WHEN a browser opens /docs under the stage prefix, and Swagger UI has drawn the operations
    staged.page.goto(f"{staged.origin}{PREFIX}/docs")
    # (a locator wait, not a JavaScript predicate: the page's policy forbids eval, and newer
    # Chromium applies it to Playwright's string predicates too)
    staged.page.locator(".opblock").nth(len(routes) - 1).wait_for(timeout=RENDER_MS)
    staged.page.screenshot(path=tmp_path / "docs.png", full_page=True)
    audit = staged.page.locator("#operations-default-getAudit")
    audit.locator(".opblock-summary-control").click()
    roles = audit.locator(".opblock-description-wrapper").inner_text(timeout=RENDER_MS)
    # THEN every route is listed, locked exactly when it takes a key
    assert listed_operations(staged) == routes
    # AND an operation, opened, says which roles reach it
    assert "Roles: admin." in roles
    assert staged.page.locator(".info .title").inner_text().startswith("Tripline")
    # AND nothing was asked of another host or outside the prefix, and the console has no error
    # (a Content-Security-Policy violation would be one)
    assert staged.refused == []
    assert staged.errors == []


def test_try_it_out_calls_the_api_under_the_stage_prefix(staged: StagedPage) -> None:
    # GIVEN the page, with the operation that returns this document opened
    staged.page.goto(f"{staged.origin}{PREFIX}/docs#/default/getOpenApi")
    operation = staged.page.locator("#operations-default-getOpenApi")
    operation.locator(".try-out__btn").click(timeout=RENDER_MS)
    # WHEN it is executed
    with staged.page.expect_response(
        lambda answer: (
            answer.url.endswith("/openapi.json") and answer.request.resource_type == "fetch"
        )
    ) as called:
        operation.locator(".execute").click()
    # THEN the request went to the API beside the page, prefix kept, and succeeded
    assert called.value.url == f"{staged.origin}{PREFIX}/openapi.json"
    status = operation.locator(".live-responses-table tr.response .response-col_status")
    assert status.inner_text(timeout=RENDER_MS).strip() == "200"
    assert (staged.refused, staged.errors) == ([], [])


def test_the_address_with_a_trailing_slash_ends_on_the_rendered_page(
    browser: Any, server: RunningServer
) -> None:
    # GIVEN a page on the server itself (Playwright routes only the first request of a redirect,
    # so the prefix cannot be laid over this one; the unit tests resolve it under a prefix)
    unprefixed = StagedPage(browser, server, prefix="")
    # WHEN it opens /docs/
    unprefixed.page.goto(f"{unprefixed.origin}/docs/")
    # THEN it lands on /docs, rendered
    unprefixed.page.wait_for_selector(".opblock", timeout=RENDER_MS)
    assert unprefixed.page.url == f"{unprefixed.origin}/docs"
    assert (unprefixed.refused, unprefixed.errors) == ([], [])
    unprefixed.close()
