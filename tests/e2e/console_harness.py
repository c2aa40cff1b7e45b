"""What the console's browser tests share: one ``tripline local`` for the whole session (a
subprocess on free ports, SQLite in a temporary folder), a staged page that records dialogs,
and the steps every test takes (sign in, post and wait, make a key, check nothing went wrong).

The runtime is a session fixture (``console_run``, registered in ``conftest``) so that every
console module shares one start-up; each test makes its own sources, merchants and keys, so
tests do not see each other's data.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.e2e.test_docs_browser import PREFIX, StagedPage
from tests.e2e.test_local_runtime import (
    ADMIN_KEY,
    PROCESSING_SECONDS,
    REPO,
    STARTUP_SECONDS,
    LocalRun,
    free_port,
    healthy,
    http,
    post_events,
    wait_until,
)

HOSTILE_IMAGE = "<img src=x onerror=alert(1)>"
HOSTILE_SCRIPT = "<script>alert(2)</script>"


@pytest.fixture(scope="session")
def console_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRun]:
    """``tripline local`` for the console's tests, as a user starts it; killed at the end."""
    folder = tmp_path_factory.mktemp("console-runtime")
    port, aws_port = free_port(), free_port()
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{folder / 'console.db'}",
        "PYTHONPATH": str(REPO),
        "TRIPLINE_LOCAL_ADMIN_KEY": ADMIN_KEY,
    }
    command = [sys.executable, "-m", "tripline.cli", "local"]
    stdout, stderr = folder / "stdout.txt", folder / "stderr.txt"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [*command, "--port", str(port), "--aws-port", str(aws_port)],
            cwd=folder,
            env=env,
            stdout=out,
            stderr=err,
        )
    running = LocalRun(process, f"http://127.0.0.1:{port}", aws_port, stdout, stderr)
    try:
        wait_until(lambda: healthy(running), STARTUP_SECONDS, "healthy", running)
        yield running
    finally:
        process.kill()
        process.wait(timeout=10)


class ConsolePage(StagedPage):
    """A staged page that also records every dialog opened (an ``alert(…)`` that ran)."""

    def __init__(self, browser: Any, origin: str) -> None:
        super().__init__(browser, origin)
        self.dialogs: list[str] = []
        self.page.on("dialog", self._dialog)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


class BucketConsolePage(ConsolePage):
    """A console page whose requests to the runtime's AWS stand-in (moto, where presigned POSTs
    go) pass on unmodified, as a page's reach S3; every other host is still refused.

    Playwright answers a routed request's CORS preflight itself, so the bucket's CORS rule is
    not what the browser saw here: tests check moto's own preflight answer separately. And a
    page Playwright fulfilled has no address, so Chromium counts it as public and asks before
    it reaches a loopback one: granted here, as it is never asked of a page served from
    127.0.0.1 (the local console) or of one on the internet posting to S3 (AWS)."""

    def __init__(self, browser: Any, run: LocalRun) -> None:
        self.aws_origin = f"http://127.0.0.1:{run.aws_port}"
        self.to_bucket: list[str] = []
        super().__init__(browser, run.api)
        self.page.context.grant_permissions(["local-network-access"], origin=self.origin)

    def _pass_on(self, route: Any) -> None:
        if route.request.url.startswith(f"{self.aws_origin}/"):
            self.to_bucket.append(f"{route.request.method} {route.request.url}")
            route.continue_()
            return
        super()._pass_on(route)


def staged_console(browser: Any, run: LocalRun) -> Iterator[ConsolePage]:
    """A fresh page on ``run``'s console, closed after the test (modules wrap it as a fixture)."""
    page = ConsolePage(browser, run.api)
    yield page
    page.close()


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def payment(merchant: str, amount: int = 7250) -> dict[str, Any]:
    """A captured payment in EUR: over 5,000, the sample rule ``large-payment`` alerts on it."""
    return {
        "source": "payments",
        "type": "payment.attempted",
        "id": f"pay-{uuid.uuid4().hex[:10]}",
        "occurred_at": now(),
        "data": {
            "amount": amount,
            "currency": "EUR",
            "card": "c-console",
            "merchant": merchant,
            "status": "captured",
        },
    }


def post_and_wait(run: LocalRun, items: list[dict[str, Any]]) -> None:
    status, answer = post_events(run, items)
    assert status == 202 and answer["accepted"] == len(items), answer

    def all_stored() -> bool:
        return all(
            http("GET", f"{run.api}/events/{item['source']}/{item['id']}")[0] == 200
            for item in items
        )

    wait_until(all_stored, PROCESSING_SECONDS, "stored", run)


def open_alert_for(run: LocalRun, merchant: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = []

    def opened() -> bool:
        _, page = http("GET", f"{run.api}/alerts?rule=large-payment&status=open&limit=100")
        found[:] = [one for one in page["items"] if one["group"].get("merchant") == merchant]
        return bool(found)

    wait_until(opened, PROCESSING_SECONDS, f"alerted for {merchant}", run)
    return found[0]


def sign_in(staged: ConsolePage, key: str) -> None:
    staged.page.goto(f"{staged.origin}{PREFIX}/console")
    staged.page.locator("#key").fill(key)
    staged.page.locator("#login-form button[type=submit]").click()


def clean(staged: ConsolePage) -> None:
    """Nothing asked of another host, no console error or page error, no dialog opened."""
    assert staged.refused == []
    assert staged.errors == []
    assert staged.dialogs == []


def make_key(run: LocalRun, role: str, source: str | None = None) -> str:
    """A new key of ``role``; only an ingest key takes a ``source`` (and needs one)."""
    made = subprocess.run(
        [
            *(sys.executable, "-m", "tripline.cli", "keys", "create"),
            *("--name", f"{role}-console", "--role", role, "--json"),
            *(("--source", source) if source else ()),
        ],
        cwd=run.stdout.parent,
        env=os.environ
        | {"DATABASE_URL": f"sqlite:///{run.stdout.parent / 'console.db'}"}
        | {"PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    key: str = json.loads(made.stdout)["key"]
    return key
