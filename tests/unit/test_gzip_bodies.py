"""Request bodies sent with ``Content-Encoding: gzip`` (Segment's ``gzip=True``): inflated within
the body limit, a bomb or a broken stream refused with a clear error."""

from __future__ import annotations

import gzip

import pytest

from chalicelib.content_encoding import decoded_body
from chalicelib.domain.errors import MalformedBody, PayloadTooLarge, UnsupportedMediaType

LIMIT = 1024
BODY = b'{"batch": []}'


def test_a_body_without_content_encoding_is_read_as_sent() -> None:
    assert decoded_body({}, BODY, LIMIT, ("gzip",)) == BODY
    assert decoded_body({"Content-Encoding": "identity"}, BODY, LIMIT, ("gzip",)) == BODY


def test_a_gzip_body_is_inflated_whatever_the_header_s_case() -> None:
    assert decoded_body({"content-encoding": "GZIP"}, gzip.compress(BODY), LIMIT, ("gzip",)) == BODY


def test_a_body_that_inflates_past_the_limit_is_too_large_without_inflating_it_all() -> None:
    # GIVEN a small gzip bomb: 100 MB of zeros in about 100 kB
    bomb = gzip.compress(b"0" * 100_000_000)
    # WHEN it is read under a 1 kB limit
    with pytest.raises(PayloadTooLarge) as raised:
        decoded_body({"Content-Encoding": "gzip"}, bomb, LIMIT, ("gzip",))
    # THEN it is refused naming the limit
    assert str(LIMIT) in raised.value.message


def test_a_body_exactly_at_the_limit_is_taken() -> None:
    exact = b"x" * LIMIT
    assert (
        decoded_body({"Content-Encoding": "gzip"}, gzip.compress(exact), LIMIT, ("gzip",)) == exact
    )


@pytest.mark.parametrize("body", [BODY, gzip.compress(BODY)[:-12], b""])
def test_a_body_that_is_no_whole_gzip_stream_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedBody) as raised:
        decoded_body({"Content-Encoding": "gzip"}, body, LIMIT, ("gzip",))
    assert raised.value.details[0].field == "body"


def test_an_encoding_the_route_does_not_take_is_unsupported_naming_the_header() -> None:
    with pytest.raises(UnsupportedMediaType) as raised:
        decoded_body({"Content-Encoding": "br"}, BODY, LIMIT, ("gzip",))
    assert raised.value.details[0].field == "Content-Encoding"
