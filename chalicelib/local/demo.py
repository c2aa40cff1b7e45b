"""``tripline local --demo``: post a small batch over real HTTP and watch it come out the other end.

It goes through the public API only (urllib, no shortcut into the services), so what it shows is
what an integrator gets: the per-item answer at once, including one item deliberately wrong to
show a rejection with its reasons, then the accepted events in ``GET /events`` once the queue and
the processor have carried them to the database.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

WAIT_FOR_STORED_SECONDS = 20.0
POLL_SECONDS = 0.3
Say = Callable[[str], None]


def say_now(text: str) -> None:
    """Print and flush: stdout may be a pipe, and the demo's lines belong next to the log's."""
    print(text, flush=True)


def sample_events(run: str, now: datetime) -> list[dict[str, Any]]:
    """Four events from three sources, and one item that breaks two rules."""

    def ago(minutes: int) -> str:
        moment = now - timedelta(minutes=minutes)
        return moment.isoformat(timespec="seconds").replace("+00:00", "Z")

    return [
        {"source": "shop", "type": "order.created", "id": f"demo-{run}-1", "occurred_at": ago(4),
         "data": {"order": "A-1001", "amount": 42.5, "currency": "EUR", "store": "berlin-1"}},
        {"source": "shop", "type": "payment.failed", "id": f"demo-{run}-2", "occurred_at": ago(3),
         "data": {"order": "A-1002", "reason": "card_declined"}},
        {"source": "sensors", "type": "temperature.reading", "id": f"demo-{run}-3",
         "occurred_at": ago(2), "data": {"sensor": "cold-room-3", "celsius": 9.4}},
        {"source": "billing", "type": "invoice.overdue", "id": f"demo-{run}-4",
         "occurred_at": ago(1), "data": {"invoice": "INV-778", "days_overdue": 12}},
        {"source": "Sensors!", "type": "temperature.reading", "id": f"demo-{run}-5",
         "occurred_at": "last tuesday", "data": {"sensor": "cold-room-4", "celsius": 31}},
    ]


def run_demo(base_url: str, stop: threading.Event, say: Say = say_now) -> None:
    """Post the sample batch, report each item, then list the stored ones (bounded wait)."""
    now = datetime.now(UTC)
    events = sample_events(now.strftime("%H%M%S"), now)
    status, answer = request_json("POST", f"{base_url}/events", {"events": events})
    say(f"demo: POST /events -> {status}: {answer.get('accepted', 0)} accepted, "
        f"{answer.get('rejected', 0)} rejected")
    results = answer.get("results", [])
    for item in results:
        say("  " + describe_item(item))
    expected = {(i["source"], i["id"]) for i in results if i["status"] == "accepted"}
    if not expected:
        return
    since = min(event["occurred_at"] for event in events[:4])
    say(f"demo: waiting for the processor to store {len(expected)} events ...")
    started = time.monotonic()
    stored = _wait_for_stored(f"{base_url}/events?{urlencode({'since': since})}", expected, stop)
    took = time.monotonic() - started
    if len(stored) < len(expected):
        say(f"demo: only {len(stored)} of {len(expected)} stored after {took:.1f} s; see the log")
    else:
        say(f"demo: all {len(stored)} stored after {took:.1f} s (GET /events):")
    for view in stored:
        say(f"  {view['source']}/{view['id']}  {view['type']}  {json.dumps(view['data'])}")


def describe_item(item: dict[str, Any]) -> str:
    """``[4] rejected  source: must match …; occurred_at: is not …`` for one per-item answer."""
    where = f"{item['source']}/{item['id']}" if "source" in item else ""
    reasons = "; ".join(
        f"{error['field']}: {error['message']}" if "field" in error else error["message"]
        for error in item.get("errors", [])
    )
    return "  ".join(part for part in (f"[{item['index']}] {item['status']:<8}", where, reasons)
                     if part)


def _wait_for_stored(
    url: str, expected: set[tuple[str, str]], stop: threading.Event
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + WAIT_FOR_STORED_SECONDS
    stored: list[dict[str, Any]] = []
    while not stop.is_set() and time.monotonic() < deadline:
        _, page = request_json("GET", url)
        stored = [v for v in page.get("items", []) if (v["source"], v["id"]) in expected]
        if len(stored) == len(expected):
            break
        stop.wait(POLL_SECONDS)
    return stored


def request_json(method: str, url: str, body: object = None) -> tuple[int, dict[str, Any]]:
    """One HTTP exchange; an error status is an answer to show, not an exception."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http URL: {url}")
    data = None if body is None else json.dumps(body).encode()
    request = Request(url, data=data, method=method,  # noqa: S310 (scheme checked above)
                      headers={"Content-Type": "application/json"})
    try:
        with urlopen(request, timeout=10) as response:  # noqa: S310 (scheme checked above)
            return int(response.status), json.loads(response.read() or b"{}")
    except HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def start_demo(base_url: str, stop: threading.Event, say: Say = say_now) -> threading.Thread:
    """The demo on a daemon thread, so Ctrl-C during it stops the runtime at once."""
    thread = threading.Thread(target=_demo_or_report, args=(base_url, stop, say), name="demo",
                              daemon=True)
    thread.start()
    return thread


def _demo_or_report(base_url: str, stop: threading.Event, say: Say) -> None:
    try:
        run_demo(base_url, stop, say)
    except (OSError, ValueError, KeyError) as exc:
        say(f"demo: stopped: {type(exc).__name__}: {exc}")
