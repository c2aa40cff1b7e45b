"""GET /rejections' parameters: a source, a time range, a page; an ingest key's own sources only."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import InvalidQuery
from chalicelib.domain.events import RejectionQuery, RejectionView, parse_rejection_query
from chalicelib.domain.paging import encode_keyset
from tests.builders import FixedClock

NOW = FixedClock().now()


def parse(params: dict[str, str], readable: tuple[str, ...] | None = None) -> RejectionQuery:
    return parse_rejection_query(params, readable=readable, default_limit=50, max_limit=500)


def test_no_parameters_read_every_source_newest_first() -> None:
    query = parse({})
    assert (query.sources, query.limit, query.after) == (None, 50, None)


def test_a_source_a_range_and_a_cursor_are_read() -> None:
    cursor = encode_keyset(NOW, 41)
    query = parse(
        {"source": " Web ", "since": "2026-11-01T00:00:00Z", "limit": "10", "cursor": cursor}
    )
    assert query.sources == ("web",)
    assert query.since is not None and query.since.isoformat() == "2026-11-01T00:00:00+00:00"
    assert (query.limit, query.after) == (10, (NOW, 41))


def test_an_ingest_key_reads_its_own_sources_and_another_source_is_empty_to_it() -> None:
    assert parse({}, readable=("web",)).sources == ("web",)
    assert parse({"source": "web"}, readable=("web", "app")).sources == ("web",)
    assert parse({"source": "payments"}, readable=("web",)).sources == ()


def test_every_bad_parameter_is_named_at_once() -> None:
    with pytest.raises(InvalidQuery) as raised:
        parse({"source": "Not a source!", "limit": "0", "cursor": "nope", "type": "x"})
    assert {detail.field for detail in raised.value.details} == {
        "source",
        "limit",
        "cursor",
        "type",
    }


def test_a_payload_is_shown_as_the_json_it_was_or_as_text() -> None:
    def view(payload: str) -> RejectionView:
        return RejectionView("web", "m", None, None, "invalid event", [], payload, NOW, NOW)

    assert view('{"event": "Signed Up"}').as_dict()["payload"] == {"event": "Signed Up"}
    assert view("not json").as_dict()["payload"] == "not json"
