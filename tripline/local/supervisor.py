"""Child processes of the local runtime, started, watched and stopped from the parent.

Spawned, not forked: the parent runs threads (the API's server, the mailbox, the schedules), and
a fork would copy their locks in whatever state they were; a spawned child starts a fresh
interpreter, imports what it needs and builds its own clients and engine from the environment it
inherits, as a Lambda container does.

A child that exits while the runtime runs is reported, then restarted after a pause that grows
while it keeps dying young (a child that crashes at once would otherwise spin), or, when nothing
can replace it (``restart=False``: moto holds every queue in memory), recorded as the runtime's
failure, and the runtime is stopped. Stopping sends every child SIGTERM at once (a child still
starting is killed: it holds no batch), waits for the batch each may be in the middle of, and
kills what is left: nothing started here outlives ``stop``. How a child takes part:
``child_process``.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as wait_for_exits
from multiprocessing.process import BaseProcess

from chalicelib.domain.errors import DependencyError
from tripline.local.child_process import ChildSignals
from tripline.local.logs import local_logger

log = local_logger(__name__)

SPAWN = multiprocessing.get_context("spawn")
RESTART_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0)
YOUNG_SECONDS = 60.0  # a child that lived longer starts its restart pauses over
WATCH_SECONDS = 0.5
KILL_WAIT_SECONDS = 5.0


@dataclass(frozen=True)
class ChildSpec:
    """A child to run: ``target(*args, signals)`` in a process of its own, ``target`` a
    module-level function (a spawned child imports it by name)."""

    name: str
    target: Callable[..., object]
    args: tuple[object, ...] = ()
    restart: bool = True


@dataclass
class Child:
    spec: ChildSpec
    process: BaseProcess | None = None
    ready_pipe: Connection | None = None  # the reading end: one message, or EOF if it died
    ready: bool = False
    started_at: float = 0.0
    young_deaths: int = 0
    restart_at: float | None = None

    def has_started(self, timeout: float) -> bool:
        """Whether the child said it is ready, waiting up to ``timeout`` s for it."""
        pipe = self.ready_pipe
        if not self.ready and pipe is not None and pipe.poll(timeout):
            with suppress(EOFError):  # EOF: it died before saying so
                self.ready = pipe.recv_bytes() == b"ready"
            pipe.close()
            self.ready_pipe = None
        return self.ready


def exit_reason(code: int | None) -> str:
    if code is not None and code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


@contextmanager
def _interrupts_ignored() -> Iterator[None]:
    """SIGINT ignored while a child is started from the main thread: the child inherits that
    from its first instruction (CPython leaves an ignored SIGINT ignored), so a Ctrl-C at the
    terminal, which reaches the whole process group, cannot interrupt its start-up; the parent
    decides how things stop. (Restarts, from the watcher's thread, cannot change handlers; the
    child ignores SIGINT a moment later, in ``ChildSignals.begin``.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class Supervisor:
    """A set of children that stop together; ``failure`` says why one ended the runtime."""

    def __init__(self, runtime_stop: threading.Event) -> None:
        self._runtime_stop = runtime_stop
        self._stopping = threading.Event()
        self._children: list[Child] = []
        self._watcher: threading.Thread | None = None
        self.failure: str | None = None

    def start(self, specs: Sequence[ChildSpec], ready_within: float) -> None:
        """Start every child and wait until each has started up, or the runtime is stopped
        meanwhile; then watch them. A child that exits or hangs while starting is a
        ``DependencyError`` naming it (its log is above); ``stop`` still cleans up."""
        for spec in specs:
            child = Child(spec)
            self._children.append(child)
            self._spawn(child)
        deadline = time.monotonic() + ready_within
        for child in self._children:
            while not self._started(child, deadline, ready_within):
                if self._runtime_stop.is_set():
                    return
        self._watcher = threading.Thread(target=self._watch, name="supervisor", daemon=True)
        self._watcher.start()

    def _started(self, child: Child, deadline: float, timeout: float) -> bool:
        assert child.process is not None
        if child.has_started(WATCH_SECONDS):
            return True
        if child.process.exitcode is not None:
            reason = exit_reason(child.process.exitcode)
            raise DependencyError(f"{child.spec.name} exited ({reason}) while starting")
        if time.monotonic() > deadline:
            raise DependencyError(f"{child.spec.name} did not start within {timeout:g} s")
        return False

    def pids(self) -> dict[str, int | None]:
        return {c.spec.name: p.pid if (p := c.process) else None for c in self._children}

    def stop(self, grace: float) -> None:
        """Ask every child to stop; wait up to ``grace`` s for their batches, then kill."""
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join()
        running = [(child, child.process) for child in self._children if child.process]
        for child, process in running:  # one still starting up holds no batch: no need to wait
            if child.has_started(0):
                process.terminate()
            else:
                process.kill()
        deadline = time.monotonic() + grace
        for child, process in running:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.exitcode is None:
                log.warning("child did not stop in time; killed", extra={"child": child.spec.name})
                process.kill()
                process.join(KILL_WAIT_SECONDS)
            process.close()
            child.process = None

    def _spawn(self, child: Child) -> None:
        child.ready_pipe, writer = SPAWN.Pipe(duplex=False)
        child.ready = False
        signals = ChildSignals(child.spec.name, os.getpid(), writer)
        child.process = SPAWN.Process(
            target=child.spec.target,
            args=(*child.spec.args, signals),
            name=child.spec.name,
            daemon=True,
        )
        with _interrupts_ignored():
            child.process.start()
        writer.close()  # the child's copy is the only one left: its death closes the pipe
        child.started_at = time.monotonic()
        child.restart_at = None

    def _watch(self) -> None:
        while not self._stopping.is_set():
            now = time.monotonic()
            for child in self._children:
                if child.restart_at is not None and now >= child.restart_at:
                    self._spawn(child)
                    log.info("child restarted", extra={"child": child.spec.name})
            live = {child.process.sentinel: child for child in self._children if child.process}
            if not live:
                self._stopping.wait(WATCH_SECONDS)
                continue
            for sentinel in wait_for_exits(list(live), WATCH_SECONDS):
                if not self._stopping.is_set():
                    self._exited(live[sentinel])  # type: ignore[index]

    def _exited(self, child: Child) -> None:
        process = child.process
        assert process is not None
        process.join()
        reason = exit_reason(process.exitcode)
        process.close()
        child.process = None
        child.has_started(0)  # drop its pipe
        if not child.spec.restart:
            self.failure = f"{child.spec.name} exited ({reason}); the runtime cannot go on"
            log.error(
                "child exited and cannot be replaced; stopping",
                extra={"child": child.spec.name, "reason": reason},
            )
            self._runtime_stop.set()
            return
        lived = time.monotonic() - child.started_at
        child.young_deaths = child.young_deaths + 1 if lived < YOUNG_SECONDS else 1
        delay = RESTART_DELAYS[min(child.young_deaths, len(RESTART_DELAYS)) - 1]
        child.restart_at = time.monotonic() + delay
        log.error(
            "child exited; restarting",
            extra={"child": child.spec.name, "reason": reason, "restart_in_seconds": delay},
        )
