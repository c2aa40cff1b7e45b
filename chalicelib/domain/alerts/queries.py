"""``GET /alerts``: its filters, its cursor, and the page it returns.

Newest opened first by ``(opened_at, id)``, keyset-paginated like the events list, so a page stays
right while alerts keep opening. ``status=active`` is shorthand for open and acknowledged: what
on-call's dashboard shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.alerts.model import ACTIVE, STATUSES, Alert
from chalicelib.domain.errors import Detail, InvalidQuery
from chalicelib.domain.paging import decode_keyset, encode_keyset, invalid_parameter, page_window
from chalicelib.domain.rules import SEVERITIES

ALERT_PARAMETERS = ("status", "severity", "rule", "source", "since", "until", "limit", "cursor")
STATUS_CHOICES = (*STATUSES, "active")


@dataclass(frozen=True)
class AlertCursor:
    opened_at: datetime
    alert_id: int

    def encode(self) -> str:
        return encode_keyset(self.opened_at, self.alert_id)

    @classmethod
    def decode(cls, text: str) -> AlertCursor:
        opened_at, alert_id = decode_keyset(text)
        if type(alert_id) is not int:
            raise invalid_parameter("cursor", "is not a cursor this API returned", text)
        return cls(opened_at, alert_id)


@dataclass(frozen=True)
class AlertQuery:
    statuses: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    rule: str | None = None
    source: str | None = None
    since: datetime | None = None  # opened at or after
    until: datetime | None = None  # opened before
    limit: int = 50
    after: AlertCursor | None = None


@dataclass(frozen=True)
class AlertPage:
    items: list[Alert]
    next_cursor: str | None


def parse_alert_query(
    params: Mapping[str, str], *, default_limit: int, max_limit: int
) -> AlertQuery:
    """Every bad parameter is reported at once. ``status`` and ``severity`` take a
    comma-separated list: ``severity=high,critical``."""
    problems: list[Detail] = []
    since, until, limit, after = page_window(
        params,
        ALERT_PARAMETERS,
        AlertCursor.decode,
        problems,
        default_limit=default_limit,
        max_limit=max_limit,
    )
    statuses = _choices(params, "status", STATUS_CHOICES, problems)
    if "active" in statuses:
        statuses = tuple(dict.fromkeys(one for one in (*statuses, *ACTIVE) if one != "active"))
    severities = _choices(params, "severity", SEVERITIES, problems)
    if problems:
        raise InvalidQuery("invalid query parameters", problems)
    rule, source = params.get("rule"), params.get("source")
    return AlertQuery(
        statuses,
        severities,
        rule.strip() if rule else None,
        source.strip().lower() if source else None,
        since,
        until,
        limit,
        after,
    )


def _choices(
    params: Mapping[str, str], name: str, options: tuple[str, ...], problems: list[Detail]
) -> tuple[str, ...]:
    if name not in params:
        return ()
    chosen = tuple(part.strip().lower() for part in params[name].split(",") if part.strip())
    wrong = [one for one in chosen if one not in options]
    if wrong or not chosen:
        problems.append(
            Detail(
                f"must be one or more of {', '.join(options)}, comma-separated",
                field=name,
                value=params[name],
            )
        )
    return tuple(one for one in chosen if one in options)
