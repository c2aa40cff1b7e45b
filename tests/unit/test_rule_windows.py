"""Threshold windows over buckets: bucket edges, which windows fresh entries changed, which of them
cross, and what a bucket adds up to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.rules import (
    Threshold,
    WindowBucket,
    WindowEntry,
    WindowHit,
    aggregate,
    bucket_deltas,
    bucket_reads,
    collect,
    crossings,
    merge_into,
    prune_before,
    window_at,
)
from chalicelib.domain.rules.buckets import bucket_of
from chalicelib.domain.rules.model import default_granularity
from chalicelib.domain.rules.windows import KEEP_FOR_LATE_ENTRIES, read_spans
from tests.builders import rule

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def count_at_least(value: float, minutes: int = 10) -> Threshold:
    return Threshold("count", None, ">=", value, timedelta(minutes=minutes))


def burst(threshold: Threshold) -> object:
    return rule(id="burst", kind="threshold", threshold=threshold)


def hit(
    seconds: float,
    event_id: str | None = None,
    number: float | None = None,
    token: str | None = None,
    threshold: Threshold | None = None,
) -> WindowHit:
    return WindowHit(
        burst(threshold or count_at_least(5)),  # type: ignore[arg-type]
        "card-1",
        (("card", "c-1"),),
        "payments",
        event_id or f"e{seconds:g}",
        T0 + timedelta(seconds=seconds),
        number,
        token,
    )


def stored(*hits: WindowHit) -> dict[datetime, WindowBucket]:
    """The buckets of one group after ``hits`` were added, one batch each."""
    buckets: dict[datetime, WindowBucket] = {}
    for one in hits:
        for deltas in bucket_deltas([one]).values():
            merge_into(buckets, deltas)
    return buckets


def fresh(*hits: WindowHit) -> list[datetime]:
    return [start for deltas in bucket_deltas(hits).values() for start in deltas]


def minutes(*values: float) -> list[WindowHit]:
    return [hit(60 * value) for value in values]


# --- buckets -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("within", "granularity"),
    [
        (timedelta(minutes=10), timedelta(seconds=10)),
        (timedelta(minutes=15), timedelta(seconds=15)),
        (timedelta(hours=1), timedelta(minutes=1)),
        (timedelta(seconds=30), timedelta(seconds=1)),  # at least a second
        (timedelta(seconds=61), timedelta(seconds=1)),  # 61 is prime: the only divisor below 1
        (timedelta(seconds=3601), timedelta(seconds=13)),  # 13 x 277, the largest under 60
    ],
)
def test_the_default_granularity_is_about_a_sixtieth_that_divides_the_window(
    within: timedelta, granularity: timedelta
) -> None:
    assert default_granularity(within) == granularity
    assert within % granularity == timedelta(0)
    assert Threshold("count", None, ">=", 1, within).period == granularity


def test_a_rule_given_granularity_keeps_it() -> None:
    threshold = Threshold("count", None, ">=", 1, timedelta(hours=1), timedelta(minutes=5))
    assert (threshold.period, threshold.buckets) == (timedelta(minutes=5), 12)


def test_buckets_start_at_whole_periods_since_the_epoch() -> None:
    ten = timedelta(seconds=10)
    assert bucket_of(T0 + timedelta(seconds=9, microseconds=999_999), ten) == T0
    assert bucket_of(T0 + timedelta(seconds=10), ten) == T0 + ten
    assert bucket_of(T0 - timedelta(microseconds=1), ten) == T0 - ten
    # 08:00 is 1,795,334,400 s after the epoch, 6 s past a whole number of 7-second periods
    assert bucket_of(T0, timedelta(seconds=7)) == T0 - timedelta(seconds=6)


def test_a_batch_adds_up_per_group_and_bucket() -> None:
    # GIVEN three entries of one group, two of them in one ten-second bucket
    sums = Threshold("sum", "amount", ">", 100, timedelta(minutes=10))
    hits = [
        hit(1, "a", 30, threshold=sums),
        hit(4, "b", 10, threshold=sums),
        hit(12, "c", 50, threshold=sums),
    ]
    # WHEN the batch is added up
    [(group, buckets)] = bucket_deltas(hits).items()
    # THEN each bucket holds its entries' count, numbers, sum, least, greatest and latest entry
    assert group == ("burst", "s1", "card-1")
    first, second = buckets[T0], buckets[T0 + timedelta(seconds=10)]
    assert (first.count, first.numbers, first.total, first.low, first.high) == (2, 2, 40, 10, 30)
    assert first.latest == WindowEntry(T0 + timedelta(seconds=4), "payments", "b")
    assert (second.count, second.total, second.latest.event_id) == (1, 50, "c")


def test_an_event_a_batch_carries_twice_counts_once() -> None:
    # GIVEN a batch holding one message twice: the same event's entry twice, and another
    hits = [hit(1, "a", 30), hit(1, "a", 30), hit(2, "b", 5)]
    # WHEN it is added up THEN the bucket holds two entries
    [buckets] = bucket_deltas(hits).values()
    assert (buckets[T0].count, buckets[T0].total) == (2, 35)


def test_merging_buckets_is_the_same_in_any_order() -> None:
    [one] = bucket_deltas([hit(1, "a", 5)]).values()
    [other] = bucket_deltas([hit(3, "b", 2)]).values()
    assert one[T0].merged(other[T0]) == other[T0].merged(one[T0])
    assert one[T0].merged(other[T0]).latest.event_id == "b"


def test_a_row_starting_inside_a_bucket_is_read_into_it() -> None:
    # GIVEN a row carried over from an entry at 08:00:07 and a bucket row at 08:00:00
    entry = WindowEntry(T0 + timedelta(seconds=7), "payments", "old")
    rows = [
        WindowBucket(T0 + timedelta(seconds=7), entry, 1, 1, 4.0, 4.0, 4.0),
        WindowBucket(T0, WindowEntry(T0, "payments", "new"), 2, 2, 6.0, 1.0, 5.0),
    ]
    # WHEN they are read as ten-second buckets THEN they are one bucket, added up
    [(start, bucket)] = collect(rows, timedelta(seconds=10)).items()
    assert start == T0
    assert (bucket.count, bucket.total, bucket.low, bucket.high) == (3, 10.0, 1.0, 5.0)
    assert bucket.latest.event_id == "old"  # 08:00:07 is after 08:00:00


# --- windows -----------------------------------------------------------------------------------


def test_the_entry_that_completes_a_window_is_the_crossing() -> None:
    # GIVEN four declines in the last ten minutes, WHEN a fifth arrives
    hits = minutes(0, 2, 4, 6, 8)
    found = crossings(count_at_least(5), stored(*hits), fresh(hits[-1]))
    # THEN its window crosses, with five in it
    assert [(c.end.event_id, c.observed, c.size) for c in found] == [("e480", 5.0, 5)]


def test_a_window_covers_whole_buckets_so_its_edges_are_exact_to_the_granularity() -> None:
    # GIVEN entries at 08:00:05, :03, :06, :09 and 08:10:04, ten-second buckets: the window
    # ending in the 08:10:00 bucket covers the buckets 08:00:10 to 08:10:00, 08:00:10 to 08:10:10
    late_edge = [hit(5), *minutes(3, 6, 9), hit(604)]
    on_edge = [hit(10), *minutes(3, 6, 9), hit(604)]
    # THEN the first entry, in the 08:00:00 bucket, is outside (an event window reaching back
    # ten minutes from 08:10:04 would hold it), and one at 08:00:10 is inside
    assert crossings(count_at_least(5), stored(*late_edge), fresh(late_edge[-1])) == []
    [crossing] = crossings(count_at_least(5), stored(*on_edge), fresh(on_edge[-1]))
    assert (crossing.end.event_id, crossing.observed) == ("e604", 5.0)


def test_a_late_entry_completes_the_windows_after_it() -> None:
    # GIVEN entries at 0, 2, 6, 8 (four), WHEN one from minute 4 arrives late
    hits = minutes(0, 2, 6, 8, 4)
    found = crossings(count_at_least(5), stored(*hits), fresh(hits[-1]))
    # THEN the window ending at minute 8, which now holds five, crosses; not the late one's own
    assert [(c.end.event_id, c.observed) for c in found] == [("e480", 5.0)]


def test_a_late_entry_outside_every_later_window_changes_nothing() -> None:
    hits = minutes(0, 20, 21, 22, 23)
    assert crossings(count_at_least(5), stored(*hits), fresh(hits[0])) == []


def test_each_window_end_is_reported_once_for_several_fresh_entries() -> None:
    hits = minutes(0, 1, 2)
    found = crossings(count_at_least(3), stored(*hits), fresh(hits[0], hits[1]))
    assert [c.end.event_id for c in found] == ["e120"]


def test_entries_of_one_bucket_are_one_window_end_reported_against_the_latest() -> None:
    # GIVEN three entries within one ten-second bucket, two at the same instant
    hits = [hit(1, "b"), hit(5, "a"), hit(5, "c"), hit(2, "z")]
    # WHEN they arrive in one batch THEN the window crosses once, against the latest entry
    # (the latest time, then the greatest source and id)
    found = crossings(count_at_least(3), stored(*hits), fresh(*hits))
    assert [(c.end.event_id, c.observed) for c in found] == [("c", 4.0)]


def test_a_window_ending_at_a_bucket_fresh_entries_did_not_reach_is_not_decided() -> None:
    # GIVEN a window that crossed long ago, WHEN an entry arrives more than a window later
    hits = [*minutes(0, 1, 2), hit(60 * 30)]
    # THEN nothing is reported: the old window did not change
    assert crossings(count_at_least(3), stored(*hits), fresh(hits[-1])) == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("count", 4.0),
        ("sum", 60.0),
        ("avg", 20.0),
        ("min", 10.0),
        ("max", 30.0),
    ],
)
def test_aggregates_over_buckets_ignore_entries_without_a_number(
    name: str, expected: float
) -> None:
    window = stored(hit(0, number=10), hit(15, number=20), hit(30, number=30), hit(45))
    assert len(window) == 4
    assert aggregate(name, window.values()) == expected


def test_distinct_counts_different_tokens_across_the_windows_buckets() -> None:
    # GIVEN ip-a in two buckets and ip-b in one
    window = stored(hit(0, token="ip-a"), hit(20, token="ip-b"), hit(40, token="ip-a"))
    # THEN the window holds two different values, not one per bucket
    assert aggregate("distinct", window.values()) == 2.0


def test_a_distinct_value_that_left_the_window_no_longer_counts() -> None:
    distinct = Threshold("distinct", "ip", ">=", 2, timedelta(minutes=15))
    hits = [
        hit(0, "l1", token="ip-a", threshold=distinct),
        hit(60 * 16, "l2", token="ip-b", threshold=distinct),
        hit(60 * 17, "l3", token="ip-b", threshold=distinct),
    ]
    assert crossings(distinct, stored(*hits), fresh(hits[-1])) == []
    hits.append(hit(60 * 18, "l4", token="ip-c", threshold=distinct))
    found = crossings(distinct, stored(*hits), fresh(hits[-1]))
    assert [(c.end.event_id, c.observed) for c in found] == [("l4", 2.0)]


def test_an_average_of_nothing_is_no_value_and_never_crosses() -> None:
    threshold = Threshold("avg", "amount", "<", 5, timedelta(minutes=10))
    assert aggregate("avg", stored(hit(0)).values()) is None
    assert crossings(threshold, stored(hit(0)), fresh(hit(0))) == []


def test_sum_compares_with_the_threshold() -> None:
    threshold = Threshold("sum", "amount", ">", 100, timedelta(hours=1))
    hits = [hit(0, number=60, threshold=threshold), hit(60 * 30, number=50, threshold=threshold)]
    found = crossings(threshold, stored(*hits), fresh(hits[-1]))
    assert [(c.end.event_id, c.observed) for c in found] == [("e1800", 110.0)]


# --- what to read, and for how long to keep it ---------------------------------------------


def test_the_buckets_to_read_surround_each_fresh_one_and_merge_when_they_overlap() -> None:
    threshold = count_at_least(5)  # ten minutes of ten-second buckets: a reach of 590 seconds
    spans = read_spans(threshold, [T0 + timedelta(minutes=m) for m in (120, 0, 15)])
    assert [(low - T0, high - T0) for low, high in spans] == [
        (timedelta(seconds=-590), timedelta(minutes=15, seconds=600)),  # 0 and 15 overlap
        (timedelta(minutes=120, seconds=-590), timedelta(minutes=120, seconds=600)),
    ]


def test_a_batchs_groups_are_read_together_where_their_spans_overlap() -> None:
    threshold = count_at_least(5)
    deltas = {
        ("burst", "s1", "card-1"): [T0],
        ("burst", "s1", "card-2"): [T0 + timedelta(minutes=5)],
        ("burst", "s1", "card-3"): [T0 + timedelta(hours=5)],
    }
    reads = bucket_reads({("burst", "s1"): threshold}, deltas)
    assert [(read.fingerprints, read.low - T0, read.tokens) for read in reads] == [
        (("card-1", "card-2"), timedelta(seconds=-590), False),
        (("card-3",), timedelta(hours=5, seconds=-590), False),
    ]


def test_the_window_ending_now_is_the_buckets_up_to_nows() -> None:
    low, high = window_at(count_at_least(5), T0 + timedelta(seconds=4))
    assert (low, high) == (T0 - timedelta(seconds=590), T0 + timedelta(seconds=10))


def test_buckets_are_kept_for_late_entries_and_the_longest_window() -> None:
    rules = [burst(count_at_least(5, 10)), burst(count_at_least(5, 60)), rule(id="plain")]
    horizon = prune_before(rules, T0)  # type: ignore[arg-type]
    assert horizon == T0 - KEEP_FOR_LATE_ENTRIES - timedelta(hours=1)
    assert timedelta(days=14) == KEEP_FOR_LATE_ENTRIES  # the queues' retention
