"""The console's Rules and Silences pages in a real browser on ``tripline local``.

An operator key sees the loaded rules with each version's match count as the API gives it,
dry-runs a loaded rule and YAML being written (a mistake shown with its line and column, as the
API says it), creates a weekly silence in a time zone through the form (a hostile comment shown
as text), and ends it after confirming on the page. Keys are offered only the pages their role
reaches. The runtime and the staged page are ``console_harness``'s, shared with the other console
modules; screenshots of each page are written to the test's ``tmp_path``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

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
from tests.e2e.test_local_runtime import LocalRun, http

pytestmark = pytest.mark.slow
browser = test_docs_browser.browser  # the module's one Chromium

BROKEN_YAML = "id: console-broken\nkind: match\nwhen: amount > 5\n  bad: [\n"
MISSPELT_YAML = (
    "id: console-misspelt\nsource: payments\nseverity: low\nkind: match\nwhen: amout > 5000\n"
)


@pytest.fixture
def run(console_run: LocalRun) -> LocalRun:
    return console_run


@pytest.fixture
def staged(browser: Any, run: LocalRun) -> Iterator[ConsolePage]:
    yield from staged_console(browser, run)


def api_problems(run: LocalRun, rule_yaml: str) -> list[dict[str, Any]]:
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    body = json.dumps({"rule": rule_yaml, "since": since}).encode()
    status, answer = http("POST", f"{run.api}/rules/test", body)
    assert status == 400, answer
    details: list[dict[str, Any]] = answer["error"]["details"]
    return details


def dry_run_yaml(staged: ConsolePage, rule_yaml: str) -> None:
    staged.page.locator("#dry-run-form input[name=rule-from][value=inline]").check()
    staged.page.locator("#dry-yaml").fill(rule_yaml)
    staged.page.locator("#dry-run").click()


def test_an_operator_sees_rule_versions_with_their_matches_and_dry_runs_rules(
    staged: ConsolePage, run: LocalRun, tmp_path: Path
) -> None:
    # GIVEN a large payment the sample rule large-payment matched, and an operator key
    merchant = f"rules-{uuid.uuid4().hex[:6]}"
    event = payment(merchant)
    post_and_wait(run, [event])
    open_alert_for(run, merchant)
    key = make_key(run, "operator")
    _, rules = http("GET", f"{run.api}/rules")
    rule = next(one for one in rules["items"] if one["id"] == "large-payment")
    count = rule["matches"]["by_version"][rule["version"]]
    assert count >= 1
    # WHEN the operator opens the Rules page
    sign_in(staged, key)
    staged.page.locator("nav a", has_text="Rules").click()
    row = staged.page.locator('#rule-list tr[data-rule="large-payment"]')
    row.wait_for(timeout=RENDER_MS)
    # THEN every loaded rule is listed, and the loaded version with the API's match count
    assert staged.page.locator("#rule-list tbody tr").count() == len(rules["items"])
    version = row.locator(f'li[data-version="{rule["version"]}"]')
    version.locator(".count").filter(has_text=f"{count:,}").wait_for(timeout=RENDER_MS)
    assert "(loaded)" in version.inner_text()
    assert rule["description"] in row.inner_text()
    assert rule["condition"] in row.inner_text()
    staged.page.screenshot(path=tmp_path / "console-rules.png", full_page=True)
    # WHEN the loaded rule is dry-run over the last hour's stored events
    staged.page.locator("#dry-rule").select_option("large-payment")
    staged.page.locator("#dry-range").select_option("1")
    staged.page.locator("#dry-run").click()
    # THEN the verdict shows the payment among what it would have matched, and its alert
    matches = staged.page.locator("#dry-matches")
    matches.filter(has_text=merchant).wait_for(timeout=RENDER_MS)
    assert f"payments/{event['id']}" in matches.inner_text()
    assert merchant in staged.page.locator("#dry-alerts").inner_text()
    assert int(staged.page.locator('#dry-summary [data-figure="alerts"]').inner_text()) >= 1
    # WHEN it is dry-run over events listed in the form instead, one of them a large payment
    listed = [payment(merchant), payment(merchant, amount=12)]
    staged.page.locator("#dry-run-form input[name=events-from][value=listed]").check()
    staged.page.locator("#dry-events").fill(json.dumps(listed))
    staged.page.locator("#dry-run").click()
    # THEN only the large one would have matched
    staged.page.locator("#dry-summary", has_text="the listed events").wait_for(timeout=RENDER_MS)
    assert staged.page.locator('#dry-summary [data-figure="matched"]').inner_text() == "1"
    assert f"payments/{listed[0]['id']}" in staged.page.locator("#dry-matches").inner_text()
    staged.page.locator("#dry-run-form input[name=events-from][value=stored]").check()
    # WHEN YAML being written is dry-run: first well-formed, matching that one merchant
    dry_run_yaml(
        staged,
        "id: console-try\nsource: payments\nseverity: low\nkind: match\n"
        f'when: merchant == "{merchant}"\n',
    )
    # THEN it would have matched exactly that payment
    staged.page.locator("#dry-summary", has_text="console-try").wait_for(timeout=RENDER_MS)
    assert staged.page.locator('#dry-summary [data-figure="matched"]').inner_text() == "1"
    assert f"payments/{event['id']}" in staged.page.locator("#dry-matches").inner_text()
    staged.page.screenshot(path=tmp_path / "console-dry-run.png", full_page=True)
    # WHEN the YAML has a syntax error
    dry_run_yaml(staged, BROKEN_YAML)
    # THEN the API's problem is shown with its line and column, and no verdict
    [problem] = api_problems(run, BROKEN_YAML)
    errors = staged.page.locator("#dry-errors")
    shown = errors.locator("li").filter(has_text=problem["message"])
    shown.wait_for(timeout=RENDER_MS)
    assert f"line {problem['line']}, column {problem['column']}" in shown.inner_text()
    assert problem["line"] == 4
    assert staged.page.locator("#dry-result").inner_text() == ""
    staged.page.screenshot(path=tmp_path / "console-dry-run-error.png", full_page=True)
    # WHEN a field is misspelt, THEN the field, its place and the suggestion are shown
    [misspelt] = api_problems(run, MISSPELT_YAML)
    dry_run_yaml(staged, MISSPELT_YAML)
    line = errors.locator(f'li[data-field="{misspelt["field"]}"]')
    line.filter(has_text="did you mean 'amount'").wait_for(timeout=RENDER_MS)
    assert f"line {misspelt['line']}, column {misspelt['column']}" in line.inner_text()
    forget_refusals(staged)
    clean(staged)


def forget_refusals(staged: ConsolePage) -> None:
    """The only console messages are the browser's notes of the API's 400s the test asked for."""
    assert staged.errors and all("status of 400" in one for one in staged.errors), staged.errors
    staged.errors.clear()


def last_day_ends_at(last_day: date, zone: str) -> str:
    """The UTC end of a silence whose last day is ``last_day`` in ``zone``: the next midnight."""
    midnight = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), ZoneInfo(zone))
    return midnight.astimezone(UTC).isoformat().replace("+00:00", "Z")


def test_an_operator_creates_a_weekly_silence_in_a_time_zone_and_ends_it(
    staged: ConsolePage, run: LocalRun, tmp_path: Path
) -> None:
    # GIVEN an operator on the Silences page
    merchant = f"quiet-{uuid.uuid4().hex[:6]}"
    comment = f"{HOSTILE_IMAGE} maintenance {merchant}"
    last_day = date.today() + timedelta(days=30)
    sign_in(staged, make_key(run, "operator"))
    staged.page.locator("nav a", has_text="Silences").click()
    staged.page.locator("#silence-form").wait_for(timeout=RENDER_MS)
    staged.page.locator('#silence-rule option[value="large-payment"]').wait_for(
        state="attached", timeout=RENDER_MS
    )
    # THEN the time zone offered is the browser's own
    browser_zone = staged.page.evaluate("() => Intl.DateTimeFormat().resolvedOptions().timeZone")
    assert staged.page.locator("#silence-zone").input_value() == browser_zone
    # WHEN a weekly silence is typed in with a misspelt time zone
    staged.page.locator("#silence-rule").select_option("large-payment")
    staged.page.locator("#silence-group").fill(f"merchant={merchant}")
    staged.page.locator("#silence-zone").fill("America/New_Yrok")
    staged.page.locator("input[name=silence-kind][value=weekly]").check()
    staged.page.locator("#day-sat").check()
    staged.page.locator("#day-sun").check()
    staged.page.locator("#silence-from").fill("22:00")
    staged.page.locator("#silence-to").fill("06:00")
    staged.page.locator("#silence-last-day").fill(last_day.isoformat())
    staged.page.locator("#silence-comment").fill(comment)
    staged.page.locator("#create-silence").click()
    # THEN the API's problem is shown beside the form, naming the field, which is marked
    problem = staged.page.locator('#silence-errors li[data-field="timezone"]')
    problem.filter(has_text="did you mean 'America/New_York'").wait_for(timeout=RENDER_MS)
    assert staged.page.locator("#silence-zone").get_attribute("aria-invalid") == "true"
    # AND what was typed survives the page's refresh
    refreshes = int(staged.page.locator("body").get_attribute("data-refreshes") or "0")
    staged.page.locator(f"body[data-refreshes='{refreshes + 1}']").wait_for(timeout=RENDER_MS)
    assert staged.page.locator("#silence-comment").input_value() == comment
    assert staged.page.locator("#day-sun").is_checked()
    # WHEN the zone is corrected and the form sent again
    staged.page.locator("#silence-zone").fill("America/New_York")
    staged.page.locator("#create-silence").click()
    # THEN the silence is listed with its zone, its weekly windows and the comment as text
    row = staged.page.locator("#silence-list tbody tr").filter(has_text=merchant)
    row.wait_for(timeout=RENDER_MS)
    assert staged.page.locator("#silence-errors").inner_text() == ""
    assert row.locator(".zone").inner_text() == "America/New_York"
    assert row.locator(".recurrence").inner_text() == "weekly, sat, sun, 22:00 to 06:00"
    assert row.locator("q.comment").inner_text() == comment
    assert "operator-console" in row.inner_text()
    assert staged.page.locator("#page img, #page script").count() == 0
    staged.page.screenshot(path=tmp_path / "console-silences.png", full_page=True)
    # AND the API agrees
    _, listed = http("GET", f"{run.api}/silences")
    [silence] = [one for one in listed["items"] if one["comment"] == comment]
    assert silence["matchers"] == {"rule": ["large-payment"], "group": {"merchant": [merchant]}}
    assert silence["timezone"] == "America/New_York"
    assert silence["recurrence"] == {
        "weekly": {"days": ["sat", "sun"], "from": "22:00", "to": "06:00"}
    }
    assert silence["ends_at"] == last_day_ends_at(last_day, "America/New_York")
    assert silence["author"] == "operator-console"
    assert row.get_attribute("data-silence") == silence["id"]
    # WHEN it is ended, which the page asks to confirm first
    row.locator("button.end").click()
    row.locator(".confirm", has_text="End it now?").wait_for(timeout=RENDER_MS)
    staged.page.screenshot(path=tmp_path / "console-silence-confirm.png", full_page=True)
    row.locator("button.confirm-end").click()
    # THEN it leaves the list of live silences, and the API says it ended
    row.wait_for(state="detached", timeout=RENDER_MS)
    staged.page.locator("#silence-notice", has_text="Silence ended.").wait_for(timeout=RENDER_MS)
    _, live = http("GET", f"{run.api}/silences")
    assert silence["id"] not in [one["id"] for one in live["items"]]
    _, ended = http("GET", f"{run.api}/silences/{silence['id']}")
    assert ended["state"] == "expired" and ended["expired_at"] is not None
    # AND the whole history still shows it, with no End button
    staged.page.locator("#silence-state").select_option("all")
    history = staged.page.locator(f'#silence-list tr[data-silence="{silence["id"]}"]')
    history.locator(".state.expired").wait_for(timeout=RENDER_MS)
    assert history.locator("button.end").count() == 0
    assert history.locator("q.comment").inner_text() == comment
    forget_refusals(staged)
    clean(staged)


def test_a_one_off_silence_is_read_in_its_time_zone_and_its_mistakes_name_the_field(
    staged: ConsolePage, run: LocalRun
) -> None:
    # GIVEN an operator on the Silences page, and a window tomorrow, Berlin time
    merchant = f"once-{uuid.uuid4().hex[:6]}"
    tomorrow = date.today() + timedelta(days=1)
    sign_in(staged, make_key(run, "operator"))
    staged.page.locator("nav a", has_text="Silences").click()
    staged.page.locator("#silence-form").wait_for(timeout=RENDER_MS)
    # WHEN a one-off silence is typed in that ends before it starts
    staged.page.locator("#silence-group").fill(f"merchant={merchant}")
    staged.page.locator("#silence-zone").fill("Europe/Berlin")
    staged.page.locator("#silence-starts").fill(f"{tomorrow}T10:00")
    staged.page.locator("#silence-ends").fill(f"{tomorrow}T08:00")
    staged.page.locator("#silence-comment").fill(f"card terminal swap at {merchant}")
    staged.page.locator("#create-silence").click()
    # THEN the API's problem names the end, which is marked
    problem = staged.page.locator('#silence-errors li[data-field="ends_at"]')
    problem.filter(has_text="must be after starts_at").wait_for(timeout=RENDER_MS)
    assert staged.page.locator("#silence-ends").get_attribute("aria-invalid") == "true"
    assert staged.page.locator("#silence-starts").get_attribute("aria-invalid") is None
    # WHEN the end is corrected
    staged.page.locator("#silence-ends").fill(f"{tomorrow}T12:00")
    staged.page.locator("#create-silence").click()
    # THEN it is listed as pending, one window, its times read in Berlin
    row = staged.page.locator("#silence-list tbody tr").filter(has_text=merchant)
    row.wait_for(timeout=RENDER_MS)
    assert row.locator(".state").inner_text() == "pending"
    assert row.locator(".recurrence").inner_text() == "no (one window)"
    assert f"{tomorrow} 10:00" in row.inner_text() and f"{tomorrow} 12:00" in row.inner_text()
    _, listed = http("GET", f"{run.api}/silences")
    [silence] = [
        one for one in listed["items"] if one["matchers"].get("group") == {"merchant": [merchant]}
    ]
    berlin = ZoneInfo("Europe/Berlin")
    for name, hour in (("starts_at", 10), ("ends_at", 12)):
        wall = datetime.combine(tomorrow, datetime.min.time(), berlin).replace(hour=hour)
        assert silence[name] == wall.astimezone(UTC).isoformat().replace("+00:00", "Z")
    assert silence["recurrence"] is None
    # WHEN End is pressed and then Keep, THEN nothing is ended
    row.locator("button.end").click()
    row.locator("button.keep").click()
    row.locator("button.end").wait_for(timeout=RENDER_MS)
    _, kept = http("GET", f"{run.api}/silences/{silence['id']}")
    assert kept["expired_at"] is None
    forget_refusals(staged)
    clean(staged)


def test_each_key_is_offered_only_the_pages_its_role_reaches(
    staged: ConsolePage, run: LocalRun, tmp_path: Path
) -> None:
    # GIVEN an ingest key signed in
    sign_in(staged, make_key(run, "ingest", "payments"))
    nav = staged.page.locator("nav a")
    nav.first.wait_for(timeout=RENDER_MS)
    # THEN it is offered neither the Rules nor the Silences page
    assert not {"Rules", "Silences", "Audit"} & set(nav.all_inner_texts())
    # AND asking for either by its address shows neither
    for page in ("rules", "silences"):
        staged.page.goto(f"{staged.origin}{PREFIX}/console#{page}")
        staged.page.locator("body[data-page='overview']").wait_for(timeout=RENDER_MS)
        assert staged.page.locator("#rule-list, #dry-run-form, #silence-list").count() == 0
    staged.page.screenshot(path=tmp_path / "console-ingest-pages.png", full_page=True)
    # WHEN an operator signs in instead
    staged.page.locator("#sign-out").click()
    sign_in(staged, make_key(run, "operator"))
    nav.filter(has_text="Silences").wait_for(timeout=RENDER_MS)
    # THEN Rules and Silences are offered, with their forms, and Audit is not
    titles = nav.all_inner_texts()
    assert "Rules" in titles and "Silences" in titles and "Audit" not in titles
    nav.filter(has_text="Rules").click()
    staged.page.locator("#dry-run-form").wait_for(timeout=RENDER_MS)
    nav.filter(has_text="Silences").click()
    staged.page.locator("#silence-form").wait_for(timeout=RENDER_MS)
    clean(staged)
