"""Housekeeping's use cases: the retention purge, and the figures for Prometheus and CloudWatch.

Bound like every use case (``chalicelib.use_cases``): each service module is imported by the
first call that needs it, and its collaborators are read from the container at each call.
"""

from __future__ import annotations

from chalicelib import observability
from chalicelib.bound_use_cases import BoundUseCases, JsonObject
from chalicelib.domain.errors import DependencyError

# Batches per table and cutoff one scheduled run may delete (5,000 rows each): an hour's new
# rows many times over, done well within the function's timeout; a backlog drains run by run.
SCHEDULED_BATCHES = 40


class HousekeepingUseCases(BoundUseCases):
    def purge_expired(self, *, dry_run: bool = False, scheduled: bool = True) -> JsonObject:
        """The hourly ``purge`` (and ``tripline db purge``, unbounded): rows past retention
        deleted, or only counted with ``dry_run``; a scheduled run then sends the pipeline's
        figures to CloudWatch as EMF."""
        from chalicelib.services.retention import purge_expired

        container = self._container
        counts = purge_expired(
            book=container.rulebook,
            store=container.retention,
            clock=container.clock,
            default_days=container.settings.retention_days,
            dry_run=dry_run,
            max_batches=SCHEDULED_BATCHES if scheduled else None,
        )
        answer = counts.as_dict()
        if scheduled and not dry_run:
            observability.logger().info(
                "rows past retention purged",
                extra={"purged": answer["by_scope"], "complete": answer["complete"]},
            )
            observability.record_purge(answer["totals"])
            answer["figures_recorded"] = self._record_figures()
        return answer

    def _record_figures(self) -> bool:
        """The same figures ``GET /metrics`` shows, as EMF; a queue or database away costs this
        hour's figures, not the purge that already happened."""
        from chalicelib.services.metrics import read_figures

        container = self._container
        try:
            figures = read_figures(counts=container.pipeline_counts, queues=container.queue_depths)
        except DependencyError as error:
            observability.logger().warning("figures not recorded", extra={"error": str(error)})
            return False
        observability.record_figures(figures)
        return True

    def scrape_metrics(self) -> tuple[str, str]:
        """``GET /metrics``: the figures in Prometheus' text format, read now, and its media
        type."""
        from chalicelib.services.metrics import read_figures

        container = self._container
        figures = read_figures(counts=container.pipeline_counts, queues=container.queue_depths)
        return container.metrics_exposition(figures)
