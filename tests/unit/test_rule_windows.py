"""Sliding windows: which windows a fresh entry changed, and which of them cross the threshold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.rules import Threshold, WindowEntry, affected_spans, aggregate, crossings

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def at(
    minutes: float,
    event_id: str | None = None,
    number: float | None = None,
    token: str | None = None,
) -> WindowEntry:
    return WindowEntry(
        T0 + timedelta(minutes=minutes), "payments", event_id or f"e{minutes}", number, token
    )


def count_at_least(value: float, minutes: int = 10) -> Threshold:
    return Threshold("count", None, ">=", value, timedelta(minutes=minutes))


def test_the_entry_that_completes_a_window_is_the_crossing() -> None:
    # GIVEN four declines in the last ten minutes, WHEN a fifth arrives
    entries = [at(0), at(2), at(4), at(6), at(8)]
    found = crossings(count_at_least(5), entries, [entries[-1].occurred_at])
    # THEN its window crosses, with five in it
    assert [(c.end.event_id, c.observed, c.size) for c in found] == [("e8", 5.0, 5)]


def test_entries_older_than_the_window_do_not_count() -> None:
    entries = [at(0), at(2), at(4), at(6), at(10)]  # the first is exactly 10 minutes before
    assert crossings(count_at_least(5), entries, [entries[-1].occurred_at]) == []


def test_a_late_entry_completes_the_windows_after_it() -> None:
    # GIVEN entries at 0, 2, 6, 8 (four), WHEN one from minute 4 arrives late
    entries = [at(0), at(2), at(6), at(8), at(4)]
    found = crossings(count_at_least(5), entries, [at(4).occurred_at])
    # THEN the window ending at minute 8, which now holds five, crosses; not the late one's own
    assert [c.end.event_id for c in found] == ["e8"]


def test_a_late_entry_outside_every_later_window_changes_nothing() -> None:
    entries = [at(0), at(20), at(21), at(22), at(23)]
    assert crossings(count_at_least(5), entries, [at(0).occurred_at]) == []


def test_each_window_end_is_reported_once_for_several_fresh_entries() -> None:
    entries = [at(0), at(1), at(2)]
    found = crossings(count_at_least(3), entries, [at(0).occurred_at, at(1).occurred_at])
    assert [c.end.event_id for c in found] == ["e2"]


def test_entries_at_the_same_instant_are_all_in_each_others_windows() -> None:
    entries = [at(5, "a"), at(5, "b"), at(5, "c")]
    found = crossings(count_at_least(3), entries, [at(5).occurred_at])
    assert [(c.end.event_id, c.observed) for c in found] == [("a", 3.0), ("b", 3.0), ("c", 3.0)]


@pytest.mark.parametrize(
    "name, expected",
    [
        ("count", 4.0),
        ("sum", 60.0),
        ("avg", 20.0),
        ("min", 10.0),
        ("max", 30.0),
    ],
)
def test_aggregates_ignore_entries_without_a_number(name: str, expected: float) -> None:
    window = [at(0, number=10), at(1, number=20), at(2, number=30), at(3)]
    assert aggregate(name, window) == expected


def test_distinct_counts_different_tokens() -> None:
    window = [at(0, token="ip-a"), at(1, token="ip-b"), at(2, token="ip-a")]
    assert aggregate("distinct", window) == 2.0


def test_an_average_of_nothing_is_no_value_and_never_crosses() -> None:
    threshold = Threshold("avg", "amount", "<", 5, timedelta(minutes=10))
    assert aggregate("avg", [at(0)]) is None
    assert crossings(threshold, [at(0)], [at(0).occurred_at]) == []


def test_sum_compares_with_the_threshold() -> None:
    threshold = Threshold("sum", "amount", ">", 100, timedelta(hours=1))
    entries = [at(0, number=60), at(30, number=50)]
    found = crossings(threshold, entries, [at(30).occurred_at])
    assert [(c.end.event_id, c.observed) for c in found] == [("e30", 110.0)]


def test_the_spans_to_read_surround_each_fresh_entry_and_merge_when_they_overlap() -> None:
    threshold = count_at_least(5)  # ten minutes
    spans = affected_spans(threshold, [at(120).occurred_at, at(0).occurred_at, at(15).occurred_at])
    assert [(low - T0, high - T0) for low, high in spans] == [
        (timedelta(minutes=-10), timedelta(minutes=25)),  # 0 and 15 overlap
        (timedelta(minutes=110), timedelta(minutes=130)),  # two hours later: read on its own
    ]
