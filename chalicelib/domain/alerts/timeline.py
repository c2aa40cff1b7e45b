"""One line of an alert's timeline: a transition, a hand's action, or a notification decision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TimelineLine:
    at: datetime
    kind: str
    detail: str
    actor: str | None = None
    comment: str | None = None
    outbox_id: int | None = None
