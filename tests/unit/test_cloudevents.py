"""CloudEvents 1.0 as the domain reads them: the three HTTP modes into events in the JSON format,
every attribute checked and named, the mapping onto a Tripline item, and which Tripline source
an event's ``source`` URI goes to (``rules/cloudevents.yaml`` checked at its lines and columns)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.adapters.rule_files.sources import located_yaml
from chalicelib.domain.errors import (
    Detail,
    MalformedBody,
    PayloadTooLarge,
    RuleFileError,
    UnsupportedMediaType,
)
from chalicelib.domain.events import ItemStatus, Limits, plan_intake
from chalicelib.domain.protocols import (
    CLOUDEVENTS,
    CloudEventsMessage,
    IncomingItem,
    SourceRoutes,
    carries_json,
    ce_attributes,
    cloudevents_in,
    decide_source,
    http_mode,
    parse_source_routes,
)
from chalicelib.domain.protocols.cloudevents import cloudevent_item
from chalicelib.domain.protocols.cloudevents_http import decode_header_value

RECEIVED = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def cloudevent(**changes: Any) -> dict[str, Any]:
    """A valid CloudEvent in the JSON format; a change to None removes the member."""
    event: dict[str, Any] = {
        "specversion": "1.0",
        "id": "evt-1",
        "source": "https://shop.example.com/orders",
        "type": "com.example.order.created",
        "time": "2026-12-07T08:30:00Z",
        "data": {"amount": 12},
    }
    event |= changes
    return {name: value for name, value in event.items() if value is not None}


def problems_of(event: dict[str, Any], source: str = "shop") -> dict[str | None, str]:
    """The problems of an event, by attribute; the test fails if it maps."""
    outcome = cloudevent_item(event, source)
    assert isinstance(outcome, list), outcome
    return {problem.field: problem.message for problem in outcome}


def binary(headers: dict[str, str], body: bytes = b"", content_type: str | None = None) -> Any:
    """The event a binary-mode request carries, read as the edge reads it."""
    document = None
    if carries_json("binary", content_type, body):
        document = json.loads(body)
    message = CloudEventsMessage("binary", content_type, ce_attributes(headers), body, document)
    return cloudevents_in(message, 500)[0]


BINARY_HEADERS = {
    "ce-specversion": "1.0",
    "ce-id": "evt-1",
    "ce-source": "/orders",
    "ce-type": "order.created",
}


# -- mapping ---------------------------------------------------------------------------------------


def test_a_valid_cloudevent_maps_id_type_time_and_data_and_keeps_the_other_attributes() -> None:
    # GIVEN a CloudEvent with a subject and two extension attributes
    event = cloudevent(subject="order-7", tenant="acme", priority=3, urgent=True)
    # WHEN it is read as an item of the source decided for it
    item = cloudevent_item(event, "shop")
    # THEN id, type and time are the event's, data is the event's data, and every other
    # attribute is kept under data.cloudevents
    assert item == {
        "source": "shop",
        "type": "com.example.order.created",
        "id": "evt-1",
        "occurred_at": "2026-12-07T08:30:00+00:00",
        "data": {
            "amount": 12,
            "cloudevents": {
                "specversion": "1.0",
                "source": "https://shop.example.com/orders",
                "subject": "order-7",
                "tenant": "acme",
                "priority": 3,
                "urgent": True,
            },
        },
    }


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"data": {"a": 1}}, {"a": 1}),
        (
            {"data": "<order id='7'/>", "datacontenttype": "application/xml"},
            {"value": "<order id='7'/>"},
        ),
        ({"data": 42}, {"value": 42}),
        ({"data": [1, 2]}, {"value": [1, 2]}),
        ({"data": None}, {"value": None}),
        ({}, {}),
        ({"data_base64": "AAEC"}, {"data_base64": "AAEC"}),
    ],
)
def test_data_of_every_kind_becomes_a_data_object(
    data: dict[str, Any], expected: dict[str, Any]
) -> None:
    # GIVEN an event whose data is an object, text, a number, a list, null, absent or Base64
    event = {name: value for name, value in cloudevent().items() if name != "data"} | data
    # WHEN it is mapped
    item = cloudevent_item(event, "shop")
    # THEN data is an object: the event's own, or its value wrapped, beside the attributes
    assert isinstance(item, dict)
    attributes = item["data"].pop("cloudevents")
    assert item["data"] == expected
    assert attributes["specversion"] == "1.0"


def test_null_attributes_are_unset_and_a_time_is_read_in_utc_to_the_microsecond() -> None:
    # GIVEN an event with a null subject and a time in nanoseconds at +02:00
    event = cloudevent(subject=None, time="2026-12-07T10:30:00.123456789+02:00") | {"x": None}
    # WHEN it is mapped
    item = cloudevent_item(event, "shop")
    # THEN null attributes are left out, and the time is the same instant in UTC
    assert isinstance(item, dict)
    assert "subject" not in item["data"]["cloudevents"] and "x" not in item["data"]["cloudevents"]
    assert item["occurred_at"] == "2026-12-07T08:30:00.123456+00:00"


# -- validation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "attribute", "says"),
    [
        ({"specversion": None}, "specversion", "is required"),
        ({"specversion": "0.3"}, "specversion", "CloudEvents '0.3' is not supported"),
        ({"specversion": 1.0}, "specversion", "must be the string '1.0'"),
        ({"id": None}, "id", "is required"),
        ({"id": ""}, "id", "must be a non-empty string"),
        ({"id": 7}, "id", "must be a string, not a number"),
        ({"source": None}, "source", "is required"),
        ({"source": ""}, "source", "must be a non-empty string"),
        ({"source": "my service"}, "source", "must be a URI-reference"),
        ({"type": None}, "type", "is required"),
        ({"type": "a\nb"}, "type", "must not contain control characters"),
        ({"subject": ""}, "subject", "must be a non-empty string"),
        ({"time": "2026-12-07 08:30"}, "time", "must be an RFC 3339 timestamp"),
        ({"time": "2026-12-07T08:30:00"}, "time", "must be an RFC 3339 timestamp"),
        ({"time": "2026-02-30T08:30:00Z"}, "time", "is not a real date and time"),
        ({"time": "2016-12-31T23:59:60Z"}, "time", "is a leap second"),
        ({"time": "\uff12026-12-07T08:30:00Z"}, "time", "must be an RFC 3339 timestamp"),
        ({"time": 1733560200}, "time", "must be an RFC 3339 timestamp string"),
        ({"dataschema": "/schemas/order"}, "dataschema", "must be an absolute URI"),
        ({"datacontenttype": "json"}, "datacontenttype", "must be a media type"),
        ({"Tenant": "acme"}, "Tenant", "only lower-case letters a-z and digits 0-9"),
        ({"tenant-id": "acme"}, "tenant-id", "only lower-case letters a-z and digits 0-9"),
        ({"a" * 21: "x"}, "a" * 21, "at most 20 characters"),
        ({"weight": 1.5}, "weight", "not a number with a fraction"),
        ({"tags": ["a"]}, "tags", "not an array"),
        ({"count": 2**31}, "count", "must be an integer from -2147483648 to 2147483647"),
        ({"data_base64": "AAEC"}, "data_base64", "send data or data_base64, not both"),
        ({"data": None, "data_base64": "not base64!"}, "data_base64", "must be a Base64 string"),
        ({"data": None, "data_base64": 12}, "data_base64", "must be a Base64 string"),
        ({"data": {"cloudevents": 1}}, "data.cloudevents", "where Tripline keeps the event's"),
    ],
)
def test_each_problem_is_named_by_its_attribute(
    changes: dict[str, Any], attribute: str, says: str
) -> None:
    # GIVEN an event with one thing wrong WHEN it is read
    problems = problems_of(cloudevent(**changes))
    # THEN the problem names the attribute and says what is wrong
    assert says in problems[attribute], problems


def test_every_problem_of_an_event_is_reported_at_once() -> None:
    # GIVEN an event of CloudEvents 0.3 without an id or type, with a bad time and extension
    event = {"specversion": "0.3", "source": "/x", "time": "yesterday", "Ext": 1}
    # WHEN it is read THEN each problem is there, by attribute
    assert set(problems_of(event)) == {"specversion", "id", "type", "time", "Ext"}


def test_a_source_no_tripline_source_was_decided_for_is_refused_saying_how_to_map_it() -> None:
    # GIVEN a valid event whose source URI the edge could not map
    problems = problems_of(cloudevent(), source="")
    # THEN only its source is refused, with the three ways to map it
    assert list(problems) == ["source"]
    assert "rules/cloudevents.yaml" in problems["source"]
    assert "ingest key for exactly one source" in problems["source"]


def test_a_problem_tripline_finds_in_the_item_is_named_by_the_cloudevents_attribute() -> None:
    # GIVEN a CloudEvent whose time is a week ahead and a text data too long to store
    event = cloudevent(time="2026-12-14T12:00:00Z", data="x" * 9000)
    # WHEN the intake plans it (it validates the Tripline item the event maps to)
    plan = plan_intake(
        [IncomingItem(event, CLOUDEVENTS, "shop")],
        received_at=RECEIVED,
        new_id=lambda: "assigned",
        limits=Limits(),
    )
    # THEN the problems name the event's own attributes: time and data, not occurred_at
    [result] = plan.decided
    assert result.status is ItemStatus.REJECTED
    assert {error.field for error in result.errors} == {"time", "data"}


# -- HTTP modes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "headers", "mode"),
    [
        ("application/cloudevents+json", {}, "structured"),
        ("Application/CloudEvents+JSON; charset=UTF-8", {"ce-specversion": "1.0"}, "structured"),
        ("application/cloudevents-batch+json", {}, "batch"),
        ("application/json", {"CE-SpecVersion": "1.0"}, "binary"),
        (None, {"ce-specversion": "1.0"}, "binary"),
        ("application/json", {"ce-id": "1"}, None),
        ("application/json", {}, None),
    ],
)
def test_the_mode_is_told_by_the_media_type_then_the_specversion_header(
    content_type: str | None, headers: dict[str, str], mode: str | None
) -> None:
    assert http_mode(content_type, headers) == mode


def test_another_cloudevents_format_is_refused_as_an_unsupported_media_type() -> None:
    with pytest.raises(UnsupportedMediaType) as refused:
        http_mode("application/cloudevents+avro", {})
    assert refused.value.details[0].field == "Content-Type"


def test_a_structured_body_must_be_one_object() -> None:
    with pytest.raises(MalformedBody) as refused:
        cloudevents_in(CloudEventsMessage("structured", document=[cloudevent()]), 500)
    assert refused.value.details == [Detail("expected an object, not an array", field="$")]


@pytest.mark.parametrize(
    ("document", "error", "says"),
    [
        ([], MalformedBody, "not an empty array"),
        ({"events": []}, MalformedBody, "not an object"),
        ([{}] * 3, PayloadTooLarge, "at most 2 items"),
    ],
)
def test_a_batch_is_a_non_empty_array_within_the_limit(
    document: object, error: type[Exception], says: str
) -> None:
    with pytest.raises(error) as refused:
        cloudevents_in(CloudEventsMessage("batch", document=document), 2)
    assert says in refused.value.details[0].message  # type: ignore[attr-defined]


def test_a_batch_yields_each_item_as_sent_even_one_that_is_no_object() -> None:
    items = cloudevents_in(CloudEventsMessage("batch", document=[cloudevent(), 7]), 500)
    assert items == [cloudevent(), 7]


def test_binary_mode_reads_attributes_from_headers_whatever_their_case() -> None:
    # GIVEN a binary request with upper-case header names and JSON data with a charset
    headers = {name.upper(): value for name, value in BINARY_HEADERS.items()}
    event = binary(headers | {"Ce-Tenant": "acme"}, b'{"a": 1}', "application/json; charset=utf-8")
    # THEN the event is in the JSON format, Content-Type its datacontenttype, the body its data
    assert event == {
        "specversion": "1.0",
        "id": "evt-1",
        "source": "/orders",
        "type": "order.created",
        "tenant": "acme",
        "datacontenttype": "application/json; charset=utf-8",
        "data": {"a": 1},
    }


@pytest.mark.parametrize(
    ("content_type", "body", "data"),
    [
        (None, b'[1, "two"]', {"data": [1, "two"]}),
        ("application/vnd.order+json", b"3", {"data": 3}),
        ("text/plain; charset=utf-8", "caf\u00e9".encode(), {"data": "caf\u00e9"}),
        ("text/plain", b"\xff\xfe", {"data_base64": base64.b64encode(b"\xff\xfe").decode()}),
        ("application/octet-stream", b"\x00\x01", {"data_base64": "AAE="}),
        ("application/json", b"", {}),
    ],
)
def test_binary_data_is_json_text_or_base64_by_its_media_type(
    content_type: str | None, body: bytes, data: dict[str, Any]
) -> None:
    event = binary(BINARY_HEADERS, body, content_type)
    assert {name: event[name] for name in ("data", "data_base64") if name in event} == data


@pytest.mark.parametrize(
    ("sent", "decoded"),
    [
        ("Euro%20%E2%82%AC%20%F0%9F%98%80", "Euro \u20ac \U0001f600"),
        ("caf%c3%a9", "caf\u00e9"),  # lower-case hex is accepted
        ("%61bc", "abc"),  # unnecessary encoding is accepted
        ('"quoted \\"value\\""', 'quoted "value"'),  # older senders' quoted strings
        ("plain value", "plain value"),
    ],
)
def test_header_values_are_percent_decoded_as_the_http_binding_says(
    sent: str, decoded: str
) -> None:
    assert decode_header_value(sent).text == decoded
    event = binary(BINARY_HEADERS | {"ce-subject": sent})
    assert event["subject"] == decoded


@pytest.mark.parametrize(
    ("sent", "says"),
    [
        ("%C0%A0", "not UTF-8"),  # an overlong space
        ("100%", "starts no %XX escape"),
        ("caf\u00e9", "outside printable ASCII"),
    ],
)
def test_a_header_value_that_cannot_be_decoded_refuses_the_request_naming_the_header(
    sent: str, says: str
) -> None:
    with pytest.raises(MalformedBody) as refused:
        binary(BINARY_HEADERS | {"ce-subject": sent})
    [detail] = refused.value.details
    assert detail.field == "ce-subject" and says in detail.message


# -- sources ---------------------------------------------------------------------------------------

ROUTES = SourceRoutes(
    {"https://shop.example.com/": "shop", "https://shop.example.com/payments/": "payments"}
)


@pytest.mark.parametrize(
    ("source", "key_source", "decided"),
    [
        ("https://shop.example.com/orders", None, "shop"),  # 1. the map
        ("https://shop.example.com/payments/card", "shop", "payments"),  # the longest prefix
        ("payments", None, "payments"),  # 2. a Tripline source name itself
        ("sensors", "shop", "sensors"),  # ... before the key's
        ("/warehouse/dock-1", "stores", "stores"),  # 3. the key's one source
        ("/warehouse/dock-1", None, ""),  # 4. none
        ("Shop", None, ""),  # not a source name: names are lower case
    ],
)
def test_the_tripline_source_is_decided_in_the_documented_order(
    source: str, key_source: str | None, decided: str
) -> None:
    assert decide_source(cloudevent(source=source), ROUTES, key_source) == decided


def test_an_event_without_a_source_gets_none_to_be_refused_for() -> None:
    assert decide_source(cloudevent(source=None), ROUTES, "shop") == ""
    assert decide_source("not an object", ROUTES, "shop") == ""


def routes_of(text: str) -> tuple[SourceRoutes, list[str]]:
    document = located_yaml(text, "rules/cloudevents.yaml")
    assert not isinstance(document, list), document
    routes, details = parse_source_routes("rules/cloudevents.yaml", document)
    return routes, [RuleFileError.describe(one) for one in details]


def test_the_rules_file_maps_prefixes_to_sources() -> None:
    routes, problems = routes_of('sources:\n  "urn:example:pay:": payments\n  /shop/: shop\n')
    assert problems == []
    assert routes.route("urn:example:pay:card") == "payments"
    assert routes.route("/other") is None


def test_an_empty_map_is_allowed() -> None:
    assert routes_of("sources:\n") == (SourceRoutes({}), [])


def test_every_problem_of_the_rules_file_is_at_its_line_and_column() -> None:
    # GIVEN a file with an unknown key, a bad source name, a prefix with a space and a list
    text = (
        "sources:\n"
        '  "https://shop.example.com/": Shop\n'
        '  "my service/": shop\n'
        "  /ok/: [shop]\n"
        "source: shop\n"
    )
    # WHEN it is checked
    routes, problems = routes_of(text)
    # THEN each problem is named at file:line(:col), and nothing half-checked is kept
    assert routes.prefixes == {}
    assert problems == [
        "rules/cloudevents.yaml:5: source: unknown key 'source'; the file holds one key, sources",
        "rules/cloudevents.yaml:2:32: sources.https://shop.example.com/: 'Shop' is not a "
        "Tripline source name: lower case letters, digits, '_' and '-', starting with a letter "
        "or digit, at most 64",
        "rules/cloudevents.yaml:3: sources.my service/: 'my service/' is not the start of a "
        "URI-reference (RFC 3986): percent-encode spaces and other characters as senders do",
        "rules/cloudevents.yaml:4:9: sources./ok/: a list is not a Tripline source name: lower "
        "case letters, digits, '_' and '-', starting with a letter or digit, at most 64",
    ]


def test_the_map_must_be_a_mapping() -> None:
    _, problems = routes_of("sources: [a, b]\n")
    assert problems == [
        "rules/cloudevents.yaml:1:10: sources: must be a mapping of source URI prefix to "
        "Tripline source, not a list"
    ]
