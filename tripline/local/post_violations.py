"""S3's refusals of a form POST, as values, and the exception that carries one out of a check.

The policy check and the signature check both refuse with S3's status, code and wording; the
vocabulary lives here so that the signature module need not import the policy module that calls
it. ``Refused`` lets a check deep in the form's parsing stop at the first failure, as S3 does;
``post_policy.check_post_policy`` turns it back into a value.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PolicyViolation:
    """S3's refusal of an upload: what its XML error document says, and with which status.

    ``details`` are the elements S3 adds after ``Message`` (``ArgumentName``, ``ProposedSize``...).
    """

    status: int
    code: str
    message: str
    details: tuple[tuple[str, str], ...] = ()


class Refused(Exception):
    """Carries a violation out of the nested checks; ``check_post_policy`` returns it as a value."""

    def __init__(self, violation: PolicyViolation) -> None:
        super().__init__(violation.message)
        self.violation = violation


def access_denied(reason: str) -> PolicyViolation:
    return PolicyViolation(403, "AccessDenied", f"Invalid according to Policy: {reason}")


def invalid_policy(reason: str) -> PolicyViolation:
    return PolicyViolation(400, "InvalidPolicyDocument", f"Invalid Policy: {reason}")


def invalid_argument(message: str, name: str, value: str) -> PolicyViolation:
    return PolicyViolation(
        400, "InvalidArgument", message, (("ArgumentName", name), ("ArgumentValue", value))
    )


def missing_field(name: str) -> PolicyViolation:
    """S3's answer when a required field is absent, or was sent after the file and so ignored."""
    return invalid_argument(
        f"Bucket POST must contain a field named '{name}'.  If it is "
        "specified, please check the order of the fields.",
        name,
        "",
    )
