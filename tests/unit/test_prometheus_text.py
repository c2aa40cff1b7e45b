"""The figures as Prometheus text: every family a gauge, label values escaped by the library so
a scraper reads back exactly what the database held, and empty figures still a valid scrape."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from chalicelib.adapters.metrics.prometheus_text import exposition
from chalicelib.domain.metrics import AlertCount, PipelineFigures, QueueDepth, StoredCounts

AWKWARD = 'shop "eu"\\north\nline'  # a quote, a backslash and a line break


def figures(events: dict[str, int]) -> PipelineFigures:
    stored = StoredCounts(
        events_by_source=events,
        rejected_by_source={None: 3, "shop": 1},
        uploads_by_status={"complete": 2},
        alerts=(AlertCount("operations", "high", "open", 1),),
        notifications_pending=0,
    )
    return PipelineFigures(stored, (QueueDepth("q", 4, 1, "q-dlq", 2),))


def test_label_values_round_trip_through_the_parser() -> None:
    # GIVEN a source whose name needs escaping WHEN the figures are written and parsed back
    body, media_type = exposition(figures({AWKWARD: 7}))
    families = {one.name: one for one in text_string_to_metric_families(body)}
    # THEN the value and its label are what went in, and the media type is the 0.0.4 text
    (sample,) = families["tripline_events_stored"].samples
    assert (sample.labels, sample.value) == ({"source": AWKWARD}, 7.0)
    assert media_type == "text/plain; version=0.0.4; charset=utf-8"
    # AND an item rejected before its source was read has an empty source label
    rejected = {s.labels["source"]: s.value for s in families["tripline_rows_rejected"].samples}
    assert rejected == {"": 3.0, "shop": 1.0}
    assert {one.type for one in families.values()} == {"gauge"}


def test_nothing_stored_is_still_a_valid_scrape_with_every_family() -> None:
    body, _ = exposition(figures({}))
    names = {one.name for one in text_string_to_metric_families(body)}
    assert {"tripline_events_stored", "tripline_notifications_pending"} <= names
    assert "tripline_dead_letter_messages" in names
