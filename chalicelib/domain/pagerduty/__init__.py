"""PagerDuty's Events API v2 spoken by Tripline: an event read and checked as PagerDuty documents
it (:mod:`.events`, field by field with :mod:`.fields`), the routing key as a Tripline key of
one source (:mod:`.senders`), and what a trigger, acknowledge or resolve does to the alerts
(:mod:`.alerting`), so any tool that can notify PagerDuty can send its alerts here.

Imports the kernel, ``rules``, ``alerts`` and ``access``.
"""

from __future__ import annotations

from chalicelib.domain.pagerduty.alerting import (
    POLICY,
    RULE_ID,
    SEVERITY,
    acknowledge_event,
    alert_group,
    alert_print,
    event_labels,
    resolve_event,
    trigger,
)
from chalicelib.domain.pagerduty.events import (
    ACTIONS,
    MESSAGE,
    PAGERDUTY_SEVERITIES,
    EventReading,
    Image,
    InvalidEvent,
    Link,
    PagerDutyEvent,
    Payload,
    accept,
    derived_dedup_key,
    read_event,
)
from chalicelib.domain.pagerduty.senders import (
    WRITER_ROLES,
    alert_source,
    sender_problems,
    well_formed,
)

RULE_IDS = (RULE_ID,)  # the reserved ids a silence may name

__all__ = [
    "ACTIONS",
    "MESSAGE",
    "PAGERDUTY_SEVERITIES",
    "POLICY",
    "RULE_ID",
    "RULE_IDS",
    "SEVERITY",
    "WRITER_ROLES",
    "EventReading",
    "Image",
    "InvalidEvent",
    "Link",
    "PagerDutyEvent",
    "Payload",
    "accept",
    "acknowledge_event",
    "alert_group",
    "alert_print",
    "alert_source",
    "derived_dedup_key",
    "event_labels",
    "read_event",
    "resolve_event",
    "sender_problems",
    "trigger",
    "well_formed",
]
