"""What every group of use cases shares: the container, the page limits, the batch answer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from chalicelib import bootstrap
from chalicelib.triggers import answer_batch

if TYPE_CHECKING:
    from chalicelib.domain.messages import QueueMessage

JsonObject = dict[str, Any]


class BoundUseCases:
    """Use cases bound to one container; collaborators are read from it at each call, never
    captured (``use_cases``)."""

    def __init__(self, container: bootstrap.Container) -> None:
        self._container = container

    def _page_limits(self) -> dict[str, int]:
        """What every keyset-paginated list takes from the settings."""
        settings = self._container.settings
        return {"default_limit": settings.page_size, "max_limit": settings.max_page_size}

    def _answer_batch(
        self, messages: Sequence[QueueMessage], failed_message_ids: Sequence[str]
    ) -> JsonObject:
        """The failed messages postponed by their backoff, then the partial-batch answer."""
        container = self._container
        return answer_batch(
            messages,
            failed_message_ids,
            redelivery=container.redelivery,
            schedule=container.settings.retry_schedule,
        )
