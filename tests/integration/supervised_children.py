"""Children for the supervisor's tests: module-level functions, since a spawned child imports its
target by name. Each takes the ``ChildSignals`` the supervisor appends to its arguments."""

from __future__ import annotations

import signal
import sys
import time

from tripline.local.child_process import ChildSignals
from tripline.local.logs import local_logger

log = local_logger(__name__)


def poll_until_stopped(signals: ChildSignals) -> None:
    """A well-behaved child: says it started, polls until told to stop, says so."""
    stop = signals.begin()
    log.info("child polling", extra={"parent": signals.parent_pid})
    signals.ready()
    while not stop.wait(0.1):
        pass
    log.info("child stopping")


def exit_while_starting(code: int, signals: ChildSignals) -> None:
    """A child whose start-up fails: it exits before it is ready."""
    signals.begin()
    sys.exit(code)


def ignore_stop(signals: ChildSignals) -> None:
    """A child stuck in a batch: deaf to the stop event and to SIGTERM."""
    signals.begin()
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signals.ready()
    while True:
        time.sleep(0.1)


def spin_on_the_stop_event(signals: ChildSignals) -> None:
    """A child that checks its stop event without pausing: SIGTERM nearly always arrives while
    the check holds the event's lock, the moment a handler that set the event itself would hang."""
    stop = signals.begin()
    signals.ready()
    while not stop.wait(0):
        pass
    log.info("child stopping")
