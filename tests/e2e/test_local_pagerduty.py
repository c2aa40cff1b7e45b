"""PagerDuty's Events API v2 on `tripline local`, sent by PagerDuty's own client: a trigger is an
email in the runtime's mailbox within seconds, acknowledge and resolve act on the same alert, and
the resolve is mailed too; ``GET /alerts/{id}`` shows the three transitions. The client takes
``https://`` only, so it reaches the runtime through a TLS front (``tripline.local.tls_front``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from pagerduty import EventsApiV2Client

from tests.e2e.test_local_runtime import REPO, LocalRun, http, wait_until
from tripline.local.tls_front import TlsFront

pytestmark = pytest.mark.slow
MAIL_SECONDS = 15.0


def make_ingest_key(database_url: str, source: str, folder: Path) -> str:
    """``tripline keys create --role ingest --source SOURCE``, as an operator makes one."""
    made = subprocess.run(
        [
            *(sys.executable, "-m", "tripline.cli", "keys", "create"),
            *("--name", "alertmanager", "--role", "ingest", "--source", source, "--json"),
        ],
        cwd=folder,
        env=os.environ | {"DATABASE_URL": database_url, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    key: str = json.loads(made.stdout)["key"]
    return key


def subjects(run: LocalRun) -> list[str]:
    return [
        str(message_from_bytes(mail.read_bytes(), policy=policy.default)["Subject"]).strip()
        for mail in run.mails()
    ]


def test_trigger_acknowledge_resolve_from_pagerdutys_client_mails_and_shows_the_transitions(
    start_local: Callable[..., LocalRun], tmp_path: Path
) -> None:
    # GIVEN the local runtime, an ingest key of source sensors, and PagerDuty's client
    database = f"sqlite:///{tmp_path / 'pagerduty.db'}"
    run = start_local(database)
    key = make_ingest_key(database, "sensors", tmp_path)
    front = TlsFront(run.api, tmp_path / "tls")
    try:
        pd = EventsApiV2Client(key, base_url=front.url, verify=front.trust)
        # WHEN it triggers an alert
        dedup_key = pd.trigger(
            "Disk full on db-1",
            "db-1",
            severity="critical",
            custom_details={"free": "1%"},
            links=[{"href": "https://grafana.example/d/disk", "text": "Disk dashboard"}],
        )
        # THEN its email is in the mailbox within seconds
        wait_until(lambda: len(run.mails()) >= 1, MAIL_SECONDS, "mailed", run)
        assert subjects(run) == ["[CRITICAL] Disk full on db-1"]
        body = run.mails()[0].read_text(encoding="utf-8")
        assert "Link:      https://grafana.example/d/disk (Disk dashboard)" in body
        assert f"Dedup key: {dedup_key}" in body
        # WHEN it acknowledges and then resolves the alert by its dedup key
        assert pd.acknowledge(dedup_key) == dedup_key
        assert pd.resolve(dedup_key) == dedup_key
        # THEN the resolve is mailed too (acknowledging mails nothing, as for a rule's alert)
        wait_until(lambda: len(run.mails()) >= 2, MAIL_SECONDS, "mailed resolved", run)
        assert subjects(run) == ["[CRITICAL] Disk full on db-1", "[RESOLVED] Disk full on db-1"]
    finally:
        front.close()
    # AND the one alert shows the three transitions, each by the key
    status, page = http("GET", f"{run.api}/alerts?rule=external.pagerduty")
    assert status == 200, page
    [alert] = page["items"]
    status, found = http("GET", f"{run.api}/alerts/{alert['id']}")
    assert (status, found["status"], found["source"]) == (200, "resolved", "sensors")
    changes = [one for one in found["timeline"] if one["kind"] != "sent"]
    assert [one["kind"] for one in changes] == ["opened", "acknowledged", "resolved"]
    assert all(one["by"].startswith("alertmanager (") for one in changes)
