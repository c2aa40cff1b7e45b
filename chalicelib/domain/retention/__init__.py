"""Retention: how long each source's rows are kept, and what an hourly purge may delete.

- :mod:`.plan`: :func:`purge_plan`, the cutoffs of one purge (per source with its own
  ``retention_days``, one for every other source, one per threshold rule's window state), and
  :class:`PurgeCounts`, what went (or, in a dry run, would go) per source and table.

Imports the kernel, sources and rules.
"""

from __future__ import annotations

from chalicelib.domain.retention.plan import (
    PURGED_TABLES,
    PurgeCounts,
    PurgePlan,
    RuleCutoff,
    SourceCutoff,
    purge_plan,
)

__all__ = [
    "PURGED_TABLES",
    "PurgeCounts",
    "PurgePlan",
    "RuleCutoff",
    "SourceCutoff",
    "purge_plan",
]
