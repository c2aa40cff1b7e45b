"""enqueue_event: a PagerDuty Events API v2 event (``POST /v2/enqueue``) carried out on the alerts.

The body is read and its ``routing_key`` checked as a Tripline key of one source, every problem
of both named at once (``domain.pagerduty``); then the event changes its alert with the alerts'
idiom (:mod:`~chalicelib.services.alerting`, as :mod:`~chalicelib.services.incidents` does):
lock the fingerprint, read the active alert, decide with the domain, write the alert, its
timeline and its notices together, and send what was queued at once. So every event is
idempotent: a trigger sent twice opens one alert and queues one email, a resolve sent twice
resolves once.

The route answers PagerDuty's ``202`` only once the change is written: unlike ``POST /events``
there is no queue in front, since a client must not be told an alert exists that a database
outage lost. A key store or database that is down is a ``DependencyError``, which the edge
answers with 503 and ``Retry-After``, and PagerDuty's clients retry.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.alerts import Alert, FlapState
from chalicelib.domain.pagerduty import (
    POLICY,
    RULE_ID,
    PagerDutyEvent,
    accept,
    acknowledge_event,
    alert_print,
    alert_source,
    read_event,
    resolve_event,
    sender_problems,
    trigger,
    well_formed,
)
from chalicelib.observability import logger
from chalicelib.ports import AlertStore, Clock, KeyStore, Notifier
from chalicelib.services.access import authenticate
from chalicelib.services.alerting import Decide, change_fingerprint
from chalicelib.services.notifications import notify_now


@dataclass(frozen=True)
class PagerDutyPorts:
    keys: KeyStore
    alerts: AlertStore
    clock: Clock
    notifier: Notifier | None = None


@dataclass(frozen=True)
class Enqueued:
    """What the event did: its dedup key (the one derived, for a trigger without one), and the
    alert it touched (None: there was no active alert to acknowledge or resolve)."""

    dedup_key: str
    alert: Alert | None


def enqueue_event(payload: object, *, ports: PagerDutyPorts) -> Enqueued:
    reading = read_event(payload)
    key = reading.routing_key
    sender = authenticate(key, keys=ports.keys) if well_formed(key) else None
    event = accept(reading, sender_problems(key, sender))
    assert sender is not None  # accepted: the key was found and names one source
    source, actor = alert_source(sender), sender.actor
    alert = _change(ports, alert_print(source, event.dedup_key), _decision(event, source, actor))
    logger().info(
        "pagerduty event",
        extra={
            "action": event.action,
            "source": source,
            "dedup_key": event.dedup_key,
            "alert_id": alert.id if alert else None,
        },
    )
    return Enqueued(event.dedup_key, alert)


def _decision(event: PagerDutyEvent, source: str, actor: str) -> Decide:
    if event.action == "trigger":
        return lambda active, flap, now: trigger(active, event, source, actor, flap, now)
    if event.action == "acknowledge":
        return lambda active, _flap, now: acknowledge_event(active, actor, now)
    return lambda active, flap, now: resolve_event(active, actor, flap, now)


def _change(ports: PagerDutyPorts, print_: str, decide: Decide) -> Alert | None:
    """The decision on the fingerprint's active alert, under its lock. An acknowledge or resolve
    with no active alert writes nothing, not even the fingerprint's row."""
    now = ports.clock.now()
    with ports.alerts.unit_of_work("a PagerDuty event") as work:
        if decide(work.active_alert(print_), FlapState(), now) is None:
            return work.active_alert(print_)
    with ports.alerts.unit_of_work("a PagerDuty event") as work:
        after, change = change_fingerprint(work, print_, RULE_ID, POLICY, decide, now)
    if change is not None and change.notices and ports.notifier is not None:
        notify_now(ports.notifier)
    return after
