"""The JSON ``GET /kpis`` answers, built from the grouped facts of one query.

Kept apart from the query's parsing so the documented shape (``docs/kpis.md``, the OpenAPI
document) has one place in code. Rates are fractions (0.25, not 25 %), durations seconds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from chalicelib.domain.json_values import json_value
from chalicelib.domain.reports.kpis import (
    AlertFact,
    KpiFacts,
    KpiQuery,
    RejectCount,
    UploadFact,
    percentile,
)

JsonObject = dict[str, Any]


def kpi_body(query: KpiQuery, facts: KpiFacts) -> JsonObject:
    """The whole answer: the range and scope it covers, then each family of figures."""
    events_per_source = Counter[str]()
    for count in facts.events:
        events_per_source[count.source] += count.events
    return {
        "since": json_value(query.since),
        "until": json_value(query.until),
        "interval": query.interval,
        "sources": None if query.sources is None else list(query.sources),
        "events": [
            {"source": c.source, "type": c.type, "bucket": c.bucket, "events": c.events}
            for c in facts.events
        ],
        "rejects": _rejects(facts.rejects, events_per_source),
        "rule_matches": [
            {"rule_id": c.rule_id, "bucket": c.bucket, "matches": c.matches} for c in facts.matches
        ],
        "alerts": _alerts(facts.alerts),
        "uploads": [_upload(one) for one in facts.uploads],
        "uploads_truncated": facts.more_uploads,
    }


def _rejects(rejects: Sequence[RejectCount], events: Counter[str]) -> list[JsonObject]:
    """Per source: rows rejected, events stored, and the share of rows that were rejected."""
    rejected = {count.source: count.rejected for count in rejects}
    names = sorted(set(events) | {name for name in rejected if name is not None})
    rows: list[tuple[str | None, int, int]] = [
        (name, rejected.get(name, 0), events.get(name, 0)) for name in names
    ]
    if None in rejected:  # items refused before their source could be read
        rows.append((None, rejected[None], 0))
    return [
        {
            "source": name,
            "rejected": refused,
            "events": stored,
            "reject_rate": refused / (refused + stored) if refused + stored else None,
        }
        for name, refused, stored in rows
    ]


def _alerts(facts: Sequence[AlertFact]) -> list[JsonObject]:
    """Per rule and severity: how many opened, were acknowledged and resolved, and how long
    those took (median and 90th percentile)."""
    groups: dict[tuple[str, str], list[AlertFact]] = {}
    for fact in facts:
        groups.setdefault((fact.rule_id, fact.severity), []).append(fact)
    answer = []
    for (rule_id, severity), members in sorted(groups.items()):
        to_ack = [f.seconds_to_acknowledge for f in members if f.seconds_to_acknowledge is not None]
        to_resolve = [f.seconds_to_resolve for f in members if f.seconds_to_resolve is not None]
        answer.append(
            {
                "rule_id": rule_id,
                "severity": severity,
                "opened": len(members),
                "acknowledged": len(to_ack),
                "resolved": len(to_resolve),
                "time_to_acknowledge": _spread(to_ack),
                "time_to_resolve": _spread(to_resolve),
            }
        )
    return answer


def _spread(seconds: Sequence[float]) -> JsonObject:
    return {"median_seconds": percentile(seconds, 0.5), "p90_seconds": percentile(seconds, 0.9)}


def _upload(fact: UploadFact) -> JsonObject:
    return {
        "upload_id": fact.upload_id,
        "source": fact.source,
        "filename": fact.filename,
        "status": fact.status,
        "created_at": json_value(fact.created_at),
        "rows_seen": fact.rows_seen,
        "rows_rejected": fact.rows_rejected,
        "reject_rate": fact.reject_rate,
        "duration_seconds": fact.duration_seconds,
        "rows_per_second": fact.rows_per_second,
    }
