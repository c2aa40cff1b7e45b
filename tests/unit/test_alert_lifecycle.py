"""The alert lifecycle as decisions: one alert per problem, repeats until acknowledged, a resolve
notice when it clears, flapping told once, and what a silence withheld told when it ends."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.alerts import (
    Alert,
    FlapState,
    acknowledge,
    condition_clear,
    open_or_add,
    resolve,
    revise_observed,
    still_flapping,
    sweep,
)
from chalicelib.domain.alerts.lifecycle import policy_of
from chalicelib.domain.errors import Conflict
from chalicelib.domain.rules import AlertPolicy, RuleMatch, Threshold, WindowBucket, WindowEntry
from chalicelib.domain.rules.model import Absence
from tests.builders import rule

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
CALM = FlapState()
LARGE = rule(id="large", group_by=("merchant",), sources=("payments",), labels={"team": "pay"})


def match(
    event_id: str = "p-1", minutes_ago: float = 1, observed: float | None = None
) -> RuleMatch:
    return RuleMatch(
        "large",
        "v1",
        "match",
        f"event:payments:{event_id}",
        "fp-acme",
        (("merchant", "acme"),),
        NOW - timedelta(minutes=minutes_ago),
        "payments",
        event_id,
        observed,
    )


def opened(**changes: object) -> Alert:
    alert = open_or_add(None, [match()], LARGE, CALM, NOW).alert
    return replace(alert, id=7, **changes)  # type: ignore[arg-type]


def test_a_first_match_opens_an_alert_and_queues_one_opened_notice() -> None:
    change = open_or_add(None, [match("p-1", 3), match("p-2", 1)], LARGE, CALM, NOW)
    alert = change.alert
    assert (alert.status, alert.count, alert.source, alert.labels) == (
        "open",
        2,
        "payments",
        {"team": "pay"},
    )
    assert (alert.first_seen_at, alert.last_seen_at) == (
        NOW - timedelta(minutes=3),
        NOW - timedelta(minutes=1),
    )
    assert (alert.sample_source, alert.sample_event_id) == ("payments", "p-2")
    assert [(one.kind, one.transition) for one in change.notices] == [("opened", "opened")]
    assert [line.kind for line in change.timeline] == ["opened"]


def test_matches_while_open_count_on_the_alert_and_notify_nobody() -> None:
    alert = opened(clear_since=NOW)
    change = open_or_add(
        alert, [match("p-9", 0, observed=12.0)], LARGE, CALM, NOW + timedelta(minutes=5)
    )
    assert (change.alert.id, change.alert.count, change.alert.sample_event_id) == (7, 2, "p-9")
    assert change.alert.clear_since is None  # it fires again: no longer on its way out
    assert change.notices == () and change.timeline == ()


def test_a_match_alert_resolves_after_its_quiet_time_and_says_so() -> None:
    alert = opened()
    quiet = policy_of(LARGE).quiet_after
    assert quiet == timedelta(hours=1)
    later = NOW + timedelta(hours=1)
    assert not condition_clear(alert, LARGE, later - timedelta(seconds=1))
    assert condition_clear(alert, LARGE, later)
    change = sweep(alert, LARGE, clear=True, flap=CALM, silenced=False, now=later)
    assert change is not None
    assert (change.alert.status, change.alert.resolution) == ("resolved", "no new match for 1h")
    assert [one.transition for one in change.notices] == ["resolved"]
    assert change.alert.active is False


def test_keep_firing_for_holds_a_cleared_alert_open_then_resolves_it() -> None:
    keep = replace(LARGE, alerting=AlertPolicy(keep_firing_for=timedelta(minutes=10)))
    alert = opened()
    first = sweep(
        alert, keep, clear=True, flap=CALM, silenced=False, now=NOW + timedelta(hours=1, minutes=5)
    )
    assert first is not None and first.alert.status == "open"
    assert first.alert.clear_since == NOW + timedelta(hours=1)  # when its quiet time ran out
    assert first.notices == ()
    assert (
        sweep(
            first.alert,
            keep,
            clear=True,
            flap=CALM,
            silenced=False,
            now=NOW + timedelta(hours=1, minutes=9),
        )
        is None
    )
    second = sweep(
        first.alert,
        keep,
        clear=True,
        flap=CALM,
        silenced=False,
        now=NOW + timedelta(hours=1, minutes=10),
    )
    assert second is not None and second.alert.status == "resolved"


def test_a_condition_that_holds_again_stops_the_clearing() -> None:
    keep = replace(LARGE, alerting=AlertPolicy(keep_firing_for=timedelta(minutes=10)))
    alert = opened(clear_since=NOW)
    change = sweep(
        alert, keep, clear=False, flap=CALM, silenced=False, now=NOW + timedelta(minutes=5)
    )
    assert change is not None and change.alert.clear_since is None
    assert [line.kind for line in change.timeline] == ["firing"]


def test_repeats_come_every_repeat_every_while_nobody_acknowledged() -> None:
    alert = opened(notified_at=NOW)
    assert (
        sweep(
            alert,
            LARGE,
            clear=False,
            flap=CALM,
            silenced=False,
            now=NOW + timedelta(hours=3, minutes=59),
        )
        is None
    )
    change = sweep(
        alert, LARGE, clear=False, flap=CALM, silenced=False, now=NOW + timedelta(hours=4)
    )
    assert change is not None
    assert [one.transition for one in change.notices] == ["repeat:1"]
    assert (change.alert.repeats, change.alert.notified_at) == (1, NOW + timedelta(hours=4))


def test_an_acknowledged_alert_never_repeats() -> None:
    acked = acknowledge(opened(notified_at=NOW), actor="alice", comment="on it", now=NOW).alert
    assert (acked.status, acked.acknowledged_by) == ("acknowledged", "alice")
    assert (
        sweep(acked, LARGE, clear=False, flap=CALM, silenced=False, now=NOW + timedelta(days=1))
        is None
    )


def test_acknowledging_twice_changes_nothing_and_a_resolved_alert_cannot_be_acknowledged() -> None:
    acked = acknowledge(opened(), actor="alice", comment="on it", now=NOW).alert
    again = acknowledge(acked, actor="bob", comment="me too", now=NOW + timedelta(minutes=1))
    assert again.alert == acked and again.timeline == ()
    done = resolve(acked, NOW, "fixed", flap=CALM, actor="alice", comment="fixed").alert
    with pytest.raises(Conflict, match="is resolved"):
        acknowledge(done, actor="bob", comment="late", now=NOW)
    assert resolve(done, NOW, "again", flap=CALM).notices == ()


def test_the_opens_past_the_flapping_limit_are_told_once_as_flapping() -> None:
    policy = LARGE.alerting
    # GIVEN the group opened as often as allowed within the window
    change = open_or_add(None, [match()], LARGE, FlapState(False, policy.flap_opens), NOW)
    # THEN the next open is a flapping notice, not an opened one, and the group is flapping
    assert [one.kind for one in change.notices] == ["flapping"]
    assert change.flapping is True and change.alert.flapping
    # WHEN it resolves and opens again while flapping THEN nothing is sent, both are recorded
    done = resolve(change.alert, NOW, "quiet", flap=FlapState(True, policy.flap_opens + 1))
    assert done.notices == () and [line.kind for line in done.timeline] == ["resolved", "withheld"]
    again = open_or_add(None, [match()], LARGE, FlapState(True, policy.flap_opens + 1), NOW)
    assert again.notices == () and again.alert.owed


def test_a_settled_flapping_alert_that_is_still_open_is_told_once() -> None:
    alert = opened(flapping=True, owed=True)
    assert still_flapping(FlapState(True, 1)) is False
    change = sweep(alert, LARGE, clear=False, flap=FlapState(False, 1), silenced=False, now=NOW)
    assert change is not None
    assert [one.transition for one in change.notices] == ["reminder:1"]
    assert (change.alert.flapping, change.alert.owed) == (False, False)
    assert [line.kind for line in change.timeline] == ["settled", "reminder"]


def test_what_a_silence_withheld_is_told_once_when_it_ends() -> None:
    alert = opened(owed=True, notified_at=NOW)
    # WHILE silenced nothing is sent, not even a repeat
    assert (
        sweep(alert, LARGE, clear=False, flap=CALM, silenced=True, now=NOW + timedelta(hours=5))
        is None
    )
    # WHEN the silence is over THEN one reminder, and the debt is paid
    change = sweep(
        alert, LARGE, clear=False, flap=CALM, silenced=False, now=NOW + timedelta(hours=5)
    )
    assert change is not None and [one.transition for one in change.notices] == ["reminder:1"]
    assert change.alert.owed is False


def test_an_alert_of_a_removed_rule_resolves() -> None:
    change = sweep(opened(), None, clear=False, flap=CALM, silenced=False, now=NOW)
    assert change is not None and change.alert.resolution == "its rule was removed or disabled"


def test_a_threshold_alert_clears_when_the_window_ending_now_no_longer_crosses() -> None:
    burst = rule(
        id="burst",
        kind="threshold",
        threshold=Threshold("count", None, ">=", 3, timedelta(minutes=10)),
    )
    alert = replace(opened(), rule_id="burst", kind="threshold")
    buckets = [
        WindowBucket(NOW - timedelta(minutes=m), WindowEntry(NOW, "payments", f"p-{m}"))
        for m in (1, 2, 3)
    ]
    assert not condition_clear(alert, burst, NOW, window=buckets)
    assert condition_clear(alert, burst, NOW, window=buckets[:2])


def test_a_revised_observed_value_reaches_the_alert_only_through_its_sample() -> None:
    # GIVEN an alert whose latest match (its sample) is p-2, observed 5
    alert = opened(sample_event_id="p-2", observed=5.0)
    # WHEN a late entry revised the sample's window to 6, and an older match's to 9
    change = revise_observed(alert, [match("p-1", observed=9.0), match("p-2", observed=6.0)])
    # THEN the alert takes its sample's new value, and nothing else of it changes or is sent
    assert change is not None
    assert change.alert == replace(alert, observed=6.0)
    assert change.notices == () and change.timeline == ()
    # AND a revision of another match, the same value again, or no alert, change nothing
    assert revise_observed(alert, [match("p-1", observed=9.0)]) is None
    assert revise_observed(alert, [match("p-2", observed=5.0)]) is None
    assert revise_observed(None, [match("p-2", observed=6.0)]) is None


def test_an_absence_alert_clears_when_the_group_is_heard_from_within_its_window() -> None:
    silent = rule(id="silent", kind="absence", absence=Absence(timedelta(minutes=15), "listed"))
    alert = replace(opened(), rule_id="silent", kind="absence")
    assert not condition_clear(alert, silent, NOW, last_seen_at=None)
    assert not condition_clear(alert, silent, NOW, last_seen_at=NOW - timedelta(minutes=20))
    assert condition_clear(alert, silent, NOW, last_seen_at=NOW - timedelta(minutes=1))
