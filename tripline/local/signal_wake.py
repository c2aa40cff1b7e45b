"""Setting a ``threading.Event`` from a signal handler, safely.

A Python signal handler runs in the main thread between two of its instructions, perhaps inside
that thread's own ``event.wait``, which holds the event's lock for a moment; ``Event.set`` from
the handler then waits for that lock for ever (it is not reentrant), and the process never
stops. So the handler only writes a byte to a pipe, which takes no lock, and a thread of its
own, woken by the byte, sets the event.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from contextlib import suppress


def setter_for_signal_handlers(event: threading.Event) -> Callable[[], None]:
    """A function that sets ``event`` soon after, safe to call from a signal handler."""
    woken, wake = os.pipe()
    os.set_blocking(wake, False)

    def set_when_woken() -> None:
        os.read(woken, 1)
        event.set()

    threading.Thread(target=set_when_woken, name="signal-wake", daemon=True).start()

    def wake_up() -> None:
        with suppress(BlockingIOError):  # a full pipe has already woken the thread
            os.write(wake, b"\0")

    return wake_up
