"""When a failed queue message comes back: exponential backoff by delivery count.

A message that fails (the database unreachable, a row it refused) is delivered again, and every
delivery counts towards the queue's ``maxReceiveCount``, past which the message is dead-lettered.
Retried at a fixed short interval, a database outage of a few seconds used up every delivery;
doubling the wait from ``first_seconds`` up to ``longest_seconds`` spreads the same deliveries
over ``outage_covered`` seconds, while the first retries still come quickly.
"""

from __future__ import annotations

from dataclasses import dataclass

# SQS refuses a visibility timeout longer than 12 hours.
MAX_VISIBILITY_SECONDS = 12 * 3600


@dataclass(frozen=True)
class RetrySchedule:
    first_seconds: int
    longest_seconds: int

    def delay(self, receive_count: int) -> int:
        """Seconds until a message that failed on its ``receive_count``-th delivery comes back."""
        doublings = min(max(receive_count - 1, 0), 32)
        grown: int = self.first_seconds * 2**doublings
        return min(grown, self.longest_seconds, MAX_VISIBILITY_SECONDS)

    def outage_covered(self, max_receive_count: int) -> int:
        """Seconds from a message's first failed delivery to its last, which still succeeds if
        the database is back by then: how long an outage may last without dead-lettering."""
        return sum(self.delay(count) for count in range(1, max_receive_count))
