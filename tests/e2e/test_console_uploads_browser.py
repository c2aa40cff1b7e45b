"""The console's Uploads page in a real browser on ``tripline local``: a CSV file chosen in the page
goes to the bucket itself, through the presigned POST the API grants, with a progress bar; the
page follows the import to its end and offers the rejects report. An ingest key is offered the
form for its own source and the uploads made from its tab, never the list.

The page is staged as in ``test_console_browser`` (under ``/api``, every other host refused),
except the runtime's moto, where the form is posted: that request passes on unmodified, so the
page's policy (``connect-src``) and moto's answer are the real ones. Playwright answers a routed
request's CORS preflight itself, so the bucket's CORS rule is checked against moto directly.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.request import Request, urlopen

import pytest

from chalicelib.topology import BUCKET
from tests.e2e import test_docs_browser
from tests.e2e.console_harness import BucketConsolePage, clean, make_key, sign_in
from tests.e2e.test_docs_browser import RENDER_MS
from tests.e2e.test_local_runtime import ADMIN_KEY, PROCESSING_SECONDS, LocalRun, http

pytestmark = pytest.mark.slow
browser = test_docs_browser.browser  # the module's one Chromium
IMPORT_MS = int(PROCESSING_SECONDS * 3 * 1000)
HEADER = "order_id,ordered_at,store,unit_price\n"


@pytest.fixture
def run(console_run: LocalRun) -> LocalRun:
    return console_run


@pytest.fixture
def staged(browser: Any, run: LocalRun) -> Iterator[BucketConsolePage]:
    page = BucketConsolePage(browser, run)
    yield page
    page.close()


def orders(good: int, bad: int) -> str:
    """Shop orders (rules/sources/shop.yaml): ``bad`` of them with a price that is no number."""
    prefix = uuid.uuid4().hex[:8]
    rows = [f"{prefix}-{n},2026-11-22T08:{n:02d}:00Z,berlin-1,9.50\n" for n in range(good)]
    rows += [f"{prefix}-x{n},2026-11-22T09:{n:02d}:00Z,berlin-1,not-a-price\n" for n in range(bad)]
    return HEADER + "".join(rows)


def choose_file(staged: BucketConsolePage, name: str, text: str) -> None:
    staged.page.locator("#upload-file").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": text.encode()}]
    )


def open_uploads(staged: BucketConsolePage, key: str) -> None:
    sign_in(staged, key)
    staged.page.locator("nav a", has_text="Uploads").click(timeout=RENDER_MS)
    staged.page.locator("#upload-form").wait_for(timeout=RENDER_MS)


def test_an_admin_uploads_a_csv_from_the_browser_and_gets_its_rejects_report(
    staged: BucketConsolePage, run: LocalRun, tmp_path: Path
) -> None:
    # GIVEN a shop export of five orders, two of them with a price that is no number
    name = f"orders-{uuid.uuid4().hex[:6]}.csv"
    # WHEN an admin chooses it on the Uploads page, for a source no file declares
    open_uploads(staged, ADMIN_KEY)
    staged.page.locator("#upload-source").fill("nosuchsource")
    choose_file(staged, name, orders(good=3, bad=2))
    staged.page.locator("#upload-submit").click()
    # THEN the API's refusal is shown as it said it, and nothing was sent to the bucket
    failed = staged.page.locator('#upload-state[data-state="failed"]')
    failed.filter(has_text="no source 'nosuchsource'").wait_for(timeout=RENDER_MS)
    assert staged.to_bucket == []
    staged.errors[:] = [one for one in staged.errors if "404" not in one]  # the browser's note
    # WHEN the source is corrected and the file uploaded again
    staged.page.locator("#upload-source").fill("shop")
    staged.page.locator("#upload-submit").click()
    # THEN the page follows the import to its end, and says two rows were rejected
    state = staged.page.locator('#upload-state[data-state="complete_with_errors"]')
    state.wait_for(timeout=IMPORT_MS)
    assert state.get_attribute("data-rejected") == "2"
    assert "5 rows seen, 3 accepted, 2 rejected" in state.inner_text()
    # AND the progress bar is full: every byte of the file was sent
    progress = staged.page.locator("#upload-progress")
    assert progress.evaluate("bar => [bar.value, bar.max]") == [len(orders(3, 2))] * 2
    # AND the file went from the page to the bucket itself, one form POST
    assert staged.to_bucket == [f"POST {staged.aws_origin}/{BUCKET}"]
    # AND the upload is listed, and shown with a link to its rejected rows
    staged.page.locator("#upload-list button[data-upload]", has_text=name).wait_for(
        timeout=RENDER_MS
    )
    link = staged.page.locator("#upload-detail a#rejects-link")
    link.wait_for(timeout=RENDER_MS)
    assert link.get_attribute("rel") == "noopener noreferrer"
    href = link.get_attribute("href") or ""
    assert href.startswith(f"{staged.aws_origin}/")
    assert "rejected 2" in staged.page.locator("#upload-facts").inner_text()
    staged.page.screenshot(path=tmp_path / "console-uploads.png", full_page=True)
    # AND the link is the report: the two rejected rows, each with its column
    with urlopen(href, timeout=10) as response:
        rejects = list(csv.reader(io.StringIO(response.read().decode())))
    assert [row[4:6] for row in rejects[1:]] == [["5", "unit_price"], ["6", "unit_price"]]
    clean(staged)


def test_an_ingest_key_is_offered_the_form_for_its_source_and_its_tabs_uploads_only(
    staged: BucketConsolePage, run: LocalRun, tmp_path: Path
) -> None:
    # GIVEN an ingest key for the shop
    key = make_key(run, "ingest", "shop")
    # WHEN it opens the Uploads page
    open_uploads(staged, key)
    tab = staged.page.locator("#tab-uploads")
    tab.filter(has_text="No upload from this tab yet").wait_for(timeout=RENDER_MS)
    # THEN it may upload for its own source only, and is shown no list and no filter
    assert staged.page.locator("#upload-source option").all_inner_texts() == ["shop"]
    assert staged.page.locator("#upload-list, #upload-filters, #uploads-next").count() == 0
    # WHEN it uploads a file
    name = f"ingest-{uuid.uuid4().hex[:6]}.csv"
    choose_file(staged, name, orders(good=2, bad=0))
    staged.page.locator("#upload-submit").click()
    # THEN it sees the import complete, and the upload among this tab's
    staged.page.locator('#upload-state[data-state="complete"]').wait_for(timeout=IMPORT_MS)
    tab.locator("button[data-upload]", has_text=name).wait_for(timeout=RENDER_MS)
    kept = staged.page.evaluate("() => JSON.parse(sessionStorage.getItem('tripline.uploads'))")
    assert len(kept) == 1
    # AND the API agrees: the key reads it by id
    status, upload = http("GET", f"{run.api}/uploads/{kept[0]}", key=key)
    assert (status, upload["filename"], upload["status"]) == (200, name, "complete")
    staged.page.screenshot(path=tmp_path / "console-uploads-ingest.png", full_page=True)
    clean(staged)


def test_the_bucket_answers_a_browsers_preflight_for_a_form_post_from_the_console(
    run: LocalRun,
) -> None:
    # WHEN a browser on the console's origin asks the bucket (moto) whether it may POST a form
    preflight = Request(
        f"http://127.0.0.1:{run.aws_port}/{BUCKET}",
        method="OPTIONS",
        headers={"Origin": run.api, "Access-Control-Request-Method": "POST"},
    )
    with urlopen(preflight, timeout=10) as response:
        status, headers = response.status, response.headers
    # THEN the bucket's own CORS rule answers (moto's catch-all would allow every method):
    # that origin may POST, and only POST
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == run.api
    assert headers["Access-Control-Allow-Methods"] == "POST"
    assert headers["Access-Control-Max-Age"] == "3000"
