"""The HTTP edge: a request body to a JSON value, and our errors to one response shape."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.app import CaseInsensitiveMapping

from chalicelib.domain.errors import (
    ConfigurationError,
    DependencyError,
    Detail,
    InvalidQuery,
    MalformedBody,
    NotFound,
    PayloadTooLarge,
    RequestError,
    StorageError,
    TriplineError,
    UnsupportedMediaType,
)
from chalicelib.web import error_response, parse_json, read_json_body, status_of

JSON = {"content-type": "application/json"}
MAX = 1024


def read(body: bytes | None, headers: Any = None, max_bytes: int = MAX) -> object:
    return read_json_body(JSON if headers is None else headers, body, max_bytes)


def malformed(body: bytes) -> MalformedBody:
    with pytest.raises(MalformedBody) as caught:
        read(body)
    return caught.value


# --- media type ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/vnd.tripline.v1+json",
        "application/cloudevents+json; charset=UTF-8",
    ],
)
def test_json_media_types_are_accepted(content_type: str) -> None:
    # GIVEN a JSON body with a JSON media type
    headers = {"content-type": content_type}
    # WHEN it is read
    value = read(b'{"source": "shop"}', headers)
    # THEN it is parsed
    assert value == {"source": "shop"}


def test_header_name_is_matched_whatever_its_case_as_chalice_delivers_it() -> None:
    # GIVEN headers as Chalice hands them over, written with capitals by the client
    headers = CaseInsensitiveMapping({"Content-Type": "application/json"})
    # WHEN the body is read
    value = read(b"[1]", headers)
    # THEN the media type was found
    assert value == [1]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"content-type": ""},
        {"content-type": "text/plain"},
        {"content-type": "application/x-www-form-urlencoded"},
        {"content-type": "multipart/form-data; boundary=x"},
        {"content-type": "application/jsonp"},
    ],
)
def test_wrong_content_type_is_unsupported_media_type_answered_with_415(
    headers: dict[str, str],
) -> None:
    # GIVEN a valid JSON body sent with a non-JSON media type (or none)
    # WHEN it is read
    with pytest.raises(UnsupportedMediaType) as caught:
        read(b'{"source": "shop"}', headers)
    # THEN the error names the header and maps to 415
    assert [detail.field for detail in caught.value.details] == ["Content-Type"]
    assert "application/json" in caught.value.message
    assert status_of(caught.value) == 415


# --- size ---------------------------------------------------------------------------------------


def test_body_over_the_maximum_is_payload_too_large_naming_the_limit() -> None:
    # GIVEN a limit of 32 bytes and a 33-byte body
    body = json.dumps({"note": "x" * 20}).encode().ljust(33)
    # WHEN it is read
    with pytest.raises(PayloadTooLarge) as caught:
        read(body, max_bytes=32)
    # THEN the error names the size and the limit, and maps to 413
    assert caught.value.message == "the body is 33 bytes; the limit is 32"
    assert [detail.field for detail in caught.value.details] == ["body"]
    assert status_of(caught.value) == 413


def test_body_exactly_at_the_maximum_is_read() -> None:
    # GIVEN a body of exactly the limit
    body = b'{"a": 1}'
    # WHEN it is read with that limit
    value = read(body, max_bytes=len(body))
    # THEN it is parsed
    assert value == {"a": 1}


# --- parsing ------------------------------------------------------------------------------------


def test_malformed_json_reports_line_and_column() -> None:
    # GIVEN a multi-line body with an error on its third line
    body = b'{\n  "source": "shop",\n  "type": oops\n}'
    # WHEN it is read
    error = malformed(body)
    # THEN the detail points at line 3, column 11, and the message says so too
    assert (error.details[0].line, error.details[0].column) == (3, 11)
    assert "line 3, column 11" in error.message
    assert status_of(error) == 400


@pytest.mark.parametrize(
    ("body", "line", "column"),
    [
        (b"{", 1, 2),
        (b'{"a": 1,}', 1, 9),
        (b"{'a': 1}", 1, 2),
        (b"[1, 2]\n[3]", 2, 1),
        (b'\xef\xbb\xbf{"a": }', 1, 7),
    ],
)
def test_each_malformed_body_is_located(body: bytes, line: int, column: int) -> None:
    # GIVEN a body that is not valid JSON
    # WHEN it is read
    error = malformed(body)
    # THEN the detail locates the problem (a leading BOM is not counted)
    assert (error.details[0].line, error.details[0].column) == (line, column)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_json_constants_are_refused(constant: str) -> None:
    # GIVEN a body using a constant Python's json module would accept
    body = f'{{"amount": {constant}}}'.encode()
    # WHEN it is read
    error = malformed(body)
    # THEN it is refused, naming the constant
    assert constant in error.message
    assert [detail.field for detail in error.details] == ["body"]


def test_number_too_large_for_a_float_is_refused() -> None:
    # GIVEN a number that overflows to infinity
    # WHEN it is read
    error = malformed(b'{"amount": 1e400}')
    # THEN it is refused like Infinity
    assert [detail.field for detail in error.details] == ["body"]


def test_integer_with_too_many_digits_is_malformed_body_not_a_crash() -> None:
    # GIVEN a 5 KB integer, well under the body limit
    body = b'{"n": ' + b"9" * 5000 + b"}"
    # WHEN it is read
    with pytest.raises(MalformedBody) as caught:
        read(body, max_bytes=10_000)
    # THEN it is refused as a malformed body (400), not a crash
    assert status_of(caught.value) == 400


def test_deeply_nested_body_is_malformed_body_not_a_crash() -> None:
    # GIVEN a body of 100,000 opening brackets
    body = b"[" * 100_000
    # WHEN it is read
    with pytest.raises(MalformedBody) as caught:
        read(body, max_bytes=200_000)
    # THEN it is refused as a malformed body (400), not a crash
    assert status_of(caught.value) == 400


def test_non_utf8_body_is_refused_naming_the_byte_offset() -> None:
    # GIVEN a body with an invalid byte at offset 7
    body = b'{"a": "\xff"}'
    # WHEN it is read
    error = malformed(body)
    # THEN the error says it is not UTF-8 and where
    assert error.message == "the body is not UTF-8"
    assert error.details == [Detail("invalid byte at offset 7", field="body")]


def test_non_utf8_byte_after_a_bom_is_reported_at_its_offset_in_the_body() -> None:
    # GIVEN a body starting with a BOM, with an invalid byte at offset 10
    body = b'\xef\xbb\xbf{"a": "\xff"}'
    # WHEN it is read
    error = malformed(body)
    # THEN the offset counts from the first byte of the body
    assert error.details == [Detail("invalid byte at offset 10", field="body")]


def test_utf8_body_with_a_byte_order_mark_is_read() -> None:
    # GIVEN a body starting with a UTF-8 BOM
    body = '\ufeff{"city": "Zürich"}'.encode()
    # WHEN it is read
    value = read(body)
    # THEN the BOM is skipped and the text decoded
    assert value == {"city": "Zürich"}


@pytest.mark.parametrize("body", [None, b"", b"   \n\t "])
def test_empty_body_is_refused(body: bytes | None) -> None:
    # GIVEN no body, or only white space
    # WHEN it is read
    with pytest.raises(MalformedBody) as caught:
        read(body)
    # THEN it is refused as empty, naming the body
    assert "empty" in caught.value.message
    assert [detail.field for detail in caught.value.details] == ["body"]


def test_parse_json_reads_any_json_value() -> None:
    # GIVEN JSON values that are not objects
    # WHEN they are parsed
    values = [parse_json(b"[1, 2]"), parse_json(b'"text"'), parse_json(b"null")]
    # THEN each is returned as is (the shape is judged elsewhere)
    assert values == [[1, 2], "text", None]


# --- errors to responses ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (UnsupportedMediaType("x"), 415),
        (PayloadTooLarge("x"), 413),
        (NotFound("x"), 404),
        (MalformedBody("x"), 400),
        (InvalidQuery("x"), 400),
        (RequestError("x"), 400),
        (DependencyError("x"), 503),
        (StorageError("x"), 500),
        (ConfigurationError("x"), 500),
        (TriplineError("x"), 500),
    ],
)
def test_each_error_has_its_status(error: TriplineError, status: int) -> None:
    # GIVEN one of our errors
    # WHEN its status is looked up
    # THEN it is the one in the table
    assert status_of(error) == status


def test_error_response_has_the_one_documented_shape() -> None:
    # GIVEN an error with a located detail
    error = MalformedBody(
        "malformed JSON at line 3, column 11: Expecting value",
        [Detail("Expecting value", line=3, column=11)],
    )
    # WHEN it becomes a response
    response = error_response(error)
    # THEN it is JSON with code, message and details, and the status of the error
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    assert json.loads(response.body) == {
        "error": {
            "code": "malformed_body",
            "message": "malformed JSON at line 3, column 11: Expecting value",
            "details": [{"message": "Expecting value", "line": 3, "column": 11}],
        }
    }
    assert "Retry-After" not in response.headers


def test_error_without_details_answers_an_empty_details_list() -> None:
    # GIVEN an error with no details
    # WHEN it becomes a response
    response = error_response(NotFound("no event shop/x"))
    # THEN details is present and empty
    assert json.loads(response.body)["error"]["details"] == []
    assert response.status_code == 404


def test_dependency_error_asks_the_caller_to_retry_later() -> None:
    # GIVEN a dependency that is down
    error = DependencyError("the events queue is unreachable", [Detail("timeout", field="queue")])
    # WHEN it becomes a response
    response = error_response(error)
    # THEN it is 503 with Retry-After
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert json.loads(response.body)["error"]["code"] == "dependency_unavailable"
