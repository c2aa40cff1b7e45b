"""read_figures: the pipeline's figures now, from the database and the queues.

Read at each scrape and each hourly EMF emission, never kept: the database and SQS are the only
state every container shares.
"""

from __future__ import annotations

from chalicelib.domain.metrics import PipelineFigures
from chalicelib.ports import PipelineCounts, QueueDepths


def read_figures(*, counts: PipelineCounts, queues: QueueDepths) -> PipelineFigures:
    return PipelineFigures(counts.counts(), tuple(queues.depths()))
