"""Powertools Logger and Metrics, built once per process and wired as Chalice middleware.

Powertools' handler decorators expect ``(event, context)``; Chalice hands its handlers one event
object, so the middleware does their work: correlation keys on the logger, one metrics flush per
invocation. Powertools is imported on first use, not at import (cold-start cost, design §6).

Every log line of the service goes through :func:`logger`, as JSON with its keys. Two things make
that hold under threads (the local runtime serves requests, pumps and schedules on threads of one
process):

- the logger is built once, under a lock, with its own handler. Built twice, the second
  Powertools ``Logger`` would adopt the first handler it finds on the ``tripline`` logger, and
  with a plain formatter there every later ``clear_state`` raised (every route answered 500);
- an invocation's keys (request id, function) are Powertools' thread-safe keys, which live in a
  context variable: each thread, and so each invocation, sees only its own.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from chalicelib.domain.errors import Detail
from chalicelib.domain.events import ItemResult, ItemStatus

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics

    from chalicelib.domain.metrics import PipelineFigures

SERVICE = "tripline"
NAMESPACE = "Tripline"

_lock = threading.Lock()
_logger: Logger | None = None
_metrics: Metrics | None = None


class _StdoutHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stdout`` is when a line is written, as ``logging.lastResort``
    does for stderr: Lambda captures stdout, and so can a test or the local console."""

    @property
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        """The stream is always the current stdout."""


def logger() -> Logger:
    """The service's one Powertools logger."""
    global _logger
    if _logger is None:
        with _lock:
            if _logger is None:
                _logger = _new_logger()
    return _logger


def _new_logger() -> Logger:
    from aws_lambda_powertools import Logger

    # Should the ``tripline`` logger already be set up (a second build in one process), its
    # Powertools handler is passed in, never left for Powertools to guess.
    configured = getattr(logging.getLogger(SERVICE), "powertools_handler", None)
    return Logger(service=SERVICE, logger_handler=configured or _StdoutHandler())


def metrics() -> Metrics:
    global _metrics
    if _metrics is None:
        with _lock:
            if _metrics is None:
                from aws_lambda_powertools import Metrics

                _metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
    return _metrics


def count(name: str, value: int) -> None:
    """Add to a count metric of this invocation; zero counts are not emitted."""
    if value:
        from aws_lambda_powertools.metrics import MetricUnit

        metrics().add_metric(name=name, unit=MetricUnit.Count, value=value)


def observe(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Middleware body: this invocation's correlation keys in, metrics flushed out, whatever the
    handler did."""
    log = logger()
    log.thread_safe_clear_keys()
    context = getattr(event, "context", None)
    if isinstance(context, dict):  # an HTTP request: API Gateway's requestContext
        log.thread_safe_append_keys(
            request_id=context.get("requestId"), http_method=event.method, path=event.path
        )
    else:  # a Lambda event: the Lambda context object
        log.thread_safe_append_keys(
            request_id=getattr(context, "aws_request_id", None),
            function=getattr(context, "function_name", None),
        )
    try:
        return get_response(event)
    finally:
        log.thread_safe_clear_keys()
        if metrics().metric_set:
            metrics().flush_metrics()
        # With POWERTOOLS_METRICS_DISABLED, flush neither prints nor clears, and Powertools' own
        # overflow flush would print every 100 invocations anyway.
        metrics().clear_metrics()


# What the record_* functions read of a use case's result, described here rather than imported:
# observability is an edge module that services and adapters log through, so it must not import
# the services back (IntakeResult and BatchOutcome match these shapes).


class IntakeCounts(Protocol):
    @property
    def results(self) -> Sequence[ItemResult]: ...

    def summary(self) -> Mapping[str, int]: ...


class RejectedMessage(Protocol):
    @property
    def source(self) -> str | None: ...

    @property
    def event_id(self) -> str | None: ...

    @property
    def reason(self) -> str: ...

    @property
    def errors(self) -> Sequence[Detail]: ...


class ProcessedBatch(Protocol):
    @property
    def stored(self) -> int: ...

    @property
    def duplicates(self) -> int: ...

    @property
    def rejected(self) -> int: ...

    @property
    def failed_message_ids(self) -> Sequence[str]: ...

    @property
    def failure_reasons(self) -> Mapping[str, str]: ...

    @property
    def rejections(self) -> Mapping[str, RejectedMessage]: ...


def record_intake(result: IntakeCounts) -> None:
    """Counts of one POST, and one log line per item the API did not accept, saying where."""
    summary = result.summary()
    count("EventsAccepted", summary["accepted"])
    count("EventsDuplicate", summary["duplicates"])
    count("EventsRejected", summary["rejected"])
    count("EventsNotQueued", summary["not_queued"])
    for item in result.results:
        if item.status in (ItemStatus.REJECTED, ItemStatus.NOT_QUEUED):
            logger().info(
                "event not accepted",
                extra={
                    "index": item.index,
                    "status": str(item.status),
                    "source": item.source,
                    "event_id": item.event_id,
                    "errors": [e.as_dict() for e in item.errors],
                },
            )


def record_processing(outcome: ProcessedBatch) -> None:
    """Counts of one processed batch, and one log line per message left for redelivery."""
    count("EventsProcessed", outcome.stored)
    count("EventsReplayed", outcome.duplicates)
    count("ItemsRejected", outcome.rejected)
    count("MessagesFailed", len(outcome.failed_message_ids))
    for message_id, reason in outcome.failure_reasons.items():
        logger().warning(
            "message left for redelivery", extra={"message_id": message_id, "reason": reason}
        )
    for message_id, rejected in outcome.rejections.items():
        if message_id in outcome.failure_reasons:  # its write failed: it will come back
            continue
        logger().info(
            "message stored as rejected",
            extra={
                "message_id": message_id,
                "source": rejected.source,
                "event_id": rejected.event_id,
                "reason": rejected.reason,
                "errors": [e.as_dict() for e in rejected.errors],
            },
        )


def record_purge(totals: Mapping[str, int]) -> None:
    """Rows one scheduled purge deleted, per table (``RowsPurged`` with a ``table``
    dimension); a run that deleted nothing writes nothing."""
    for table, rows in totals.items():
        if rows:
            gauge("RowsPurged", rows, {"table": table})


def record_figures(figures: PipelineFigures) -> None:
    """What ``GET /metrics`` shows, as EMF gauges (one line each, with its dimension), so
    CloudWatch dashboards and alarms see the same numbers as Prometheus."""
    stored = figures.stored
    for source, count in stored.events_by_source.items():
        gauge("EventsStored", count, {"source": source})
    for rejected_source, count in stored.rejected_by_source.items():
        gauge("RowsRejected", count, {"source": rejected_source or "(none)"})
    for status, count in stored.uploads_by_status.items():
        gauge("Uploads", count, {"status": status})
    for alert in stored.alerts:
        dimensions = {"kind": alert.kind, "severity": alert.severity, "status": alert.status}
        gauge("AlertsActive", alert.alerts, dimensions)
    gauge("NotificationsPending", stored.notifications_pending, {})
    for queue in figures.queues:
        gauge("QueueMessages", queue.waiting, {"queue": queue.queue})
        gauge("QueueMessagesInFlight", queue.in_flight, {"queue": queue.queue})
        gauge("DeadLetterMessages", queue.dead_letters, {"queue": queue.dead_letter_queue})


def metrics_enabled() -> bool:
    """False with ``POWERTOOLS_METRICS_DISABLED`` (the local runtime's and the tests' setting):
    ``single_metric`` would print anyway, so :func:`gauge` asks, as ``flush_metrics`` does."""
    from aws_lambda_powertools.metrics.functions import is_metrics_disabled

    return not is_metrics_disabled()


def gauge(name: str, value: int, dimensions: Mapping[str, str]) -> None:
    """One EMF line now, with its own dimensions (zeros too: a gauge at zero is news)."""
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    if not metrics_enabled():
        return
    with single_metric(
        name=name, unit=MetricUnit.Count, value=value, namespace=NAMESPACE
    ) as metric:
        metric.add_dimension(name="service", value=SERVICE)
        for key, text in dimensions.items():
            metric.add_dimension(name=key, value=text[:250] or "(empty)")
