"""The retention purge through app.py on SQLite and MySQL: the hourly ``purge`` schedule deletes
exactly the rows past each source's retention (the default for a source that declares none),
``tripline db purge --dry-run`` said so beforehand, a second run deletes nothing, and
``GET /kpis`` (the console's overview figures) counts what the tables still hold."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib import bootstrap
from chalicelib.adapters.db.engine import make_engine
from chalicelib.adapters.db.tables import (
    alerts,
    events,
    raw_events,
    rejected_items,
    rule_matches,
    rule_window_buckets,
    rule_window_tokens,
    upload_chunks,
)
from tests.builders import FixedClock
from tests.retention_data import (
    AGES,
    DEFAULT_DAYS,
    KEPT,
    NOW,
    chunks_with_bytes,
    counts,
    expected_left,
    rules_folder,
    seed,
    total,
)
from tripline.cli import main as tripline


@pytest.fixture
def retained(app_env: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The rules folder with retention declared, the default for other sources, the rows of
    known ages stored, and the app's clock at NOW."""
    monkeypatch.setenv("TRIPLINE_RULES_DIR", str(rules_folder(tmp_path)))
    monkeypatch.setenv("TRIPLINE_RETENTION_DAYS", DEFAULT_DAYS)
    bootstrap.reset()
    engine = make_engine(app_env["database_url"])
    seed(engine)
    bootstrap.container().clock = FixedClock(NOW)  # type: ignore[assignment]
    yield engine
    engine.dispose()


def run_purge(client: Any) -> dict[str, Any]:
    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    answer: dict[str, Any] = client.lambda_.invoke("purge", event).payload
    return answer


def kpi_totals(client: Any) -> tuple[Counter[str], Counter[str | None]]:
    """Events and rejects per source over the widest range GET /kpis takes, ending now."""
    since = (NOW - timedelta(days=91)).isoformat().replace("+00:00", "Z")
    until = NOW.isoformat().replace("+00:00", "Z")
    response = client.http.get(f"/kpis?{urlencode({'since': since, 'until': until})}")
    assert response.status_code == 200, response.body
    body = json.loads(response.body)
    stored: Counter[str] = Counter()
    for one in body["events"]:
        stored[one["source"]] += one["events"]
    rejected = Counter({one["source"]: one["rejected"] for one in body["rejects"]})
    return stored, +rejected


def test_the_purge_removes_exactly_the_rows_past_retention_and_the_kpis_agree(
    client: Any, retained: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN rows aged 5, 25, 45 and 75 days of sources kept 20 and 60 days, and of a source
    # that declares nothing (the default, 30), and the dashboard showing every one of them
    before, _ = kpi_totals(client)
    assert before == Counter({source: len(AGES) for source in KEPT})
    # WHEN the dry run is asked for
    assert tripline(["db", "purge", "--dry-run"]) == 0
    said = capsys.readouterr().out
    # THEN it names, per source and table, what would go, and nothing went
    assert "short: events 3" in said and "long: events 1" in said
    assert "(other sources): events 2" in said and "(other sources): rejected_items 4" in said
    assert "rule short-burst: rule_window_buckets 3" in said
    assert said.splitlines()[-1].startswith("would delete: events 6, raw_events 6")
    assert total(retained, events) == 3 * len(AGES)
    # WHEN the hourly schedule runs
    answer = run_purge(client)
    # THEN exactly the rows past their source's retention are gone, in every table
    left = expected_left()
    assert answer["complete"] is True and answer["totals"]["events"] == 6
    assert counts(retained, events) == left
    assert counts(retained, raw_events) == left
    assert counts(retained, rule_matches) == left
    assert counts(retained, rejected_items) == left + Counter({None: 2})  # the default: 30 days
    assert total(retained, rule_window_buckets) == total(retained, rule_window_tokens) == 1
    assert total(retained, alerts) == 1  # alerts are the record of what happened: kept
    # AND a finished upload's stored bytes go with its source's rows (the chunk rows stay, and
    # so its counts); an upload still importing keeps them
    assert chunks_with_bytes(retained) == Counter(
        {source: 2 * n for source, n in left.items()}
    ) + Counter({"short": 2})
    assert total(retained, upload_chunks) == 2 * (3 * len(AGES) + 1)
    # AND the dashboard's figures are what the tables hold now
    stored, rejected = kpi_totals(client)
    assert stored == counts(retained, events)
    assert rejected == counts(retained, rejected_items)
    # AND a second run finds nothing more to delete
    again = run_purge(client)
    assert again["by_scope"] == {} and again["complete"] is True


def test_the_purge_goes_in_batches_and_a_run_cut_short_is_finished_by_the_next(
    client: Any, retained: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN batches of one row, and a run allowed one batch per table and cutoff
    from chalicelib import housekeeping_use_cases
    from chalicelib.services import retention

    monkeypatch.setattr(retention, "PURGE_BATCH", 1)
    monkeypatch.setattr(housekeeping_use_cases, "SCHEDULED_BATCHES", 1)
    # WHEN the schedule runs once
    first = run_purge(client)
    # THEN it stopped with rows left, one per table and cutoff gone
    assert first["complete"] is False
    assert first["by_scope"]["short"]["events"] == 1
    # WHEN it runs until it says it is done
    for _ in range(10):
        if run_purge(client)["complete"]:
            break
    # THEN the tables hold what one unbounded run would have left
    assert counts(retained, events) == expected_left()
    assert counts(retained, raw_events) == expected_left()
