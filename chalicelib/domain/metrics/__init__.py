"""The pipeline's figures at one moment, as ``GET /metrics`` and the hourly EMF lines show them.

- :mod:`.figures`: :class:`PipelineFigures` (what the database holds: events and rejects per
  source, uploads by status, active alerts by severity, pending notifications) and
  :class:`QueueDepth` (what each queue and its dead-letter queue hold).

Imports only the standard library.
"""

from __future__ import annotations

from chalicelib.domain.metrics.figures import (
    AlertCount,
    PipelineFigures,
    QueueDepth,
    StoredCounts,
)

__all__ = ["AlertCount", "PipelineFigures", "QueueDepth", "StoredCounts"]
