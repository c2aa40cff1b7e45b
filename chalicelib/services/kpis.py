"""``GET /kpis``: the caller's query checked, the KPI views read, the figures answered."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.domain.access import Principal
from chalicelib.domain.reports import KpiScope, kpi_body, parse_kpi_query
from chalicelib.domain.sources import SourceCatalog
from chalicelib.ports import Clock, EventReader, KpiReader
from chalicelib.services.known_sources import KnownSources


def read_kpis(
    params: Mapping[str, str],
    *,
    reader: KpiReader,
    events: EventReader,
    clock: Clock,
    sources: SourceCatalog,
    caller: Principal,
) -> dict[str, Any]:
    """An ingest key sees its own sources only, and another source is as unknown to it as one
    that never existed; operators and admins see every source."""
    readable = tuple(caller.sources) if caller.role == "ingest" else None
    known = KnownSources(set(sources.names()), events.has_events)
    scope = KpiScope(readable, known.__contains__)
    query = parse_kpi_query(params, now=clock.now(), scope=scope)
    return kpi_body(query, reader.read(query))
