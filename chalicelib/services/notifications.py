"""deliver_due: the outbox to the alerts topic, once per transition, paced and grouped.

The processor calls it right after a batch that queued notices (so on-call hears within seconds)
and the schedule calls it every minute (so a failed publish is retried). Each run claims what is
due; a notice covered by a silence is settled ``silenced`` and never sent, and one of an alert a
replay opened without notifications is settled ``suppressed``; several alerts of one
rule that opened at once go out as one grouped email; a publish that failed for an outage is
retried later with doubling backoff; after three outages in a row the run stops (the topic is
down, and the rest would only wait out timeouts: their claims lapse and a later run takes them).
A message SNS refuses (``MessageRefused``) is no outage, and retrying it would fail forever while
on-call never hears: it is sent at once again under its plain subject, which holds nothing from
event data, and if SNS refuses that too it is settled ``failed`` with SNS's reason on the alert's
timeline. Publishes are paced under ``per_second``: SNS delivers email at a limited rate, and a
burst past it is throttled.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from chalicelib.domain.alerts import (
    OutgoingAlert,
    PendingNotice,
    grouped_message,
    notice_message,
    silence_leaves_owed,
)
from chalicelib.domain.errors import DependencyError, MessageRefused, TriplineError
from chalicelib.domain.retries import RetrySchedule
from chalicelib.domain.rules import RuleBook
from chalicelib.domain.silences import Silence, SilenceTarget, silencing
from chalicelib.observability import logger
from chalicelib.ports import AlertOutbox, AlertTopic, Clock, LiveSilences, Notifier

MAX_BACKOFF_SECONDS = 3600
GIVE_UP_AFTER = 3  # failures in a row: the topic is down, the rest would fail too


@dataclass(frozen=True)
class NotifySettings:
    api_url: str | None = None
    group_at: int = 3
    per_second: int = 10
    retry_seconds: int = 30
    batch: int = 200
    lease_seconds: int = 120


@dataclass
class DeliveryReport:
    """Notices by outcome: ``failed`` wait for a retry (an outage), ``refused`` were given up
    (SNS refused the message under both subjects)."""

    sent: int = 0
    grouped: int = 0
    silenced: int = 0
    failed: int = 0
    refused: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "sent": self.sent,
            "grouped": self.grouped,
            "silenced": self.silenced,
            "failed": self.failed,
            "refused": self.refused,
        }


@dataclass(frozen=True)
class _Send:
    message: OutgoingAlert
    notices: tuple[PendingNotice, ...]


class NotificationDelivery:
    """The notifier: everything it needs to turn due outbox rows into emails."""

    def __init__(
        self,
        outbox: AlertOutbox,
        topic: AlertTopic,
        silences: LiveSilences,
        book: RuleBook,
        clock: Clock,
        settings: NotifySettings,
        pause: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._outbox, self._topic, self._silences = outbox, topic, silences
        self._book, self._clock, self._settings = book, clock, settings
        self._pause, self._monotonic = pause, monotonic
        self._last_publish: float | None = None
        self._tokens = float(settings.per_second)

    def deliver_due(self) -> DeliveryReport:
        now = self._clock.now()
        report = DeliveryReport()
        due = self._outbox.claim_due(now, self._settings.batch, self._settings.lease_seconds)
        if not due:
            return report
        live = [one for one in self._silences.live(now) if one.active_at(now)]
        unsilenced = [one for one in due if not self._withheld(one, live, now, report)]
        failures = 0
        for send in self._plan(unsilenced):
            failures = 0 if self._publish(send, report) else failures + 1
            if failures >= GIVE_UP_AFTER:
                break
        return report

    def _withheld(
        self, notice: PendingNotice, live: Sequence[Silence], now: datetime, report: DeliveryReport
    ) -> bool:
        alert = notice.alert
        if notice.quiet:
            detail = f"{notice.kind} notice not sent: a replay opened it without notifications"
            self._outbox.settle(notice.outbox_id, "suppressed", now, detail)
            return True
        target = SilenceTarget(alert.rule_id, alert.source, alert.labels, alert.group)
        silence = silencing(live, target, now)
        if silence is None:
            return False
        detail = (
            f"{notice.kind} notice withheld by silence {silence.id} "
            f"({silence.comment}, by {silence.author}, until {silence.ends_at.isoformat()})"
        )
        self._outbox.settle(
            notice.outbox_id,
            "silenced",
            now,
            detail,
            silence_id=silence.id,
            owe_alert=silence_leaves_owed(notice.kind),
        )
        report.silenced += 1
        return True

    def _plan(self, notices: Sequence[PendingNotice]) -> list[_Send]:
        """Opened notices of one rule, ``group_at`` or more of them, become one email."""
        opened: dict[str, list[PendingNotice]] = {}
        for notice in notices:
            if notice.kind == "opened":
                opened.setdefault(notice.alert.rule_id, []).append(notice)
        grouped = {
            rule_id for rule_id, found in opened.items() if len(found) >= self._settings.group_at
        }
        plan: list[_Send] = []
        for rule_id in sorted(grouped):
            found = opened[rule_id]
            message = grouped_message(
                [one.alert for one in found], self._book.rule(rule_id), self._settings.api_url
            )
            plan.append(_Send(message, tuple(found)))
        for notice in notices:
            if notice.kind == "opened" and notice.alert.rule_id in grouped:
                continue
            message = notice_message(
                notice.kind,
                notice.alert,
                self._book.rule(notice.alert.rule_id),
                notice.sample,
                self._settings.api_url,
            )
            plan.append(_Send(message, (notice,)))
        return plan

    def _publish(self, send: _Send, report: DeliveryReport) -> bool:
        """Publish one email; False only when the topic is out (a refusal is an answer)."""
        self._pace()
        try:
            message_id = self._topic.publish(send.message)
        except MessageRefused as exc:
            return self._refused(send, exc, report)
        except DependencyError as exc:
            self._retry_later(send, exc, report)
            return False
        self._settle_sent(send, message_id, "", report)
        return True

    def _refused(self, send: _Send, refusal: MessageRefused, report: DeliveryReport) -> bool:
        """Once more under the plain subject; refused again, the notices are settled ``failed``:
        the same message would be refused on every later try."""
        plain = replace(send.message, subject=send.message.plain_subject)
        if plain.subject != send.message.subject:
            self._pace()
            try:
                message_id = self._topic.publish(plain)
            except MessageRefused as again:
                refusal = again
            except DependencyError as exc:
                self._retry_later(send, exc, report)
                return False
            else:
                why = f" (SNS refused the subject '{send.message.subject}': {_reason(refusal)})"
                self._settle_sent(_Send(plain, send.notices), message_id, why, report)
                return True
        self._give_up(send, refusal, report)
        return True

    def _give_up(self, send: _Send, refusal: MessageRefused, report: DeliveryReport) -> None:
        now, reason = self._clock.now(), _reason(refusal)
        for notice in send.notices:
            self._outbox.settle(
                notice.outbox_id,
                "failed",
                now,
                f"{notice.kind} notice not sent: SNS refused it ({reason}), with "
                "its plain subject too; not retried",
                error=refusal.message,
            )
        report.refused += len(send.notices)
        logger().error(
            "alert notification refused by SNS; not retried",
            extra={"reason": refusal.message, "subject": send.message.subject, **_log_keys(send)},
        )

    def _retry_later(self, send: _Send, outage: DependencyError, report: DeliveryReport) -> None:
        now = self._clock.now()
        for notice in send.notices:
            self._outbox.retry(
                notice.outbox_id, now + self._backoff(notice.attempts), str(outage), now
            )
        report.failed += len(send.notices)
        logger().warning(
            "alert notification not published; retried later",
            extra={"reason": str(outage), **_log_keys(send)},
        )

    def _settle_sent(self, send: _Send, message_id: str, why: str, report: DeliveryReport) -> None:
        """``why`` tells the timeline when the subject is not the one the message was written
        with."""
        now = self._clock.now()
        single = len(send.notices) == 1
        for notice in send.notices:
            detail = (
                f"{notice.kind} notice sent: {send.message.subject}"
                if single
                else f"{notice.kind} notice sent in one email with {len(send.notices) - 1} "
                f"other alert(s) of {notice.alert.rule_id}: {send.message.subject}"
            )
            self._outbox.settle(
                notice.outbox_id,
                "sent" if single else "grouped",
                now,
                detail + why,
                message_id=message_id,
            )
        if single:
            report.sent += 1
        else:
            report.grouped += len(send.notices)

    def _backoff(self, attempts: int) -> timedelta:
        """The queues' schedule (``domain.retries``): doubling from ``retry_seconds``, at most
        an hour; ``attempts`` failed publishes before this one."""
        schedule = RetrySchedule(self._settings.retry_seconds, MAX_BACKOFF_SECONDS)
        return timedelta(seconds=schedule.delay(attempts + 1))

    def _pace(self) -> None:
        """A token bucket of ``per_second`` tokens: a burst up to that many goes out at once,
        a longer one at that rate. The bucket lives as long as the container, so a processor
        sending a few notices after each batch never waits."""
        rate = float(self._settings.per_second)
        now = self._monotonic()
        if self._last_publish is not None:
            self._tokens = min(rate, self._tokens + (now - self._last_publish) * rate)
        self._last_publish = now
        if self._tokens < 1:
            self._pause((1 - self._tokens) / rate)
            self._last_publish = self._monotonic()
            self._tokens = 1.0
        self._tokens -= 1


def _reason(refusal: MessageRefused) -> str:
    """SNS's own words (``InvalidParameter: Invalid parameter: Subject``) when the topic gave
    them as details, the whole message otherwise."""
    return "; ".join(detail.message for detail in refusal.details) or refusal.message


def notify_now(notifier: Notifier) -> None:
    """Send what the batch queued while on-call can still act on it. The events are stored and
    the notices are in the outbox already: a failure here is the schedule's to retry, never a
    reason to hand the batch back."""
    try:
        notifier.deliver_due()
    except TriplineError as exc:
        logger().warning("notifications left for the schedule", extra={"reason": str(exc)})


def _log_keys(send: _Send) -> dict[str, object]:
    return {
        "alert_ids": [notice.alert.id for notice in send.notices],
        "rule": send.message.attributes.get("rule"),
    }
