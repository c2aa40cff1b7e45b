"""`tripline local`'s processes as a user meets them: moto and each SQS poller a process of its
own, a poller that dies replaced, and nothing left running once the runtime ends, however it ends.

Processes are read from Linux's ``/proc``: the runtime's children by their parent, moto's among
them by the socket it listens on (``--aws-port``).
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from chalicelib.topology import EVENTS_QUEUE
from tests.builders import event_item
from tests.e2e.test_local_runtime import (
    EXIT_SECONDS,
    PROCESSING_SECONDS,
    LocalRun,
    http,
    messages_on,
    post_events,
    stored,
    wait_until,
)
from tripline.local.triggers import local_concurrency, sqs_triggers

pytestmark = pytest.mark.slow
GONE_SECONDS = 10.0  # a child notices its parent is gone within half a second, then ends its poll


def children_of(parent: int) -> list[int]:
    """The processes whose parent is ``parent`` (multiprocessing's resource tracker left out)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except (OSError, IndexError):
            continue
        if ppid == parent and b"resource_tracker" not in command:
            found.append(int(entry.name))
    return sorted(found)


def alive(pid: int) -> bool:
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]) != "Z"
    except FileNotFoundError:
        return False


def listening_on(port: int, pids: list[int]) -> int:
    """Which of ``pids`` holds the socket listening on ``port``."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":
                inodes.add(fields[9])
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = fd.readlink().name
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                return pid
    raise AssertionError(f"none of {pids} listens on {port}")


def expected_pollers() -> int:
    import app

    concurrency = local_concurrency()
    return sum(concurrency.get(trigger.name, 1) for trigger in sqs_triggers(app.app))


def started(start_local: Callable[[str], LocalRun], tmp_path: Path) -> tuple[LocalRun, list[int]]:
    """The runtime on SQLite, once moto and every poller run; its children."""
    run = start_local(f"sqlite:///{tmp_path / 'tripline.db'}")
    wanted = 1 + expected_pollers()
    pid = run.process.pid
    wait_until(lambda: len(children_of(pid)) == wanted, 30, f"{wanted} children", run)
    wait_until(lambda: "Press Ctrl-C to stop." in run.stdout.read_text(), 30, "ready", run)
    return run, children_of(pid)


def check_events_are_stored(run: LocalRun) -> None:
    source = f"proc{uuid.uuid4().hex[:8]}"
    batch = [event_item(source=source) for _ in range(25)]
    status, answer = post_events(run, batch)
    assert status == 202, answer
    wait_until(lambda: len(stored(run, source)) == 25, PROCESSING_SECONDS, "all stored", run)


def test_moto_and_each_poller_run_apart_and_all_stop_with_the_runtime(
    start_local: Callable[[str], LocalRun], tmp_path: Path
) -> None:
    # GIVEN the runtime, moto and every poller up
    run, children = started(start_local, tmp_path)
    moto = listening_on(run.aws_port, children)

    # THEN one child serves moto, one per poller the stage reserves, the parent the API
    assert len(children) == 1 + expected_pollers() and moto in children
    assert listening_on(int(run.api.rsplit(":", 1)[1]), [run.process.pid]) == run.process.pid
    # AND the pipeline works through them
    check_events_are_stored(run)

    # WHEN the runtime is sent SIGTERM
    run.process.send_signal(signal.SIGTERM)

    # THEN it exits 0 in time, and none of its processes is left
    assert run.process.wait(timeout=EXIT_SECONDS) == 0, run.output()
    assert [pid for pid in children if alive(pid)] == []


def test_a_killed_runtime_leaves_no_process_behind(
    start_local: Callable[[str], LocalRun], tmp_path: Path
) -> None:
    # GIVEN the runtime with its children
    run, children = started(start_local, tmp_path)

    # WHEN it is killed outright, with no chance to stop them
    run.process.kill()
    run.process.wait(timeout=EXIT_SECONDS)

    # THEN each child notices and ends on its own
    deadline = time.monotonic() + GONE_SECONDS
    while [pid for pid in children if alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [pid for pid in children if alive(pid)] == []


def test_a_poller_that_dies_is_reported_and_replaced_and_events_still_flow(
    start_local: Callable[[str], LocalRun], tmp_path: Path
) -> None:
    # GIVEN the runtime with its children
    run, children = started(start_local, tmp_path)
    moto = listening_on(run.aws_port, children)
    poller = next(pid for pid in children if pid != moto)

    # WHEN one poller is killed
    os.kill(poller, signal.SIGKILL)

    # THEN the console says which one died and how, and that it was restarted
    def restarted() -> bool:
        return "child restarted" in run.stderr.read_text()

    wait_until(restarted, 15, "restarted", run)
    err = run.stderr.read_text()
    assert "ERROR local.supervisor: child exited; restarting child=" in err
    assert "reason=killed by SIGKILL" in err
    # AND as many pollers run as before, the killed one not among them
    pid = run.process.pid
    wait_until(lambda: len(children_of(pid)) == len(children), 30, "replaced", run)
    assert poller not in children_of(pid)
    # AND events are still stored, every queue drained
    check_events_are_stored(run)
    wait_until(lambda: messages_on(run, EVENTS_QUEUE) == 0, PROCESSING_SECONDS, "drained", run)


def test_moto_dying_stops_the_runtime_saying_why(
    start_local: Callable[[str], LocalRun], tmp_path: Path
) -> None:
    # GIVEN the runtime with its children
    run, children = started(start_local, tmp_path)
    moto = listening_on(run.aws_port, children)

    # WHEN moto's process is killed (every queue and object was in its memory)
    os.kill(moto, signal.SIGKILL)

    # THEN the runtime stops with status 1, saying why, and leaves no process behind
    assert run.process.wait(timeout=60) == 1, run.output()
    assert "moto exited (killed by SIGKILL); the runtime cannot go on" in run.stderr.read_text()
    assert [pid for pid in children if alive(pid)] == []


def test_pollers_writing_sqlite_at_once_store_every_event_once(
    start_local: Callable[[str], LocalRun], tmp_path: Path
) -> None:
    # GIVEN the runtime on SQLite, several pollers writing to the one file
    run, _ = started(start_local, tmp_path)
    source = f"burst{uuid.uuid4().hex[:8]}"

    # WHEN 40 batches of 10 events arrive at once, from 8 integrators
    batches = [[event_item(source=source, id=f"{n}-{i}") for i in range(10)] for n in range(40)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda batch: post_events(run, batch), batches))

    # THEN every item was accepted, and each is stored once, with no database error logged
    assert {status for status, _ in answers} == {202}
    statuses = {item["status"] for _, answer in answers for item in answer["results"]}
    assert statuses == {"accepted"}
    wait_until(lambda: messages_on(run, EVENTS_QUEUE) == 0, 60, "drained", run)
    ids = [view["id"] for view in stored_all(run, source)]
    assert sorted(ids) == sorted(item["id"] for batch in batches for item in batch)
    assert "database is locked" not in run.output()


def stored_all(run: LocalRun, source: str) -> list[dict[str, Any]]:
    """Every stored event of ``source``, page after page."""
    items: list[dict[str, Any]] = []
    cursor: str | None = ""
    while cursor is not None:
        query = f"source={source}&limit=100" + (f"&cursor={quote(cursor)}" if cursor else "")
        status, page = http("GET", f"{run.api}/events?{query}")
        assert status == 200, page
        items += page["items"]
        cursor = page["next_cursor"]
    return items
