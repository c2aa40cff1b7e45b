"""Alerts: their lifecycle (open, add, acknowledge, resolve, flap, repeat) decided as values,
the notification texts and emails, the ``GET /alerts`` query and views, and the outbox rows
and timeline lines the stores hand back (:mod:`.outbox`, :mod:`.timeline`).

Imports the kernel and ``rules``.
"""

from __future__ import annotations

from chalicelib.domain.alerts.conditions import (
    condition_clear,
)
from chalicelib.domain.alerts.external import (
    EXTERNAL,
    is_external,
)
from chalicelib.domain.alerts.lifecycle import (
    acknowledge,
    open_alert,
    open_or_add,
    remind,
    resolve,
    revise_observed,
    still_flapping,
    sweep,
)
from chalicelib.domain.alerts.mail_safety import (
    sns_takes_subject,
)
from chalicelib.domain.alerts.messages import (
    grouped_message,
    notice_message,
)
from chalicelib.domain.alerts.model import (
    Alert,
    AlertChange,
    FlapState,
    Happening,
)
from chalicelib.domain.alerts.outbox import (
    NoticeRecord,
    PendingNotice,
    silence_leaves_owed,
)
from chalicelib.domain.alerts.outgoing import (
    OutgoingAlert,
)
from chalicelib.domain.alerts.queries import (
    AlertCursor,
    AlertPage,
    AlertQuery,
    parse_alert_query,
)
from chalicelib.domain.alerts.text import (
    AlertFacts,
    Notification,
    condition_text,
    notification,
)
from chalicelib.domain.alerts.timeline import (
    TimelineLine,
)
from chalicelib.domain.alerts.views import (
    DEFAULT_ACTOR,
    alert_view,
    parse_alert_action,
    parse_alert_id,
)

__all__ = [
    "DEFAULT_ACTOR",
    "EXTERNAL",
    "Alert",
    "AlertChange",
    "AlertCursor",
    "AlertFacts",
    "AlertPage",
    "AlertQuery",
    "FlapState",
    "Happening",
    "NoticeRecord",
    "Notification",
    "OutgoingAlert",
    "PendingNotice",
    "TimelineLine",
    "acknowledge",
    "alert_view",
    "condition_clear",
    "condition_text",
    "grouped_message",
    "is_external",
    "notice_message",
    "notification",
    "open_alert",
    "open_or_add",
    "parse_alert_action",
    "parse_alert_id",
    "parse_alert_query",
    "remind",
    "resolve",
    "revise_observed",
    "silence_leaves_owed",
    "sns_takes_subject",
    "still_flapping",
    "sweep",
]
