"""Segment's tracking API on `tripline local`, sent by Segment's own Python client with its host
pointed at the runtime: a track, an identify and a page are each stored once as events of the
write key's source (the client's retry of a call still once), and a call the source refuses is
answered success, as Segment answers, and read back in ``GET /rejections`` with its errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from segment.analytics import Client

from tests.e2e.test_local_runtime import (
    PROCESSING_SECONDS,
    REPO,
    LocalRun,
    http,
    stored,
    wait_until,
)

pytestmark = pytest.mark.slow
# A key names known sources only: the tracked site is declared as the integrator would declare it
WEB_SOURCE = """\
description: Tracking calls from the web shop's Segment client (POST /v1/batch).
type: page         # no CSV is uploaded for it; Segment's calls carry their own type
id: message_id
columns:
  - name: message_id
    type: string
"""


def rules_with_web(folder: Path) -> Path:
    """The repository's rules/ and a source ``web`` for the tracking calls."""
    rules = folder / "rules"
    shutil.copytree(REPO / "rules", rules)
    (rules / "sources" / "web.yaml").write_text(WEB_SOURCE, encoding="utf-8")
    return rules


def make_write_key(database_url: str, source: str, folder: Path, rules: Path) -> str:
    """``tripline keys create --role ingest --source SOURCE``: the key a Segment client writes
    with."""
    made = subprocess.run(
        [
            *(sys.executable, "-m", "tripline.cli", "keys", "create"),
            *("--name", "segment", "--role", "ingest", "--source", source, "--json"),
        ],
        cwd=folder,
        env=os.environ
        | {"DATABASE_URL": database_url, "PYTHONPATH": str(REPO), "TRIPLINE_RULES_DIR": str(rules)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    key: str = json.loads(made.stdout)["key"]
    return key


def rejections(run: LocalRun, source: str) -> list[dict[str, Any]]:
    status, page = http("GET", f"{run.api}/rejections?source={source}")
    assert status == 200, page
    return list(page["items"])


def test_segment_calls_from_its_client_are_stored_once_and_a_refused_one_is_readable(
    start_local: Callable[..., LocalRun], tmp_path: Path
) -> None:
    # GIVEN the local runtime and Segment's client writing with an ingest key of web
    database = f"sqlite:///{tmp_path / 'segment.db'}"
    rules = rules_with_web(tmp_path)
    run = start_local(database, {"TRIPLINE_RULES_DIR": str(rules)})
    errors: list[Exception] = []
    tracker = Client(
        write_key=make_write_key(database, "web", tmp_path, rules),
        host=run.api,
        on_error=lambda error, batch: errors.append(error),
    )
    # WHEN it tracks (twice: a retry), identifies and pages, and flushes its queue
    for _ in range(2):
        tracker.track("user-7", "Order Completed", {"revenue": 25.5}, message_id="e2e-track")
    tracker.identify("user-7", {"plan": "pro"}, message_id="e2e-identify")
    tracker.page("user-7", "Shop", "Checkout", {"url": "/checkout"}, message_id="e2e-page")
    # AND a call whose properties use the name Tripline reserves for the rest of the call
    tracker.track("user-7", "Bad Call", {"segment": "b2b"}, message_id="e2e-bad")
    tracker.flush()
    tracker.join()
    assert errors == []  # every batch was answered {"success": true}

    # THEN each call is stored once, its type the event name or the call type
    def three_stored() -> bool:
        return len(stored(run, "web")) >= 3

    wait_until(three_stored, PROCESSING_SECONDS, "stored", run)
    events = {one["id"]: one for one in stored(run, "web")}
    assert sorted(events) == ["e2e-identify", "e2e-page", "e2e-track"]
    assert events["e2e-track"]["type"] == "Order Completed"
    assert events["e2e-track"]["data"]["revenue"] == 25.5
    assert (events["e2e-identify"]["type"], events["e2e-page"]["type"]) == ("identify", "page")
    status, one = http("GET", f"{run.api}/events/web/e2e-track")
    assert status == 200 and "writeKey" not in one["raw"]

    # AND the refused call is readable at GET /rejections, its error naming its field
    wait_until(lambda: bool(rejections(run, "web")), PROCESSING_SECONDS, "kept", run)
    [kept] = rejections(run, "web")
    assert kept["event_id"] == "e2e-bad"
    assert [error["field"] for error in kept["errors"]] == ["properties.segment"]
    assert kept["payload"]["event"] == "Bad Call" and "writeKey" not in kept["payload"]
