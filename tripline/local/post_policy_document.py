"""The signed document of a form POST, read as strictly as S3 reads it.

S3 refuses a policy it cannot read before it looks at any condition: bad Base64, JSON with a
float or an unknown key, an expiration with an offset, a condition of the wrong shape. Each gets
S3's ``InvalidPolicyDocument`` wording here, so the checks that follow see only well-formed
conditions, in the order they were written.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tripline.local.post_violations import Refused, access_denied, invalid_policy

EQ, STARTS_WITH, LENGTH_RANGE = "eq", "starts-with", "content-length-range"
EXPIRATION = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?Z")
DIGITS = re.compile(r"-?\d+")


@dataclass(frozen=True)
class Condition:
    """One condition as it is checked, and as S3 quotes it back when it fails."""

    operator: str  # lower-cased
    operands: tuple[Any, Any]
    written: tuple[Any, ...]  # as S3 prints it, a simple condition as its "eq" array

    def failed(self) -> Refused:
        shown = json.dumps(list(self.written), ensure_ascii=False)
        return Refused(access_denied(f"Policy Condition failed: {shown}"))


@dataclass(frozen=True)
class Policy:
    """The document once read: when it expires, and its conditions in the order written."""

    expiration: datetime
    conditions: tuple[Condition, ...]


def parse_policy(text: str) -> Policy:
    """The signed document: strict JSON (S3 refuses a float bound), expiration and conditions."""
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise Refused(invalid_policy("invalid Base64 encoding.")) from exc
    try:
        document = json.loads(raw.decode(), parse_float=_refuse, parse_constant=_refuse)
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError alike
        raise Refused(invalid_policy("Invalid JSON.")) from exc
    if not isinstance(document, dict):
        raise Refused(invalid_policy("Invalid JSON."))
    unexpected = [name for name in document if name not in ("expiration", "conditions")]
    if unexpected:
        raise Refused(invalid_policy(f"Unexpected: '{unexpected[0].lower()}'"))
    for name in ("expiration", "conditions"):
        if name not in document:
            raise Refused(invalid_policy(f"Policy missing {name}."))
    conditions = document["conditions"]
    if not isinstance(conditions, list):
        raise Refused(invalid_policy("Invalid 'conditions' value: must be a List."))
    return Policy(_expiration(document["expiration"]), tuple(_condition(one) for one in conditions))


def _refuse(text: str) -> Any:
    raise ValueError(f"not an integer: {text}")


def _expiration(value: Any) -> datetime:
    """ISO 8601 in UTC, with or without fractions of a second; an offset is refused, as by S3."""
    match = EXPIRATION.fullmatch(value) if isinstance(value, str) else None
    try:
        if match is None:
            raise ValueError(value)
        year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
        micro = int((match[7] or "0").ljust(6, "0"))
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)
    except ValueError as exc:
        raise Refused(invalid_policy(f"Invalid 'expiration' value: '{value}'")) from exc


def _condition(item: Any) -> Condition:
    if isinstance(item, dict):
        if len(item) != 1:
            raise Refused(
                invalid_policy(
                    "Invalid Simple-Condition: Simple-Conditions must have "
                    "exactly one property specified."
                )
            )
        [(name, value)] = item.items()
        if value is None:
            raise Refused(invalid_policy("Invalid JSON."))
        if not isinstance(value, str):
            raise Refused(invalid_policy("Invalid Simple-Condition: value must be a string."))
        return Condition(EQ, (f"${name}", value), (EQ, f"${name}", value))
    if isinstance(item, list):
        return _operation(item)
    raise Refused(invalid_policy("Invalid condition test: must be a List or Object."))


def _operation(item: list[Any]) -> Condition:
    if not item or not isinstance(item[0], str):
        raise Refused(invalid_policy("Invalid Condition: missing operation identifier."))
    operator = item[0].lower()
    if operator not in (EQ, STARTS_WITH, LENGTH_RANGE):
        raise Refused(invalid_policy(f"Invalid Condition: unknown operation '{item[0]}'."))
    if len(item) != 3:
        raise Refused(invalid_policy(f"Invalid {item[0]}: wrong number of arguments."))
    operands = (item[1], item[2])
    if operator == LENGTH_RANGE:
        if any(bound is not None and bound < 0 for bound in map(bound, operands)):
            raise Refused(
                invalid_policy(
                    "Invalid content-length-range: a bound is negative "
                    "(Tripline's wording; S3's is unrecorded)."
                )
            )
    elif not all(isinstance(one, str) for one in operands):
        raise Refused(invalid_policy("Invalid JSON."))
    return Condition(operator, operands, tuple(item))


def bound(value: Any) -> int | None:
    """A size bound: an integer, or a string of digits (S3 takes ``"10"``); else ``None``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and DIGITS.fullmatch(value):
        return int(value)
    return None
