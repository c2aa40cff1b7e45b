"""The audit log: every operator action, with who, what, when and from where."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.domain.errors import Detail, InvalidQuery
from chalicelib.domain.json_values import json_value
from chalicelib.domain.paging import decode_keyset, invalid_parameter, page_window

AUDIT_PARAMETERS = ("action", "key", "since", "until", "limit", "cursor")


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    role: str | None
    action: str
    target: str
    detail: Mapping[str, Any] = field(default_factory=dict)
    origin: str | None = None

    def view(self) -> dict[str, Any]:
        return {
            "at": json_value(self.at),
            "actor": self.actor,
            "role": self.role,
            "action": self.action,
            "target": self.target,
            "detail": dict(self.detail),
            "origin": self.origin,
        }


@dataclass(frozen=True)
class AuditQuery:
    action: str | None = None
    key_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 50
    after: tuple[datetime, int] | None = None


@dataclass(frozen=True)
class AuditPage:
    items: list[AuditEntry]
    next_cursor: str | None


def parse_audit_query(
    params: Mapping[str, str], *, default_limit: int, max_limit: int
) -> AuditQuery:
    problems: list[Detail] = []
    since, until, limit, after = page_window(
        params,
        AUDIT_PARAMETERS,
        _cursor,
        problems,
        default_limit=default_limit,
        max_limit=max_limit,
    )
    if problems:
        raise InvalidQuery("invalid query parameters", problems)
    return AuditQuery(params.get("action"), params.get("key"), since, until, limit, after)


def _cursor(text: str) -> tuple[datetime, int]:
    stamp, row_id = decode_keyset(text)
    if type(row_id) is not int:
        raise invalid_parameter("cursor", "is not a cursor this API returned", text)
    return stamp, row_id
