"""``/console#integrations`` in a real browser on ``tripline local``: each protocol's address is
this API's own (stage prefix and all), its snippet names the key by ``$TRIPLINE_API_KEY`` and
never holds the one signed in with, the page says which protocols the key can send with, and an
operator reads a Segment call that was answered ``{"success": true}`` but could not be stored,
with its error and its (hostile) payload shown as text.

The runtime, the staged page and the steps are the console's shared ones (``console_harness``);
screenshots are written to the test's ``tmp_path``.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import test_docs_browser
from tests.e2e.console_harness import (
    HOSTILE_IMAGE,
    ConsolePage,
    clean,
    make_key,
    sign_in,
    staged_console,
)
from tests.e2e.test_docs_browser import PREFIX, RENDER_MS
from tests.e2e.test_local_runtime import ADMIN_KEY, PROCESSING_SECONDS, LocalRun, http, wait_until

pytestmark = pytest.mark.slow
browser = test_docs_browser.browser  # the module's one Chromium

CARDS = ["Tripline events", "CloudEvents 1.0", "Segment tracking", "PagerDuty Events API v2"]
PATHS = {"events": "/events", "cloudevents": "/events", "segment": "/v1/batch"}
PATHS |= {"pagerduty": "/v2/enqueue"}


@pytest.fixture
def run(console_run: LocalRun) -> LocalRun:
    return console_run


@pytest.fixture
def staged(browser: Any, run: LocalRun) -> Iterator[ConsolePage]:
    yield from staged_console(browser, run)


def open_integrations(staged: ConsolePage, key: str) -> None:
    sign_in(staged, key)
    staged.page.locator("nav a", has_text="Integrations").click()
    staged.page.locator("#integration-pagerduty").wait_for(timeout=RENDER_MS)


def test_an_ingest_key_of_one_source_sees_every_address_and_may_send_with_each(
    staged: ConsolePage, run: LocalRun, tmp_path: Path
) -> None:
    # GIVEN an ingest key of one source
    source = "shop"
    key = make_key(run, "ingest", source)
    # WHEN it opens the Integrations page
    open_integrations(staged, key)
    # THEN every protocol is shown, at this API's own address under its stage prefix
    assert staged.page.locator(".integration h2").all_inner_texts() == CARDS
    for protocol, path in PATHS.items():
        card = staged.page.locator(f"#integration-{protocol}")
        assert card.locator("dd code").inner_text() == f"{staged.origin}{PREFIX}{path}"
        # AND this key can send with each (Segment and PagerDuty: an ingest key of one source)
        assert card.locator(".usable").inner_text() == "can send here"
        # AND the snippet names the key by its variable, never by its text
        snippet = card.locator("pre.snippet").inner_text()
        assert "TRIPLINE_API_KEY" in snippet and key not in snippet
        assert f"{staged.origin}{PREFIX}" in snippet
    assert source in staged.page.locator("#integration-events pre.snippet").inner_text()
    staged.page.screenshot(path=tmp_path / "console-integrations-ingest.png", full_page=True)
    clean(staged)
    # AND PagerDuty's snippet (curl, over this plain-http runtime) works as pasted, with the key
    snippet = staged.page.locator("#integration-pagerduty pre.snippet").inner_text()
    pasted = subprocess.run(
        ["bash", "-c", snippet.replace(f"{staged.origin}{PREFIX}", run.api)],
        env=os.environ | {"TRIPLINE_API_KEY": key},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert pasted.returncode == 0, pasted.stderr
    assert json.loads(pasted.stdout) == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": "checkout-latency",
    }


def test_an_operator_reads_a_segment_call_that_was_answered_success_but_not_stored(
    staged: ConsolePage, run: LocalRun, tmp_path: Path
) -> None:
    from segment.analytics import Client

    # GIVEN a Segment call to the shipped web source (answered {"success": true}) whose timestamp
    # is years ahead, so it can never be stored, with hostile markup in its properties
    source = "web"
    errors: list[str] = []
    analytics = Client(
        write_key=make_key(run, "ingest", source),
        host=f"{run.api}",
        sync_mode=True,
        on_error=lambda error, _items: errors.append(str(error)),
    )
    message_id = f"m-{uuid.uuid4().hex[:8]}"
    analytics.track(
        user_id="u-1",
        event="Checkout Started",
        properties={"note": HOSTILE_IMAGE},
        timestamp=datetime(2099, 1, 1, tzinfo=UTC),
        message_id=message_id,
    )
    assert errors == []

    def recorded() -> bool:
        status, page = http("GET", f"{run.api}/rejections?source={source}", key=ADMIN_KEY)
        return status == 200 and message_id in [one["event_id"] for one in page["items"]]

    wait_until(recorded, PROCESSING_SECONDS, "the rejected call recorded", run)
    # WHEN an operator opens the Integrations page and filters by the source
    open_integrations(staged, make_key(run, "operator"))
    assert staged.page.locator("#integration-segment .unusable").count() == 1
    staged.page.locator("#rejections-source").fill(source)
    staged.page.locator("#rejections-source").dispatch_event("change")
    row = staged.page.locator("#rejections-list tbody tr", has_text=message_id)
    row.first.wait_for(timeout=RENDER_MS)
    # THEN the call is listed once, with what was wrong, and its payload is text
    assert row.count() == 1
    cells = row.first.locator("td").all_inner_texts()
    assert cells[1] == source and cells[2] == message_id
    assert "future" in cells[3]
    assert HOSTILE_IMAGE in cells[4]
    assert staged.page.locator("#rejections-list img").count() == 0
    staged.page.screenshot(path=tmp_path / "console-integrations-rejected.png", full_page=True)
    clean(staged)
