"""The API against its own OpenAPI document: schemathesis generates requests for every operation
(valid and invalid), the app answers through Chalice's test client, and every answer must be no
server error and match the document: a documented status code, content type, headers and body.

The document is the one the app serves (``chalicelib/apidoc.py``); nothing here touches a network.
One module-wide app (moto, a migrated SQLite file, seeded with an event, an alert, a silence and an
upload) keeps the run fast; every request goes through :func:`send`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case, Response
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.parameters import ParameterLocation

from chalicelib import bootstrap
from chalicelib.apidoc import openapi_document
from tests.builders import event_item
from tests.conftest import AWS_ENV
from tests.functional.helpers import JSON, process, queued_records
from tests.fuzz.profiles import IN_CI

BASE_URL = "https://tripline.test"
API_EXAMPLES = 50 if IN_CI else int(os.environ.get("TRIPLINE_FUZZ_EXAMPLES", "50"))
ADMIN_KEY = f"tl_{'f0220f022f02'}_{'fuzzing-' * 4}"  # stored by the fixture; a test key only
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]

# OPTIONS is API Gateway's (a CORS preflight), never the app's, and Chalice's test client cannot
# read the bodyless answer its local gateway gives; every other undeclared method is sent.
# POST /events answers a well-formed envelope with a verdict per item (202), so an invalid event is
# not a 4xx there: `invalid_events_are_rejected` holds that answer to naming it rejected instead.
REJECTED = ["400", "401", "403", "404", "405", "406", "409", "415", "422", "428", "429", "5XX"]
CONFIG = schemathesis.Config.from_dict(
    {
        "phases": {
            "coverage": {
                "unexpected-methods": ["get", "put", "post", "delete", "patch", "trace", "query"]
            }
        },
        "operations": [
            {
                "include-path": "/events",
                "include-method": "POST",
                "checks": {"negative_data_rejection": {"expected-statuses": [*REJECTED, "202"]}},
            }
        ],
    }
)
schema = schemathesis.openapi.from_dict(openapi_document(), config=CONFIG)


def invalid_events_are_rejected(ctx: Any, response: Response, case: Case) -> bool | None:
    """An event that breaks the document's EventIn schema is answered as a rejected item."""
    meta = case.meta
    if (
        case.operation.label != "POST /events"
        or response.status_code != 202
        or meta is None
        or not meta.is_negative_at(ParameterLocation.BODY)
    ):
        return None
    statuses = [item["status"] for item in response.json()["results"]]
    assert "rejected" in statuses, f"an invalid body was answered {statuses}"
    return None


CHECKS.append(invalid_events_are_rejected)


@dataclass(frozen=True)
class Api:
    """The running app: its test client, moto's clients and the identifiers the seeding stored."""

    client: Any
    aws: dict[str, Any]
    seeded: dict[str, str]


def default_headers() -> dict[str, str]:
    """The hook for authentication: what every request carries unless it says otherwise."""
    return {"Authorization": f"Bearer {ADMIN_KEY}"}


def send(
    api: Api,
    method: str,
    path: str,
    headers: Mapping[str, str | None] | None = None,
    body: bytes = b"",
) -> Any:
    """The one way a request reaches the app in this module: the default headers under the given
    ones, where a given ``None`` sends no such header."""
    merged = default_headers() | dict(headers or {})
    return api.client.http.request(
        method,
        path,
        body=body,
        headers={name: value for name, value in merged.items() if value is not None},
    )


@schema.auth()
class DefaultHeaders:
    """Schemathesis puts the default headers on every case but those that test their absence."""

    def get(self, case: Case, context: schemathesis.AuthContext) -> dict[str, str]:
        return default_headers()

    def set(self, case: Case, data: dict[str, str], context: schemathesis.AuthContext) -> None:
        case.headers = {**(case.headers or {}), **data}


def call(api: Api, case: Case) -> Response:
    """Send a case through :func:`send` as it is (a default header it lacks is not sent); the
    answer as schemathesis reads one."""
    kwargs = case.as_transport_kwargs(base_url=BASE_URL)
    prepared = requests.Request(
        **{
            name: kwargs[name]
            for name in ("method", "url", "headers", "params", "cookies", "json", "data", "files")
            if name in kwargs
        }
    ).prepare()
    url = urlsplit(prepared.url)
    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body or b""
    headers: dict[str, str | None] = dict.fromkeys(default_headers())
    headers.update(prepared.headers)
    answer = send(
        api,
        prepared.method or case.method,
        f"{url.path}?{url.query}" if url.query else url.path,
        headers,
        body,
    )
    return Response(
        status_code=answer.status_code,
        content=answer.body or b"",
        headers={name: [value] for name, value in as_gateway_sends(answer.headers)},
        request=prepared,
        elapsed=0.0,
        verify=False,
    )


def as_gateway_sends(headers: Mapping[str, str]) -> list[tuple[str, str]]:
    """API Gateway's own answers (a refused key, an unknown route: ``x-amzn-ErrorType``) are JSON
    with ``Content-Type: application/json``; Chalice's local gateway, and app.py's stand-ins for
    them, leave the header out. Only those answers get it here; the app's own are taken as sent."""
    names = {name.lower() for name in headers}
    if "x-amzn-errortype" in names and "content-type" not in names:
        return [*headers.items(), ("Content-Type", "application/json")]
    return list(headers.items())


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    from chalice.test import Client
    from moto import mock_aws

    import app

    with pytest.MonkeyPatch.context() as patch, mock_aws():
        for name, value in AWS_ENV.items():
            patch.setenv(name, value)
        patch.delenv("TRIPLINE_AWS_ENDPOINT_URL", raising=False)
        aws = _moto_resources()
        _point_app_at(patch, aws, _sqlite(tmp_path_factory.mktemp("fuzz")))
        with Client(app.app, stage_name="local") as client:
            _add_admin_key()
            api = Api(client, aws, {})
            api.seeded.update(_seed(api))
            yield api
        bootstrap.reset()


def _moto_resources() -> dict[str, Any]:
    import boto3

    from tripline.local.resources import ensure_resources

    clients = {name: boto3.client(name, region_name="us-east-1") for name in ("sqs", "s3", "sns")}
    created = ensure_resources(clients["sqs"], clients["s3"], clients["sns"], "tripline-fuzz")
    return {"clients": clients, "resources": created}


def _sqlite(directory: Path) -> str:
    from tests.conftest import migrated

    return migrated(f"sqlite:///{directory / 'tripline.db'}")


def _point_app_at(patch: pytest.MonkeyPatch, aws: dict[str, Any], database_url: str) -> None:
    patch.setenv("DATABASE_URL", database_url)
    patch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    patch.setenv("TRIPLINE_BUCKET", aws["resources"].bucket)
    patch.setenv("TRIPLINE_ALERTS_TOPIC_ARN", aws["resources"].topic_arn)
    patch.setenv("TRIPLINE_DIGESTS_TOPIC_ARN", aws["resources"].digests_topic_arn)
    patch.setenv("TRIPLINE_API_URL", BASE_URL)
    patch.setenv("TRIPLINE_NOTIFY_PER_SECOND", "1000")
    bootstrap.reset()


def _add_admin_key() -> None:
    from chalicelib.adapters.db.access_store import SqlKeyStore
    from chalicelib.domain.access import ApiKey, hash_secret, split_key

    key_id, secret = split_key(ADMIN_KEY) or ("", "")
    SqlKeyStore(bootstrap.container().engine).add(
        ApiKey(key_id, "fuzz", "admin", (), hash_secret(secret), datetime.now(UTC), "tests")
    )


def _seed(api: Api) -> dict[str, str]:
    """One of each thing the read routes return, so their 200 bodies are checked too."""
    order = event_item(
        source="shop",
        type="order.created",
        id="fuzz-1",
        occurred_at=datetime.now(UTC).isoformat(),
        data={
            "order_id": "fuzz-1",
            "ordered_at": "2026-11-22T08:30:00Z",
            "store": "berlin-1",
            "quantity": 3,
            "unit_price": 500.0,
        },
    )
    assert send(api, "POST", "/events", JSON, json.dumps(order).encode()).status_code == 202
    assert process(api.client, queued_records(api.aws)) == []
    alerts = json.loads(send(api, "GET", "/alerts").body)["items"]
    silence = json.loads(
        send(
            api,
            "POST",
            "/silences",
            JSON,
            json.dumps(
                {
                    "matchers": {"rule": "large-order"},
                    "comment": "fuzzing",
                    "author": "fuzz",
                    "ends_at": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
                }
            ).encode(),
        ).body
    )
    upload = json.loads(
        send(
            api,
            "POST",
            "/uploads",
            JSON,
            json.dumps({"source": "shop", "filename": "orders.csv"}).encode(),
        ).body
    )
    return {
        "alert_id": str(alerts[0]["id"]),
        "silence_id": str(silence["id"]),
        "upload_id": upload["upload_id"],
        "source": "shop",
        "event_id": "fuzz-1",
    }


# Requests that reach a stored item or succeed, which random identifiers and bodies rarely do:
# (method, path, body), the path's parameters filled from the seeded items. They run in this order.
KNOWN_GOOD: list[tuple[str, str, object]] = [
    ("GET", "/events/{source}/{event_id}", None),
    ("GET", "/alerts/{alert_id}", None),
    ("POST", "/alerts/{alert_id}/ack", {"comment": "on it", "by": "fuzz"}),
    ("POST", "/alerts/{alert_id}/resolve", {"comment": "fixed"}),
    ("GET", "/alerts/{alert_id}", None),
    ("GET", "/silences/{silence_id}", None),
    ("DELETE", "/silences/{silence_id}", None),
    ("GET", "/uploads/{upload_id}", None),
    ("POST", "/uploads", {"source": "shop", "filename": "more.csv", "size": 10}),
    # null is the same as absent for an event's id, time and data (the document once said no)
    (
        "POST",
        "/events",
        {
            "source": "checkout",
            "type": "order.created",
            "id": None,
            "occurred_at": None,
            "data": None,
        },
    ),
    (
        "POST",
        "/rules/test",
        {
            "rule_id": "large-order",
            "events": [
                {
                    "source": "shop",
                    "type": "order.created",
                    "id": "dry-1",
                    "data": {
                        "order_id": "dry-1",
                        "ordered_at": "2026-11-22T08:30:00Z",
                        "store": "b-2",
                        "quantity": 2,
                        "unit_price": 900,
                    },
                }
            ],
        },
    ),
    (
        "POST",
        "/silences",
        {
            "matchers": {"rule": ["large-order"], "group": {"store": "b-2"}},
            "ends_at": "2099-01-01T10:00:00",
            "starts_at": "2098-12-31T10:00:00",
            "timezone": "Europe/Berlin",
            "comment": "maintenance",
            "author": "fuzz",
        },
    ),
]


# Requests fuzzing found answered wrongly (found, what was wrong): each is refused as documented.
KNOWN_BAD: list[tuple[str, str, object]] = [
    ("POST", "/rules/test", {"rule": "id: x\u0019", "since": "2026-11-22T08:00:00Z"}),  # a 500
    ("POST", "/rules/test", {"rule_id": "large-order", "events": [], "rule": "\x0c"}),  # a 500
]


def test_requests_fuzzing_found_are_refused_as_documented(api: Api) -> None:
    for method, path, body in KNOWN_BAD:
        # GIVEN a request fuzzing once found answered with a 5xx or off the document
        case = schema[path][method].Case(body=body, headers=default_headers())
        # WHEN it is sent
        response = call(api, case)
        # THEN it is refused with a 4xx that matches the document
        assert 400 <= response.status_code < 500, (method, path, response.text)
        case.validate_response(response, checks=CHECKS)


def test_known_good_requests_are_answered_2xx_as_documented(api: Api) -> None:
    for method, path, body in KNOWN_GOOD:
        # GIVEN a request on a seeded item, or one whose body is valid
        parameters = {name: value for name, value in api.seeded.items() if f"{{{name}}}" in path}
        case = schema[path][method].Case(
            path_parameters=parameters,
            headers=default_headers(),
            # POST /events documents CloudEvents' media types too: these bodies are JSON
            **({} if body is None else {"body": body, "media_type": "application/json"}),
        )
        # WHEN it is sent
        response = call(api, case)
        # THEN it succeeds, and the answer matches the document
        assert 200 <= response.status_code < 300, (method, path, response.text)
        case.validate_response(response, checks=CHECKS)


def test_the_served_document_is_the_one_fuzzed(api: Api) -> None:
    response = send(api, "GET", "/openapi.json")
    assert json.loads(response.body) == openapi_document()


@schema.parametrize()
@settings(
    max_examples=API_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_answer_is_documented_and_none_is_a_server_error(api: Api, case: Case) -> None:
    # GIVEN a request generated from the document (valid or deliberately invalid)
    # WHEN the app answers it
    response = call(api, case)
    # THEN the answer is not a 5xx and matches the document: status, content type, headers, body
    case.validate_response(response, checks=CHECKS)
