"""Pipeline incidents' use cases: ``POST /uploads/{id}/retry``, and the schedule's watch.

Bound like every use case (``chalicelib.use_cases``): each service module is imported by the
first call that needs it, and its collaborators are read from the container at each call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.bound_use_cases import BoundUseCases, JsonObject

if TYPE_CHECKING:
    from chalicelib.domain.access import Principal


class IncidentUseCases(BoundUseCases):
    def retry_upload(self, upload_id: str, caller: Principal) -> JsonObject:
        """``POST /uploads/{id}/retry``: a failed upload's notification queued again, once."""
        from chalicelib.services.upload_retry import RetryPorts, retry_upload

        container = self._container
        ports = RetryPorts(
            container.uploads,
            container.uploads_queue,
            container.incidents,
            container.clock,
            container.settings.bucket,
        )
        return retry_upload(upload_id, ports=ports, caller=caller)

    def _watch_incidents(self) -> dict[str, int]:
        """The tick's look at dead-letter queues, failing rules and failed uploads."""
        from chalicelib.services.incident_watch import WatchPorts, watch_incidents

        container = self._container
        return watch_incidents(
            WatchPorts(
                container.incidents,
                container.alerts,
                container.uploads,
                container.queue_depths,
                container.rule_failures,
                container.clock,
            )
        )
