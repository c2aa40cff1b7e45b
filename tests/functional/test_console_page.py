"""``GET /console`` and ``GET /me``: the operators' page is served from the package with a strict
Content-Security-Policy and relative links, so it works under API Gateway's stage prefix; ``/me``
tells any key who it is and which routes its role reaches, as the authorizer grants them."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from chalice.test import Client

import app
from chalicelib import bootstrap, console_page
from chalicelib.domain.access import ROUTES_BY_ROLE
from tests.functional.helpers import JSON
from tests.functional.test_api_docs import STAGE, Links
from tests.functional.uploads import grant

STRICT = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
}


@pytest.fixture(scope="module")
def public_client() -> Iterator[Any]:
    """The Chalice test client, sending no key: the page and its files need none."""
    with Client(app.app, stage_name="local") as client:
        yield client


def policy(header: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


def test_the_page_needs_no_key_and_forbids_inline_script_style_and_other_origins(
    public_client: Any,
) -> None:
    # WHEN the page is asked for without a key
    answer = public_client.http.get("/console")
    # THEN it is HTML revalidated on every load, under a policy that allows this origin only
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert answer.headers["Cache-Control"] == "no-cache"
    directives = policy(answer.headers["Content-Security-Policy"])
    assert STRICT.items() <= directives.items()
    assert "unsafe" not in answer.headers["Content-Security-Policy"]
    # AND it connects to this origin, and at most to the bucket's (the Uploads page's files)
    assert directives["connect-src"].split()[0] == "'self'"
    assert len(directives["connect-src"].split()) <= 2
    # AND the page writes no script or style into itself: every one is a file
    html = answer.body.decode()
    assert Links(html).inline_scripts == []
    assert "<style" not in html and " style=" not in html


def test_every_link_and_import_resolves_under_the_stage_prefix_to_a_served_file(
    public_client: Any,
) -> None:
    # GIVEN the page as served at https://<api>/api/console, and its modules
    page_url = urljoin(STAGE, "console")
    written = [
        url
        for url in Links(public_client.http.get("/console").body.decode()).urls
        if not url.startswith("data:")
    ]
    links = [urljoin(page_url, url) for url in written]
    imports = set()
    for name in console_page.ASSETS:
        text = public_client.http.get(f"/console/{name}").body.decode()
        module_url = urljoin(STAGE, f"console/{name}")
        imports |= {urljoin(module_url, one) for one in re.findall(r'from "([^"]+)"', text)}
        # AND no module sets markup from a string: values go in as text
        assert "innerHTML" not in text and "outerHTML" not in text, name
        assert "insertAdjacentHTML" not in text and "document.write" not in text, name
    # THEN each is one of the console's files under the prefix, and each file is reached
    served = {urljoin(STAGE, f"console/{name}") for name in console_page.ASSETS}
    assert set(links) | imports == served
    # AND the page names them relative to itself: no root-relative path, no other host
    assert written and all(not url.startswith(("/", "http:", "https:")) for url in written)


@pytest.mark.parametrize("name", sorted(console_page.ASSETS))
def test_each_file_is_served_as_utf8_text_of_its_type(public_client: Any, name: str) -> None:
    answer = public_client.http.get(f"/console/{name}")
    asset = console_page.ASSETS[name]
    assert answer.status_code == 200
    assert answer.body == asset.path.read_bytes()
    assert answer.headers["Content-Type"] == asset.content_type
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("name", ["index.html", "..%2F..%2Fapp.py", "CONSOLE.JS", "docs.js"])
def test_any_other_name_is_404(public_client: Any, name: str) -> None:
    answer = public_client.http.get(f"/console/{name}")
    assert answer.status_code == 404
    assert json.loads(answer.body)["error"]["code"] == "not_found"


def test_the_page_with_a_trailing_slash_sends_the_browser_to_the_one_without(
    public_client: Any,
) -> None:
    answer = public_client.http.get("/console/")
    assert answer.status_code == 308
    location = urljoin(urljoin(STAGE, "console/"), answer.headers["Location"])
    assert location == urljoin(STAGE, "console")


def test_the_documented_asset_names_are_the_allow_list(public_client: Any) -> None:
    document = json.loads(public_client.http.get("/openapi.json").body)
    (parameter,) = document["paths"]["/console/{asset}"]["get"]["parameters"]
    assert parameter["schema"]["enum"] == list(console_page.ASSETS)


@pytest.mark.parametrize(
    ("role", "sources"), [("ingest", ("payments",)), ("operator", ()), ("admin", ())]
)
def test_me_tells_each_role_who_it_is_and_the_routes_it_reaches(
    client: Any, make_key: Callable[..., str], role: str, sources: tuple[str, ...]
) -> None:
    # GIVEN a key of the role
    key = make_key(role, sources, name=f"{role}-console")
    # WHEN it asks who it is
    answer = client.http.get("/me", headers=JSON | {"Authorization": f"Bearer {key}"})
    # THEN it is told its id, name, role and sources, and the routes the authorizer grants it
    assert answer.status_code == 200, answer.body
    me = json.loads(answer.body)
    assert me["key_id"] == key.split("_")[1]
    assert (me["name"], me["role"], me["sources"]) == (f"{role}-console", role, list(sources))
    assert me["routes"] == [[path, list(methods)] for path, methods in ROUTES_BY_ROLE[role]]
    # AND exactly the admin's routes include the audit log; only an ingest key lacks the alerts
    paths = {path for path, _ in me["routes"]}
    assert ("/audit" in paths) == (role == "admin")
    assert ("/alerts/{alert_id}/ack" in paths) == (role != "ingest")


def test_me_without_a_known_key_is_401(client: Any) -> None:
    assert client.http.get("/me", headers={"Authorization": None}).status_code == 401
    unknown = {"Authorization": "Bearer tl_0123456789ab_" + "x" * 32}
    assert client.http.get("/me", headers=unknown).status_code == 401


def connect_sources(client: Any) -> list[str]:
    answer = client.http.get("/console", headers={"Authorization": None})
    assert answer.status_code == 200
    return policy(answer.headers["Content-Security-Policy"])["connect-src"].split()


def test_the_page_may_connect_to_the_origin_granted_uploads_are_posted_to(client: Any) -> None:
    # GIVEN the form a grant answers with, signed by the app's bucket (moto, AWS's addresses)
    form = json.loads(grant(client).body)["upload"]
    parts = urlsplit(form["url"])
    # WHEN the console page is asked for
    sources = connect_sources(client)
    # THEN its policy lets it connect to this origin and to exactly that one other
    assert sources == ["'self'", f"{parts.scheme}://{parts.netloc}"]
    # AND the origin was derived once, for the process: the container keeps it
    assert bootstrap.container().__dict__["upload_origin"] == sources[1]


def test_with_an_endpoint_set_the_page_may_connect_to_that_endpoint(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the app pointed at another S3 endpoint, as `tripline local` points it at moto
    monkeypatch.setenv("TRIPLINE_AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    bootstrap.reset()
    # WHEN the console page is asked for, THEN it may connect there (signing sends nothing)
    assert connect_sources(client) == ["'self'", "http://127.0.0.1:4566"]


def test_without_credentials_to_sign_with_the_page_connects_to_its_own_origin_only(
    client: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    # GIVEN a process that finds no AWS credentials anywhere
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"):
        monkeypatch.setenv(name, str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    bootstrap.reset()
    # WHEN the console page is asked for, THEN it is served, allowed this origin alone
    assert connect_sources(client) == ["'self'"]
    # AND nothing was kept: the next page load tries again
    assert "upload_origin" not in bootstrap.container().__dict__


@pytest.mark.parametrize(
    "origin", ["http://127.0.0.1:4566; script-src *", "javascript:alert(1)", "https://a b"]
)
def test_an_origin_a_policy_would_read_as_syntax_is_left_out(origin: str) -> None:
    assert console_page.content_security_policy(origin) == console_page.CONTENT_SECURITY_POLICY
