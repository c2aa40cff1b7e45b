"""Whether an active alert's condition has cleared, decided on what the caller read for it.

Each kind clears its own way: a match rule once no match came for ``quiet_after``; a threshold
rule once the window ending now no longer crosses (the same aggregate the processor computed,
so the two never disagree about a window); an absence rule once its group was heard from within
``within``. Time here is the clock's: an alert raised by a backfill of last week's events is
judged against now, and clears on the next turn of the schedule.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from chalicelib.domain.alerts.lifecycle import policy_of
from chalicelib.domain.alerts.model import Alert
from chalicelib.domain.rules import COMPARE, Rule, WindowBucket, aggregate


def condition_clear(
    alert: Alert,
    rule: Rule,
    now: datetime,
    *,
    window: Sequence[WindowBucket] = (),
    last_seen_at: datetime | None = None,
) -> bool:
    """``window``: the buckets of the alert's group in the window ending in now's bucket;
    ``last_seen_at``: the group's last sighting, for absence rules."""
    if rule.threshold is not None:
        observed = aggregate(rule.threshold.aggregate, window)
        crossing = observed is not None and COMPARE[rule.threshold.comparator](
            observed, rule.threshold.value
        )
        quiet = rule.resolve_after is None or now >= alert.last_matched_at + rule.resolve_after
        return not crossing and quiet
    if rule.absence is not None:
        return last_seen_at is not None and now - last_seen_at < rule.absence.within
    quiet_after = policy_of(rule).quiet_after
    return quiet_after is not None and now >= alert.last_matched_at + quiet_after
