"""S3's POST-policy check over a submitted form: signatures, expiry, conditions, coverage, size.

Forms are signed here from first principles (AWS's published algorithm), and checked against
AWS's own worked example and botocore's presigned POSTs, so the check and the signer agree with
S3 rather than only with each other.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tripline.local.post_policy import (
    PolicyViolation,
    check_post_policy,
    sigv2_signature,
    sigv4_signature,
)

BUCKET = "uploads"
KEY = "incoming/sensors/u-1/readings.csv"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
EXPIRATION = "2026-03-01T12:15:00Z"
DATE = "20260301T120000Z"
CREDENTIAL = "local/20260301/us-east-1/s3/aws4_request"
SIGNED = [
    {"x-amz-algorithm": "AWS4-HMAC-SHA256"},
    {"x-amz-credential": CREDENTIAL},
    {"x-amz-date": DATE},
]

# AWS's worked SigV4 example (developer guide, "Example: Browser-Based Upload using HTTP POST")
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
AWS_POLICY = (
    "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7"
    "ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91"
    "c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3Qi"
    "OiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwi"
    "fSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRh"
    "LXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVT"
    "MjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNy"
    "ZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9"
    "LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAi"
    "MjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9"
)
AWS_SIGNATURE = "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e"


def secret_for(access_key_id: str) -> str | None:
    return {"local": "local", "AKIAIOSFODNN7EXAMPLE": AWS_SECRET}.get(access_key_id)


def encode(document: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(document).encode()).decode()


def sign_v4(policy: str, secret: str = "local") -> str:
    key = hmac.new(f"AWS4{secret}".encode(), b"20260301", hashlib.sha256).digest()
    for part in (b"us-east-1", b"s3", b"aws4_request"):
        key = hmac.new(key, part, hashlib.sha256).digest()
    return hmac.new(key, policy.encode(), hashlib.sha256).hexdigest()


def v4_form(
    conditions: list[Any],
    fields: dict[str, str] | None = None,
    *,
    expiration: str = EXPIRATION,
    policy: str | None = None,
) -> dict[str, str]:
    """A SigV4 form as botocore builds one: the given fields and key, then the signed ones."""
    policy = policy or encode({"expiration": expiration, "conditions": [*conditions, *SIGNED]})
    return {
        "key": KEY,
        **(fields or {}),
        "x-amz-algorithm": "AWS4-HMAC-SHA256",
        "x-amz-credential": CREDENTIAL,
        "x-amz-date": DATE,
        "policy": policy,
        "x-amz-signature": sign_v4(policy),
    }


def v2_form(conditions: list[Any], secret: str = "local") -> dict[str, str]:
    policy = encode({"expiration": EXPIRATION, "conditions": conditions})
    digest = hmac.new(secret.encode(), policy.encode(), hashlib.sha1).digest()
    return {
        "key": KEY,
        "AWSAccessKeyId": "local",
        "policy": policy,
        "signature": base64.b64encode(digest).decode(),
    }


def check(
    form: dict[str, str],
    *,
    size: int = 10,
    filename: str | None = "readings.csv",
    bucket: str = BUCKET,
    now: datetime = NOW,
) -> PolicyViolation | None:
    return check_post_policy(
        form, size=size, filename=filename, bucket=bucket, now=now, secret_for=secret_for
    )


def condition_failed(shown: str) -> PolicyViolation:
    return PolicyViolation(
        403, "AccessDenied", f"Invalid according to Policy: Policy Condition failed: {shown}"
    )


KEY_ONLY = [{"key": KEY}]

# --- signatures ---------------------------------------------------------------------------------


def test_the_sigv4_signature_is_the_one_aws_publishes() -> None:
    # GIVEN AWS's example policy, credentials and scope
    # WHEN it is signed
    signature = sigv4_signature(AWS_SECRET, "20151229", "us-east-1", AWS_POLICY)
    # THEN it is AWS's stated signature
    assert signature == AWS_SIGNATURE


def test_awss_worked_example_form_is_accepted() -> None:
    # GIVEN AWS's example form: capitalised X-Amz-* and Policy names, ${filename} in the key,
    # an empty x-amz-meta-tag under starts-with ""
    form = {
        "key": "user/user1/${filename}",
        "acl": "public-read",
        "success_action_redirect": "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html",
        "Content-Type": "image/jpeg",
        "x-amz-meta-uuid": "14365123651274",
        "x-amz-server-side-encryption": "AES256",
        "X-Amz-Credential": "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request",
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Date": "20151229T000000Z",
        "x-amz-meta-tag": "",
        "Policy": AWS_POLICY,
        "X-Amz-Signature": AWS_SIGNATURE,
    }
    # WHEN it is checked the day it was signed
    verdict = check(
        form,
        filename="photo.jpg",
        bucket="sigv4examplebucket",
        now=datetime(2015, 12, 29, tzinfo=UTC),
    )
    # THEN S3 would store it
    assert verdict is None


@pytest.mark.parametrize("signature_version", ["s3v4", "s3"])
def test_botocores_presigned_posts_are_accepted(signature_version: str) -> None:
    # GIVEN the presigned POST the API hands out, signed by botocore with SigV4 or SigV2
    client = boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:4566",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        aws_session_token="local",
        config=Config(signature_version=signature_version, s3={"addressing_style": "path"}),
    )
    post = client.generate_presigned_post(
        BUCKET,
        KEY,
        Fields={"Content-Type": "text/csv"},
        Conditions=[{"Content-Type": "text/csv"}, ["content-length-range", 0, 100]],
        ExpiresIn=900,
    )
    # WHEN its fields are checked now
    verdict = check(post["fields"], now=datetime.now(UTC))
    # THEN S3 would store the upload
    assert verdict is None


def test_a_wrong_sigv4_signature_is_refused_with_what_was_signed() -> None:
    # GIVEN a form whose signature has one digit changed
    form = v4_form(KEY_ONLY)
    provided = ("0" if form["x-amz-signature"][0] != "0" else "1") + form["x-amz-signature"][1:]
    # WHEN it is checked
    verdict = check({**form, "x-amz-signature": provided})
    # THEN SignatureDoesNotMatch, naming the key, the string to sign and the signature sent
    assert verdict is not None
    assert (verdict.status, verdict.code) == (403, "SignatureDoesNotMatch")
    assert dict(verdict.details)["AWSAccessKeyId"] == "local"
    assert dict(verdict.details)["StringToSign"] == form["policy"]
    assert dict(verdict.details)["SignatureProvided"] == provided


def test_a_tampered_policy_is_refused_as_a_signature_mismatch() -> None:
    # GIVEN a signed form whose policy is then replaced by a more generous one
    form = v4_form([*KEY_ONLY, ["content-length-range", 0, 10]])
    forged = encode(
        {
            "expiration": EXPIRATION,
            "conditions": [*KEY_ONLY, ["content-length-range", 0, 10**9], *SIGNED],
        }
    )
    # WHEN it is checked with a large file
    verdict = check({**form, "policy": forged}, size=10**6)
    # THEN the signature no longer matches
    assert verdict is not None and verdict.code == "SignatureDoesNotMatch"


def test_a_signature_that_is_not_ascii_is_refused_not_crashed() -> None:
    # GIVEN a signature field with non-ASCII text
    form = {**v4_form(KEY_ONLY), "x-amz-signature": "é" * 64}
    # WHEN it is checked
    verdict = check(form)
    # THEN it is an ordinary mismatch
    assert verdict is not None and verdict.code == "SignatureDoesNotMatch"


def test_an_unknown_access_key_is_refused() -> None:
    # GIVEN a form signed for an access key the server does not know
    form = {**v4_form(KEY_ONLY), "x-amz-credential": "AKIAOTHER/20260301/us-east-1/s3/aws4_request"}
    # WHEN it is checked
    verdict = check(form)
    # THEN InvalidAccessKeyId, naming it
    assert verdict == PolicyViolation(
        403,
        "InvalidAccessKeyId",
        "The AWS Access Key Id you provided does not exist in our records.",
        (("AWSAccessKeyId", "AKIAOTHER"),),
    )


def test_a_sigv2_form_signed_with_the_secret_is_accepted() -> None:
    # GIVEN a SigV2 form (AWSAccessKeyId, signature) signed with the key's secret
    form = v2_form(KEY_ONLY)
    # WHEN it is checked
    verdict = check(form)
    # THEN S3 would store it, and the signature is the base64 HMAC-SHA1 of the policy text
    assert verdict is None
    assert sigv2_signature("local", form["policy"]) == form["signature"]


def test_a_sigv2_form_signed_with_another_secret_is_refused() -> None:
    # GIVEN a SigV2 form signed with a secret that is not the key's
    form = v2_form(KEY_ONLY, secret="other")
    # WHEN it is checked
    verdict = check(form)
    # THEN the signature does not match
    assert verdict is not None
    assert (verdict.status, verdict.code) == (403, "SignatureDoesNotMatch")


def test_an_unsupported_algorithm_is_refused() -> None:
    # GIVEN a SigV4 form naming another algorithm
    form = {**v4_form(KEY_ONLY), "x-amz-algorithm": "AWS4-HMAC-SHA1"}
    # WHEN it is checked
    verdict = check(form)
    # THEN InvalidArgument, naming the field
    assert verdict is not None and (verdict.status, verdict.code) == (400, "InvalidArgument")
    assert dict(verdict.details)["ArgumentName"] == "X-Amz-Algorithm"


# --- required fields ----------------------------------------------------------------------------


def test_a_form_without_credentials_is_anonymous_and_refused() -> None:
    # GIVEN a key and a policy but no credentials or signature
    form = {"key": KEY, "policy": encode({"expiration": EXPIRATION, "conditions": KEY_ONLY})}
    # WHEN it is checked
    verdict = check(form)
    # THEN the private bucket refuses an anonymous upload
    assert verdict == PolicyViolation(403, "AccessDenied", "Access Denied")


@pytest.mark.parametrize(
    ("dropped", "named"),
    [
        ("policy", "Policy"),
        ("x-amz-signature", "X-Amz-Signature"),
        ("x-amz-credential", "X-Amz-Credential"),
        ("key", "key"),
    ],
)
def test_a_missing_required_field_is_named(dropped: str, named: str) -> None:
    # GIVEN a signed form without one required field
    form = {name: value for name, value in v4_form(KEY_ONLY).items() if name != dropped}
    # WHEN it is checked
    verdict = check(form)
    # THEN InvalidArgument names it, as S3 does
    assert verdict == PolicyViolation(
        400,
        "InvalidArgument",
        f"Bucket POST must contain a field named '{named}'.  If it is specified, please check "
        "the order of the fields.",
        (("ArgumentName", named), ("ArgumentValue", "")),
    )


# --- expiry -------------------------------------------------------------------------------------


def test_a_policy_is_valid_up_to_its_expiration_and_refused_after() -> None:
    # GIVEN a policy expiring at 12:15:00.000
    form = v4_form(KEY_ONLY, expiration="2026-03-01T12:15:00.000Z")
    expires = datetime(2026, 3, 1, 12, 15, tzinfo=UTC)
    # WHEN it is checked at that instant and a second later
    at, after = check(form, now=expires), check(form, now=expires + timedelta(seconds=1))
    # THEN it passes at the instant and is expired after it
    assert at is None
    assert after == PolicyViolation(
        403, "AccessDenied", "Invalid according to Policy: Policy expired."
    )


def test_an_expiration_with_an_offset_is_not_s3s_format() -> None:
    # GIVEN a policy whose expiration carries a time zone offset
    form = v4_form(KEY_ONLY, expiration="2026-03-01T12:15:00+02:00")
    # WHEN it is checked
    verdict = check(form)
    # THEN the document is invalid
    assert verdict == PolicyViolation(
        400,
        "InvalidPolicyDocument",
        "Invalid Policy: Invalid 'expiration' value: '2026-03-01T12:15:00+02:00'",
    )


# --- conditions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "condition", [{"Content-Type": "text/csv"}, ["eq", "$Content-Type", "text/csv"]]
)
def test_an_exact_condition_passes_on_its_value_and_fails_on_another(condition: Any) -> None:
    # GIVEN a policy fixing the content type, as a simple condition or an "eq" array
    def form(value: str) -> dict[str, str]:
        return v4_form([*KEY_ONLY, condition], {"Content-Type": value})

    # WHEN the form declares it, then another
    # THEN the first passes and the second fails, printed as S3 prints it
    assert check(form("text/csv")) is None
    assert check(form("text/html")) == condition_failed('["eq", "$Content-Type", "text/csv"]')


def test_another_key_fails_the_key_condition() -> None:
    # GIVEN a form for one key whose key field was changed
    form = {**v4_form(KEY_ONLY), "key": "incoming/other/evil.csv"}
    # WHEN it is checked
    verdict = check(form)
    # THEN the key condition is the one that failed
    assert verdict == condition_failed(f'["eq", "$key", "{KEY}"]')


def test_starts_with_passes_on_the_prefix_and_fails_on_another() -> None:
    # GIVEN a policy allowing any key under incoming/sensors/
    prefix = [["starts-with", "$key", "incoming/sensors/"]]
    # WHEN a key under it and one outside are checked
    inside = check(v4_form(prefix))
    outside = check({**v4_form(prefix), "key": "incoming/other/x.csv"})
    # THEN only the first passes
    assert inside is None
    assert outside == condition_failed('["starts-with", "$key", "incoming/sensors/"]')


def test_an_empty_prefix_allows_any_value_but_not_a_missing_field() -> None:
    # GIVEN a policy allowing any x-amz-meta-note
    anything = [*KEY_ONLY, ["starts-with", "$x-amz-meta-note", ""]]
    # WHEN forms with a note, an empty note and no note are checked
    verdicts = [
        check(v4_form(anything, fields))
        for fields in ({"x-amz-meta-note": "anything at all"}, {"x-amz-meta-note": ""}, {})
    ]
    # THEN the field must be sent, whatever its value
    assert verdicts == [None, None, condition_failed('["starts-with", "$x-amz-meta-note", ""]')]


def test_a_content_type_list_must_match_the_prefix_in_every_item() -> None:
    # GIVEN a policy allowing image types
    images = [*KEY_ONLY, ["starts-with", "$Content-Type", "image/"]]
    # WHEN a list of image types and a list with a text type are checked
    all_images = check(v4_form(images, {"Content-Type": "image/jpg,image/png,image/gif"}))
    one_text = check(v4_form(images, {"Content-Type": "image/jpg,text/plain"}))
    # THEN only the first passes
    assert all_images is None
    assert one_text == condition_failed('["starts-with", "$Content-Type", "image/"]')


def test_commas_in_other_fields_are_plain_text() -> None:
    # GIVEN a prefix condition on a metadata field whose value has a comma
    tags = [*KEY_ONLY, ["starts-with", "$x-amz-meta-tags", "red"]]
    # WHEN "red,blue" is checked
    verdict = check(v4_form(tags, {"x-amz-meta-tags": "red,blue"}))
    # THEN the whole string starts with the prefix, which is all that matters
    assert verdict is None


def test_the_bucket_condition_is_matched_against_the_url() -> None:
    # GIVEN a form signed for the bucket "uploads"
    form = v4_form([{"bucket": BUCKET}, *KEY_ONLY])
    # WHEN it is posted to that bucket and to another
    # THEN only its own bucket passes
    assert check(form) is None
    assert check(form, bucket="other") == condition_failed('["eq", "$bucket", "uploads"]')


def test_field_names_and_operators_ignore_case_but_values_do_not() -> None:
    # GIVEN conditions and fields spelt in mixed case
    conditions = [["StArTs-WiTh", "$KeY", "incoming/"], {"CONTENT-type": "text/csv"}]
    form = {
        ("KEY" if name == "key" else name): value
        for name, value in v4_form(conditions, {"content-TYPE": "text/csv"}).items()
    }
    # WHEN it is checked, then with the value's case changed
    same = check(form)
    other_case = check({**form, "content-TYPE": "Text/CSV"})
    # THEN names match whatever their case, values only exactly
    assert same is None
    assert other_case == condition_failed('["eq", "$CONTENT-type", "text/csv"]')


def test_filename_is_expanded_before_the_conditions_are_checked() -> None:
    # GIVEN a key with ${filename} and a condition on the expanded key
    form = v4_form(
        [{"key": "incoming/sensors/readings.csv"}], {"key": "incoming/sensors/${filename}"}
    )
    # WHEN the file part's filename carries a Windows path
    verdict = check(form, filename="C:\\Users\\op\\readings.csv")
    # THEN only its last segment replaces ${filename}
    assert verdict is None


def test_filename_stays_literal_when_the_file_part_has_none() -> None:
    # GIVEN a key with ${filename} signed literally
    form = v4_form([{"key": "incoming/${filename}"}], {"key": "incoming/${filename}"})
    # WHEN the file part has no filename parameter
    verdict = check(form, filename=None)
    # THEN the variable is kept, as S3 keeps it
    assert verdict is None


def test_a_field_sent_twice_is_a_comma_separated_list() -> None:
    # GIVEN a form sending x-amz-meta-tag twice, in two spellings
    form = {
        **v4_form([*KEY_ONLY, {"x-amz-meta-tag": "Ninja,Stallman"}]),
        "x-amz-meta-tag": "Ninja",
        "X-Amz-Meta-Tag": "Stallman",
    }
    # WHEN it is checked
    verdict = check(form)
    # THEN the values joined by a comma met the condition
    assert verdict is None


# --- fields no condition covers -----------------------------------------------------------------


def test_fields_no_condition_covers_are_named_as_sent() -> None:
    # GIVEN a form with two fields the policy does not mention
    form = v4_form(KEY_ONLY, {"X-Amz-Meta-Owner": "mallory", "success_action_status": "201"})
    # WHEN it is checked
    verdict = check(form)
    # THEN both are listed, in the order sent
    assert verdict == PolicyViolation(
        403,
        "AccessDenied",
        "Invalid according to Policy: Extra input fields: X-Amz-Meta-Owner, success_action_status",
    )


def test_x_ignore_fields_and_the_signature_fields_need_no_condition() -> None:
    # GIVEN a SigV4 and a SigV2 form, each with an x-ignore- field
    v4 = v4_form(KEY_ONLY, {"x-ignore-tracker": "1"})
    v2 = {**v2_form(KEY_ONLY), "X-Ignore-Tracker": "1"}
    # WHEN they are checked
    # THEN neither the ignored field nor policy, signature or access key id counts as extra
    assert check(v4) is None
    assert check(v2) is None


# --- size ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "code"),
    [
        (4, "EntityTooSmall"),
        (5, None),
        (10, None),
        (11, "EntityTooLarge"),
    ],
)
def test_the_size_range_is_inclusive(size: int, code: str | None) -> None:
    # GIVEN a policy for 5 to 10 bytes
    form = v4_form([*KEY_ONLY, ["content-length-range", 5, 10]])
    # WHEN a file of the given size is checked
    verdict = check(form, size=size)
    # THEN sizes at either bound pass, one byte beyond is refused
    assert (verdict.code if verdict else None) == code
    assert verdict is None or verdict.status == 400


def test_size_refusals_carry_s3s_details() -> None:
    # GIVEN a policy for 5 to 10 bytes
    form = v4_form([*KEY_ONLY, ["content-length-range", "5", "10"]])
    # WHEN 12 bytes and 1 byte are checked
    large, small = check(form, size=12), check(form, size=1)
    # THEN S3's messages and sizes, the string bounds read as numbers
    assert large == PolicyViolation(
        400,
        "EntityTooLarge",
        "Your proposed upload exceeds the maximum allowed size",
        (("ProposedSize", "12"), ("MaxSizeAllowed", "10")),
    )
    assert small == PolicyViolation(
        400,
        "EntityTooSmall",
        "Your proposed upload is smaller than the minimum allowed size",
        (("ProposedSize", "1"), ("MinSizeAllowed", "5")),
    )


def test_a_size_bound_that_is_not_a_number_fails_as_a_condition() -> None:
    # GIVEN a range with a word for its lower bound
    form = v4_form([*KEY_ONLY, ["content-length-range", "test", "10"]])
    # WHEN it is checked
    verdict = check(form)
    # THEN the condition fails as written
    assert verdict == condition_failed('["content-length-range", "test", "10"]')


# --- the policy document ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ("not base64!", "invalid Base64 encoding."),
        (base64.b64encode(b"{not json").decode(), "Invalid JSON."),
        (
            encode({"expiration": EXPIRATION, "conditions": [["content-length-range", 0, 512.0]]}),
            "Invalid JSON.",
        ),
        (encode({"conditions": KEY_ONLY}), "Policy missing expiration."),
        (encode({"expiration": EXPIRATION}), "Policy missing conditions."),
        (encode({"expiration": EXPIRATION, "CONDITIONS": KEY_ONLY}), "Unexpected: 'conditions'"),
        (
            encode({"expiration": EXPIRATION, "conditions": {"key": KEY}}),
            "Invalid 'conditions' value: must be a List.",
        ),
        (
            encode({"expiration": EXPIRATION, "conditions": [{}]}),
            "Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.",
        ),
        (
            encode({"expiration": EXPIRATION, "conditions": [{"content-length": 5}]}),
            "Invalid Simple-Condition: value must be a string.",
        ),
        (
            encode({"expiration": EXPIRATION, "conditions": [["ends-with", "$key", ".csv"]]}),
            "Invalid Condition: unknown operation 'ends-with'.",
        ),
        (
            encode({"expiration": EXPIRATION, "conditions": [["content-length-range", 0]]}),
            "Invalid content-length-range: wrong number of arguments.",
        ),
        (
            encode({"expiration": EXPIRATION, "conditions": [[]]}),
            "Invalid Condition: missing operation identifier.",
        ),
        (
            encode({"expiration": EXPIRATION, "conditions": ["key"]}),
            "Invalid condition test: must be a List or Object.",
        ),
    ],
)
def test_a_malformed_policy_document_is_refused(policy: str, message: str) -> None:
    # GIVEN a correctly signed form whose policy S3 cannot read
    form = v4_form([], policy=policy)
    # WHEN it is checked
    verdict = check(form)
    # THEN InvalidPolicyDocument, with S3's reason
    assert verdict == PolicyViolation(400, "InvalidPolicyDocument", f"Invalid Policy: {message}")


def test_a_negative_size_bound_is_a_malformed_policy() -> None:
    # GIVEN a range starting below zero
    form = v4_form([*KEY_ONLY, ["content-length-range", -1, 10]])
    # WHEN it is checked
    verdict = check(form)
    # THEN the document is refused, not the upload
    assert verdict is not None and (verdict.status, verdict.code) == (400, "InvalidPolicyDocument")
