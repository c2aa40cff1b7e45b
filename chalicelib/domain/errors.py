"""Tripline's own errors: every failure a caller can act on has a class here.

The tree::

    TriplineError                 base; ``code`` is stable, ``details`` say where
    ├── ConfigurationError        bad or missing settings, all listed at once
    │   ├── SourceDefinitionError a rules/sources/*.yaml file is wrong; every problem, file:line
    │   └── RuleFileError         a rule (rules/*.yaml, an inline rule) or reference table is
    │                             wrong; every problem, file:line:column
    ├── RequestError              the caller sent something we cannot take (4xx)
    │   ├── MalformedBody         not JSON, or not the shape we take; says line and column
    │   ├── UnsupportedMediaType  a body that is not JSON
    │   ├── PayloadTooLarge       body or batch over its limit
    │   ├── InvalidQuery          a bad filter, cursor or limit on a read
    │   ├── InvalidPath           a path parameter that is not percent-encoded UTF-8
    │   ├── NotFound              the thing asked for does not exist
    │   ├── Forbidden             the caller's key does not allow it (another source's events)
    │   └── Conflict              the thing is in a state that does not allow it (a resolved
    │                             alert cannot be acknowledged)
    ├── StorageError              the database refused a write (not an outage): look at the row
    ├── ObjectUnavailable         an uploaded object was deleted or replaced before it was read
    ├── MessageRefused            a system we need answered, and refused this one message for
    │                             what it holds (SNS: InvalidParameter): sending it again as it
    │                             is cannot succeed
    └── DependencyError           a system we need is down (database, queue): retry later

Third-party exceptions never cross a module boundary: adapters catch them and raise one of these
``from`` the original, so the HTTP edge can answer every error from one table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Detail:
    """Where a problem is (``file``, ``field`` as a dotted path, ``line``/``column``) and what is wrong.

    ``column`` is a 1-based character position in JSON and YAML, and the column's name as the file
    wrote it in CSV, where a number would send the operator counting commas.
    """

    message: str
    field: str | None = None
    line: int | None = None
    column: int | str | None = None
    value: Any = None
    file: str | None = None

    def as_dict(self) -> dict[str, Any]:
        shown = {
            "file": self.file,
            "field": self.field,
            "line": self.line,
            "column": self.column,
            "value": self.value,
        }
        return {"message": self.message} | {k: v for k, v in shown.items() if v is not None}


@dataclass
class TriplineError(Exception):
    """Base of every error we raise on purpose."""

    message: str
    details: list[Detail] = field(default_factory=list)
    code = "error"

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        if not self.details:
            return self.message
        lines = [self.message, *(f"  - {_describe(detail)}" for detail in self.details)]
        return "\n".join(lines)


def _describe(detail: Detail) -> str:
    """``file:line: field: message`` for files, ``line 3, column 7: message`` for bodies."""
    if detail.file is not None:
        place = detail.file + (f":{detail.line}" if detail.line is not None else "")
        if detail.line is not None and isinstance(detail.column, int):
            place += f":{detail.column}"
        inner = f"{detail.field}: {detail.message}" if detail.field else detail.message
        return f"{place}: {inner}"
    where = detail.field or ""
    if detail.line is not None:
        where = f"line {detail.line}" + (f", column {detail.column}" if detail.column else "")
    return f"{where}: {detail.message}" if where else detail.message


class ConfigurationError(TriplineError):
    code = "configuration_error"


class SourceDefinitionError(ConfigurationError):
    code = "source_definition_error"


class RuleFileError(ConfigurationError):
    """Problems in rule files, printed the way editors jump to them: ``file:line:col: field: ...``.

    Every problem in every file is listed (the linter and the loader say the same thing).
    """

    code = "rule_file_error"

    def __str__(self) -> str:
        return "\n".join([self.message, *(f"  - {self.describe(one)}" for one in self.details)])

    @staticmethod
    def describe(detail: Detail) -> str:
        """``rules/large.yaml:7:12: when: unknown field 'amout'`` (``:col`` only when known)."""
        place = detail.file or "<rules>"
        if detail.line is not None:
            place += f":{detail.line}"
            if isinstance(detail.column, int):
                place += f":{detail.column}"
        inner = f"{detail.field}: {detail.message}" if detail.field else detail.message
        return f"{place}: {inner}"


class RequestError(TriplineError):
    code = "bad_request"


class MalformedBody(RequestError):
    code = "malformed_body"


class UnsupportedMediaType(RequestError):
    code = "unsupported_media_type"


class PayloadTooLarge(RequestError):
    code = "payload_too_large"


class InvalidQuery(RequestError):
    code = "invalid_query"


class InvalidPath(RequestError):
    code = "invalid_path"


class NotFound(RequestError):
    code = "not_found"


class Forbidden(RequestError):
    code = "forbidden"


class Conflict(RequestError):
    code = "conflict"


class StorageError(TriplineError):
    code = "storage_error"


class ObjectUnavailable(TriplineError):
    """An uploaded object is gone, or was replaced since S3 notified us: reading again won't help."""

    code = "object_unavailable"


class MessageRefused(TriplineError):
    """Not an outage: the system is up and said no to this message, so a retry loop would only
    fail forever while the caller believes the system is down."""

    code = "message_refused"


class DependencyError(TriplineError):
    code = "dependency_unavailable"
