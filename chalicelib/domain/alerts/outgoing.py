"""An email for the alerts topic, as the domain writes it and the topic adapter publishes it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.domain.alerts.mail_safety import NO_SUBJECT


@dataclass(frozen=True)
class OutgoingAlert:
    """One email's worth for the alerts topic; ``attributes`` become SNS message attributes
    (``severity``, ``source``, ``rule``, ``status``) that subscription filter policies select on.

    ``plain_subject`` holds nothing taken from event data (severity, rule and alert id): the
    notifier sends it instead when SNS refuses ``subject``, so that on-call still hears.
    """

    subject: str
    body: str
    attributes: Mapping[str, str]
    plain_subject: str = NO_SUBJECT
