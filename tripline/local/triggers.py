"""The SQS triggers a Chalice app declares, each fed by its own pump thread.

The triggers are read from the app rather than listed again: ``@app.on_sqs_message`` records an
``SQSEventConfig`` (queue, batch size, name) in ``app.event_sources`` and the callable Lambda would
invoke in ``app.handler_map[name]``, the same object the module exposes, taking
``(event, context)``. A trigger added to ``app.py`` is therefore pumped locally without touching
this package; one on a queue ``topology`` does not declare is refused, since locally it would wait
on a queue nobody created.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from chalice.app import Chalice, SQSEventConfig

from chalicelib.domain.errors import ConfigurationError, Detail
from chalicelib.settings import Settings
from chalicelib.topology import QUEUES
from tripline.local.console import QueueLine
from tripline.local.http_server import LAMBDA_MEMORY_MB, LAMBDA_TIMEOUT_SECONDS
from tripline.local.pump import WAIT_SECONDS, Handler, LambdaSettings, SqsPump, start_pump

JOIN_SECONDS = LAMBDA_TIMEOUT_SECONDS + WAIT_SECONDS
MAX_LOCAL_CONCURRENCY = 4  # one process, one GIL: more pollers only add contention
CHALICE_CONFIG = Path(__file__).resolve().parents[2] / ".chalice" / "config.json"


def local_concurrency(config_path: Path = CHALICE_CONFIG, stage: str = "local") -> dict[str, int]:
    """Pollers per function, as Lambda would run them: each function's reserved concurrency in the
    stage's configuration, capped for one process. A function without one gets one poller."""
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    functions = config.get("stages", {}).get(stage, {}).get("lambda_functions", {})
    return {
        name: max(1, min(int(settings.get("reserved_concurrency", 1)), MAX_LOCAL_CONCURRENCY))
        for name, settings in functions.items()
    }


@dataclass(frozen=True)
class SqsTrigger:
    name: str
    queue: str
    batch_size: int
    handler: Handler


def sqs_triggers(app: Chalice) -> list[SqsTrigger]:
    """Every SQS trigger of ``app``, with the queue name (from ``queue_arn`` when that is given)."""
    triggers = []
    for config in app.event_sources:
        if isinstance(config, SQSEventConfig):
            queue = config.queue or (config.queue_arn or "").rsplit(":", 1)[-1]
            triggers.append(
                SqsTrigger(config.name, queue, config.batch_size, app.handler_map[config.name])
            )
    return triggers


@dataclass
class Pumps:
    """The running pumps: what to show on the console, and how to stop them."""

    stop_event: threading.Event
    lines: list[QueueLine] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)

    def describe(self) -> list[QueueLine]:
        return list(self.lines)

    def stop(self) -> None:
        """Ask every loop to end, then wait for the batch each may be in the middle of."""
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout=JOIN_SECONDS)


def start_pumps(
    app: Chalice, settings: Settings, queue_urls: Mapping[str, str], stop: threading.Event
) -> Pumps:
    """Pumps per SQS trigger (its local concurrency), each with its own client (boto3 sessions are
    not thread-safe)."""
    from chalicelib.adapters.aws.clients import make_client

    dead_letters = {spec.name: spec.dead_letter_queue for spec in QUEUES}
    concurrency = local_concurrency()
    pumps = Pumps(stop)
    for trigger in sqs_triggers(app):
        if trigger.queue not in queue_urls:
            raise ConfigurationError(
                f"app.py triggers on queue {trigger.queue!r}; topology.QUEUES does not declare it",
                [Detail("undeclared queue", field=trigger.name, value=trigger.queue)],
            )
        function = LambdaSettings(
            f"{app.app_name}-local-{trigger.name}",
            LAMBDA_MEMORY_MB,
            LAMBDA_TIMEOUT_SECONDS,
            settings.aws_region,
        )
        for copy in range(concurrency.get(trigger.name, 1)):
            pump = SqsPump(
                make_client("sqs", settings),
                queue_urls[trigger.queue],
                trigger.handler,
                batch_size=trigger.batch_size,
                function=function,
            )
            pumps.threads.append(start_pump(pump, stop, f"{trigger.name}-{copy + 1}"))
        pumps.lines.append(
            QueueLine(
                trigger.queue,
                trigger.name,
                min(trigger.batch_size, 10),
                dead_letters.get(trigger.queue),
            )
        )
    return pumps
