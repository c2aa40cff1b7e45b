"""Known errors, as code: failure patterns and the fixed, safe remedies they get.

- :mod:`.model`: a known error (kind, sources, an RE2 pattern, one remedy), the read options a
  remedy changes, an upload's failure as the patterns see it, and the book that matches them;
- :mod:`.parsing`: ``rules/known-errors.yaml`` checked, every problem with its line and column;
- :mod:`.decisions`: what a match does to one upload, given its earlier remedies; the stored
  matches and the counts per known error.

Imports the kernel and ``sources``.
"""

from __future__ import annotations

from chalicelib.domain.known_errors.decisions import (
    ANNOTATE,
    APPLIED,
    FAILED,
    GIVE_UP,
    REIMPORT,
    SCHEDULED,
    SUCCEEDED,
    KnownErrorCount,
    PastRemedy,
    RemedyDecision,
    RemedyRecord,
    decide,
)
from chalicelib.domain.known_errors.model import (
    FAILURE_KINDS,
    REMEDIES,
    KnownError,
    KnownErrorBook,
    ReadOptions,
    Remedy,
    UploadFailure,
)
from chalicelib.domain.known_errors.parsing import (
    parse_known_errors,
)

__all__ = [
    "ANNOTATE",
    "APPLIED",
    "FAILED",
    "FAILURE_KINDS",
    "GIVE_UP",
    "REIMPORT",
    "REMEDIES",
    "SCHEDULED",
    "SUCCEEDED",
    "KnownError",
    "KnownErrorBook",
    "KnownErrorCount",
    "PastRemedy",
    "ReadOptions",
    "Remedy",
    "RemedyDecision",
    "RemedyRecord",
    "UploadFailure",
    "decide",
    "parse_known_errors",
]
