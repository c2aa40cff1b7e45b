"""The API's own documentation as integrators meet it: ``GET /openapi.json`` is a valid OpenAPI 3.0
document that says which routes take a key and which roles reach them, and ``GET /docs`` serves
Swagger UI from the package with relative links, so it works under API Gateway's stage prefix.

None of these routes touches the database or AWS, so the test client here is the bare one: a
request that needed the container would fail for want of its settings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import pytest
from chalice.test import Client
from openapi_spec_validator import OpenAPIV30SpecValidator

import app
from chalicelib import docs_page
from chalicelib.domain.access import ROUTES_BY_ROLE

STAGE = "https://abc123.execute-api.eu-west-1.amazonaws.com/api/"
PUBLIC = {("/health", "GET"), ("/openapi.json", "GET"), ("/docs", "GET"), ("/docs/{asset}", "GET")}
PUBLIC |= {("/console", "GET"), ("/console/{asset}", "GET")}
# PagerDuty's Events API: its clients send no Authorization header, the key is in the body
BODY_KEYED = {("/v2/enqueue", "POST")}
PUBLIC |= BODY_KEYED


@pytest.fixture(scope="module")
def public_client() -> Iterator[Any]:
    """The Chalice test client, sending no key."""
    with Client(app.app, stage_name="local") as client:
        yield client


def served_document(client: Any) -> dict[str, Any]:
    answer = client.http.get("/openapi.json")
    assert answer.status_code == 200
    document: dict[str, Any] = json.loads(answer.body)
    return document


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (path, method.upper()): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


class Links(HTMLParser):
    """Every ``src`` and ``href`` of a page, and the text of its scripts."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts: list[str] = []
        self._in_script = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls.extend(value for name, value in attrs if name in ("src", "href") and value)
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts.append(data)


def test_the_served_document_passes_the_openapi_3_0_validator(public_client: Any) -> None:
    # GIVEN the document as the app serves it
    document = served_document(public_client)
    # WHEN the OpenAPI 3.0 specification validator reads it
    errors = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message[:200]}"
        for error in OpenAPIV30SpecValidator(document).iter_errors()
    ]
    # THEN it finds nothing (no 3.1-only keyword such as `const` in a 3.0.3 document)
    assert document["openapi"].startswith("3.0.")
    assert errors == []


def test_an_operation_takes_a_key_exactly_when_its_route_has_the_authorizer(
    public_client: Any,
) -> None:
    # GIVEN the document and the routes Chalice registered, with their authorizers
    document = served_document(public_client)
    documented = operations(document)
    for path, entries in app.app.routes.items():
        for method, entry in entries.items():
            # THEN a guarded route's operation asks for the bearer key, any other one for nothing;
            # Segment's routes take the same key as their clients send it too, as the Basic user
            wanted = [{"apiKey": []}] if entry.authorizer is not None else []
            if path.startswith("/v1/"):
                wanted.append({"segmentWriteKey": []})
            assert documented[(path, method)].get("security") == wanted, (method, path)
    # AND the key is the bearer scheme that Swagger UI's "Authorize" fills in
    scheme = document["components"]["securitySchemes"]["apiKey"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    guarded = {
        (path, method)
        for path, entries in app.app.routes.items()
        for method, entry in entries.items()
        if entry.authorizer is not None
    }
    assert {route for route in documented if route not in guarded} == PUBLIC


def test_each_keyed_operation_names_the_roles_the_authorizer_lets_through(
    public_client: Any,
) -> None:
    # GIVEN the served document
    documented = operations(served_document(public_client))
    # THEN each keyed operation names, in x-roles and its description, the roles that reach it
    assert documented[("/audit", "GET")]["x-roles"] == ["admin"]
    assert documented[("/events", "POST")]["x-roles"] == ["ingest", "operator", "admin"]
    assert documented[("/events", "GET")]["description"].endswith("Roles: operator, admin.")
    for route, operation in documented.items():
        if route in PUBLIC:
            assert "x-roles" not in operation
            ending = "the body's routing_key." if route in BODY_KEYED else "No API key needed."
            assert operation["description"].endswith(ending), route
            continue
        path, method = route
        reaching = [
            role
            for role, routes in ROUTES_BY_ROLE.items()
            if any(path == one and method in methods for one, methods in routes)
        ]
        assert operation["x-roles"] == reaching, route
        assert reaching, f"no role reaches {method} {path}"


def test_the_docs_page_needs_no_key_runs_no_inline_script_and_is_not_cached(
    public_client: Any,
) -> None:
    # WHEN the page is asked for without a key
    answer = public_client.http.get("/docs")
    # THEN it is HTML, revalidated on every load, that may load scripts from its own origin only
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert answer.headers["Cache-Control"] == "no-cache"
    policy = answer.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src" not in policy and "unsafe-eval" not in policy
    # AND every script is a file: none is written into the page
    page = Links(answer.body.decode())
    assert page.inline_scripts == []
    assert '<div id="swagger-ui">' in answer.body.decode()


def test_every_link_of_the_page_resolves_under_api_gateways_stage_prefix(
    public_client: Any,
) -> None:
    # GIVEN the page as served at https://<api>/api/docs, and its start-up script
    page = Links(public_client.http.get("/docs").body.decode())
    script = public_client.http.get("/docs/docs.js").body.decode()
    page_url = urljoin(STAGE, "docs")
    # WHEN its links, the document's URL and the document's server are resolved as a browser does
    links = [urljoin(page_url, url) for url in page.urls if not url.startswith("data:")]
    (document_link,) = re.findall(r'new URL\("([^"]+)", document\.baseURI\)', script)
    document_url = urljoin(page_url, document_link)
    server = urljoin(document_url, served_document(public_client)["servers"][0]["url"])
    # THEN each is one of the page's assets, the document and the API, all under the prefix
    assert sorted(links) == sorted(
        urljoin(STAGE, f"docs/{name}")
        for name in docs_page.ASSETS
        if name.endswith(".css") or name.endswith(".js")
    )
    assert document_url == urljoin(STAGE, "openapi.json")
    assert server == STAGE


def test_the_page_with_a_trailing_slash_sends_the_browser_to_the_one_without(
    public_client: Any,
) -> None:
    answer = public_client.http.get("/docs/")
    assert answer.status_code == 308
    assert urljoin(urljoin(STAGE, "docs/"), answer.headers["Location"]) == urljoin(STAGE, "docs")


@pytest.mark.parametrize("name", sorted(docs_page.ASSETS))
def test_each_asset_is_served_as_utf8_text_with_its_type_and_a_day_of_caching(
    public_client: Any, name: str
) -> None:
    # WHEN a file the page loads is asked for without a key
    answer = public_client.http.get(f"/docs/{name}")
    # THEN it is the shipped file, as text of its type, cacheable for a day
    asset = docs_page.ASSETS[name]
    assert answer.status_code == 200
    assert answer.body == asset.path.read_bytes()
    assert answer.headers["Content-Type"] == asset.content_type
    assert answer.headers["Content-Type"].split(";")[0] in ("text/css", "text/javascript")
    assert answer.headers["Cache-Control"] == "public, max-age=86400"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "name",
    [
        "index.html",
        "LICENSE",
        "README.md",
        "swagger-ui-bundle.js.LICENSE.txt",
        "favicon-32x32.png",
        "..%2F..%2Fapp.py",
        "%2Fetc%2Fpasswd",
        "swagger-ui.css%00",
        "SWAGGER-UI.CSS",
    ],
)
def test_any_other_name_is_404_even_when_a_file_of_that_name_ships(
    public_client: Any, name: str
) -> None:
    # WHEN something outside the allow-list is asked for (a shipped file, a path, a trick)
    answer = public_client.http.get(f"/docs/{name}")
    # THEN it is the API's usual 404
    assert answer.status_code == 404
    assert json.loads(answer.body)["error"]["code"] == "not_found"


def test_the_documented_asset_names_are_the_allow_list(public_client: Any) -> None:
    (parameter,) = served_document(public_client)["paths"]["/docs/{asset}"]["get"]["parameters"]
    assert parameter["schema"]["enum"] == list(docs_page.ASSETS)
