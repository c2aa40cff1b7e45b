"""Pipeline incidents: failed uploads, chunks that exhausted their retries, dead letters and
failing rules, told as operations alerts (kind ``incident``, a reserved rule id per kind).

Imports the kernel, ``rules`` and ``alerts``.
"""

from __future__ import annotations

from chalicelib.domain.incidents.model import (
    CHUNK_EXHAUSTED,
    DEAD_LETTERS,
    INCIDENT,
    INCIDENT_RULE_IDS,
    KINDS,
    POLICY,
    RULE_FAILING,
    UPLOAD_FAILED,
    IncidentDetail,
    IncidentKind,
    RuleFailing,
    incident_kind,
    incident_print,
    is_incident,
    note_incident,
    open_incident,
)

__all__ = [
    "CHUNK_EXHAUSTED",
    "DEAD_LETTERS",
    "INCIDENT",
    "INCIDENT_RULE_IDS",
    "KINDS",
    "POLICY",
    "RULE_FAILING",
    "UPLOAD_FAILED",
    "IncidentDetail",
    "IncidentKind",
    "RuleFailing",
    "incident_kind",
    "incident_print",
    "is_incident",
    "note_incident",
    "open_incident",
]
