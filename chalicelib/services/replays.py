"""Replays: stored events run through the current rules as a job, in chunks through a queue.

``request_replay`` checks the request against the loaded rules, records the job and queues its
first chunk (answering ``202`` at once). Each chunk is a keyset page of the range's events by
``(occurred_at, id)``, judged by the dry-run's engine (:func:`chalicelib.domain.dry_run.replay`,
so a replay writes what the dry-run predicted) and written by the processor's path
(:func:`~chalicelib.services.alerting.record_matches`: matches keyed by rule and event, so a
replay run twice writes nothing new, and alerts opened or added to through their lifecycle). The
chunk's matches and the job's progress commit together, the chunk's number claimed in the same
transaction; only then is the next chunk queued. Chunks run one after another, in event order.

Notifications go out only when the job asked (``notify: true``); otherwise each notice is
recorded ``suppressed`` in the outbox and the alert's timeline, and never sent. A cancelled job's
next chunk finds it cancelled and stops. A rule changed or removed since the request fails the
job (its matches would mix versions); the database away sends the chunk back to the queue.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.access import Principal
from chalicelib.domain.dry_run import replay
from chalicelib.domain.errors import (
    Conflict,
    DependencyError,
    Detail,
    InvalidQuery,
    NotFound,
    TriplineError,
)
from chalicelib.domain.events import Event
from chalicelib.domain.messages import OutgoingMessage, QueueMessage
from chalicelib.domain.paging import decode_keyset, encode_keyset, page_window
from chalicelib.domain.replays import (
    CANCELLED,
    QUEUED,
    ChunkOrder,
    ReplayJob,
    new_replay,
    parse_chunk_order,
    parse_replay_request,
    replay_view,
)
from chalicelib.domain.rules import Rule, RuleBook, RuleCatalog, RuleFailure, RuleMatch
from chalicelib.observability import logger
from chalicelib.ports import Clock, MessageQueue, Notifier, ReplayStore
from chalicelib.services.alerting import record_matches
from chalicelib.services.notifications import notify_now

LIST_PARAMETERS = ("limit", "cursor")


@dataclass(frozen=True)
class ReplayPorts:
    replays: ReplayStore
    queue: MessageQueue
    clock: Clock
    book: RuleBook
    notifier: Notifier | None = None


@dataclass(frozen=True)
class ReplayOutcome:
    failed_message_ids: list[str]


def request_replay(
    payload: object, *, caller: Principal, ports: ReplayPorts, new_id: Callable[[], str]
) -> dict[str, Any]:
    """Record the job and queue its first chunk. A job whose chunk could not be queued is
    failed at once, saying so, rather than left ``queued`` for ever."""
    now = ports.clock.now()
    book = ports.book
    known = {*book.sources.names(), *(one for rule in book.rules for one in rule.sources)}
    request = parse_replay_request(payload, rules=book.rules, known_sources=known, now=now)
    job = new_replay(new_id(), request, requested_by=caller.actor, now=now)
    ports.replays.add(job)
    _queue(ports, ChunkOrder(job.id, 0), job)
    return replay_view(job)


def describe_replay(replay_id: str, *, replays: ReplayStore) -> dict[str, Any]:
    return replay_view(_job(replay_id, replays))


def list_replays(
    params: Mapping[str, str], *, replays: ReplayStore, default_limit: int, max_limit: int
) -> dict[str, Any]:
    """Newest first."""
    problems: list[Detail] = []
    _, _, limit, after = page_window(
        params,
        LIST_PARAMETERS,
        decode_keyset,
        problems,
        default_limit=default_limit,
        max_limit=max_limit,
    )
    if problems:
        raise InvalidQuery("invalid replay query", problems)
    found = replays.list_replays(None if after is None else (after[0], str(after[1])), limit + 1)
    page = found[:limit]
    cursor = encode_keyset(page[-1].created_at, page[-1].id) if len(found) > limit else None
    return {"items": [replay_view(one) for one in page], "next_cursor": cursor}


def cancel_replay(
    replay_id: str, *, caller: Principal, replays: ReplayStore, clock: Clock
) -> dict[str, Any]:
    """No chunk starts after this; the chunk running now finishes (its writes are whole).
    Cancelling twice is the same as once; a finished job is a conflict."""
    job = _job(replay_id, replays)
    if job.status != CANCELLED:
        replays.cancel(job.id, caller.actor, clock.now())
        job = _job(replay_id, replays)
    if job.status != CANCELLED:
        raise Conflict(
            f"replay {job.id} is {job.status}; there is nothing to cancel",
            [Detail(f"is {job.status}", field="status", value=job.status)],
        )
    return replay_view(job)


def run_replay_chunks(
    messages: Sequence[QueueMessage], *, ports: ReplayPorts, chunk_events: int
) -> ReplayOutcome:
    """Each message's chunk run; the messages to deliver again (the database or queue away).
    ``chunk_events`` (``TRIPLINE_REPLAY_CHUNK_EVENTS``): one read and one transaction, well
    inside the function's timeout."""
    failed: list[str] = []
    for message in messages:
        order = parse_chunk_order(message.body)
        if order is None:
            logger().error("not a replay chunk, dropped", extra={"message_id": message.message_id})
            continue
        try:
            _run(order, ports, chunk_events)
        except DependencyError as exc:
            logger().warning(
                "replay chunk to retry", extra={"replay_id": order.replay_id, "error": str(exc)}
            )
            failed.append(message.message_id)
        except TriplineError as exc:
            logger().error("replay failed", extra={"replay_id": order.replay_id, "error": str(exc)})
            ports.replays.fail(order.replay_id, f"chunk {order.chunk}: {exc}", ports.clock.now())
    return ReplayOutcome(failed)


def _run(order: ChunkOrder, ports: ReplayPorts, chunk_events: int) -> None:
    replays, clock = ports.replays, ports.clock
    job = replays.get(order.replay_id)
    if job is None or job.finished:
        return  # cancelled, or done with: the rest is not to be worked on
    rules = _current_rules(job, ports.book)
    if isinstance(rules, str):
        replays.fail(job.id, rules, clock.now())
        return
    sources = _sources(job, rules)
    if job.status == QUEUED:
        replays.start(job.id, replays.count_events(job, sources), clock.now())
    page, last, more = replays.events_after(job, sources, order.after, chunk_events)
    matches, failures = _judge(rules, page, ports.book.catalog)
    notices = _write(job, order, page, matches, failures, rules, ports)
    if notices is None:
        return  # cancelled while this chunk was read
    if more and last is not None:
        _queue(ports, ChunkOrder(job.id, order.chunk + 1, last), job)
    else:
        replays.complete(job.id, clock.now())
        logger().info("replay complete", extra={"replay_id": job.id, "chunks": order.chunk + 1})
    if notices and job.notify and ports.notifier is not None:
        notify_now(ports.notifier)


def _write(
    job: ReplayJob,
    order: ChunkOrder,
    page: Sequence[Event],
    matches: Sequence[RuleMatch],
    failures: Sequence[RuleFailure],
    rules: Sequence[Rule],
    ports: ReplayPorts,
) -> int | None:
    """The chunk's matches, alerts and progress in one transaction; the notices it queued (0
    when an earlier delivery wrote it), None when the job is no longer running."""
    now = ports.clock.now()
    suppress = None if job.notify else f"replay {job.id} asked for no notifications"
    with ports.replays.unit_of_work(suppress) as work:
        if not work.still_running(job.id, now):  # holds the job: chunks of it write in turn
            return None
        if not work.claim_chunk(job.id, order.chunk, len(page), now):
            return 0
        work.add_failures(failures, now)
        recorded = record_matches(work, matches, {rule.id: rule for rule in rules}, now)
        work.add_progress(
            job.id,
            order.chunk,
            events_read=len(page),
            matches=recorded.new,
            notices=recorded.notices,
        )
    return recorded.notices


def _judge(
    rules: Sequence[Rule], page: Sequence[Event], catalog: RuleCatalog
) -> tuple[list[RuleMatch], list[RuleFailure]]:
    """Each rule over the page by the dry-run's engine: what it would say is what is written."""
    matches: list[RuleMatch] = []
    failures: list[RuleFailure] = []
    for rule in rules:
        judged = replay(rule, page, catalog, None)
        matches.extend(judged.matches)
        failures.extend(judged.failures)
    return matches, failures


def _current_rules(job: ReplayJob, book: RuleBook) -> list[Rule] | str:
    """The job's rules as loaded now; why not, when one was changed or removed since."""
    found: list[Rule] = []
    for asked in job.rules:
        rule = book.rule(asked.id)
        if rule is None or not rule.enabled:
            return f"rule {asked.id} was removed or disabled while the replay waited or ran"
        if rule.version != asked.version:
            return (
                f"rule {asked.id} changed (version {asked.version} to {rule.version}) while the "
                "replay waited or ran; ask for the replay again"
            )
        found.append(rule)
    return found


def _sources(job: ReplayJob, rules: Sequence[Rule]) -> tuple[str, ...] | None:
    """The sources to read: those asked for, else those the rules read (None: a rule reads
    every source)."""
    if job.sources is not None:
        return job.sources
    if any(not rule.sources for rule in rules):
        return None
    return tuple(sorted({source for rule in rules for source in rule.sources}))


def _queue(ports: ReplayPorts, order: ChunkOrder, job: ReplayJob) -> None:
    key = f"{order.replay_id}-{order.chunk}"
    [receipt] = ports.queue.send([OutgoingMessage(key, order.body())])
    if receipt.queued:
        return
    if order.chunk == 0:
        ports.replays.fail(job.id, f"could not be queued: {receipt.error}", ports.clock.now())
        raise DependencyError(
            "the replay was recorded but could not be queued; ask for it again",
            [Detail(receipt.error or "the queue refused it", field="replay", value=job.id)],
        )
    raise DependencyError(f"could not queue chunk {order.chunk}: {receipt.error}")


def _job(replay_id: str, replays: ReplayStore) -> ReplayJob:
    job = replays.get(replay_id)
    if job is None:
        raise NotFound("no such replay", [Detail("not found", field="replay_id", value=replay_id)])
    return job
