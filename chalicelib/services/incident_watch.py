"""watch_incidents: the schedule's look at what the pipeline's incidents wait for.

Each minute (``tick``) it opens what only a look can find and resolves what went away:

- a dead-letter queue holding messages opens ``pipeline.dead-letters`` for that queue (its depth
  is the incident's observed value; a change of depth is a timeline line); an empty one
  resolves it: the messages were redriven (``tripline dlq redrive``) or purged;
- a rule that failed on ``FAILING_AT`` events or more within ``FAILING_WITHIN`` opens
  ``pipeline.rule-failing`` for that rule; none within that time resolves it;
- an upload incident whose upload completed resolves (the import's own completion resolves it at
  once; this catches a completion whose resolve was lost to a crash).

Every step is idempotent (the incidents' API is), so a late or doubled tick changes nothing
twice; a queue that cannot be read skips its step and says so, the rest still run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from chalicelib.domain.alerts import Alert
from chalicelib.domain.errors import DependencyError
from chalicelib.domain.incidents import (
    DEAD_LETTERS,
    RULE_FAILING,
    IncidentDetail,
    is_incident,
)
from chalicelib.domain.uploads import FINAL_STATUSES, UploadStatus
from chalicelib.observability import logger
from chalicelib.ports import AlertStore, Clock, QueueDepths, RuleFailures, UploadStore
from chalicelib.services.incidents import UPLOAD_KINDS, Incidents

FAILING_AT = 5  # failures of one rule within FAILING_WITHIN: the rule "keeps failing"
FAILING_WITHIN = timedelta(minutes=15)


@dataclass(frozen=True)
class WatchPorts:
    incidents: Incidents
    alerts: AlertStore
    uploads: UploadStore
    queues: QueueDepths
    failures: RuleFailures
    clock: Clock


def watch_incidents(ports: WatchPorts) -> dict[str, int]:
    """How many incidents are open after the look (of every kind), and how many it resolved."""
    active = [one for one in ports.alerts.active_alerts() if is_incident(one)]
    resolved = _dead_letters(ports, active) + _failing_rules(ports, active)
    resolved += _uploads(ports, active)
    still = [one for one in ports.alerts.active_alerts() if is_incident(one)]
    return {"incidents_open": len(still), "incidents_resolved": resolved}


def _dead_letters(ports: WatchPorts, active: list[Alert]) -> int:
    try:
        depths = ports.queues.depths()
    except DependencyError as exc:
        logger().warning("dead-letter queues not read", extra={"error": str(exc)})
        return 0
    resolved = 0
    for depth in depths:
        dlq = depth.dead_letter_queue
        if depth.dead_letters:
            detail = IncidentDetail(
                what=f"dead-letter queue {dlq} of {depth.queue}",
                error=f"messages failed every delivery on {depth.queue} and wait on {dlq}: "
                f"tripline dlq show {_short(depth.queue)} shows them, tripline dlq redrive "
                f"{_short(depth.queue)} moves them back once their cause is fixed",
                observed=float(depth.dead_letters),
            )
            ports.incidents.open_incident(DEAD_LETTERS, dlq, detail)
        elif _subject(active, DEAD_LETTERS, dlq):
            why = "the dead-letter queue is empty: its messages were redriven or purged"
            resolved += ports.incidents.resolve_incident(DEAD_LETTERS, dlq, why) is not None
    return resolved


def _failing_rules(ports: WatchPorts, active: list[Alert]) -> int:
    since = ports.clock.now() - FAILING_WITHIN
    failing = {one.rule_id: one for one in ports.failures.failing_since(since)}
    minutes = int(FAILING_WITHIN.total_seconds() // 60)
    for rule_id, found in failing.items():
        if found.failures >= FAILING_AT:
            detail = IncidentDetail(
                what=f"rule {rule_id}",
                error=found.reason,
                where=f"latest on event {found.source}/{found.event_id}",
            )
            ports.incidents.open_incident(RULE_FAILING, rule_id, detail)
    resolved = 0
    for alert in active:
        rule_id = _group_value(alert)
        if alert.rule_id == RULE_FAILING and rule_id not in failing:
            why = f"the rule has not failed on any event for {minutes} minutes"
            resolved += ports.incidents.resolve_incident(RULE_FAILING, rule_id, why) is not None
    return resolved


def _uploads(ports: WatchPorts, active: list[Alert]) -> int:
    resolved = 0
    for alert in active:
        if alert.rule_id not in UPLOAD_KINDS:
            continue
        upload_id = _group_value(alert)
        upload = ports.uploads.get(upload_id)
        if upload is None:
            why = "the upload no longer exists"
        elif upload.status in FINAL_STATUSES and upload.status != UploadStatus.FAILED:
            why = f"the upload was imported: {upload.status}"
        else:
            continue
        resolved += ports.incidents.resolve_incident(alert.rule_id, upload_id, why) is not None
    return resolved


def _subject(active: list[Alert], kind: str, subject: str) -> bool:
    return any(one.rule_id == kind and _group_value(one) == subject for one in active)


def _group_value(alert: Alert) -> str:
    return str(alert.group[0][1]) if alert.group else ""


def _short(queue: str) -> str:
    """The name ``tripline dlq`` takes: ``rows`` for ``tripline-rows``."""
    return queue.removeprefix("tripline-")
