"""What the database remembers of a rule's matches, for ``GET /rules``: per rule version, so a
changed rule's history is not mixed with its predecessor's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class MatchCount:
    """How often one version of a rule matched, and when it last did."""

    rule_id: str
    rule_version: str
    matches: int
    last_matched_at: datetime | None
