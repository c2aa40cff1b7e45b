"""The child's side of the runtime's processes: when it is ready, when to stop, where its lines go.

A child says it is ready by one message on a pipe of its own, and is told to stop by SIGTERM.
Nothing is shared with the parent that a child killed at the wrong moment could leave locked
(a ``multiprocessing.Event`` is a lock and a semaphore that every holder must release: a child
killed while holding one hangs everyone else who waits on it). A child also stops when its parent
is gone: a parent killed outright (SIGKILL, a crash) cannot tell its children, so each checks who
its parent is twice a second and ends itself once that changes; nothing the runtime started
outlives it. The SIGTERM handler sets the stop event through ``signal_wake``: set from the
handler itself, it could hang on the lock of the very ``wait`` it interrupted. SIGINT is ignored: Ctrl-C at a terminal reaches the whole process group, and the
parent, which sees it too, decides the order things stop in.

Lines are written to the console the parent writes to (the inherited standard error), in the
parent's format, tagged with the child's name.
"""

from __future__ import annotations

import os
import signal
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection

from tripline.local import console
from tripline.local.signal_wake import setter_for_signal_handlers

PARENT_CHECK_SECONDS = 0.5


@dataclass(frozen=True)
class ChildSignals:
    """What the parent hands each child: its name, the parent's pid, and the pipe on which it
    says, once, that it has started up."""

    name: str
    parent_pid: int
    ready_pipe: Connection

    def begin(self) -> threading.Event:
        """Set up the child's console and signals; the event its loop stops on."""
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        console.configure_logging(process=self.name)
        stopping = threading.Event()
        set_stopping = setter_for_signal_handlers(stopping)
        signal.signal(signal.SIGTERM, lambda _signum, _frame: set_stopping())
        threading.Thread(
            target=self._watch_parent, args=(stopping,), name="parent-watch", daemon=True
        ).start()
        return stopping

    def ready(self) -> None:
        self.ready_pipe.send_bytes(b"ready")
        self.ready_pipe.close()

    def _watch_parent(self, stopping: threading.Event) -> None:
        while not stopping.wait(PARENT_CHECK_SECONDS):
            if os.getppid() != self.parent_pid:
                stopping.set()
