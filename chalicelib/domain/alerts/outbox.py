"""Outbox rows as the domain reads them: a notice a notifier claimed to send, and a notice as
the alert's page shows it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain.alerts.model import Alert

# Notices of these kinds tell on-call an alert's state; withheld by a silence, the alert owes that
# state once the silence ends (a resolve or an acknowledgement withheld owes nothing new).
OWED_AFTER_SILENCE = ("opened", "repeat", "reminder", "flapping")


def silence_leaves_owed(kind: str) -> bool:
    return kind in OWED_AFTER_SILENCE


@dataclass(frozen=True)
class PendingNotice:
    """An outbox row a notifier has claimed: what to say about which alert, and how often it
    was tried before. ``sample`` is the alert's latest matching event as its rule saw it, if
    stored: its data, then its own ``source``, ``type``, ``id``, ``occurred_at`` and
    ``received_at`` (what a rule's message may name)."""

    outbox_id: int
    kind: str
    transition: str
    attempts: int
    alert: Alert
    sample: Mapping[str, Any] | None = None
    # a replay opened the alert without notifications (its notices were recorded suppressed):
    # on-call never heard it open, so is not told it repeats or resolved either
    quiet: bool = False


@dataclass(frozen=True)
class NoticeRecord:
    """An outbox row as the alert's page shows it: what was (or will be) sent, and how it went."""

    outbox_id: int
    transition: str
    kind: str
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    settled_at: datetime | None
    last_error: str | None
    message_id: str | None
    silence_id: str | None
