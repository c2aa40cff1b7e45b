"""The SQS triggers a Chalice app declares, each fed by pollers in processes of their own.

The triggers are read from the app rather than listed again: ``@app.on_sqs_message`` records an
``SQSEventConfig`` (queue, batch size, name) in ``app.event_sources`` and the callable Lambda would
invoke in ``app.handler_map[name]``, the same object the module exposes, taking
``(event, context)``. A trigger added to ``app.py`` is therefore pumped locally without touching
this package; one on a queue ``topology`` does not declare is refused, since locally it would wait
on a queue nobody created.

Each poller is a child process (``poller_process``), as each concurrent invocation on AWS is a
container of its own; the supervisor restarts one that dies and stops them all with the runtime.
"""

from __future__ import annotations

import json
import os
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
from tripline.local.poller_process import PollerSpec, run_poller
from tripline.local.pump import WAIT_SECONDS, Handler, LambdaSettings
from tripline.local.supervisor import ChildSpec, Supervisor

JOIN_SECONDS = LAMBDA_TIMEOUT_SECONDS + WAIT_SECONDS
START_SECONDS = 60  # every poller imported the app and reached moto (a slow, busy machine)
# A poller mostly waits (a long poll, the database), so two per CPU keep the CPUs busy; more only
# cost memory (each process holds its own app, about 70 MB) and queue up for SQLite's one writer.
MAX_LOCAL_CONCURRENCY = 2 * (os.cpu_count() or 1)
CHALICE_CONFIG = Path(__file__).resolve().parents[2] / ".chalice" / "config.json"


def local_concurrency(config_path: Path = CHALICE_CONFIG, stage: str = "local") -> dict[str, int]:
    """Pollers per function, as Lambda would run them: each function's reserved concurrency in the
    stage's configuration, capped by this machine's CPUs. A function without one gets one poller."""
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
    """The running pollers: what to show on the console, and how to stop them."""

    supervisor: Supervisor
    lines: list[QueueLine] = field(default_factory=list)

    def describe(self) -> list[QueueLine]:
        return list(self.lines)

    def stop(self) -> None:
        """Ask every poller to end, wait for the batch each may be in the middle of."""
        self.supervisor.stop(JOIN_SECONDS)


def start_pumps(
    app: Chalice, settings: Settings, queue_urls: Mapping[str, str], stop: threading.Event
) -> Pumps:
    """Pollers per SQS trigger (its local concurrency), each a process with its own container;
    returns once all poll, or once ``stop`` is set. One that cannot start stops the others and
    raises."""
    concurrency = local_concurrency()
    pumps = Pumps(Supervisor(stop))
    specs: list[ChildSpec] = []
    for trigger in sqs_triggers(app):
        poller = _poller(app, trigger, settings, queue_urls)
        copies = concurrency.get(trigger.name, 1)
        specs += [
            ChildSpec(f"{trigger.name}-{n + 1}", run_poller, (poller,)) for n in range(copies)
        ]
        pumps.lines.append(_queue_line(trigger, copies))
    try:
        pumps.supervisor.start(specs, START_SECONDS)
    except BaseException:
        pumps.stop()
        raise
    return pumps


def _poller(
    app: Chalice, trigger: SqsTrigger, settings: Settings, queue_urls: Mapping[str, str]
) -> PollerSpec:
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
    return PollerSpec(trigger.name, queue_urls[trigger.queue], trigger.batch_size, function)


def _queue_line(trigger: SqsTrigger, pollers: int) -> QueueLine:
    dead_letters = {spec.name: spec.dead_letter_queue for spec in QUEUES}
    return QueueLine(
        trigger.queue,
        trigger.name,
        min(trigger.batch_size, 10),
        dead_letters.get(trigger.queue),
        pollers,
    )
