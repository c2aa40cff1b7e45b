"""`tripline upload`'s progress bar: drawn on a terminal, never on a pipe or a log file."""

from __future__ import annotations

import io
import os
import pty
import re

import pytest

from tripline.upload_progress import progress_bar

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def drawn_on_a_terminal(blocks: list[int], total: int) -> str:
    """What the bar wrote to a pseudo-terminal, control sequences taken out."""
    master, replica = pty.openpty()
    with (
        open(replica, "w", encoding="utf-8") as terminal,
        progress_bar("orders.csv", terminal) as bar,
    ):
        bar.start(total)
        for block in blocks:
            bar.advance(block)
    os.set_blocking(master, False)
    written = b""
    try:
        while chunk := os.read(master, 65536):
            written += chunk
    except (BlockingIOError, OSError):  # nothing left to read
        pass
    finally:
        os.close(master)
    return ANSI.sub("", written.decode("utf-8", "replace"))


def test_on_a_terminal_the_bar_ends_at_the_bytes_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a terminal WHEN 2,000 bytes are sent in four blocks
    monkeypatch.setenv("TERM", "xterm")
    shown = drawn_on_a_terminal([500, 500, 500, 500], total=2000)
    # THEN the bar names the file and ends with all of them sent
    last = shown.rstrip().splitlines()[-1]
    assert "orders.csv" in last and "2.0/2.0 kB" in last


def test_on_a_dumb_terminal_nothing_is_drawn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "dumb")
    assert drawn_on_a_terminal([2000], total=2000).strip() == ""


def test_on_a_pipe_or_a_file_nothing_is_drawn() -> None:
    # GIVEN a stream that is not a terminal WHEN a whole upload is reported THEN it stays empty
    log = io.StringIO()
    with progress_bar("orders.csv", log) as bar:
        bar.start(10)
        bar.advance(10)
    assert log.getvalue() == ""
