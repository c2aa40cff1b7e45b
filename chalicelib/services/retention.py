"""purge_expired: delete what is past its source's retention, in bounded batches.

Each batch is one short transaction (the adapter's), so a purge never holds a lock for long and
the processor keeps writing beside it. The schedule gives a run a budget of batches per table and
cutoff: a backlog (the first run after retention is declared) drains over the following hours,
and a run that stops half way, for a timeout or an outage, has lost nothing: the next one finds
what is left. ``tripline db purge`` runs without a budget, and ``--dry-run`` only counts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial

from chalicelib.domain.retention import PurgeCounts, PurgePlan, purge_plan
from chalicelib.domain.rules import RuleBook
from chalicelib.ports import Clock, RetentionStore

PURGE_BATCH = 5000  # rows a statement set deletes; each batch its own transaction
CHUNK_BATCH = 20  # CSV chunks emptied per batch: each held up to a few MiB of the file
PURGE_ORDER = ("rule_matches", "rejected_items", "events")  # matches before what they refer to


def purge_expired(
    *,
    book: RuleBook,
    store: RetentionStore,
    clock: Clock,
    default_days: int | None,
    dry_run: bool = False,
    max_batches: int | None = None,
) -> PurgeCounts:
    """What went (or, with ``dry_run``, would go), per source and table. ``max_batches`` bounds
    the batches per table and cutoff (None: until nothing is left)."""
    plan = purge_plan(book.sources, book.rules, default_days, clock.now())
    if dry_run:
        return _counted(plan, store)
    counts = PurgeCounts(dry_run=False)
    for cutoff in plan.sources:
        for table in PURGE_ORDER:
            batch = partial(store.purge, cutoff, table, PURGE_BATCH)
            done = _drain(batch, table, PURGE_BATCH, cutoff.label, counts, max_batches)
            counts.complete = counts.complete and done
        batch = partial(store.empty_chunks, cutoff, CHUNK_BATCH)
        done = _drain(batch, "upload_chunks", CHUNK_BATCH, cutoff.label, counts, max_batches)
        counts.complete = counts.complete and done
    for rule in plan.rules:
        batch = partial(store.purge_windows, rule, PURGE_BATCH)
        done = _drain(batch, None, PURGE_BATCH, rule.label, counts, max_batches)
        counts.complete = counts.complete and done
    return counts


def _drain(
    batch: Callable[[], Mapping[str, int]],
    table: str | None,
    full: int,
    scope: str,
    counts: PurgeCounts,
    max_batches: int | None,
) -> bool:
    """Run ``batch`` until a batch deletes less than a full one (True) or the budget is spent
    with rows maybe left (False)."""
    runs = 0
    while max_batches is None or runs < max_batches:
        gone = batch()
        runs += 1
        for name, count in gone.items():
            counts.add(scope, name, count)
        main = gone[table] if table is not None else max(gone.values(), default=0)
        if main < full:
            return True
    return False


def _counted(plan: PurgePlan, store: RetentionStore) -> PurgeCounts:
    counts = PurgeCounts(dry_run=True)
    for cutoff in plan.sources:
        for table, count in store.count_past(cutoff).items():
            counts.add(cutoff.label, table, count)
    for rule in plan.rules:
        for table, count in store.count_windows_past(rule).items():
            counts.add(rule.label, table, count)
    return counts
