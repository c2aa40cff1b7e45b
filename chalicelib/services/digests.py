"""The weekly digest: last week's workbook in the bucket, and one email linking to it.

The schedule asks every hour; the week's row (``DigestStore.claim``) lets one call build and
send it, once. The workbook is written first, then the email names its figures and links to it,
then the row is marked sent: a failure before the email leaves the week to be tried again (the
next hour, or ``tripline digest send``); a failure between the email and the mark (the database
gone for that instant) can send it a second time, which is the rarer and kinder mistake than
never sending it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from chalicelib.domain.alerts import OutgoingAlert
from chalicelib.domain.errors import Detail, InvalidQuery, NotFound, TriplineError
from chalicelib.domain.paging import limit_parameter
from chalicelib.domain.reports import (
    ALERT_COLUMNS,
    UPLOAD_COLUMNS,
    Cell,
    DigestWeek,
    KpiFacts,
    KpiQuery,
    ReportRequest,
    alert_cells,
    digest_email,
    due_week,
    new_report,
    parse_week,
    percentile,
    upload_cells,
)
from chalicelib.observability import logger
from chalicelib.ports import AlertTopic, Clock, DigestStore, ReportFiles, ReportRows

Sheet = tuple[str, Sequence[str], Iterable[Sequence[Cell]]]
AvailabilitySheet = Callable[[DigestWeek], Sheet]
MAX_LISTED = 53
SOURCE_COLUMNS = ("source", "events", "rows_rejected", "uploads", "uploads_failed")
RULE_COLUMNS = (
    "rule_id",
    "matches",
    "alerts_opened",
    "median_time_to_acknowledge_s",
    "p90_time_to_acknowledge_s",
    "median_time_to_resolve_s",
    "p90_time_to_resolve_s",
)


@dataclass(frozen=True)
class DigestPorts:
    """What a digest is built from and sent through."""

    digests: DigestStore
    kpi_facts: Callable[[KpiQuery], KpiFacts]
    rows: ReportRows
    files: ReportFiles
    topic: AlertTopic
    clock: Clock
    availability: AvailabilitySheet | None = None


@dataclass(frozen=True)
class DigestSettings:
    prefix: str
    timezone: str
    link_seconds: int
    api_url: str | None


def send_digest(
    week_text: str | None, *, ports: DigestPorts, settings: DigestSettings
) -> dict[str, Any]:
    """The week named (``2026-W48``) or, without one, the week due now: built and sent unless
    it was already; what happened."""
    now = ports.clock.now()
    week = (
        due_week(now, settings.timezone)
        if week_text is None
        else parse_week(week_text, settings.timezone, now)
    )
    if not ports.digests.claim(week, now):
        return {"week": week.label, "sent": False, "reason": "already sent, or being sent"}
    try:
        return _build_and_send(week, ports, settings)
    except TriplineError as exc:
        logger().warning("digest failed", extra={"week": week.label, "error": str(exc)})
        ports.digests.failed(week, str(exc))
        raise


def latest_digest(
    *, digests: DigestStore, files: ReportFiles, settings: DigestSettings
) -> dict[str, Any]:
    """The latest digest sent, with a freshly signed link to its workbook."""
    digest = digests.latest_sent()
    if digest is None or digest.object_key is None:
        raise NotFound("no digest has been sent yet", [Detail("none sent", field="week")])
    link = files.presign_get(
        digest.object_key, expires_seconds=settings.link_seconds, file_name=digest.week.file_name
    )
    return digest.view(link, settings.link_seconds)


def list_digests(params: Mapping[str, str], *, digests: DigestStore) -> dict[str, Any]:
    """Newest week first, at most ``limit`` (default and most: a year of weeks)."""
    problems = [
        Detail("unknown parameter; expected limit", field=name)
        for name in params
        if name != "limit"
    ]
    limit = limit_parameter(params.get("limit"), MAX_LISTED, MAX_LISTED, problems)
    if problems:
        raise InvalidQuery("invalid digest query", problems)
    return {"items": [digest.view(None, 0) for digest in digests.list_digests(limit)]}


def _build_and_send(
    week: DigestWeek, ports: DigestPorts, settings: DigestSettings
) -> dict[str, Any]:
    facts = ports.kpi_facts(KpiQuery(week.starts_at, week.ends_at))
    alerts_seen = Counter[str]()
    sheets: list[Sheet] = [
        ("sources", SOURCE_COLUMNS, _source_rows(facts)),
        ("uploads", UPLOAD_COLUMNS, _records(ports.rows, "uploads", week, upload_cells, None)),
        ("rules", RULE_COLUMNS, _rule_rows(facts)),
        ("alerts", ALERT_COLUMNS, _records(ports.rows, "alerts", week, alert_cells, alerts_seen)),
    ]
    if ports.availability is not None:
        sheets.append(ports.availability(week))
    key = week.key(settings.prefix)
    ports.files.write(key, "xlsx", sheets)
    link = ports.files.presign_get(
        key, expires_seconds=settings.link_seconds, file_name=week.file_name
    )
    headline = _headline(facts, alerts_seen)
    expires_at = ports.clock.now() + timedelta(seconds=settings.link_seconds)
    subject, body = digest_email(week, headline, link, expires_at, settings.api_url)
    message = OutgoingAlert(subject, body, {"kind": "digest", "week": week.label}, subject)
    message_id = ports.topic.publish(message)
    ports.digests.sent(
        week, object_key=key, headline=headline, message_id=message_id, now=ports.clock.now()
    )
    logger().info("digest sent", extra={"week": week.label, "message_id": message_id})
    return {"week": week.label, "sent": True, "message_id": message_id, "headline": headline}


def _records(
    rows: ReportRows,
    kind: str,
    week: DigestWeek,
    cells: Callable[[Mapping[str, Any]], tuple[Cell, ...]],
    statuses: Counter[str] | None,
) -> Iterator[tuple[Cell, ...]]:
    """The week's records of one kind, as a report of that kind would hold them."""
    request = ReportRequest(kind, "xlsx", week.starts_at, week.ends_at, None)
    report = new_report(f"digest-{week.label}", request, requested_by="digest", now=week.ends_at)
    for record in rows.records(report):
        if statuses is not None:
            statuses[str(record["status"])] += 1
        yield cells(record)


def _source_rows(facts: KpiFacts) -> Iterator[tuple[Cell, ...]]:
    events = Counter[str]()
    for count in facts.events:
        events[count.source] += count.events
    rejected = Counter({str(one.source or "(unknown)"): one.rejected for one in facts.rejects})
    uploads = Counter(upload.source for upload in facts.uploads)
    failed = Counter(upload.source for upload in facts.uploads if upload.status == "failed")
    for source in sorted({*events, *rejected, *uploads}):
        yield (source, events[source], rejected[source], uploads[source], failed[source])


def _rule_rows(facts: KpiFacts) -> Iterator[tuple[Cell, ...]]:
    matches = Counter[str]()
    for count in facts.matches:
        matches[count.rule_id] += count.matches
    by_rule: dict[str, list[Any]] = {}
    for alert in facts.alerts:
        by_rule.setdefault(alert.rule_id, []).append(alert)
    for rule_id in sorted({*matches, *by_rule}):
        opened = by_rule.get(rule_id, [])
        acks = [
            one.seconds_to_acknowledge for one in opened if one.seconds_to_acknowledge is not None
        ]
        fixes = [one.seconds_to_resolve for one in opened if one.seconds_to_resolve is not None]
        yield (
            rule_id,
            matches[rule_id],
            len(opened),
            percentile(acks, 0.5),
            percentile(acks, 0.9),
            percentile(fixes, 0.5),
            percentile(fixes, 0.9),
        )


def _headline(facts: KpiFacts, alert_statuses: Counter[str]) -> dict[str, Any]:
    acks = [one.seconds_to_acknowledge for one in facts.alerts if one.seconds_to_acknowledge]
    fixes = [one.seconds_to_resolve for one in facts.alerts if one.seconds_to_resolve]
    ack_median, fix_median = percentile(acks, 0.5), percentile(fixes, 0.5)
    return {
        "events_stored": sum(count.events for count in facts.events),
        "rows_rejected": sum(count.rejected for count in facts.rejects),
        "uploads": len(facts.uploads),
        "uploads_failed": sum(1 for upload in facts.uploads if upload.status == "failed"),
        "rule_matches": sum(count.matches for count in facts.matches),
        "alerts_opened": sum(alert_statuses.values()),
        "alerts_still_open": sum(
            count for status, count in alert_statuses.items() if status != "resolved"
        ),
        "median_minutes_to_acknowledge": None if ack_median is None else ack_median / 60,
        "median_minutes_to_resolve": None if fix_median is None else fix_median / 60,
    }
