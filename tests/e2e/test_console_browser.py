"""``/console`` in a real browser on ``tripline local``: Debian's Chromium, driven by Playwright,
signs in with a key, sees the overview's chart drawn from events posted a moment before,
acknowledges an alert and sees its timeline change, shows hostile event data as text, and offers
an ingest key nothing it may not do.

One runtime serves the whole module (a subprocess on free ports, SQLite in a temporary folder),
reached as API Gateway is, under a stage prefix: ``StagedPage`` passes ``/api/…`` to it without
the prefix and refuses, and records, any other request, so a root-relative link or a third-party
host shows up as a failure. Screenshots of each page are written to the test's ``tmp_path``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import test_docs_browser
from tests.e2e.test_docs_browser import PREFIX, RENDER_MS, StagedPage
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

pytestmark = pytest.mark.slow
browser = test_docs_browser.browser  # the module's one Chromium
HOSTILE_IMAGE = "<img src=x onerror=alert(1)>"
HOSTILE_SCRIPT = "<script>alert(2)</script>"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRun]:
    """``tripline local`` for the module, as a user starts it; killed at the end."""
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


@pytest.fixture
def staged(browser: Any, run: LocalRun) -> Iterator[ConsolePage]:
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


def make_key(run: LocalRun, role: str, source: str) -> str:
    made = subprocess.run(
        [
            *(sys.executable, "-m", "tripline.cli", "keys", "create"),
            *("--name", f"{role}-console", "--role", role, "--source", source, "--json"),
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


def test_an_admin_signs_in_and_sees_the_chart_drawn_from_posted_events(
    staged: ConsolePage, run: LocalRun, tmp_path: Path
) -> None:
    # GIVEN events of a new source stored a moment ago
    source = f"kiosk{uuid.uuid4().hex[:6]}"
    items = [
        {"source": source, "type": "visit", "id": f"v-{n}", "occurred_at": now(), "data": {}}
        for n in range(3)
    ]
    post_and_wait(run, items)
    # WHEN the console is opened under the stage prefix, and the key typed in
    staged.page.goto(f"{staged.origin}{PREFIX}/console")
    staged.page.locator("#key").fill(ADMIN_KEY)
    staged.page.screenshot(path=tmp_path / "console-login.png")
    staged.page.locator("#login-form button[type=submit]").click()
    # THEN the overview draws a line for the source, with a point for this hour's three events
    line = staged.page.locator(f'#events-chart g.series[data-source="{source}"]')
    line.locator("polyline").wait_for(timeout=RENDER_MS)
    assert line.locator("circle").count() == 1
    assert f"{source}, " in line.locator("circle title").text_content()
    assert ": 3 events" in line.locator("circle title").text_content()
    assert source in staged.page.locator("#events-chart .legend").inner_text()
    # AND the figures, the open alerts by severity and the latest events are there too
    staged.page.locator("#latest-events table").wait_for(timeout=RENDER_MS)
    staged.page.locator("#open-alerts .card.critical").wait_for(timeout=RENDER_MS)
    assert "Events stored" in staged.page.locator("#kpis").inner_text()
    assert "admin" in staged.page.locator("#who").inner_text()
    staged.page.screenshot(path=tmp_path / "console-overview.png", full_page=True)
    # AND the key is in no address, only in this tab's session storage
    assert ADMIN_KEY not in staged.page.url
    assert staged.page.evaluate("() => sessionStorage.getItem('tripline.key')") == ADMIN_KEY
    clean(staged)


def test_acknowledging_an_alert_with_a_comment_adds_it_to_the_timeline(
    staged: ConsolePage, run: LocalRun, tmp_path: Path
) -> None:
    # GIVEN a large captured payment, which the sample rule large-payment turned into an alert
    merchant = f"shop-{uuid.uuid4().hex[:6]}"
    post_and_wait(run, [payment(merchant)])
    alert = open_alert_for(run, merchant)
    # WHEN the alert is opened from the list of alerts
    sign_in(staged, ADMIN_KEY)
    staged.page.locator("nav a", has_text="Alerts").click()
    staged.page.locator(f'#alert-list button[data-alert="{alert["id"]}"]').click(timeout=RENDER_MS)
    timeline = staged.page.locator("#alert-timeline li")
    timeline.first.wait_for(timeout=RENDER_MS)
    assert staged.page.locator('#alert-timeline li[data-kind="acknowledged"]').count() == 0
    # AND acknowledged with a comment
    staged.page.locator("#comment").fill("card holder called: a wedding")
    staged.page.locator("#acknowledge").click()
    # THEN the timeline shows who acknowledged it and the comment, and the button is gone
    acknowledged = staged.page.locator('#alert-timeline li[data-kind="acknowledged"]')
    acknowledged.wait_for(timeout=RENDER_MS)
    assert "card holder called: a wedding" in acknowledged.inner_text()
    assert "local-admin" in acknowledged.inner_text()
    assert staged.page.locator("#acknowledge").is_hidden()
    assert staged.page.locator("#resolve").is_visible()
    assert "acknowledged" in staged.page.locator("#alert-detail h2").inner_text()
    # AND the API agrees
    _, detail = http("GET", f"{run.api}/alerts/{alert['id']}")
    assert detail["status"] == "acknowledged"
    staged.page.screenshot(path=tmp_path / "console-alerts.png", full_page=True)
    # WHEN it is resolved, a comment being required
    staged.page.locator("#resolve").click()
    assert staged.page.locator("#alert-detail .message").inner_text() == "A comment is required."
    staged.page.locator("#comment").fill("refund issued")
    staged.page.locator("#resolve").click()
    # THEN the timeline ends resolved with the comment, and no action is offered any more
    resolved = staged.page.locator('#alert-timeline li[data-kind="resolved"]')
    resolved.wait_for(timeout=RENDER_MS)
    assert "refund issued" in resolved.inner_text()
    assert staged.page.locator("#alert-detail form.actions").is_hidden()
    clean(staged)


def test_hostile_event_data_is_shown_as_text_and_runs_nothing(
    staged: ConsolePage, run: LocalRun, tmp_path: Path
) -> None:
    # GIVEN events whose data holds markup and a script: a payment that raises an alert grouped
    # by the hostile merchant, and a free-form event
    merchant = f"{HOSTILE_IMAGE}{uuid.uuid4().hex[:4]}"
    note = {
        "source": "checkout",
        "type": "order.created",
        "id": f"o-{uuid.uuid4().hex[:8]}",
        "occurred_at": now(),
        "data": {"note": HOSTILE_SCRIPT, "html": HOSTILE_IMAGE},
    }
    post_and_wait(run, [payment(merchant), note])
    alert = open_alert_for(run, merchant)
    # WHEN the overview lists the latest events
    sign_in(staged, ADMIN_KEY)
    latest = staged.page.locator("#latest-events")
    latest.locator("table").wait_for(timeout=RENDER_MS)
    # THEN the values are text on the page, and no element was made of them
    assert HOSTILE_SCRIPT in latest.inner_text()
    assert HOSTILE_IMAGE in latest.inner_text()
    assert staged.page.locator("#page img, #page script").count() == 0
    # WHEN the alert grouped by the hostile merchant is opened
    staged.page.goto(f"{staged.origin}{PREFIX}/console#alerts")
    staged.page.locator(f'#alert-list button[data-alert="{alert["id"]}"]').click(timeout=RENDER_MS)
    sample = staged.page.locator("#sample-data")
    sample.wait_for(timeout=RENDER_MS)
    # THEN its group, timeline and sample event show the merchant as text
    assert merchant in sample.inner_text()
    assert merchant in staged.page.locator("#alert-facts").inner_text()
    assert merchant in staged.page.locator("#alert-timeline").inner_text()
    assert staged.page.locator("#page img, #page script").count() == 0
    staged.page.screenshot(path=tmp_path / "console-hostile.png", full_page=True)
    # AND nothing ran: no dialog, no page error, no request for "x"
    clean(staged)


def test_an_ingest_key_sees_its_figures_and_is_offered_no_alert_action(
    staged: ConsolePage, run: LocalRun, tmp_path: Path
) -> None:
    # GIVEN an ingest key for payments, and a payment it may see the figures of
    key = make_key(run, "ingest", "payments")
    post_and_wait(run, [payment(f"ingest-{uuid.uuid4().hex[:6]}", amount=12)])
    # WHEN it signs in
    sign_in(staged, key)
    staged.page.locator('#events-chart g.series[data-source="payments"]').wait_for(
        timeout=RENDER_MS
    )
    # THEN it sees its own source's figures only, and no page or button it may not use
    assert staged.page.locator("#events-chart g.series").count() == 1
    assert staged.page.locator("nav a").all_inner_texts() == ["Overview"]
    assert staged.page.locator("#open-alerts, #latest-events, #importing").count() == 0
    assert "ingest · payments" in staged.page.locator("#who").inner_text()
    # AND asking for the alerts page by its address shows the overview, with no action
    staged.page.goto(f"{staged.origin}{PREFIX}/console#alerts")
    staged.page.locator("#events-chart svg").wait_for(timeout=RENDER_MS)
    assert staged.page.locator("#acknowledge, #resolve, #alert-list").count() == 0
    staged.page.screenshot(path=tmp_path / "console-ingest.png", full_page=True)
    clean(staged)


def test_a_wrong_key_is_refused_saying_so_and_kept_nowhere(staged: ConsolePage) -> None:
    # WHEN a key that does not exist is typed in
    wrong = "tl_0123456789ab_" + "w" * 32
    sign_in(staged, wrong)
    # THEN the page says so, and keeps the key neither in the tab nor in the address
    error = staged.page.locator("#login-error")
    error.filter(has_text="not accepted").wait_for(timeout=RENDER_MS)
    assert staged.page.locator("#page").is_hidden()
    assert staged.page.evaluate("() => sessionStorage.getItem('tripline.key')") is None
    assert wrong not in staged.page.url
    # AND the only console message is the browser's note of the 401 itself
    assert all("401" in message for message in staged.errors), staged.errors
    staged.errors.clear()
    clean(staged)


def test_figures_refresh_while_the_tab_is_visible_and_stop_while_it_is_hidden(
    staged: ConsolePage,
) -> None:
    # GIVEN a signed-in console that has refreshed its figures at least twice
    sign_in(staged, ADMIN_KEY)
    body = staged.page.locator("body")
    body.and_(staged.page.locator("body[data-refreshes='2']")).wait_for(timeout=RENDER_MS)
    # WHEN the tab is hidden (as the browser reports it when another tab is in front)
    staged.page.evaluate(
        """() => {
        Object.defineProperty(document, "hidden", {configurable: true, get: () => true});
        document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )
    hidden_at = body.get_attribute("data-refreshes")
    staged.page.wait_for_timeout(6_000)  # more than one refresh interval
    # THEN nothing was fetched meanwhile
    assert body.get_attribute("data-refreshes") == hidden_at
    # WHEN it is shown again, THEN it refreshes at once
    staged.page.evaluate(
        """() => {
        Object.defineProperty(document, "hidden", {configurable: true, get: () => false});
        document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )
    after = str(int(hidden_at or "0") + 1)
    staged.page.locator(f"body[data-refreshes='{after}']").wait_for(timeout=RENDER_MS)
    clean(staged)
