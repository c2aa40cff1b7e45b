"""One SQS poller in a process of its own: what one Lambda container of a function does locally.

The child imports ``app`` itself and takes the handler Lambda would invoke from
``app.handler_map``; its container (settings, engine, clients) is built from the environment the
parent set before starting it, as a Lambda container's is from the function's configuration.
Each poller therefore has its own interpreter: the pollers, the API and moto no longer share one
GIL, and the local runtime's throughput means what a set of containers would give.
"""

from __future__ import annotations

from dataclasses import dataclass

from tripline.local.child_process import ChildSignals
from tripline.local.pump import LambdaSettings, SqsPump


@dataclass(frozen=True)
class PollerSpec:
    """Picklable: it crosses into the spawned child."""

    trigger: str  # the function's name in ``app.handler_map``
    queue_url: str
    batch_size: int
    function: LambdaSettings


def run_poller(spec: PollerSpec, signals: ChildSignals) -> None:
    """Build the container, say ready, poll until told to stop (SIGTERM, or the parent gone);
    the batch in hand is finished first, and the engine's connections closed on the way out."""
    stop = signals.begin()
    import app as app_module  # the child's own import, after the parent set the environment
    from chalicelib import bootstrap
    from chalicelib.adapters.aws.clients import make_client

    container = bootstrap.container()
    try:
        container.engine  # noqa: B018 (a bad database URL fails the start, not the first batch)
        pump = SqsPump(
            make_client("sqs", container.settings),
            spec.queue_url,
            app_module.app.handler_map[spec.trigger],
            batch_size=spec.batch_size,
            function=spec.function,
        )
        pump.queue_arn()  # moto reachable, the queue there
        signals.ready()
        pump.run(stop)
    finally:
        bootstrap.reset()
