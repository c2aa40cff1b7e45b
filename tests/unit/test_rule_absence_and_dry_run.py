"""Absence decided on a clock, and a dry-run replaying one rule over a run of events in memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.domain.alerts.lifecycle import policy_of
from chalicelib.domain.dry_run import replay
from chalicelib.domain.dry_run.report import fires_per_day, resolve_after, would_be_alerts
from chalicelib.domain.events import Event
from chalicelib.domain.rules import RuleCatalog, Sighting, Threshold, expected_groups, silent_groups
from chalicelib.domain.rules.model import DEFAULT_RESOLVE_AFTER, Absence
from chalicelib.domain.rules.verdicts import fingerprint
from tests.builders import rule

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
WITHIN = timedelta(minutes=15)


def absent(expect: str = "seen", never_seen: str = "alert", **overrides: Any) -> Any:
    entities = (("s-1",), ("s-2",)) if expect == "listed" else ()
    return rule(
        id="silent",
        kind="absence",
        group_by=("store",) if expect != "source" else (),
        absence=Absence(WITHIN, expect, entities, never_seen),
        **overrides,
    )


def beat(store: str, minute: float, event_id: str | None = None) -> Event:
    moment = T0 + timedelta(minutes=minute)
    return Event(
        "stores", "heartbeat", event_id or f"{store}@{minute}", moment, moment, {"store": store}
    )


def test_a_group_silent_for_the_period_is_reported_from_when_it_went_quiet() -> None:
    group = (("store", "s-1"),)
    sighting = Sighting(fingerprint("silent", group), group, T0, T0 + timedelta(minutes=5))
    [match] = silent_groups(absent(), [sighting], T0 + timedelta(minutes=21))
    assert match.occurred_at == T0 + timedelta(minutes=20)
    assert match.observed == 16 * 60
    assert match.match_key.endswith(":2026-11-22T08:05:00Z")
    assert silent_groups(absent(), [sighting], T0 + timedelta(minutes=19)) == []


def test_a_never_seen_group_counts_from_tracking_start_or_is_ignored() -> None:
    rules = {policy: absent("listed", policy) for policy in ("alert", "ignore")}
    sightings = [Sighting(print_, group, T0) for print_, group in expected_groups(rules["alert"])]
    later = T0 + timedelta(minutes=15)
    assert len(silent_groups(rules["alert"], sightings, later)) == 2
    assert silent_groups(rules["ignore"], sightings, later) == []


def test_expected_groups_are_the_listed_entities_or_the_source_itself() -> None:
    assert [group for _, group in expected_groups(absent("listed"))] == [
        (("store", "s-1"),),
        (("store", "s-2"),),
    ]
    assert [group for _, group in expected_groups(absent("source"))] == [()]
    assert expected_groups(absent("seen")) == []


def test_a_dry_run_of_an_absence_rule_finds_each_gap_and_the_silence_at_the_end() -> None:
    events = [beat("s-1", 0), beat("s-1", 10), beat("s-1", 40), beat("s-2", 1)]
    outcome = replay(absent("listed"), events, RuleCatalog(), T0 + timedelta(minutes=50))
    found = [(dict(match.group)["store"], match.occurred_at - T0) for match in outcome.matches]
    assert found == [
        ("s-2", timedelta(minutes=16)),  # quiet from 1 to the end, at 50
        ("s-1", timedelta(minutes=25)),
    ]  # quiet from 10 to 40


def test_a_dry_run_of_a_threshold_rule_in_any_order_matches_as_the_pipeline_would() -> None:
    burst = rule(
        id="burst",
        kind="threshold",
        group_by=("store",),
        threshold=Threshold("count", None, ">=", 3, timedelta(minutes=10)),
    )
    events = [beat("s-1", 9), beat("s-1", 0), beat("s-1", 5), beat("s-1", 30), beat("s-2", 1)]
    outcome = replay(burst, events, RuleCatalog(), None)
    assert [(match.event_id, match.observed) for match in outcome.matches] == [("s-1@9", 3.0)]
    assert outcome.evaluated == 5


def test_matches_close_together_are_one_would_be_alert_and_a_long_gap_opens_another() -> None:
    large = rule(id="large", group_by=("store",), resolve_after=timedelta(minutes=30))
    events = [beat("s-1", 0), beat("s-1", 20), beat("s-1", 90), beat("s-2", 5)]
    alerts = would_be_alerts(replay(large, events, RuleCatalog(), None))
    assert [(dict(alert.facts.group)["store"], alert.facts.count) for alert in alerts] == [
        ("s-1", 2),
        ("s-2", 1),
        ("s-1", 1),
    ]
    assert alerts[0].notification.subject == "[HIGH] large: store=s-1"
    assert "2 match(es) since 2026-11-22 08:00:00 UTC" in alerts[0].notification.body


def test_fires_per_day_counts_matches_by_utc_day() -> None:
    late = rule(id="every")
    events = [beat("s-1", 0), beat("s-1", 60 * 17), beat("s-1", 60 * 17 + 1)]
    assert fires_per_day(replay(late, events, RuleCatalog(), None).matches) == {
        "2026-11-22": 1,
        "2026-11-23": 2,
    }


def test_one_resolve_rule_serves_the_alert_lifecycle_and_the_dry_run_preview() -> None:
    # GIVEN a match rule, a threshold rule and an absence rule without resolve_after, and one with
    window = timedelta(minutes=10)
    match = rule(id="m")
    burst = rule(id="t", kind="threshold", threshold=Threshold("count", None, ">=", 3, window))
    silent = rule(id="a", kind="absence", absence=Absence(window, "seen"))
    explicit = rule(
        id="e",
        kind="threshold",
        resolve_after=timedelta(minutes=5),
        threshold=Threshold("count", None, ">=", 3, window),
    )
    # THEN a match rule's alert waits an hour of quiet, the others clear with their condition,
    # and an explicit resolve_after wins
    assert match.quiet_after == DEFAULT_RESOLVE_AFTER == timedelta(hours=1)
    assert burst.quiet_after is None and silent.quiet_after is None
    assert explicit.quiet_after == timedelta(minutes=5)
    assert policy_of(match).quiet_after == match.quiet_after
    assert policy_of(burst).quiet_after is None
    # AND the preview reads the same rule, standing in the window for a condition that clears
    assert [resolve_after(one) for one in (match, burst, silent, explicit)] == [
        timedelta(hours=1),
        window,
        None,
        timedelta(minutes=5),
    ]
