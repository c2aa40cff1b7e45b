"""The per-event path: which rules an event meets, and what each says about it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.domain.events import Event
from chalicelib.domain.rules import RuleCatalog, RuleEngine, Threshold, Verdicts
from chalicelib.domain.rules.model import Absence
from chalicelib.domain.rules.verdicts import fingerprint
from tests.builders import rule

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
CATALOG = RuleCatalog({"payments": {"paid_at": "timestamp", "amount": "number"}})
NUMBERS = {"amount": "number", "card": "string", "paid_at": "timestamp"}


def event(
    event_id: str = "p-1", source: str = "payments", kind: str = "payment", **data: Any
) -> Event:
    return Event(source, kind, event_id, NOW - timedelta(minutes=1), NOW, data)


def judge(rules: list[Any], *events: Event) -> Verdicts:
    verdicts = Verdicts()
    engine = RuleEngine(rules, CATALOG)
    for one in events:
        engine.evaluate(one, NOW, verdicts)
    return verdicts


def test_a_match_rule_matches_with_its_group_and_the_event_as_key() -> None:
    large = rule(id="large", when="amount > 100", group_by=("card",), field_types=NUMBERS)
    verdicts = judge([large], event("p-1", amount=500, card="c-1"), event("p-2", amount=5))
    [match] = verdicts.matches
    assert (match.match_key, match.group, match.source, match.event_id) == (
        "event:payments:p-1",
        (("card", "c-1"),),
        "payments",
        "p-1",
    )
    assert match.fingerprint == fingerprint("large", (("card", "c-1"),))


def test_filters_on_source_and_type_and_disabled_rules_are_skipped() -> None:
    rules = [
        rule(id="other-source", sources=("logins",)),
        rule(id="other-type", types=("refund",)),
        rule(id="off", enabled=False),
        rule(id="mine", sources=("payments",), types=("payment",)),
    ]
    assert [match.rule_id for match in judge(rules, event()).matches] == ["mine"]


def test_a_failing_rule_is_recorded_and_the_others_still_run() -> None:
    broken = rule(
        id="broken",
        when="amount / quantity > 1",
        field_types={"amount": "number", "quantity": "integer"},
    )
    fine = rule(id="fine")
    verdicts = judge([broken, fine], event(amount=5, quantity=0))
    assert [match.rule_id for match in verdicts.matches] == ["fine"]
    [failure] = verdicts.failures
    assert (failure.rule_id, failure.event_id, failure.rule_version) == ("broken", "p-1", "v1")
    assert failure.reason


def test_a_value_of_an_unexpected_type_fails_only_that_rule() -> None:
    greedy = rule(id="greedy", when="amount > 100", field_types={"amount": "any"})
    verdicts = judge([greedy, rule(id="fine")], event(amount="lots"))
    assert [one.rule_id for one in verdicts.failures] == ["greedy"]
    assert [one.rule_id for one in verdicts.matches] == ["fine"]


def test_declared_timestamps_stored_as_text_are_compared_as_times() -> None:
    recent = rule(id="recent", when='paid_at > ago("10m")', field_types=NUMBERS)
    verdicts = judge(
        [recent],
        event("new", paid_at=(NOW - timedelta(minutes=5)).isoformat()),
        event("old", paid_at=(NOW - timedelta(hours=5)).isoformat()),
    )
    assert [match.event_id for match in verdicts.matches] == ["new"]


def test_a_timestamp_is_parsed_for_the_rules_that_read_it_and_grouped_by_as_a_time() -> None:
    # GIVEN one rule grouping by a declared timestamp and one that reads only the amount
    by_time = rule(id="by-time", when="amount > 1", group_by=("paid_at",), field_types=NUMBERS)
    large = rule(id="large", when="amount > 1", field_types=NUMBERS)
    paid = "2026-11-22T08:00:00Z"
    # WHEN each judges the same event, alone
    [grouped] = judge([by_time], event(amount=5, paid_at=paid)).matches
    engine = RuleEngine([large], CATALOG)
    # THEN the group holds the time (as it always has), while the rule that never reads it
    # leaves the stored text unparsed
    assert grouped.group == (("paid_at", "2026-11-22T08:00:00Z"),)
    assert engine.fields(event(amount=5, paid_at=paid))["paid_at"] == paid
    assert RuleEngine([by_time], CATALOG).fields(event(paid_at=paid))["paid_at"] == datetime(
        2026, 11, 22, 8, 0, tzinfo=UTC
    )


def test_a_threshold_rule_gives_window_entries_with_what_it_counts() -> None:
    def summing(field: str, aggregate: str = "sum") -> Any:
        return rule(
            id=f"{aggregate}-{field}",
            kind="threshold",
            threshold=Threshold(aggregate, field, ">", 1, timedelta(minutes=10)),
        )

    verdicts = judge(
        [
            summing("amount"),
            summing("card", "distinct"),
            rule(
                id="count",
                kind="threshold",
                threshold=Threshold("count", None, ">", 1, timedelta(minutes=10)),
            ),
        ],
        event("p-1", amount=12, card="c-1"),
        event("p-2"),
    )
    hits = sorted(
        (hit.rule.id, hit.event_id, hit.number, hit.token is not None)
        for hit in verdicts.window_hits
    )
    # an event without the summed field adds nothing to a sum, but still counts
    assert hits == [
        ("count", "p-1", None, False),
        ("count", "p-2", None, False),
        ("distinct-card", "p-1", None, True),
        ("sum-amount", "p-1", 12.0, False),
    ]


def test_summing_a_value_that_is_not_a_number_is_a_failure() -> None:
    total = rule(
        id="total",
        kind="threshold",
        threshold=Threshold("sum", "amount", ">", 1, timedelta(minutes=10)),
    )
    verdicts = judge([total], event(amount="12"))
    assert verdicts.window_hits == []
    assert "needs a number" in verdicts.failures[0].reason


def test_an_absence_rule_gives_a_sighting_of_the_group() -> None:
    silent = rule(
        id="silent",
        kind="absence",
        group_by=("store",),
        absence=Absence(timedelta(minutes=15), "seen"),
    )
    [sighting] = judge([silent], event(store="s-1")).sightings
    assert (sighting.group, sighting.occurred_at) == (
        (("store", "s-1"),),
        NOW - timedelta(minutes=1),
    )


def test_the_events_own_fields_win_over_data_fields_of_the_same_name() -> None:
    engine = RuleEngine([], CATALOG)
    fields = engine.fields(event(source="payments", id="spoofed", type="spoofed"))
    assert (fields["id"], fields["type"]) == ("p-1", "payment")
