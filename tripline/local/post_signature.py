"""The authentication step of S3's form POST check: which signature the form carries, and whether
it is right.

S3 checks the signature over the policy text as received, before it parses the policy, so a
tampered policy is SignatureDoesNotMatch, never a parse error; this module therefore sees the
form's fields and the raw policy only. SigV4 fields win over SigV2 ones; a form with neither is
an anonymous upload, which the buckets here never take. The signing functions are public so that
tests can sign a policy the way a client does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping

from tripline.local.post_violations import (
    PolicyViolation,
    Refused,
    invalid_argument,
    missing_field,
)

SecretLookup = Callable[[str], str | None]
SIGV4_ALGORITHM = "AWS4-HMAC-SHA256"
SIGV4_FIELDS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "Policy")
SIGV2_FIELDS = ("AWSAccessKeyId", "Signature", "Policy")
ALWAYS_EXEMPT = frozenset({"file", "policy"})
CREDENTIAL = re.compile(r"(?P<akid>[^/]*)/(?P<date>\d{8})/(?P<region>[^/]+)/s3/aws4_request")
AMZ_DATE = re.compile(r"\d{8}T\d{6}Z")


def authenticate(values: Mapping[str, str], secret_for: SecretLookup) -> frozenset[str]:
    """Verify the signature; return the fields this signature version exempts from coverage.

    ``values`` are the form's fields by lower-cased name; a refusal is raised as :class:`Refused`.
    """
    if any(name.lower() in values for name in SIGV4_FIELDS[:4]):
        _require(values, SIGV4_FIELDS)
        _verify_sigv4(values, secret_for)
        return ALWAYS_EXEMPT | {"x-amz-signature"}
    if any(name.lower() in values for name in SIGV2_FIELDS[:2]):
        _require(values, SIGV2_FIELDS)
        access_key = values["awsaccesskeyid"]
        expected = sigv2_signature(_secret(secret_for, access_key), values["policy"])
        _compare(expected, values["signature"], access_key, values["policy"])
        return ALWAYS_EXEMPT | {"awsaccesskeyid", "signature"}
    # no credentials: an anonymous upload, which only a publicly writable bucket takes
    raise Refused(PolicyViolation(403, "AccessDenied", "Access Denied"))


def _require(values: Mapping[str, str], names: tuple[str, ...]) -> None:
    for name in names:
        if name.lower() not in values:
            raise Refused(missing_field(name))


def _verify_sigv4(values: Mapping[str, str], secret_for: SecretLookup) -> None:
    algorithm, credential = values["x-amz-algorithm"], values["x-amz-credential"]
    if algorithm != SIGV4_ALGORITHM:
        raise Refused(
            invalid_argument(
                f'X-Amz-Algorithm only supports "{SIGV4_ALGORITHM}"', "X-Amz-Algorithm", algorithm
            )
        )
    scope = CREDENTIAL.fullmatch(credential)
    if scope is None:
        raise Refused(
            invalid_argument(
                'the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/'
                'aws4_request".',
                "X-Amz-Credential",
                credential,
            )
        )
    if not scope["akid"]:
        raise Refused(
            invalid_argument(
                "a non-empty Access Key (AKID) must be provided in the credential.",
                "X-Amz-Credential",
                credential,
            )
        )
    if not AMZ_DATE.fullmatch(values["x-amz-date"]):  # "formated" is S3's spelling
        raise Refused(
            invalid_argument(
                "X-Amz-Date must be formated via ISO8601 Long format",
                "X-Amz-Date",
                values["x-amz-date"],
            )
        )
    secret = _secret(secret_for, scope["akid"])
    expected = sigv4_signature(secret, scope["date"], scope["region"], values["policy"])
    _compare(expected, values["x-amz-signature"], scope["akid"], values["policy"])


def sigv4_signature(secret: str, date: str, region: str, policy: str) -> str:
    """Hex HMAC-SHA256 of the base64 policy text under the SigV4 key of ``date`` and ``region``."""
    key = f"AWS4{secret}".encode()
    for part in (date, region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, policy.encode(), hashlib.sha256).hexdigest()


def sigv2_signature(secret: str, policy: str) -> str:
    """Base64 HMAC-SHA1 of the base64 policy text: the signature of older clients."""
    digest = hmac.new(secret.encode(), policy.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _secret(secret_for: SecretLookup, access_key: str) -> str:
    secret = secret_for(access_key)
    if secret is None:
        raise Refused(
            PolicyViolation(
                403,
                "InvalidAccessKeyId",
                "The AWS Access Key Id you provided does not exist in our records.",
                (("AWSAccessKeyId", access_key),),
            )
        )
    return secret


def _compare(expected: str, provided: str, access_key: str, policy: str) -> None:
    """In constant time, on bytes: ``compare_digest`` refuses non-ASCII text, which forms carry."""
    if not hmac.compare_digest(expected.encode(), provided.encode()):
        raise Refused(
            PolicyViolation(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. "
                "Check your key and signing method.",
                (
                    ("AWSAccessKeyId", access_key),
                    ("StringToSign", policy),
                    ("SignatureProvided", provided),
                    ("StringToSignBytes", " ".join(f"{byte:02x}" for byte in policy.encode())),
                ),
            )
        )
