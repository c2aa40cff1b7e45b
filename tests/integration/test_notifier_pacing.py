"""The notifier stays under SNS's email rate: a burst up to ``per_second`` goes out at once, the
rest at that rate (a token bucket), on the real outbox and moto's SNS; only time is faked."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from chalicelib.adapters.aws.sns_topic import SnsTopic
from chalicelib.adapters.db.alert_outbox import SqlAlertOutbox
from chalicelib.adapters.db.silence_store import SqlSilenceStore
from chalicelib.domain.rules import RuleBook
from chalicelib.services.notifications import NotificationDelivery, NotifySettings
from tests.builders import FixedClock
from tests.integration.test_alert_state import LARGE, T0, arrived, store


class StoppedTime:
    """A monotonic clock that moves only when the notifier waits."""

    def __init__(self) -> None:
        self.now = 100.0
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def pause(self, seconds: float) -> None:
        self.waits.append(round(seconds, 6))
        self.now += seconds


def test_a_burst_past_the_rate_is_paced_and_each_notice_sent_once(
    engine: Engine, aws: dict[str, Any]
) -> None:
    # GIVEN five alerts opened (five merchants), below the grouping threshold
    for merchant in "abcde":
        store(engine, arrived(f"p-{merchant}", merchant=merchant))
    time = StoppedTime()
    notifier = NotificationDelivery(
        SqlAlertOutbox(engine),
        SnsTopic(aws["clients"]["sns"], aws["resources"].topic_arn),
        SqlSilenceStore(engine),
        RuleBook(rules=(LARGE,)),
        FixedClock(T0),
        NotifySettings(group_at=10, per_second=2),
        pause=time.pause,
        monotonic=time.monotonic,
    )
    # WHEN the notifier runs
    report = notifier.deliver_due()
    # THEN two go at once, the other three half a second apart, and nothing is left to send
    assert report.sent == 5
    assert time.waits == [0.5, 0.5, 0.5]
    assert notifier.deliver_due().sent == 0
