"""`tripline upload`'s form POST against the local runtime's guarded moto server.

The form is signed by a real boto3 client, as the API signs it; the key is S3's
``${filename}`` template, so what lands in the bucket shows the file name exactly as S3 read it
from the file part's header.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain.errors import RequestError
from tripline.upload_client import post_form

CSV = b"id,severity\n1,high\n2,low\n"
AWKWARD_NAMES = [
    'orders "final".csv',  # a quote ended the hand-written header's quoted string
    "zählerstände €.csv",  # non-ASCII, sent as UTF-8 as browsers send it
    'back\\slash "and" ü.csv',  # a backslash, which a header parser reads as an escape
]


def granted_form(s3: Any, bucket: str, key: str, max_bytes: int = 10_000) -> dict[str, Any]:
    """The ``upload`` part of the API's grant: the presigned POST and how to send the file."""
    post = s3.generate_presigned_post(
        bucket,
        key,
        Fields={"Content-Type": "text/csv"},
        Conditions=[
            {"Content-Type": "text/csv"},
            ["starts-with", "$key", "incoming/"],
            ["content-length-range", 0, max_bytes],
        ],
    )
    return {
        "url": post["url"],
        "fields": post["fields"],
        "file_field": "file",
        "content_type": "text/csv",
    }


@pytest.mark.parametrize("name", AWKWARD_NAMES)
def test_a_file_name_with_quotes_or_non_ascii_reaches_s3_as_written(
    s3: Any, bucket: str, tmp_path: Path, name: str
) -> None:
    # GIVEN a form whose key S3 completes with the file part's name, and a file so named
    form = granted_form(s3, bucket, "incoming/shop/u-1/${filename}")
    path = tmp_path / name
    path.write_bytes(CSV)
    # WHEN the client posts it
    post_form(form, path, lambda sent: None)
    # THEN S3 read the name as written: the object is under it, with the file's bytes
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="incoming/shop/u-1/")["Contents"]
    assert [item["Key"] for item in listed] == [f"incoming/shop/u-1/{name}"]
    stored = s3.get_object(Bucket=bucket, Key=f"incoming/shop/u-1/{name}")["Body"].read()
    assert stored == CSV


def test_a_line_break_in_the_name_cannot_start_a_header(
    s3: Any, bucket: str, tmp_path: Path
) -> None:
    # GIVEN a file whose name holds CR/LF and what would be a header after it
    form = granted_form(s3, bucket, "incoming/shop/u-4/${filename}")
    path = tmp_path / "a\r\nX-Injected: yes\r\n.csv"
    path.write_bytes(CSV)
    # WHEN the client posts it
    post_form(form, path, lambda sent: None)
    # THEN the form stayed well-formed: one object, the break escaped as the HTML standard
    # escapes it (a name with CR/LF has no other spelling in a part's header), the file intact
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="incoming/shop/u-4/")["Contents"]
    key = "incoming/shop/u-4/a%0D%0AX-Injected: yes%0D%0A.csv"
    assert [item["Key"] for item in listed] == [key]
    stored = s3.get_object(Bucket=bucket, Key=key)
    assert stored["Body"].read() == CSV
    assert stored["ContentType"] == "text/csv"


def test_progress_counts_every_byte_of_the_body_once(s3: Any, bucket: str, tmp_path: Path) -> None:
    # GIVEN a file several of the client's blocks long
    content = b"id,value\n" + b"".join(b"%d,%d\n" % (n, n * 7) for n in range(40_000))
    path = tmp_path / "big.csv"
    path.write_bytes(content)
    form = granted_form(s3, bucket, "incoming/shop/u-2/big.csv", max_bytes=len(content))
    reported: list[int] = []
    lengths: list[int] = []
    # WHEN it is posted
    post_form(form, path, reported.append, on_start=lengths.append)
    # THEN the body's length was announced once, and the bytes reported sent add up to it
    assert len(lengths) == 1 and lengths[0] > len(content)
    assert sum(reported) == lengths[0]
    assert len(reported) > 2  # in blocks, as they went out, not all at once at the end
    stored = s3.get_object(Bucket=bucket, Key="incoming/shop/u-2/big.csv")["Body"].read()
    assert stored == content


def test_a_refused_form_is_a_request_error_with_s3s_code(
    s3: Any, bucket: str, tmp_path: Path
) -> None:
    # GIVEN a form that allows 8 bytes and a longer file
    form = granted_form(s3, bucket, "incoming/shop/u-3/orders.csv", max_bytes=8)
    path = tmp_path / "orders.csv"
    path.write_bytes(CSV)
    # WHEN it is posted THEN S3's refusal is a RequestError carrying its code and status
    with pytest.raises(RequestError, match=r"S3 refused the file \(400\): EntityTooLarge"):
        post_form(form, path, lambda sent: None)
