"""API keys over real HTTP on `tripline local`: a key made with `tripline keys create` for one
source writes that source only and reads no alerts; no key, or an unknown one, is 401."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.test_local_runtime import REPO, LocalRun, http

pytestmark = pytest.mark.slow


def events(source: str, event_id: str) -> bytes:
    data = {"amount": 10, "card": "c-1", "merchant": "m", "status": "captured"}
    if source == "logins":
        data = {"user": "maria", "role": "user", "ip": "203.0.113.1", "outcome": "success"}
    return json.dumps(
        {"events": [{"source": source, "type": "x.y", "id": event_id, "data": data}]}
    ).encode()


def test_a_key_for_one_source_cannot_write_another_or_read_alerts_and_no_key_is_401(
    start_local: Callable[..., LocalRun], tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'access.db'}"
    run = start_local(database)
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "tripline.cli",
            "keys",
            "create",
            "--name",
            "pos",
            "--role",
            "ingest",
            "--source",
            "payments",
            "--json",
        ],
        cwd=tmp_path,
        env=os.environ | {"DATABASE_URL": database, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    key = json.loads(made.stdout)["key"]
    # A key for payments writes payments
    status, answer = http("POST", f"{run.api}/events", events("payments", "p-1"), key=key)
    assert (status, answer["accepted"]) == (202, 1), answer
    # but not logins, and it reads no alerts
    status, answer = http("POST", f"{run.api}/events", events("logins", "l-1"), key=key)
    assert status == 403 and answer["error"]["details"][0]["value"] == "logins", answer
    assert http("GET", f"{run.api}/alerts", key=key)[0] == 403
    # An unknown key and no key at all are 401; /health needs none
    unknown = "tl_0123456789ab_" + "u" * 32
    assert http("GET", f"{run.api}/alerts", key=unknown)[0] == 401
    assert http("POST", f"{run.api}/events", events("payments", "p-2"), key=None)[0] == 401
    assert http("GET", f"{run.api}/health", key=None)[0] == 200
