"""What POST /reports takes, and which week a digest covers (pure domain, no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.errors import RequestError
from chalicelib.domain.reports import RequestScope, parse_report_request
from chalicelib.domain.reports.digest import digest_email, due_week, parse_week, week_of

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
OPERATOR = RequestScope(None, {"payments", "logins"}, {"large-payment"})
INGEST = RequestScope(("payments",), {"payments", "logins"}, {"large-payment"})


def fields_of(payload: object, scope: RequestScope = OPERATOR) -> list[str | None]:
    with pytest.raises(RequestError) as refused:
        parse_report_request(payload, now=NOW, scope=scope, max_days=92)
    return [detail.field for detail in refused.value.details]


def test_a_report_without_a_range_covers_the_seven_days_before_it_was_asked_for() -> None:
    request = parse_report_request({"kind": "events"}, now=NOW, scope=OPERATOR, max_days=92)
    assert (request.format, request.since, request.until) == ("csv", NOW - timedelta(7), NOW)
    assert request.sources is None and request.params() == {
        "since": "2026-11-30T12:00:00+00:00",
        "until": "2026-12-07T12:00:00+00:00",
    }


def test_an_ingest_keys_report_covers_its_own_sources_and_no_other() -> None:
    request = parse_report_request({"kind": "uploads"}, now=NOW, scope=INGEST, max_days=92)
    assert request.sources == ("payments",)
    assert fields_of({"kind": "events", "params": {"sources": ["logins"]}}, INGEST) == [
        "params.sources"
    ]


def test_every_problem_is_named_at_once() -> None:
    payload = {
        "kind": "alerts",
        "format": "pdf",
        "extra": 1,
        "params": {"since": "soon", "rules": ["nope"], "statuses": ["gone"], "sources": []},
    }
    assert sorted(map(str, fields_of(payload))) == [
        "extra",
        "format",
        "params.rules",
        "params.since",
        "params.sources",
        "params.statuses",
    ]


def test_a_range_over_the_limit_is_refused_not_cut() -> None:
    payload = {"kind": "events", "params": {"since": "2026-01-01T00:00:00Z"}}
    assert fields_of(payload) == ["params.since"]


def test_weeks_are_iso_weeks_at_local_midnight_and_a_dst_week_is_an_hour_longer() -> None:
    # 2026-W43 holds the end of summer time in Berlin (Sunday 25 October, 03:00 → 02:00): it
    # starts Monday 19 October 00:00 CEST (22:00 UTC the day before), ends Monday 26 October
    # 00:00 CET (23:00 UTC the day before)
    week = week_of(datetime(2026, 10, 21).date(), "Europe/Berlin")
    assert week.label == "2026-W43"
    assert week.starts_at == datetime(2026, 10, 18, 22, 0, tzinfo=UTC)
    assert week.ends_at - week.starts_at == timedelta(days=7, hours=1)
    assert week.ends_at == datetime(2026, 10, 25, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "due"),
    [
        (datetime(2026, 11, 23, 5, 59, tzinfo=UTC), "2026-W46"),  # Monday 06:59 Berlin: not yet
        (datetime(2026, 11, 23, 6, 0, tzinfo=UTC), "2026-W47"),  # Monday 07:00 Berlin
        (datetime(2026, 11, 29, 22, 59, tzinfo=UTC), "2026-W47"),  # Sunday 23:59 Berlin
        (datetime(2027, 1, 4, 6, 0, tzinfo=UTC), "2026-W53"),  # 2026 has 53 ISO weeks
    ],
)
def test_last_weeks_digest_is_due_from_monday_seven_in_the_digests_time_zone(
    now: datetime, due: str
) -> None:
    assert due_week(now, "Europe/Berlin").label == due


def test_a_week_asked_for_by_hand_must_have_ended_and_be_a_week() -> None:
    assert parse_week("2026-W47", "UTC", NOW).starts_at == datetime(2026, 11, 16, tzinfo=UTC)
    for text in ("2026-W50", "2026-W54", "last week"):
        with pytest.raises(RequestError) as refused:
            parse_week(text, "UTC", NOW)
        assert refused.value.details[0].field == "week"


def test_the_digest_email_carries_the_figures_the_link_and_how_to_get_a_fresh_one() -> None:
    week = week_of(datetime(2026, 11, 18).date(), "Europe/Berlin")
    subject, body = digest_email(
        week,
        {"events_stored": 12345, "median_minutes_to_acknowledge": None},
        "https://x/y",
        NOW,
        "https://api.example",
    )
    assert subject == "Tripline weekly digest 2026-W47"
    assert "2026-11-16 to 2026-11-22 (Europe/Berlin)" in body
    assert "Events stored: 12,345" in body and "Median minutes to acknowledge: none" in body
    assert "https://x/y" in body and "https://api.example/digests/latest" in body
