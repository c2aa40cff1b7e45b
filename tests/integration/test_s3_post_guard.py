"""Presigned POSTs against the local runtime's moto server: S3's policy is enforced over HTTP.

A real boto3 client signs the policy the way the API will; the form is sent as a browser sends it,
fields first and the file last, over a socket to the guarded server on a free port.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request, urlopen

from tripline.local.moto_server import GuardedMotoServer

MAX_BYTES = 64
CSV = b"id,severity\n1,high\n2,low\n"


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    cors_origin: str | None = None  # the Access-Control-Allow-Origin answered

    def error(self) -> tuple[str, str]:
        root = ET.fromstring(self.body)
        return root.findtext("Code") or "", root.findtext("Message") or ""


def presigned_post(s3: Any, bucket: str, key: str, expires_in: int = 900) -> dict[str, Any]:
    """As the API asks for one: a CSV of at most ``MAX_BYTES`` under ``key``."""
    post: dict[str, Any] = s3.generate_presigned_post(
        bucket,
        key,
        Fields={"Content-Type": "text/csv"},
        Conditions=[{"Content-Type": "text/csv"}, ["content-length-range", 0, MAX_BYTES]],
        ExpiresIn=expires_in,
    )
    return post


def upload_key() -> str:
    return f"incoming/sensors/{uuid.uuid4()}/readings.csv"


def send_form(
    url: str,
    fields: dict[str, str],
    content: bytes,
    after_file: dict[str, str] | None = None,
    origin: str | None = None,
) -> Answer:
    """POST the fields in order, then the file part, then ``after_file``, as multipart/form-data."""
    boundary = uuid.uuid4().hex

    def parts(named: dict[str, str]) -> bytes:
        return b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
            for name, value in named.items()
        )

    body = (
        parts(fields)
        + (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            'filename="readings.csv"\r\nContent-Type: text/csv\r\n\r\n'
        ).encode()
    )
    body += content + b"\r\n" + parts(after_file or {}) + f"--{boundary}--\r\n".encode()
    return send(
        Request(
            url,
            data=body,
            method="POST",
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
            | ({"Origin": origin} if origin else {}),
        )
    )


def send(request: Request) -> Answer:
    try:
        with urlopen(request, timeout=30) as response:
            allowed = response.headers["Access-Control-Allow-Origin"]
            return Answer(response.status, response.read(), allowed)
    except HTTPError as error:
        return Answer(error.code, error.read(), error.headers["Access-Control-Allow-Origin"])


def stored_keys(s3: Any, bucket: str) -> list[str]:
    return [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_a_valid_upload_lands_byte_for_byte(s3: Any, bucket: str) -> None:
    # GIVEN a presigned POST for a key
    key = upload_key()
    post = presigned_post(s3, bucket, key)

    # WHEN a CSV within the limit is posted with exactly the fields handed out
    answer = send_form(post["url"], post["fields"], CSV)

    # THEN S3's 204, and the object reads back as sent, with the signed content type
    assert answer.status == 204, answer.body
    stored = s3.get_object(Bucket=bucket, Key=key)
    assert stored["Body"].read() == CSV
    assert stored["ContentType"] == "text/csv"


def test_an_upload_of_exactly_the_limit_lands_and_one_byte_more_is_refused(
    s3: Any, bucket: str
) -> None:
    # GIVEN two presigned POSTs
    at_limit, over_limit = upload_key(), upload_key()
    first, second = presigned_post(s3, bucket, at_limit), presigned_post(s3, bucket, over_limit)

    # WHEN one carries MAX_BYTES and the other one byte more
    accepted = send_form(first["url"], first["fields"], b"x" * MAX_BYTES)
    refused = send_form(second["url"], second["fields"], b"x" * (MAX_BYTES + 1))

    # THEN the first lands and the second is S3's EntityTooLarge, with nothing stored
    assert accepted.status == 204, accepted.body
    assert refused.status == 400
    assert refused.error() == (
        "EntityTooLarge",
        "Your proposed upload exceeds the maximum allowed size",
    )
    assert stored_keys(s3, bucket) == [at_limit]


def test_an_expired_policy_is_refused(s3: Any, bucket: str) -> None:
    # GIVEN a presigned POST valid for one second, a second and more ago
    key = upload_key()
    post = presigned_post(s3, bucket, key, expires_in=1)
    time.sleep(2.1)

    # WHEN it is used
    answer = send_form(post["url"], post["fields"], CSV)

    # THEN S3's answer, and no object
    assert answer.status == 403
    assert answer.error() == ("AccessDenied", "Invalid according to Policy: Policy expired.")
    assert stored_keys(s3, bucket) == []


def test_another_key_is_refused(s3: Any, bucket: str) -> None:
    # GIVEN a presigned POST for one key
    key = upload_key()
    post = presigned_post(s3, bucket, key)

    # WHEN the form names another key
    answer = send_form(post["url"], {**post["fields"], "key": "incoming/other/evil.csv"}, CSV)

    # THEN the key condition fails as S3 prints it, and neither key exists
    assert answer.status == 403
    assert answer.error() == (
        "AccessDenied",
        f'Invalid according to Policy: Policy Condition failed: ["eq", "$key", "{key}"]',
    )
    assert stored_keys(s3, bucket) == []


def test_another_content_type_is_refused(s3: Any, bucket: str) -> None:
    # GIVEN a presigned POST for a CSV
    post = presigned_post(s3, bucket, upload_key())

    # WHEN the form declares HTML instead
    answer = send_form(post["url"], {**post["fields"], "Content-Type": "text/html"}, CSV)

    # THEN the content-type condition fails, and nothing is stored
    assert answer.status == 403
    assert answer.error() == (
        "AccessDenied",
        'Invalid according to Policy: Policy Condition failed: ["eq", "$Content-Type", "text/csv"]',
    )
    assert stored_keys(s3, bucket) == []


def test_a_tampered_policy_is_refused(s3: Any, bucket: str) -> None:
    # GIVEN a presigned POST whose policy is rewritten to allow a far larger file
    post = presigned_post(s3, bucket, upload_key())
    document = json.loads(base64.b64decode(post["fields"]["policy"]))
    document["conditions"][1] = ["content-length-range", 0, 10 * MAX_BYTES]
    forged = base64.b64encode(json.dumps(document).encode()).decode()

    # WHEN the larger file is posted with the rewritten policy
    answer = send_form(post["url"], {**post["fields"], "policy": forged}, b"x" * 5 * MAX_BYTES)

    # THEN the signature no longer matches, and nothing is stored
    assert answer.status == 403
    assert answer.error()[0] == "SignatureDoesNotMatch"
    assert stored_keys(s3, bucket) == []


def test_a_field_the_policy_does_not_name_is_refused(s3: Any, bucket: str) -> None:
    # GIVEN a presigned POST
    post = presigned_post(s3, bucket, upload_key())

    # WHEN the form adds metadata no condition covers
    answer = send_form(post["url"], {**post["fields"], "x-amz-meta-owner": "mallory"}, CSV)

    # THEN S3's extra-fields refusal, and nothing is stored
    assert answer.status == 403
    assert answer.error() == (
        "AccessDenied",
        "Invalid according to Policy: Extra input fields: x-amz-meta-owner",
    )
    assert stored_keys(s3, bucket) == []


def test_fields_after_the_file_are_ignored_as_s3_ignores_them(s3: Any, bucket: str) -> None:
    # GIVEN a presigned POST
    post = presigned_post(s3, bucket, upload_key())
    fields = dict(post["fields"])
    key = fields.pop("key")

    # WHEN the key is sent after the file part
    answer = send_form(post["url"], fields, CSV, after_file={"key": key})

    # THEN S3's answer for a form without a key, and nothing is stored
    assert answer.status == 400
    assert answer.error() == (
        "InvalidArgument",
        "Bucket POST must contain a field named 'key'.  If it is specified, "
        "please check the order of the fields.",
    )
    assert stored_keys(s3, bucket) == []


def test_an_urlencoded_form_is_refused_although_moto_would_store_it(
    moto: GuardedMotoServer, s3: Any, bucket: str
) -> None:
    # GIVEN an unsigned urlencoded form naming a key and carrying the file inline
    body = b"key=incoming%2Fsensors%2Fsneaky.csv&file=id%2Cseverity%0A1%2Chigh%0A"
    request = Request(
        f"{moto.url}/{bucket}",
        data=body,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    # WHEN it is posted to the bucket
    answer = send(request)

    # THEN S3's refusal of a POST that is not multipart, and nothing is stored
    assert answer.status == 412
    assert answer.error() == (
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
    )
    assert stored_keys(s3, bucket) == []


def test_a_large_upload_passes_through_the_spool_intact(s3: Any, bucket: str) -> None:
    # GIVEN a presigned POST allowing 3 MiB, more than the guard keeps in memory
    key = upload_key()
    size = 3 * 1024 * 1024
    post = s3.generate_presigned_post(bucket, key, Conditions=[["content-length-range", 1, size]])
    content = bytes(range(256)) * (size // 256)

    # WHEN the whole 3 MiB is posted
    answer = send_form(post["url"], post["fields"], content)

    # THEN moto received the body the client sent, byte for byte
    assert answer.status == 204, answer.body
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == content


def test_requests_that_are_not_form_uploads_reach_moto_unchanged(s3: Any, bucket: str) -> None:
    # GIVEN an object put the SDK way
    s3.put_object(Bucket=bucket, Key="a.csv", Body=CSV)

    # WHEN it is deleted through the XML POST of DeleteObjects
    answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "a.csv"}]})

    # THEN moto handled it as before the guard existed
    assert [deleted["Key"] for deleted in answer["Deleted"]] == ["a.csv"]
    assert stored_keys(s3, bucket) == []


def test_a_pages_form_may_read_the_answer_whether_refused_or_accepted(s3: Any, bucket: str) -> None:
    # GIVEN two presigned POSTs, sent by a browser page on another origin (the console's)
    page = "http://127.0.0.1:8000"
    first = presigned_post(s3, bucket, upload_key())
    second = presigned_post(s3, bucket, upload_key())
    # WHEN one is within the limit and the other over it
    accepted = send_form(first["url"], first["fields"], CSV, origin=page)
    refused = send_form(second["url"], second["fields"], b"x" * (MAX_BYTES + 1), origin=page)
    # THEN both answers allow that page to read them: moto's 204, and the guard's S3 error,
    # whose reason the page can then show
    assert (accepted.status, accepted.cors_origin) == (204, page)
    assert (refused.status, refused.cors_origin) == (400, page)
    assert refused.error()[0] == "EntityTooLarge"
    # AND a form sent by no page (a CLI) is answered without the header, as before
    assert send_form(second["url"], second["fields"], b"x" * 99).cors_origin is None
