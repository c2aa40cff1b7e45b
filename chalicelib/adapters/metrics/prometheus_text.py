"""``GET /metrics`` in Prometheus' text exposition format (0.0.4), written by ``prometheus-client``.

The library owns the format: names, ``# HELP``/``# TYPE`` lines, label escaping (a source or
severity with a quote or a backslash in it stays one label). A registry is built per scrape and
holds one collector over figures already read, so nothing survives the request: a Lambda
container's memory is not a time series, and counters kept there would reset at every cold start
and differ between containers. Every figure is a gauge: each is how many rows or messages there
are now, and a purge or a redrive lowers it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from chalicelib.domain.metrics import PipelineFigures

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
PREFIX = "tripline_"


class _Figures:
    """A collector over one moment's figures (``prometheus_client``'s ``Collector`` protocol)."""

    def __init__(self, figures: PipelineFigures) -> None:
        self._figures = figures

    def collect(self) -> Iterator[Metric]:
        stored = self._figures.stored
        yield _by_label(
            "events_stored", "events stored, per source", "source", stored.events_by_source
        )
        rejected = {source or "": count for source, count in stored.rejected_by_source.items()}
        yield _by_label(
            "rows_rejected",
            "rows and events rejected, per source (empty: the source could not be read)",
            "source",
            rejected,
        )
        yield _by_label("uploads", "uploads, per status", "status", stored.uploads_by_status)
        alerts = GaugeMetricFamily(
            PREFIX + "alerts_active",
            "alerts not yet resolved, per kind (rule or operations), severity and status",
            labels=("kind", "severity", "status"),
        )
        for one in stored.alerts:
            alerts.add_metric((one.kind, one.severity, one.status), one.alerts)
        yield alerts
        yield GaugeMetricFamily(
            PREFIX + "notifications_pending",
            "notifications waiting in the outbox to be sent",
            value=stored.notifications_pending,
        )
        yield from self._queues()

    def _queues(self) -> Iterator[Metric]:
        queues = self._figures.queues
        waiting = GaugeMetricFamily(
            PREFIX + "queue_messages", "messages waiting on a queue", labels=("queue",)
        )
        in_flight = GaugeMetricFamily(
            PREFIX + "queue_messages_in_flight",
            "messages received from a queue and not yet deleted",
            labels=("queue",),
        )
        dead = GaugeMetricFamily(
            PREFIX + "dead_letter_messages",
            "messages on a queue's dead-letter queue",
            labels=("queue", "dead_letter_queue"),
        )
        for one in queues:
            waiting.add_metric((one.queue,), one.waiting)
            in_flight.add_metric((one.queue,), one.in_flight)
            dead.add_metric((one.queue, one.dead_letter_queue), one.dead_letters)
        yield from (waiting, in_flight, dead)


def _by_label(name: str, documentation: str, label: str, values: Mapping[str, int]) -> Metric:
    family = GaugeMetricFamily(PREFIX + name, documentation, labels=(label,))
    for key, count in sorted(values.items()):
        family.add_metric((key,), count)
    return family


def exposition(figures: PipelineFigures) -> tuple[str, str]:
    """The figures as a scrape's body, and its media type."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Figures(figures))
    return generate_latest(registry).decode("utf-8"), CONTENT_TYPE
