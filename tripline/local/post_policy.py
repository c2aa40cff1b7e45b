"""S3's check of a browser-form upload against its POST policy, as plain functions over the form.

moto stores whatever a form POST carries: an expired policy, another key, a file ten times the
limit. The limits the API hands out would then go untested locally, so the local runtime refuses
what S3 refuses, with S3's status, code and wording. Those follow S3's observed answers where they
differ from its error table: a failed condition is 403 AccessDenied on the wire, not the table's
400 InvalidPolicyDocument. Where S3's wording has never been recorded (a negative size bound),
the message is ours and says so in its text.

The order is S3's: required fields; the signature over the policy text as received (a tampered
policy is SignatureDoesNotMatch, never a parse error); the document; expiry; each condition in
turn; fields no condition covers; last the size, which S3 only learns once the file, the last
part of the form, has streamed in. This module runs those steps and checks the form against the
conditions; the signature is :mod:`~tripline.local.post_signature`'s, reading the document
:mod:`~tripline.local.post_policy_document`'s, and S3's refusals are
:mod:`~tripline.local.post_violations`. Their public names are re-exported here, the one import
path for callers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from tripline.local.post_policy_document import (
    DIGITS,
    EQ,
    EXPIRATION,
    LENGTH_RANGE,
    STARTS_WITH,
    Policy,
    bound,
    parse_policy,
)
from tripline.local.post_signature import (
    ALWAYS_EXEMPT,
    AMZ_DATE,
    CREDENTIAL,
    SIGV2_FIELDS,
    SIGV4_ALGORITHM,
    SIGV4_FIELDS,
    SecretLookup,
    authenticate,
    sigv2_signature,
    sigv4_signature,
)
from tripline.local.post_violations import (
    PolicyViolation,
    Refused,
    access_denied,
    invalid_argument,
    invalid_policy,
    missing_field,
)

__all__ = [
    "ALWAYS_EXEMPT",
    "AMZ_DATE",
    "CREDENTIAL",
    "DIGITS",
    "EQ",
    "EXPIRATION",
    "IGNORED_PREFIX",
    "LENGTH_RANGE",
    "SIGV2_FIELDS",
    "SIGV4_ALGORITHM",
    "SIGV4_FIELDS",
    "STARTS_WITH",
    "PolicyViolation",
    "SecretLookup",
    "access_denied",
    "check_post_policy",
    "invalid_argument",
    "invalid_policy",
    "missing_field",
    "sigv2_signature",
    "sigv4_signature",
]

IGNORED_PREFIX = "x-ignore-"


@dataclass(frozen=True)
class _Form:
    values: dict[str, str]  # by lower-cased name, ${filename} expanded
    spelled: dict[str, str]  # lower-cased name -> the name as sent


def check_post_policy(
    fields: Mapping[str, str],
    *,
    size: int,
    filename: str | None,
    bucket: str,
    now: datetime,
    secret_for: SecretLookup,
) -> PolicyViolation | None:
    """``None`` when S3 would store the upload, else its refusal.

    ``fields`` are the form fields sent before the file part (S3 ignores the rest), ``filename``
    the file part's ``filename`` parameter (``None`` when it has none: S3 then keeps
    ``${filename}`` literally), ``bucket`` the one in the URL, ``now`` an aware time.
    """
    form = _read_form(fields, filename)
    try:
        if "key" not in form.values:
            raise Refused(missing_field("key"))
        exempt = authenticate(form.values, secret_for)
        policy = parse_policy(form.values["policy"])
        if now > policy.expiration:
            raise Refused(access_denied("Policy expired."))
        covered = _check_conditions(policy, form, bucket)
        _check_coverage(form, covered | exempt)
        _check_size(policy, size)
    except Refused as refused:
        return refused.violation
    return None


def _read_form(fields: Mapping[str, str], filename: str | None) -> _Form:
    """Names compared without case; one sent twice is S3's comma-joined list of its values."""
    base = None if filename is None else re.split(r"[/\\]", filename)[-1]
    values: dict[str, str] = {}
    spelled: dict[str, str] = {}
    for name, value in fields.items():
        lower = name.lower()
        expanded = value if base is None else value.replace("${filename}", base)
        values[lower] = f"{values[lower]},{expanded}" if lower in values else expanded
        spelled.setdefault(lower, name)
    return _Form(values, spelled)


def _check_conditions(policy: Policy, form: _Form, bucket: str) -> set[str]:
    """Each field condition in turn, the first failure refused; return the names they cover.

    A condition on a field the form lacks fails, even ``starts-with ""``; ``bucket`` is the URL's.
    """
    covered: set[str] = set()
    for condition in policy.conditions:
        if condition.operator == LENGTH_RANGE:
            continue
        name, expected = condition.operands
        target = name[1:].lower() if name.startswith("$") else ""
        actual = bucket if target == "bucket" else form.values.get(target)
        if (
            not target
            or actual is None
            or not _matches(condition.operator, target, actual, expected)
        ):
            raise condition.failed()
        covered.add(target)
    return covered


def _matches(operator: str, target: str, actual: str, expected: str) -> bool:
    if operator == EQ:
        return actual == expected
    if target == "content-type":  # a list of types: each must match
        return all(one.strip().startswith(expected) for one in actual.split(","))
    return actual.startswith(expected)


def _check_coverage(form: _Form, covered: set[str]) -> None:
    extra = [
        form.spelled[name]
        for name in form.values
        if name not in covered and not name.startswith(IGNORED_PREFIX)
    ]
    if extra:
        raise Refused(access_denied(f"Extra input fields: {', '.join(extra)}"))


def _check_size(policy: Policy, size: int) -> None:
    for condition in policy.conditions:
        if condition.operator != LENGTH_RANGE:
            continue
        low, high = (bound(one) for one in condition.operands)
        if low is None or high is None:
            raise condition.failed()
        if size > high:
            raise Refused(
                PolicyViolation(
                    400,
                    "EntityTooLarge",
                    "Your proposed upload exceeds the maximum allowed size",
                    (("ProposedSize", str(size)), ("MaxSizeAllowed", str(high))),
                )
            )
        if size < low:
            raise Refused(
                PolicyViolation(
                    400,
                    "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed size",
                    (("ProposedSize", str(size)), ("MinSizeAllowed", str(low))),
                )
            )
