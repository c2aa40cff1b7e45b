"""`tripline report create --wait`'s bar: the upload's bar, counting per cent of the rows."""

from __future__ import annotations

import os
import pty
import re

import pytest

from tripline.upload_progress import progress_bar

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def test_on_a_terminal_the_report_bar_ends_at_the_percent_reached(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a terminal WHEN a report is followed from 0 through 40 to 100 per cent
    monkeypatch.setenv("TERM", "xterm")
    master, replica = pty.openpty()
    with (
        open(replica, "w", encoding="utf-8") as terminal,
        progress_bar("report r-1", terminal, percent=True) as bar,
    ):
        bar.start(100)
        for percent in (0.0, 40.0, 100.0):
            bar.reach(percent)
    os.set_blocking(master, False)
    written = b""
    try:
        while chunk := os.read(master, 65536):
            written += chunk
    except (BlockingIOError, OSError):  # nothing left to read
        pass
    finally:
        os.close(master)
    # THEN the last line names the report and shows 100 %, not bytes
    last = ANSI.sub("", written.decode("utf-8", "replace")).rstrip().splitlines()[-1]
    assert "report r-1" in last and "100%" in last
    assert "bytes" not in last and "kB" not in last
