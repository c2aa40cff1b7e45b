"""The progress bar of ``tripline upload`` (and ``tripline report``): rich's, only on a terminal.

rich rather than tqdm: it ships its own types (strict mypy needs no stubs), its columns are made
for transfers (bytes, speed, time left), and the dev tools already bring it in. On a pipe, a log
file or a dumb terminal nothing is drawn, as before: a bar there is carriage returns in a log.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)


class UploadBar:
    """What the sender calls: ``start`` with the body's length, ``advance`` by the bytes sent."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress = progress
        self._task = task

    def start(self, total: int) -> None:
        self._progress.update(self._task, total=total)

    def advance(self, sent: int) -> None:
        self._progress.advance(self._task, sent)

    def reach(self, done: float) -> None:
        """Where the work is, for a bar fed by a status rather than by blocks sent."""
        self._progress.update(self._task, completed=done)


@contextmanager
def progress_bar(label: str, stream: IO[str], *, percent: bool = False) -> Iterator[UploadBar]:
    """A bar labelled ``label`` on ``stream`` while the block runs; left at its end state. In
    bytes, or with ``percent`` in per cent of a total of 100 (a report's rows)."""
    live = stream.isatty() and os.environ.get("TERM") != "dumb"
    amount: tuple[ProgressColumn, ...] = (
        (TaskProgressColumn(),) if percent else (DownloadColumn(), TransferSpeedColumn())
    )
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        *amount,
        TimeRemainingColumn(),
        console=Console(file=stream, highlight=False),
        disable=not live,
        redirect_stdout=False,
        redirect_stderr=False,
    )
    task = progress.add_task(label, total=None)
    with progress:
        yield UploadBar(progress, task)
