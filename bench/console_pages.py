"""How long each console page takes to load on ``tripline local`` with 100,000 events stored.

Run from the repository root: ``.venv/bin/python -m bench.console_pages --help``.

Two runtimes in one run, each on a fresh SQLite file migrated to head, as ``make run`` keeps its
data: one holding nothing (the reference), one filled with ``--events`` events spread over the
last 20 hours (inside the overview's 24 hours, which start on the hour; its 3-hour chart draws
the newest of them) and what operators accumulate beside them: one rejected row per 10 events, one rule match of a loaded
rule per 5, one alert per 50 (a third open, a third acknowledged, each with its timeline), one
upload per 1,000, one audit entry per 100, and five silences. Tables are filled with one
``INSERT … SELECT`` over a recursive CTE each (never row by row) once the runtime has started
(the rule matches name the rules and versions its ``GET /rules`` lists); the silences are made
through the API.

Debian's Chromium, driven by Playwright, signs in once with the admin key (the role that sees
every page); then each page is opened ``--repeats`` times by its address, a full navigation,
and timed in the page's own clock from the start of its navigation until its first refresh is
done (``body[data-refreshes]``, seen by a mutation observer the bench adds: the HTML, the
modules, ``GET /me``, every API call the page makes and drawing what they answered). The figure is the worst
and the median load per page, and its ratio to the same page on the empty database.

Checked on every run (exit 1 otherwise): the overview's "Events stored" card shows the number of
events the database holds, every page loaded with no console error, and (as the target, issue
18) every page's worst load is under ``--budget-ms`` (1,000) on the filled database.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request, urlopen

from sqlalchemy import Engine

from bench.csv_pipeline import LocalRuntime, local_runtime
from bench.databases import BenchmarkError
from chalicelib.adapters.db import migrations
from chalicelib.adapters.db.engine import make_engine
from tests.e2e.test_docs_browser import CHROMIUM, CHROMIUM_ARGS

SPREAD_HOURS = 20
PAGES = ("overview", "alerts", "uploads", "rules", "silences", "audit")
SOURCES = ("payments", "shop", "sensors", "logins", "stores")  # the sample sources
# rows of SOURCES in the proportions 6:4:3:1:1, as a busy payments feed beside quiet stores
SHARES = tuple(
    name for name, share in zip(SOURCES, (6, 4, 3, 1, 1), strict=True) for _ in range(share)
)

# {seq}: n = 0 … rows - 1; {at}: the start plus n * spacing seconds; {source}: one of SHARES
# drawn at random for each row (as traffic comes: a source's minutes are not all alike)
SEQ = "WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < {last}) "
FILLS = {
    "events": (
        1,
        "INSERT INTO events (source, event_id, type, occurred_at, received_at, processed_at, data)"
        " {seq}SELECT {source}, 'e' || n, 'type-' || (n % 20), {at}, {at}, {at},"
        ' \'{{"amount": \' || (n % 9000) || \', "currency": "EUR", "card": "c-\' || (n % 977)'
        " || '\"}}' FROM seq",
    ),
    "rejected_items": (
        10,
        "INSERT INTO rejected_items (item_key, source, reason, errors, payload, received_at,"
        " rejected_at, upload_id, line) {seq}SELECT 'k' || n, {source}, 'invalid',"
        ' \'[{{"field": "amount", "message": "not a number"}}]\', \'{{}}\', {at}, {at},'
        " 'u' || (n % 100), n FROM seq",
    ),
    "rule_matches": (
        5,
        "INSERT INTO rule_matches (rule_id, rule_version, kind, match_key, fingerprint,"
        " group_values, source, occurred_at, matched_at) {seq}SELECT {rule}, {version}, 'event',"
        " 'm' || n, 'f' || (n % 40), '[[\"card\", \"c-' || (n % 40) || '\"]]', {source},"
        " {at}, {at} FROM seq",
    ),
    "alerts": (
        50,
        "INSERT INTO alerts (fingerprint, active_key, rule_id, rule_version, kind, severity,"
        " source, group_values, labels, status, flapping, count, first_seen_at, last_seen_at,"
        " last_matched_at, opened_at, acknowledged_at, acknowledged_by, resolved_at, resolution,"
        " repeats, reminders, owed, updated_at) {seq}SELECT 'f' || n,"
        " CASE WHEN n % 3 < 2 THEN 'f' || n END, {rule}, {version}, 'event',"
        " CASE n % 4 WHEN 0 THEN 'critical' WHEN 1 THEN 'high' WHEN 2 THEN 'medium' ELSE 'low' END,"
        " {source}, '[[\"merchant\", \"m-' || n || '\"]]', '{{}}',"
        " CASE n % 3 WHEN 0 THEN 'open' WHEN 1 THEN 'acknowledged' ELSE 'resolved' END, 0, 3,"
        " {at}, {at}, {at}, {at}, CASE WHEN n % 3 > 0 THEN {at} END,"
        " CASE WHEN n % 3 > 0 THEN 'bench (tl_bench)' END, CASE WHEN n % 3 = 2 THEN {at} END,"
        " CASE WHEN n % 3 = 2 THEN 'resolved by hand' END, 0, 0, 0, {at} FROM seq",
    ),
    "alert_timeline": (
        50,
        "INSERT INTO alert_timeline (alert_id, at, kind, detail) {seq}SELECT n + 1, {at},"
        " 'opened', 'opened by a match' FROM seq",
    ),
    "uploads": (
        1000,
        "INSERT INTO uploads (id, source, filename, object_key, origin, status, rows_seen,"
        " rows_stored, rows_duplicate, rows_rejected, created_at, landed_at, completed_at)"
        " {seq}SELECT 'u' || n, {source}, 'orders-' || n || '.csv', 'incoming/x/' || n || '.csv',"
        " 'direct', 'complete', 1000, 990, 0, 10, {at}, {at}, {at} FROM seq",
    ),
    "audit_log": (
        100,
        "INSERT INTO audit_log (at, actor, role, action, target, detail, origin) {seq}SELECT {at},"
        " 'bench (tl_bench)', 'operator', 'alert.acknowledged', 'alert ' || n,"
        " '{{\"comment\": \"looked at it\"}}', '127.0.0.1' FROM seq",
    ),
}


def fill(
    engine: Engine, events: int, now: datetime, rules: Sequence[tuple[str, str]]
) -> dict[str, int]:
    """Every table of :data:`FILLS` in one statement each, spread over the 20 hours before
    ``now``, matches and alerts shared among ``rules`` (id, version); the rows each holds."""
    start = now - timedelta(hours=SPREAD_HOURS)
    counts = {}
    with engine.begin() as conn:
        for table, (share, template) in FILLS.items():
            rows = max(1, events // share)
            spacing = (SPREAD_HOURS * 3600 - 60) / rows  # the newest is a minute or so old
            at = (
                f"strftime('%Y-%m-%d %H:%M:%f', '{start:%Y-%m-%d %H:%M:%S}',"
                f" '+' || (n * {spacing}) || ' seconds')"
            )
            sql = template.format(
                seq=SEQ.format(last=rows - 1),
                at=at,
                source=_case(f"abs(random()) % {len(SHARES)}", SHARES),
                rule=_case(f"n % {len(rules)}", [rule for rule, _ in rules]),
                version=_case(f"n % {len(rules)}", [version for _, version in rules]),
            )
            conn.exec_driver_sql(sql)
            counts[table] = rows
        conn.exec_driver_sql("ANALYZE")
    return counts


def _case(expression: str, names: Sequence[str]) -> str:
    whens = " ".join(f"WHEN {i} THEN '{name}'" for i, name in enumerate(names))
    return f"CASE {expression} {whens} END"


def call(runtime: LocalRuntime, method: str, path: str, body: object = None) -> Any:
    """The API's JSON answer to ``method path`` with the admin key."""
    request = Request(
        f"{runtime.api}/{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {runtime.key}", "Content-Type": "application/json"},
    )
    try:
        with urlopen(request, timeout=30) as answer:
            return json.load(answer)
    except HTTPError as error:
        raise BenchmarkError(f"{method} /{path}: {error.code} {error.read().decode()}") from None


def fill_through(runtime: LocalRuntime, engine: Engine, events: int) -> int:
    """The filled database's events, its rule matches of the rules the runtime loaded, and
    five silences made as an operator makes them; the events stored."""
    rules = [(rule["id"], rule["version"]) for rule in call(runtime, "GET", "rules")["items"]]
    now = datetime.now(UTC)
    stored = fill(engine, events, now, rules)["events"]
    for n, source in enumerate(SOURCES):
        silence = {
            "matchers": {"source": source},
            "ends_at": (now + timedelta(days=n + 1)).isoformat(),
            "timezone": "Europe/Paris",
            "comment": "planned maintenance",
            "author": "bench",
        }
        call(runtime, "POST", "silences", silence)
    return stored


@contextmanager
def console(runtime: LocalRuntime) -> Iterator[Any]:
    """A Chromium tab signed in to ``runtime``'s console with its admin key."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []

        def console_message(message: Any) -> None:
            if message.type == "error":
                errors.append(message.text)

        page.on("console", console_message)
        page.add_init_script(FIRST_REFRESH_CLOCK)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{runtime.api}/console")
        page.locator("#key").fill(runtime.key)
        page.locator("#login-form button[type=submit]").click()
        refreshed(page, "body[data-refreshes]")
        try:
            yield page, errors
        finally:
            browser.close()


# Notes, in the page's own clock (from the start of its navigation), when its first refresh is
# done. A locator's wait is polled at growing intervals (up to half a second), so the moment it
# returns would measure Playwright's polling; the page's mutation observer does not.
FIRST_REFRESH_CLOCK = """
new MutationObserver(() => {
  if (window.firstRefreshMs === undefined && document.body?.dataset.refreshes === "1") {
    window.firstRefreshMs = performance.now();
  }
}).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-refreshes"] });
"""


def open_page(page: Any, api: str, name: str) -> float:
    """Seconds from the start of a full load of the page by its address (from a blank tab) to
    its first refresh being done, in the page's clock."""
    page.goto("about:blank")
    page.goto(f"{api}/console#{name}")
    refreshed(page, f"body[data-page='{name}'][data-refreshes='1']")
    milliseconds = page.evaluate("() => window.firstRefreshMs")
    if not isinstance(milliseconds, int | float):
        raise BenchmarkError(f"the {name} page's first refresh went unseen")
    return float(milliseconds) / 1000


def refreshed(page: Any, done: str) -> None:
    """Wait for ``done`` to match; a refresh that failed instead is an error saying why."""
    page.locator(f"{done}, #status.error").first.wait_for(timeout=60_000)
    if page.locator("#status.error").count():
        raise BenchmarkError(f"the console says: {page.locator('#status').inner_text()}")


def load_times(page: Any, errors: list[str], api: str, repeats: int) -> dict[str, list[float]]:
    """Each page's load times, ``repeats`` rounds of every page in turn."""
    times: dict[str, list[float]] = {name: [] for name in PAGES}
    for _ in range(repeats):
        for name in PAGES:
            times[name].append(open_page(page, api, name))
    if errors:
        raise BenchmarkError(f"the console logged errors: {errors[:3]}")
    return times


def events_card(page: Any, api: str) -> int:
    """The overview's "Events stored" figure (the last 24 hours)."""
    open_page(page, api, "overview")
    card = page.locator("#kpis .card", has_text="Events stored").locator(".figure")
    return int(card.inner_text().replace(",", ""))


def measure(events: int, repeats: int, workdir: Path) -> tuple[dict[str, list[float]], ...]:
    """Load times on an empty database, then on a filled one; checks the figures shown."""
    results = []
    for filled in (False, True):
        url = f"sqlite:///{workdir / ('filled.db' if filled else 'empty.db')}"
        engine = make_engine(url)
        migrations.upgrade(engine)
        with local_runtime(url, workdir) as runtime:
            stored = fill_through(runtime, engine, events) if filled else 0
            engine.dispose()
            with console(runtime) as (page, errors):
                shown = events_card(page, runtime.api)
                if shown != stored:
                    raise BenchmarkError(f"the overview shows {shown} events stored, not {stored}")
                results.append(load_times(page, errors, runtime.api, repeats))
    return tuple(results)


def report(empty: dict[str, list[float]], filled: dict[str, list[float]], events: int) -> None:
    print(f"| page | worst ms, {events:,} events | median ms | median ms, empty | ratio |")
    print("|---|---:|---:|---:|---:|")
    for name in PAGES:
        worst, median = max(filled[name]), statistics.median(filled[name])
        reference = statistics.median(empty[name])
        print(
            f"| {name} | {worst * 1000:,.0f} | {median * 1000:,.0f} | {reference * 1000:,.0f}"
            f" | {median / reference:.2f} |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--budget-ms", type=float, default=1000.0, help="0: no target")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="console-bench-") as folder:
        try:
            empty, filled = measure(args.events, args.repeats, Path(folder))
        except BenchmarkError as error:
            print(f"FAILED: {error}", file=sys.stderr)
            return 1
    report(empty, filled, args.events)
    slow = [name for name in PAGES if args.budget_ms and max(filled[name]) * 1000 > args.budget_ms]
    if slow:
        print(f"FAILED: over {args.budget_ms:.0f} ms: {', '.join(slow)}", file=sys.stderr)
        return 1
    budget = f", each under {args.budget_ms:.0f} ms" if args.budget_ms else ""
    print(f"checked: the overview showed every stored event; no console error{budget}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
