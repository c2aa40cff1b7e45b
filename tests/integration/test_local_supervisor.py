"""The local runtime's child processes: started, reported and restarted when they die, stopped
without leaving one behind. Real spawned processes; the children are in ``supervised_children``."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from chalicelib.domain.errors import DependencyError
from tests.integration import supervised_children as children
from tripline.local.supervisor import ChildSpec, Supervisor

START_SECONDS = 60.0


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def eventually(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not {what} within {seconds} s"
        time.sleep(0.05)


@pytest.fixture
def runtime_stop() -> threading.Event:
    return threading.Event()


@pytest.fixture
def supervisor(runtime_stop: threading.Event) -> Iterator[Supervisor]:
    running = Supervisor(runtime_stop)
    yield running
    running.stop(grace=2)


def test_a_child_that_dies_is_reported_and_restarted(
    supervisor: Supervisor, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN a child that started
    supervisor.start([ChildSpec("worker-1", children.poll_until_stopped)], START_SECONDS)
    first = supervisor.pids()["worker-1"]
    assert first is not None and alive(first)

    # WHEN it is killed
    with caplog.at_level(logging.INFO, logger="local.supervisor"):
        os.kill(first, signal.SIGKILL)
        eventually(lambda: supervisor.pids()["worker-1"] not in (None, first), 10, "restarted")

    # THEN its death was reported with the reason, and another process took its place
    [death] = [r for r in caplog.records if r.getMessage() == "child exited; restarting"]
    assert (death.child, death.reason) == ("worker-1", "killed by SIGKILL")  # type: ignore[attr-defined]
    assert "child restarted" in caplog.messages
    second = supervisor.pids()["worker-1"]
    assert second is not None and alive(second) and not alive(first)


def test_a_child_nothing_can_replace_stops_the_runtime_saying_why(
    supervisor: Supervisor, runtime_stop: threading.Event
) -> None:
    # GIVEN a child that must not be restarted (moto, whose queues live in its memory)
    spec = ChildSpec("moto", children.poll_until_stopped, restart=False)
    supervisor.start([spec], START_SECONDS)
    pid = supervisor.pids()["moto"]
    assert pid is not None

    # WHEN it dies
    os.kill(pid, signal.SIGKILL)

    # THEN the runtime is told to stop, and the failure names the child and how it ended
    assert runtime_stop.wait(10)
    assert supervisor.failure == "moto exited (killed by SIGKILL); the runtime cannot go on"
    assert supervisor.pids()["moto"] is None


def test_a_child_that_fails_to_start_fails_the_start_naming_it(supervisor: Supervisor) -> None:
    # GIVEN a child whose start-up exits with status 3
    spec = ChildSpec("process_rows-2", children.exit_while_starting, (3,))

    # WHEN the children are started THEN the start fails, naming it and its exit status
    with pytest.raises(DependencyError, match=r"process_rows-2 exited \(exit code 3\) while"):
        supervisor.start([spec], START_SECONDS)


def test_stopping_kills_a_child_that_does_not_stop_in_time(
    runtime_stop: threading.Event, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN a child deaf to the stop event and to SIGTERM (a batch that hangs)
    supervisor = Supervisor(runtime_stop)
    supervisor.start([ChildSpec("stuck-1", children.ignore_stop)], START_SECONDS)
    pid = supervisor.pids()["stuck-1"]
    assert pid is not None

    # WHEN it is stopped with a grace of one second
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="local.supervisor"):
        supervisor.stop(grace=1)

    # THEN the stop returned soon after the grace, the child is gone, and the kill was reported
    assert time.monotonic() - started < 10
    assert not alive(pid)
    assert "child did not stop in time; killed" in caplog.messages


def test_stopping_ends_every_child_and_leaves_no_process(supervisor: Supervisor) -> None:
    # GIVEN three children polling
    specs = [ChildSpec(f"worker-{n}", children.poll_until_stopped) for n in (1, 2, 3)]
    supervisor.start(specs, START_SECONDS)
    pids = [pid for pid in supervisor.pids().values() if pid is not None]
    assert len(pids) == 3 and all(alive(pid) for pid in pids)

    # WHEN the supervisor stops
    supervisor.stop(grace=10)

    # THEN none of them runs any more
    assert [pid for pid in pids if alive(pid)] == []


def test_a_childs_log_lines_reach_the_console_tagged_with_its_name(
    supervisor: Supervisor, capfd: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a child that logs through a ``local.<module>`` logger as it starts
    supervisor.start([ChildSpec("worker-7", children.poll_until_stopped)], START_SECONDS)

    # WHEN it is stopped
    supervisor.stop(grace=10)

    # THEN its lines were written to the standard error it shares with the parent, in the
    # console's format, with its name and its keys
    err = capfd.readouterr().err
    assert f"INFO local.supervised_children [worker-7]: child polling parent={os.getpid()}" in err
    assert "local.supervised_children [worker-7]: child stopping" in err


def test_sigterm_stops_a_child_even_while_it_is_checking_its_stop_event(
    supervisor: Supervisor, capfd: pytest.CaptureFixture[str]
) -> None:
    # GIVEN children that check their stop event in a tight loop, so SIGTERM lands inside the check
    specs = [ChildSpec(f"spinner-{n}", children.spin_on_the_stop_event) for n in range(4)]
    supervisor.start(specs, START_SECONDS)

    # WHEN they are stopped
    supervisor.stop(grace=10)

    # THEN every one stopped by itself, none had to be killed
    err = capfd.readouterr().err
    assert err.count("child stopping") == 4, err
    assert "did not stop in time" not in err
