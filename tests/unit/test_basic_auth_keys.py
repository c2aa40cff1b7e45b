"""split_key: a key in Bearer form, bare, or as the user of HTTP Basic credentials, as Segment's
clients send their write key (``Authorization: Basic base64("<key>:")``)."""

from __future__ import annotations

import base64

import pytest

from chalicelib.domain.access import split_key

KEY_ID, SECRET = "0123456789ab", "S3cr3t-_" * 4
KEY = f"tl_{KEY_ID}_{SECRET}"


def basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


@pytest.mark.parametrize(
    "header",
    [
        KEY,
        f"Bearer {KEY}",
        f"bearer  {KEY} ",
        basic(f"{KEY}:"),
        basic(f"{KEY}:ignored"),
        "basic " + basic(f"{KEY}:")[6:],
    ],
)
def test_the_key_is_read_from_each_form(header: str) -> None:
    assert split_key(header) == (KEY_ID, SECRET)


@pytest.mark.parametrize(
    "header",
    [
        basic(KEY),  # no colon: not user:password
        basic(f":{KEY}"),  # the key as the password, not the user
        basic(f"{KEY}x:"),
        "Basic not-base64!",
        "Basic " + base64.b64encode(b"\xff\xfe:").decode(),  # not UTF-8
        "Basic ",
        f"Basic {KEY}",  # the key itself, not encoded
        f"Token {KEY}",
    ],
)
def test_anything_else_is_no_key(header: str) -> None:
    assert split_key(header) is None
