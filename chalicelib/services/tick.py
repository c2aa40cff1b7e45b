"""The schedule's minute: what only a clock can notice, then the outbox.

Absence rules record the groups that fell silent (and open their alerts); the sweep resolves
alerts whose condition cleared (threshold windows that slid past, matches gone quiet, groups
heard from again), repeats what nobody acknowledged and tells what a silence withheld; threshold
windows' buckets that no window or late entry can need any more are pruned; finally the notifier
sends what is due, retrying what failed before. Each step is idempotent, so a late, doubled or
overlapping run changes nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from chalicelib.domain.rules import RuleBook, prune_before
from chalicelib.ports import AbsenceState, AlertStore, Clock, LiveSilences, WindowState
from chalicelib.services.alerts import sweep_alerts
from chalicelib.services.notifications import NotificationDelivery
from chalicelib.services.rules import check_absences

# Pruning goes in short transactions, so it never holds many locks for long; a backlog (a first
# run after an upgrade, a burst of backfilled events) drains over the following minutes.
PRUNE_BATCH = 1000
PRUNE_BATCHES = 20


def tick(
    *,
    book: RuleBook,
    absence_state: AbsenceState,
    alerts: AlertStore,
    silences: LiveSilences,
    notifier: NotificationDelivery,
    windows: WindowState,
    clock: Clock,
    incidents: Callable[[], Mapping[str, int]] | None = None,
) -> dict[str, Any]:
    """``incidents``: the pipeline incidents' watch (``services.incident_watch``), before the
    notifier, so what it opens is sent in the same minute."""
    absences = check_absences(book=book, state=absence_state, clock=clock)
    swept = sweep_alerts(store=alerts, book=book, silences=silences, clock=clock)
    pruned = prune_windows(book=book, windows=windows, clock=clock)
    watched = dict(incidents()) if incidents is not None else {}
    delivered = notifier.deliver_due()
    return {
        "absences_recorded": absences,
        **swept.as_dict(),
        "window_buckets_pruned": pruned,
        **watched,
        "notifications": delivered.as_dict(),
    }


def prune_windows(*, book: RuleBook, windows: WindowState, clock: Clock) -> int:
    """Delete the buckets (and tokens) older than :func:`prune_before` says anything needs, at
    most ``PRUNE_BATCHES`` batches of ``PRUNE_BATCH`` a run; how many rows went."""
    before = prune_before(book.rules, clock.now())
    pruned = 0
    for _ in range(PRUNE_BATCHES):
        gone = windows.prune(before, PRUNE_BATCH)
        pruned += gone
        if gone < PRUNE_BATCH:
            break
    return pruned
