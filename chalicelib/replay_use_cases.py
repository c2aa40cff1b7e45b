"""The replay use cases: stored events run through the current rules as a job in chunks.

Bound like every use case (``chalicelib.use_cases``): the service module is imported by the
first call that needs it, and its collaborators are read from the container at each call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from chalicelib.bound_use_cases import BoundUseCases, JsonObject

if TYPE_CHECKING:
    from chalicelib.domain.access import Principal
    from chalicelib.domain.messages import QueueMessage
    from chalicelib.services.replays import ReplayPorts


class ReplayUseCases(BoundUseCases):
    def request_replay(self, payload: object, caller: Principal) -> JsonObject:
        """``POST /replays``: recorded and its first chunk queued; run by ``run_replays``."""
        from chalicelib.services.replays import request_replay

        return request_replay(
            payload, caller=caller, ports=self._replay_ports(), new_id=self._container.new_id
        )

    def list_replays(self, params: Mapping[str, str]) -> JsonObject:
        from chalicelib.services.replays import list_replays

        return list_replays(params, replays=self._container.replays, **self._page_limits())

    def describe_replay(self, replay_id: str) -> JsonObject:
        from chalicelib.services.replays import describe_replay

        return describe_replay(replay_id, replays=self._container.replays)

    def cancel_replay(self, replay_id: str, caller: Principal) -> JsonObject:
        from chalicelib.services.replays import cancel_replay

        container = self._container
        return cancel_replay(
            replay_id, caller=caller, replays=container.replays, clock=container.clock
        )

    def run_replays(self, messages: Sequence[QueueMessage]) -> JsonObject:
        """The replays queue's batch: each message one chunk of a job."""
        from chalicelib.services.replays import run_replay_chunks

        outcome = run_replay_chunks(
            messages,
            ports=self._replay_ports(),
            chunk_events=self._container.settings.replay_chunk_events,
        )
        return self._answer_batch(messages, outcome.failed_message_ids)

    def _replay_ports(self) -> ReplayPorts:
        from chalicelib.services.replays import ReplayPorts

        container = self._container
        return ReplayPorts(
            replays=container.replays,
            queue=container.replays_queue,
            clock=container.clock,
            book=container.rulebook,
            notifier=container.notifier,
        )
