"""What a matched known error does to one failed upload: a decision, as data.

The service records the decision and carries it out; deciding here, from the upload's remedy
history, keeps the guards in one pure place: a ``retry`` stops at its cap, a re-read or a skip is
tried once per upload, remedies chain (a re-read that reveals a preamble may be followed by a
skip) but never more than :data:`MAX_REMEDIES_PER_UPLOAD` times, and a file whose chunks were
already imported is never re-read differently (its rows would be read two ways).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.domain.known_errors.model import (
    MAX_REMEDIES_PER_UPLOAD,
    KnownError,
    ReadOptions,
)

REIMPORT, ANNOTATE, GIVE_UP = "reimport", "annotate", "give_up"
# how a remedy row ends up: a re-import pending, then whether it worked
SCHEDULED, SUCCEEDED, FAILED, ANNOTATED, GAVE_UP = (
    "scheduled",
    "succeeded",
    "failed",
    "annotated",
    "gave_up",
)
APPLIED = (SCHEDULED, SUCCEEDED, FAILED)


@dataclass(frozen=True)
class PastRemedy:
    """One earlier match of a known error on this upload, and what came of it."""

    known_error_id: str
    status: str
    options: ReadOptions


@dataclass(frozen=True)
class RemedyDecision:
    action: str  # reimport | annotate | give_up
    known_error: KnownError
    note: str  # the line for the incident's timeline
    options: ReadOptions = field(default_factory=ReadOptions)
    delay_seconds: int = 0

    @property
    def status(self) -> str:
        return {REIMPORT: SCHEDULED, ANNOTATE: ANNOTATED}.get(self.action, GAVE_UP)


def decide(
    known_error: KnownError, history: Sequence[PastRemedy], chunks_done: int
) -> RemedyDecision:
    """The remedy for a failure ``known_error`` matched, given this upload's earlier remedies
    (oldest first) and how many of its chunks are already stored."""
    remedy = known_error.remedy
    said = f"known error {known_error.id!r} matched"
    if remedy.kind == "none":
        see = f"; runbook: {known_error.runbook}" if known_error.runbook else ""
        return RemedyDecision(ANNOTATE, known_error, f"{said}; no automatic remedy{see}")
    applied = [one for one in history if one.status in APPLIED]
    current = applied[-1].options if applied else ReadOptions()
    mine = [one for one in applied if one.known_error_id == known_error.id]
    if len(applied) >= MAX_REMEDIES_PER_UPLOAD:
        return _give_up(known_error, f"{said}, but {len(applied)} remedies were already tried")
    if remedy.kind == "retry":
        if len(mine) >= remedy.attempts:
            return _give_up(known_error, f"{said}; retried {len(mine)} times, still failing")
        seconds = int(remedy.after.total_seconds())
        note = f"{said}: retry {len(mine) + 1} of {remedy.attempts} in {seconds} s"
        return RemedyDecision(REIMPORT, known_error, note, current, seconds)
    if mine:
        return _give_up(known_error, f"{said} again: {remedy.describe()} did not help")
    if chunks_done:
        return _give_up(
            known_error,
            f"{said}, but {chunks_done} chunk(s) were already imported as declared; "
            "re-reading the rest another way would mix two readings: fix the file and upload it",
        )
    options = current.merged(remedy.options)
    if options == current:
        return _give_up(known_error, f"{said}, but the file is already read that way")
    return RemedyDecision(REIMPORT, known_error, f"{said}: {remedy.describe()}", options)


def _give_up(known_error: KnownError, note: str) -> RemedyDecision:
    return RemedyDecision(GIVE_UP, known_error, f"{note}; the upload stays failed")


@dataclass(frozen=True)
class RemedyRecord:
    """A stored match: the failure, the known error, its decision and how it ended."""

    upload_id: str
    seq: int
    known_error_id: str
    remedy: str
    status: str
    failure_kind: str
    failure_reason: str
    options: ReadOptions | None
    note: str
    matched_at: datetime
    settled_at: datetime | None = None

    def past(self) -> PastRemedy:
        return PastRemedy(self.known_error_id, self.status, self.options or ReadOptions())


@dataclass(frozen=True)
class KnownErrorCount:
    """How often one known error matched, and what its remedies did."""

    known_error_id: str
    matches: int = 0
    applied: int = 0
    succeeded: int = 0
    failed: int = 0
    last_seen_at: datetime | None = None

    def view(self) -> dict[str, Any]:
        return {
            "matches": self.matches,
            "remedies": {
                "applied": self.applied,
                "succeeded": self.succeeded,
                "failed": self.failed,
                "pending": self.applied - self.succeeded - self.failed,
            },
            "last_seen_at": iso(self.last_seen_at),
        }


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")
