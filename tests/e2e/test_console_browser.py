"""``/console`` in a real browser on ``tripline local``: Debian's Chromium, driven by Playwright,
signs in with a key, sees the overview's chart drawn from events posted a moment before,
acknowledges an alert and sees its timeline change, shows hostile event data as text, and offers
an ingest key nothing it may not do.

One runtime serves every console module (``console_harness``), reached as API Gateway is,
under a stage prefix: ``StagedPage`` passes ``/api/…`` to it without
the prefix and refuses, and records, any other request, so a root-relative link or a third-party
host shows up as a failure. Screenshots of each page are written to the test's ``tmp_path``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import test_docs_browser
from tests.e2e.console_harness import (
    HOSTILE_IMAGE,
    HOSTILE_SCRIPT,
    ConsolePage,
    clean,
    make_key,
    now,
    open_alert_for,
    payment,
    post_and_wait,
    sign_in,
    staged_console,
)
from tests.e2e.test_docs_browser import PREFIX, RENDER_MS
from tests.e2e.test_local_runtime import ADMIN_KEY, LocalRun, http

pytestmark = pytest.mark.slow
browser = test_docs_browser.browser  # the module's one Chromium


@pytest.fixture
def run(console_run: LocalRun) -> LocalRun:
    return console_run


@pytest.fixture
def staged(browser: Any, run: LocalRun) -> Iterator[ConsolePage]:
    yield from staged_console(browser, run)


def test_an_admin_signs_in_and_sees_the_chart_drawn_from_posted_events(
    staged: ConsolePage, run: LocalRun, tmp_path: Path
) -> None:
    # GIVEN three events of a new source, all of one instant a moment ago
    source = f"kiosk{uuid.uuid4().hex[:6]}"
    instant = now()
    items = [
        {"source": source, "type": "visit", "id": f"v-{n}", "occurred_at": instant, "data": {}}
        for n in range(3)
    ]
    post_and_wait(run, items)
    # WHEN the console is opened under the stage prefix, and the key typed in
    staged.page.goto(f"{staged.origin}{PREFIX}/console")
    staged.page.locator("#key").fill(ADMIN_KEY)
    staged.page.screenshot(path=tmp_path / "console-login.png")
    staged.page.locator("#login-form button[type=submit]").click()
    # THEN the overview draws a line for the source, with one point for that minute's three events
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
    assert staged.page.locator("nav a").all_inner_texts() == ["Overview", "Uploads", "Integrations"]
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
