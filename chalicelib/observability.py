"""Powertools Logger and Metrics, wired once as Chalice middleware.

Powertools' handler decorators expect ``(event, context)``; Chalice hands its handlers one event
object, so the middleware does their work: correlation keys on the logger, one metrics flush per
invocation. Powertools is imported on first use, not at import (cold-start cost, design §6).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from chalicelib.domain.intake import ItemStatus

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics

    from chalicelib.services.intake import IntakeResult
    from chalicelib.services.processing import BatchOutcome

SERVICE = "tripline"
NAMESPACE = "Tripline"


@cache
def logger() -> Logger:
    from aws_lambda_powertools import Logger

    return Logger(service=SERVICE)


@cache
def metrics() -> Metrics:
    from aws_lambda_powertools import Metrics

    return Metrics(namespace=NAMESPACE, service=SERVICE)


def count(name: str, value: int) -> None:
    """Add to a count metric of this invocation; zero counts are not emitted."""
    if value:
        from aws_lambda_powertools.metrics import MetricUnit

        metrics().add_metric(name=name, unit=MetricUnit.Count, value=value)


def observe(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Middleware body: correlation keys in, metrics flushed out, whatever the handler did."""
    log = logger()
    log.clear_state()
    context = getattr(event, "context", None)
    if isinstance(context, dict):  # an HTTP request: API Gateway's requestContext
        log.append_keys(request_id=context.get("requestId"), http_method=event.method,
                        path=event.path)
    else:  # a Lambda event: the Lambda context object
        log.append_keys(request_id=getattr(context, "aws_request_id", None),
                        function=getattr(context, "function_name", None))
    try:
        return get_response(event)
    finally:
        if metrics().metric_set:
            metrics().flush_metrics()
        # With POWERTOOLS_METRICS_DISABLED, flush neither prints nor clears, and Powertools' own
        # overflow flush would print every 100 invocations anyway.
        metrics().clear_metrics()


def record_intake(result: IntakeResult) -> None:
    """Counts of one POST, and one log line per item the API did not accept, saying where."""
    summary = result.summary()
    count("EventsAccepted", summary["accepted"])
    count("EventsDuplicate", summary["duplicates"])
    count("EventsRejected", summary["rejected"])
    count("EventsNotQueued", summary["not_queued"])
    for item in result.results:
        if item.status in (ItemStatus.REJECTED, ItemStatus.NOT_QUEUED):
            logger().info("event not accepted", extra={
                "index": item.index, "status": str(item.status), "source": item.source,
                "event_id": item.event_id, "errors": [e.as_dict() for e in item.errors]})


def record_processing(outcome: BatchOutcome) -> None:
    """Counts of one processed batch, and one log line per message left for redelivery."""
    count("EventsProcessed", outcome.stored)
    count("EventsReplayed", outcome.duplicates)
    count("ItemsRejected", outcome.rejected)
    count("MessagesFailed", len(outcome.failed_message_ids))
    for message_id, reason in outcome.failure_reasons.items():
        logger().warning("message left for redelivery", extra={"message_id": message_id,
                                                                "reason": reason})
    for message_id, rejected in outcome.rejections.items():
        if message_id in outcome.failure_reasons:  # its write failed: it will come back
            continue
        logger().info("message stored as rejected", extra={
            "message_id": message_id, "source": rejected.source, "event_id": rejected.event_id,
            "reason": rejected.reason, "errors": [e.as_dict() for e in rejected.errors]})
