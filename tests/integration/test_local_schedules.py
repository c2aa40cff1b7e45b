"""The local runtime's schedules: each ``@app.schedule`` called every period, as EventBridge would."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from chalice.app import Chalice, Cron, Rate

from chalicelib.domain.errors import ConfigurationError
from tripline.local.schedules import rate_seconds, scheduled_triggers, start_schedules


@pytest.mark.parametrize(
    "expression, seconds",
    [
        ("rate(1 minute)", 60),
        ("rate(5 minutes)", 300),
        ("rate(2 hours)", 7200),
        ("rate(1 day)", 86400),
    ],
)
def test_rates_are_read_as_seconds(expression: str, seconds: int) -> None:
    assert rate_seconds(expression) == seconds


@pytest.mark.parametrize("expression", ["rate(0 minutes)", "cron(0 12 * * ? *)", "every minute"])
def test_what_cannot_run_locally_is_refused_at_startup(expression: str) -> None:
    with pytest.raises(ConfigurationError, match="cannot run the schedule"):
        rate_seconds(expression)


def test_each_scheduled_function_is_called_every_period_and_survives_its_own_failure() -> None:
    # GIVEN an app with a schedule whose first call fails
    app = Chalice(app_name="scheduled")
    calls: list[dict[str, Any]] = []

    @app.schedule(Rate(1, unit=Rate.MINUTES), name="tick")
    def tick(event: Any) -> dict[str, int]:
        calls.append(event.to_dict())
        if len(calls) == 1:
            raise RuntimeError("first call fails")
        return {"calls": len(calls)}

    stop = threading.Event()
    # WHEN its schedule runs at a short period for a moment
    schedules = start_schedules(app, "eu-west-1", stop, period_override=0.02)
    deadline = time.monotonic() + 5
    while len(calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    schedules.stop()
    # THEN it was called again after failing, with EventBridge's scheduled event, and stopped
    assert len(calls) >= 3
    assert calls[0]["detail-type"] == "Scheduled Event"
    assert calls[0]["region"] == "eu-west-1"
    assert schedules.describe() == [("tick", 0.02)]
    assert not any(thread.is_alive() for thread in schedules.threads)


def test_the_apps_schedules_are_found_and_a_cron_one_is_refused() -> None:
    import app as tripline

    assert [(one.name, one.period_seconds) for one in scheduled_triggers(tripline.app)] == [
        ("tick", 60),
        ("send_digest", 3600),
        ("purge", 3600),
    ]
    cron_app = Chalice(app_name="cron")

    @cron_app.schedule(Cron(0, 12, "*", "*", "?", "*"))
    def noon(event: Any) -> None:
        return None

    with pytest.raises(ConfigurationError):
        scheduled_triggers(cron_app)
