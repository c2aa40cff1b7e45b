"""Scheduled functions, locally: what EventBridge's ``rate(...)`` rules do for ``@app.schedule``.

Each scheduled function declared in ``app.py`` (a ``ScheduledEventConfig`` in
``app.event_sources``) gets a thread that calls its handler with the event EventBridge sends, once
per period, on the same clock as everything else. A handler that raises is logged and called
again next period, as Lambda would retry the next invocation; the thread never dies of it.

Only ``rate(...)`` is supported locally: Tripline's schedules are rates, and a cron expression
would need a calendar to run on time. One is refused at startup, not ignored.
"""

from __future__ import annotations

import re
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chalice.app import Chalice, ScheduledEventConfig
from chalice.local import LambdaContext

from chalicelib.domain.errors import ConfigurationError, Detail
from tripline.local.logs import local_logger
from tripline.local.pump import Handler, LambdaSettings

log = local_logger(__name__)

_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
JOIN_SECONDS = (
    60  # a run in progress finishes; its Lambda timeout is longer, but locally it is short
)


@dataclass(frozen=True)
class ScheduledTrigger:
    name: str
    period_seconds: float
    handler: Handler


def rate_seconds(expression: str) -> int:
    """``rate(1 minute)`` → 60; anything else is a ``ConfigurationError`` saying what is taken."""
    found = _RATE.fullmatch(expression.strip())
    if found is None or int(found.group(1)) < 1:
        raise ConfigurationError(
            f"cannot run the schedule {expression!r} locally",
            [
                Detail(
                    "the local runtime runs rate(N minute[s]|hour[s]|day[s]) schedules only",
                    value=expression,
                )
            ],
        )
    return int(found.group(1)) * _UNIT_SECONDS[found.group(2).rstrip("s")]


def scheduled_triggers(app: Chalice) -> list[ScheduledTrigger]:
    triggers = []
    for config in app.event_sources:
        if isinstance(config, ScheduledEventConfig):
            expression = config.schedule_expression
            text = expression if isinstance(expression, str) else expression.to_string()
            triggers.append(
                ScheduledTrigger(config.name, rate_seconds(text), app.handler_map[config.name])
            )
    return triggers


def scheduled_event(name: str, region: str, at: datetime) -> dict[str, Any]:
    """The event EventBridge hands a scheduled Lambda function."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:123456789012:rule/tripline-{name}"],
        "detail": {},
    }


def run_schedule(
    trigger: ScheduledTrigger, function: LambdaSettings, stop: threading.Event
) -> None:
    """Call the handler every period until ``stop``; the first call is one period after start."""
    while not stop.wait(trigger.period_seconds):
        event = scheduled_event(trigger.name, function.region, datetime.now(UTC))
        context = LambdaContext(
            function_name=function.function_name,
            memory_size=function.memory_mb,
            max_runtime_ms=function.timeout_seconds * 1000,
        )
        try:
            answer = trigger.handler(event, context)
        except Exception:  # logged and retried next period, as Lambda would
            log.exception("scheduled function failed", extra={"function": trigger.name})
            continue
        log.info("scheduled function ran", extra={"function": trigger.name, "answer": answer})


@dataclass
class Schedules:
    """The running schedule threads, and what to show of them on the console."""

    stop_event: threading.Event
    triggers: list[ScheduledTrigger]
    threads: list[threading.Thread]

    def describe(self) -> list[tuple[str, float]]:
        return [(trigger.name, trigger.period_seconds) for trigger in self.triggers]

    def stop(self) -> None:
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout=JOIN_SECONDS)


def start_schedules(
    app: Chalice, region: str, stop: threading.Event, period_override: float | None = None
) -> Schedules:
    """A daemon thread per scheduled function (``period_override`` shortens every period)."""
    threads = []
    triggers = []
    for trigger in scheduled_triggers(app):
        if period_override is not None:
            trigger = ScheduledTrigger(trigger.name, period_override, trigger.handler)
        function = LambdaSettings(f"{app.app_name}-local-{trigger.name}", region=region)
        thread = threading.Thread(
            target=run_schedule,
            args=(trigger, function, stop),
            name=f"schedule-{trigger.name}",
            daemon=True,
        )
        thread.start()
        threads.append(thread)
        triggers.append(trigger)
    return Schedules(stop, triggers, threads)
