"""An email for the alerts topic, as the domain writes it and the topic adapter publishes it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class OutgoingAlert:
    """One email's worth for the alerts topic; ``attributes`` become SNS message attributes
    (``severity``, ``source``, ``rule``, ``status``) that subscription filter policies select on.
    """

    subject: str
    body: str
    attributes: Mapping[str, str]
