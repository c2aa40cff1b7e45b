"""``GET /kpis`` through the app: the documented shape, the figures the tables hold, the filters,
an ingest key kept to its own sources, and 400s that name the field at fault."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib import bootstrap
from chalicelib.adapters.db.engine import make_engine
from tests.builders import FixedClock
from tests.kpi_data import NOW, START, counted_events, seed


@pytest.fixture
def seeded(client: Any, app_env: dict[str, Any]) -> Any:
    """The known KPI rows stored, and the app's clock at the end of their week."""
    engine = make_engine(app_env["database_url"])
    seed(engine)
    bootstrap.container().clock = FixedClock(NOW)  # type: ignore[assignment]
    yield engine
    engine.dispose()


def get_kpis(client: Any, key: str | None = None, **params: str) -> Any:
    headers = {"Authorization": f"Bearer {key}"} if key else None
    return client.http.get(f"/kpis?{urlencode(params)}", headers=headers)


def fields_of(response: Any) -> list[str | None]:
    return [detail.get("field") for detail in json.loads(response.body)["error"]["details"]]


def test_kpis_default_to_the_last_week_and_equal_the_table_counts(client: Any, seeded: Any) -> None:
    # GIVEN the known rows and a clock at the end of their week WHEN GET /kpis is asked
    response = get_kpis(client)
    # THEN it answers the week before now, every source, with the events the table holds
    assert response.status_code == 200
    body = json.loads(response.body)
    assert (body["since"], body["until"]) == ("2026-11-16T00:00:00Z", "2026-11-23T00:00:00Z")
    assert body["sources"] is None and body["interval"] == "day"
    found = Counter({(e["source"], e["type"], e["bucket"]): e["events"] for e in body["events"]})
    assert found == counted_events(seeded, START, NOW)
    # AND each family of figures is there, in the documented shape
    assert set(body) == {
        "since",
        "until",
        "interval",
        "sources",
        "events",
        "rejects",
        "rule_matches",
        "alerts",
        "uploads",
        "uploads_truncated",
    }
    checkout = next(one for one in body["rejects"] if one["source"] == "checkout")
    assert checkout == {"source": "checkout", "rejected": 2, "events": 9, "reject_rate": 2 / 11}


def test_source_and_range_filter_the_figures(client: Any, seeded: Any) -> None:
    # GIVEN the known rows WHEN sensors' first day is asked for by the hour
    response = get_kpis(
        client,
        source="Sensors",
        since="2026-11-16T00:00:00Z",
        until="2026-11-17T00:00:00Z",
        interval="hour",
    )
    # THEN only its two readings of 03:00 are counted
    body = json.loads(response.body)
    assert response.status_code == 200
    assert body["sources"] == ["sensors"]
    assert body["events"] == [
        {"source": "sensors", "type": "reading", "bucket": "2026-11-16T03:00:00Z", "events": 2}
    ]


def test_events_are_counted_by_the_minute_over_at_most_a_day(client: Any, seeded: Any) -> None:
    # GIVEN the known rows WHEN checkout's first three hours are asked for by the minute
    response = get_kpis(
        client,
        source="checkout",
        since="2026-11-16T00:00:00Z",
        until="2026-11-16T03:00:00Z",
        interval="minute",
    )
    # THEN each event is in its own minute's bucket
    assert response.status_code == 200, response.body
    body = json.loads(response.body)
    assert body["interval"] == "minute"
    assert [(e["type"], e["bucket"], e["events"]) for e in body["events"]] == [
        ("order.created", "2026-11-16T01:00:00Z", 1),
        ("order.paid", "2026-11-16T01:00:00Z", 1),
        ("order.created", "2026-11-16T01:30:00Z", 1),
        ("order.created", "2026-11-16T02:00:00Z", 1),
    ]


def test_an_ingest_key_sees_its_own_sources_only(
    client: Any, seeded: Any, make_key: Callable[..., str]
) -> None:
    # GIVEN an ingest key for sensors
    key = make_key("ingest", ("sensors",), name="sensors-feed")
    # WHEN it asks for KPIs without naming a source
    body = json.loads(get_kpis(client, key).body)
    # THEN every figure is of sensors alone
    assert body["sources"] == ["sensors"]
    assert {one["source"] for one in body["events"]} == {"sensors"}
    assert [one["upload_id"] for one in body["uploads"]] == ["up1"]
    assert {one["rule_id"] for one in body["alerts"]} == {"cold"}
    # AND another source, though stored, is as unknown to it as one that does not exist
    refused = get_kpis(client, key, source="checkout")
    assert refused.status_code == 400 and fields_of(refused) == ["source"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-11-20T00:00:00Z", "until": "2026-11-19T00:00:00Z"}, "since"),
        ({"since": "2026-01-01T00:00:00Z", "until": "2026-11-01T00:00:00Z"}, "until"),
        ({"source": "nowhere"}, "source"),
        ({"interval": "minute"}, "interval"),  # the default week is too long by the minute
        ({"interval": "second"}, "interval"),
        (
            {"since": "2026-11-01T00:00:00Z", "interval": "hour", "until": NOW.isoformat()},
            "interval",
        ),
        ({"sources": "checkout"}, "sources"),
    ],
)
def test_a_bad_request_is_400_naming_the_field(
    client: Any, seeded: Any, params: dict[str, str], field: str
) -> None:
    # GIVEN a bad parameter WHEN GET /kpis is asked THEN it is 400 naming that parameter
    response = get_kpis(client, **params)
    assert response.status_code == 400
    assert json.loads(response.body)["error"]["code"] == "invalid_query"
    assert fields_of(response) == [field]


def test_a_source_known_by_definition_or_by_its_events_is_accepted(
    client: Any, seeded: Any
) -> None:
    # GIVEN stores (defined in rules/sources, no events) and checkout (events, no definition)
    # WHEN each is asked for THEN both answer
    assert get_kpis(client, source="stores").status_code == 200
    assert get_kpis(client, source="checkout").status_code == 200
