"""``/console`` by role, in a real browser on ``tripline local``: each role is offered exactly the
pages its key reaches through the API, a forbidden page opened by its address shows none of its
controls, an admin reads the audit log (an action done a moment before, its actor, and a hostile
comment shown as text), and the alert list and the audit log page forward and back by the
API's cursor.

The runtime, the staged page and the steps are the console's shared ones (``console_harness``);
screenshots of each page are written to the test's ``tmp_path``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import test_docs_browser
from tests.e2e.console_harness import (
    HOSTILE_IMAGE,
    ConsolePage,
    clean,
    make_key,
    open_alert_for,
    payment,
    post_and_wait,
    sign_in,
    staged_console,
)
from tests.e2e.test_docs_browser import PREFIX, RENDER_MS
from tests.e2e.test_local_runtime import ADMIN_KEY, PROCESSING_SECONDS, LocalRun, http, wait_until

pytestmark = pytest.mark.slow
browser = test_docs_browser.browser  # the module's one Chromium

OPERATOR_PAGES = ["Overview", "Alerts", "Uploads", "Rules", "Silences", "Integrations"]
PAGES_BY_ROLE = {
    "ingest": ["Overview", "Uploads", "Integrations"],
    "operator": OPERATOR_PAGES,
    "admin": [*OPERATOR_PAGES, "Audit"],
}
# the route each page reads its list from, as the API answers it (Uploads: ingest keys may post
# uploads without listing them, so its page is offered either way)
READ_ROUTES = {"Alerts": "alerts", "Rules": "rules", "Silences": "silences", "Audit": "audit"}
# what a forbidden page would draw if it were drawn at all
CONTROLS = {
    "alerts": "#alert-filters, #alert-list, #alerts-next, #acknowledge, #resolve",
    "audit": "#audit-filters, #audit-list, #audit-next, #audit-previous",
}


@pytest.fixture
def run(console_run: LocalRun) -> LocalRun:
    return console_run


@pytest.fixture
def staged(browser: Any, run: LocalRun) -> Iterator[ConsolePage]:
    yield from staged_console(browser, run)


def key_for(run: LocalRun, role: str) -> str:
    if role == "admin":
        return ADMIN_KEY
    return make_key(run, role, "payments" if role == "ingest" else None)


def sign_in_at(staged: ConsolePage, key: str, page: str) -> None:
    """Sign in on the console opened at ``#page``, as a bookmark or a pasted address opens it."""
    staged.page.goto(f"{staged.origin}{PREFIX}/console#{page}")
    staged.page.locator("#key").fill(key)
    staged.page.locator("#login-form button[type=submit]").click()


def shown_alert_ids(staged: ConsolePage) -> list[int]:
    buttons = staged.page.locator("#alert-list button[data-alert]")
    return [int(one.get_attribute("data-alert") or "0") for one in buttons.all()]


def shown_targets(staged: ConsolePage) -> list[str]:
    return staged.page.locator("#audit-list tbody td:nth-child(4)").all_inner_texts()


@pytest.mark.parametrize("role", ["ingest", "operator", "admin"])
def test_each_role_is_offered_exactly_the_pages_its_key_reaches(
    staged: ConsolePage, run: LocalRun, tmp_path: Path, role: str
) -> None:
    # GIVEN a key of the role
    key = key_for(run, role)
    # WHEN it signs in
    sign_in(staged, key)
    staged.page.locator("nav a").first.wait_for(timeout=RENDER_MS)
    # THEN the pages offered are exactly the role's
    offered = staged.page.locator("nav a").all_inner_texts()
    assert offered == PAGES_BY_ROLE[role]
    # AND exactly those whose list the API lets the key read
    for title, route in READ_ROUTES.items():
        status, _ = http("GET", f"{run.api}/{route}", key=key)
        assert (status == 200) == (title in offered), (title, status)
        assert status in (200, 403), (title, status)
    staged.page.screenshot(path=tmp_path / f"console-{role}.png", full_page=True)
    clean(staged)


@pytest.mark.parametrize(("role", "forbidden"), [("ingest", "alerts"), ("operator", "audit")])
def test_a_forbidden_page_opened_by_its_address_shows_none_of_its_controls(
    staged: ConsolePage, run: LocalRun, tmp_path: Path, role: str, forbidden: str
) -> None:
    # GIVEN a key whose role does not reach the page
    key = key_for(run, role)
    # WHEN the console is opened at the page's address, and the key typed in
    sign_in_at(staged, key, forbidden)
    # THEN the overview is shown instead, and nothing of the forbidden page
    staged.page.locator("body[data-page='overview'] #events-chart svg").wait_for(timeout=RENDER_MS)
    staged.page.locator("body[data-refreshes]").wait_for(timeout=RENDER_MS)
    assert staged.page.locator(CONTROLS[forbidden]).count() == 0
    assert staged.page.locator("nav a[aria-current='page']").inner_text() == "Overview"
    assert forbidden.capitalize() not in staged.page.locator("nav a").all_inner_texts()
    staged.page.screenshot(path=tmp_path / f"console-{role}-at-{forbidden}.png", full_page=True)
    clean(staged)


def test_the_audit_page_opened_by_its_address_shows_it_to_an_admin(
    staged: ConsolePage,
) -> None:
    # WHEN an admin signs in on the audit page's address
    sign_in_at(staged, ADMIN_KEY, "audit")
    # THEN it is the page shown, with its filters
    staged.page.locator("body[data-page='audit'] #audit-filters").wait_for(timeout=RENDER_MS)
    assert staged.page.locator("nav a[aria-current='page']").inner_text() == "Audit"
    clean(staged)


def test_the_audit_page_lists_an_acknowledgement_with_its_actor_and_comment_as_text(
    staged: ConsolePage, run: LocalRun, tmp_path: Path
) -> None:
    # GIVEN an alert acknowledged through the API by the admin key, with a comment holding markup
    merchant = f"audit-{uuid.uuid4().hex[:6]}"
    post_and_wait(run, [payment(merchant)])
    alert = open_alert_for(run, merchant)
    comment = f"{HOSTILE_IMAGE} called the shop {uuid.uuid4().hex[:4]}"
    body = json.dumps({"comment": comment}).encode()
    status, answer = http("POST", f"{run.api}/alerts/{alert['id']}/ack", body)
    assert status == 200, answer
    _, audit = http("GET", f"{run.api}/audit?action=alert.acknowledged&limit=10")
    entry = audit["items"][0]
    assert entry["target"] == f"alert {alert['id']}"
    # WHEN an admin opens the audit page
    sign_in(staged, ADMIN_KEY)
    staged.page.locator("nav a", has_text="Audit").click()
    rows = staged.page.locator("#audit-list tbody tr")
    target = re.compile(rf"^alert {alert['id']}$")
    row = rows.filter(has=staged.page.locator("td", has_text=target))
    row.wait_for(timeout=RENDER_MS)
    # THEN the acknowledgement is the newest entry, with its actor, action and comment as text
    assert rows.first.inner_text() == row.inner_text()
    cells = row.locator("td")
    assert entry["actor"] in cells.nth(1).inner_text()
    assert "local-admin" in cells.nth(1).inner_text()
    assert cells.nth(2).inner_text() == "alert.acknowledged"
    assert cells.nth(4).locator("dd").first.inner_text() == comment
    assert cells.nth(5).inner_text() == (entry["origin"] or "—")
    assert staged.page.locator("#page img, #page script").count() == 0
    staged.page.screenshot(path=tmp_path / "console-audit.png", full_page=True)
    # WHEN the list is narrowed to the actor's key
    row.locator("button[data-key]").click()
    key_id = entry["actor"].rsplit("(", 1)[1].rstrip(")")
    staged.page.locator("#audit-list button[data-key]").first.wait_for(
        state="detached", timeout=RENDER_MS
    )
    # THEN the key filter holds its id, and only its actions are listed, the newest still first
    assert staged.page.locator("#audit-key").input_value() == key_id
    actors = rows.locator("td:nth-child(2) .name").all_inner_texts()
    assert actors and all(one.endswith(f"({key_id})") for one in actors)
    assert rows.first.inner_text() == row.inner_text()
    # WHEN it is narrowed to a time before any action
    staged.page.locator("#audit-until").fill("2000-01-01T00:00")
    # THEN nothing is listed, and the page says so
    staged.page.locator("#audit-list p", has_text="No action matches").wait_for(timeout=RENDER_MS)
    # WHEN the window starts after it ends, THEN the page says what is wrong with the filters
    staged.page.locator("#audit-since").fill("2001-01-01T00:00")
    problem = staged.page.locator("#audit-problem")
    problem.filter(has_text="From: must be before Until").wait_for(timeout=RENDER_MS)
    # AND clearing the filters lists the acknowledgement again, the problem gone
    staged.page.locator("#audit-clear").click()
    row.wait_for(timeout=RENDER_MS)
    assert staged.page.locator("#audit-key").input_value() == ""
    assert problem.inner_text() == ""
    clean(staged)


def test_the_alert_list_pages_forward_and_back_by_the_api_cursor(
    staged: ConsolePage, run: LocalRun, tmp_path: Path
) -> None:
    # GIVEN more large-payment alerts than a page of ten holds (one per merchant)
    merchants = [f"page-{uuid.uuid4().hex[:6]}-{n}" for n in range(12)]
    post_and_wait(run, [payment(merchant) for merchant in merchants])

    def all_alerted() -> bool:
        _, listed = http("GET", f"{run.api}/alerts?rule=large-payment&limit=100")
        grouped = {one["group"].get("merchant") for one in listed["items"]}
        return set(merchants) <= grouped

    wait_until(all_alerted, PROCESSING_SECONDS, "alerted for every merchant", run)
    _, first = http("GET", f"{run.api}/alerts?rule=large-payment&limit=10")
    cursor = first["next_cursor"]
    _, second = http("GET", f"{run.api}/alerts?rule=large-payment&limit=10&cursor={cursor}")
    first_ids = [one["id"] for one in first["items"]]
    second_ids = [one["id"] for one in second["items"]]
    # WHEN the alert list shows that rule's alerts, of any status, ten to a page
    sign_in(staged, ADMIN_KEY)
    staged.page.locator("nav a", has_text="Alerts").click()
    filters = staged.page.locator("#alert-filters")
    filters.locator("select[name=status]").select_option(value="")
    filters.locator("select[name=rule]").select_option("large-payment", timeout=RENDER_MS)
    filters.locator("select[name=limit]").select_option("10")
    where = staged.page.locator("#alerts-page")
    rows = staged.page.locator("#alert-list tbody tr")
    where.filter(has_text=re.compile(r"^Page 1$")).wait_for(timeout=RENDER_MS)
    rows.nth(10).wait_for(state="detached", timeout=RENDER_MS)
    # THEN the first page is the API's first page
    assert shown_alert_ids(staged) == first_ids
    assert staged.page.locator("#alerts-previous").is_disabled()
    # WHEN the next page is asked for
    staged.page.locator("#alerts-next").click()
    # THEN the second page is the API's second page
    where.filter(has_text=re.compile(r"^Page 2")).wait_for(timeout=RENDER_MS)
    assert shown_alert_ids(staged) == second_ids
    assert staged.page.locator("#alerts-previous").is_enabled()
    # AND a refresh re-reads the second page, not the first
    refreshed = int(staged.page.locator("body").get_attribute("data-refreshes") or "0") + 1
    staged.page.locator(f"body[data-refreshes='{refreshed}']").wait_for(timeout=RENDER_MS)
    assert where.inner_text().startswith("Page 2")
    assert shown_alert_ids(staged) == second_ids
    staged.page.screenshot(path=tmp_path / "console-alerts-page-2.png", full_page=True)
    # WHEN the previous page is asked for, THEN the first page is back
    staged.page.locator("#alerts-previous").click()
    where.filter(has_text=re.compile(r"^Page 1$")).wait_for(timeout=RENDER_MS)
    assert shown_alert_ids(staged) == first_ids
    # AND changing a filter goes back to the first page of the new list
    staged.page.locator("#alerts-next").click()
    where.filter(has_text=re.compile(r"^Page 2")).wait_for(timeout=RENDER_MS)
    filters.locator("select[name=limit]").select_option("25")
    rows.nth(10).wait_for(timeout=RENDER_MS)
    assert shown_alert_ids(staged)[:10] == first_ids
    clean(staged)


def test_the_audit_log_pages_older_and_newer_by_the_api_cursor(
    staged: ConsolePage, run: LocalRun, tmp_path: Path
) -> None:
    # GIVEN more acknowledgements than a page of ten holds
    merchants = [f"older-{uuid.uuid4().hex[:6]}-{n}" for n in range(11)]
    post_and_wait(run, [payment(merchant) for merchant in merchants])
    for merchant in merchants:
        alert = open_alert_for(run, merchant)
        body = json.dumps({"comment": f"seen {merchant}"}).encode()
        assert http("POST", f"{run.api}/alerts/{alert['id']}/ack", body)[0] == 200
    query = f"{run.api}/audit?action=alert.acknowledged&limit=10"
    _, newest = http("GET", query)
    _, older = http("GET", f"{query}&cursor={newest['next_cursor']}")
    # WHEN the audit page lists acknowledgements, ten to a page
    sign_in_at(staged, ADMIN_KEY, "audit")
    staged.page.locator("#audit-action").fill("alert.acknowledged")
    staged.page.locator("#audit-action").press("Tab")
    staged.page.locator("#audit-limit").select_option("10")
    where = staged.page.locator("#audit-page")
    where.filter(has_text=re.compile(r"^Page 1$")).wait_for(timeout=RENDER_MS)
    staged.page.locator("#audit-list tbody tr").nth(10).wait_for(
        state="detached", timeout=RENDER_MS
    )
    # THEN the newest ten are the API's first page
    assert shown_targets(staged) == [one["target"] for one in newest["items"]]
    # WHEN older ones are asked for, THEN the API's next page is shown
    staged.page.locator("#audit-next").click()
    where.filter(has_text=re.compile(r"^Page 2")).wait_for(timeout=RENDER_MS)
    assert shown_targets(staged) == [one["target"] for one in older["items"]]
    staged.page.screenshot(path=tmp_path / "console-audit-older.png", full_page=True)
    # WHEN newer ones are asked for again, THEN the first page is back
    staged.page.locator("#audit-previous").click()
    where.filter(has_text=re.compile(r"^Page 1$")).wait_for(timeout=RENDER_MS)
    assert shown_targets(staged) == [one["target"] for one in newest["items"]]
    clean(staged)
