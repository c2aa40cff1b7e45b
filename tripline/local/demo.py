"""``tripline local --demo``: post a small batch over real HTTP and watch it come out the other end.

It goes through the public API only (urllib, no shortcut into the services), so what it shows is
what an integrator gets: the per-item answer at once, including one item deliberately wrong to
show a rejection with its reasons, then the accepted events in ``GET /events`` once the queue and
the processor have carried them to the database, the sample rules they tripped (``GET /rules``)
and the alerts those opened (``GET /alerts``), whose emails land in the local mailbox.
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
    """Events that trip the sample rules in rules/, and one item that breaks two checks.

    A large payment (large-payment), five declines on one card (declined-card-burst), failed
    sign-ins to one account from three addresses (failed-login-burst), and a heartbeat from each
    store (store-feed-silent stays quiet for them).
    """

    def ago(minutes: float) -> str:
        moment = now - timedelta(minutes=minutes)
        return moment.isoformat(timespec="seconds").replace("+00:00", "Z")

    def payment(number: int, minutes: float, **data: Any) -> dict[str, Any]:
        payment_id = f"demo-{run}-p{number}"
        fields = {
            "payment_id": payment_id,
            "paid_at": ago(minutes),
            "amount": 25.0,
            "card": "card-7f3a",
            "merchant": "acme-books",
            "status": "declined",
        } | data
        return {
            "source": "payments",
            "type": "payment.attempted",
            "id": payment_id,
            "occurred_at": ago(minutes),
            "data": fields,
        }

    def login(number: int, ip: str) -> dict[str, Any]:
        login_id = f"demo-{run}-l{number}"
        return {
            "source": "logins",
            "type": "login.attempted",
            "id": login_id,
            "occurred_at": ago(3 - number / 10),
            "data": {
                "login_id": login_id,
                "attempted_at": ago(3 - number / 10),
                "user": "maria",
                "role": "user",
                "ip": ip,
                "outcome": "failure",
                "country": "DE",
            },
        }

    heartbeats = [
        {
            "source": "stores",
            "type": "heartbeat",
            "id": f"demo-{run}-{store}",
            "occurred_at": ago(1),
            "data": {"store": store, "sent_at": ago(1), "kind": "heartbeat"},
        }
        for store in ("s-001", "s-002", "s-003", "s-004")
    ]
    return [
        payment(1, 6, amount=7250.0, status="captured", card="card-11c0"),
        *[payment(2 + n, 5 - n) for n in range(5)],
        *[login(n, f"203.0.113.{10 + n}") for n in range(3)],
        *heartbeats,
        {
            "source": "Sensors!",
            "type": "temperature.reading",
            "id": f"demo-{run}-bad",
            "occurred_at": "last tuesday",
            "data": {"sensor": "cold-room-4", "celsius": 31},
        },
    ]


def run_demo(base_url: str, stop: threading.Event, say: Say = say_now, key: str = "") -> None:
    """Post the sample batch, report each item, then list the stored ones (bounded wait);
    ``key`` is the runtime's admin key, sent as every route but /health wants."""
    global _key
    _key = key
    now = datetime.now(UTC)
    events = sample_events(now.strftime("%H%M%S"), now)
    status, answer = request_json("POST", f"{base_url}/events", {"events": events})
    say(
        f"demo: POST /events -> {status}: {answer.get('accepted', 0)} accepted, "
        f"{answer.get('rejected', 0)} rejected"
    )
    results = answer.get("results", [])
    for item in results:
        say("  " + describe_item(item))
    expected = {(i["source"], i["id"]) for i in results if i["status"] == "accepted"}
    if not expected:
        return
    since = min(event["occurred_at"] for event in events[:-1])
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
    _show_rules(base_url, say)
    _show_alerts(base_url, say)


def _show_alerts(base_url: str, say: Say) -> None:
    """The alerts the matches opened (GET /alerts), and how on-call acts on one."""
    status, answer = request_json("GET", f"{base_url}/alerts?status=open")
    opened = answer.get("items", []) if status == 200 else []
    say(
        f"demo: GET /alerts?status=open -> {status}: {len(opened)} open; each was emailed "
        "(see the mailbox line above and the 'mail' lines of the log):"
    )
    for alert in opened:
        group = ", ".join(f"{name}={value}" for name, value in alert["group"].items())
        say(
            f"  #{alert['id']} [{alert['severity']}] {alert['rule']}: {group or 'all events'}"
            f"  ({alert['count']} match(es))"
        )
    if opened:
        say(
            f"demo: acknowledge one to stop its repeats: curl -X POST "
            f"{base_url}/alerts/{opened[0]['id']}/ack -H 'Content-Type: application/json' "
            '-H "Authorization: Bearer $(cat var/local-admin.key)" '
            '-d \'{"comment": "on it"}\''
        )


def _show_rules(base_url: str, say: Say) -> None:
    """What the sample rules made of it (GET /rules): each rule that matched, and how often."""
    status, answer = request_json("GET", f"{base_url}/rules")
    rules = answer.get("items", []) if status == 200 else []
    fired = [rule for rule in rules if rule["matches"]["this_version"]]
    say(f"demo: GET /rules -> {status}: {len(rules)} rules loaded, {len(fired)} matched:")
    for rule in fired:
        say(
            f"  {rule['id']} ({rule['severity']}): {rule['matches']['this_version']} match(es)"
            f"  [{rule['condition']}]"
        )


def describe_item(item: dict[str, Any]) -> str:
    """``[4] rejected  source: must match …; occurred_at: is not …`` for one per-item answer."""
    where = f"{item['source']}/{item['id']}" if "source" in item else ""
    reasons = "; ".join(
        f"{error['field']}: {error['message']}" if "field" in error else error["message"]
        for error in item.get("errors", [])
    )
    return "  ".join(
        part for part in (f"[{item['index']}] {item['status']:<8}", where, reasons) if part
    )


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


_key = ""  # the demo's key: one demo runs per process


def request_json(method: str, url: str, body: object = None) -> tuple[int, dict[str, Any]]:
    """One HTTP exchange, with the demo's key; an error status is an answer to show, not an
    exception."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http URL: {url}")
    data = None if body is None else json.dumps(body).encode()
    request = Request(  # noqa: S310 (scheme checked above)
        url,
        data=data,
        method=method,
        headers={"Content-Type": "application/json"}
        | ({"Authorization": f"Bearer {_key}"} if _key else {}),
    )
    try:
        with urlopen(request, timeout=10) as response:  # noqa: S310 (scheme checked above)
            return int(response.status), json.loads(response.read() or b"{}")
    except HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def start_demo(
    base_url: str, stop: threading.Event, say: Say = say_now, admin_key: str = ""
) -> threading.Thread:
    """The demo on a daemon thread, so Ctrl-C during it stops the runtime at once."""
    thread = threading.Thread(
        target=_demo_or_report, args=(base_url, stop, say, admin_key), name="demo", daemon=True
    )
    thread.start()
    return thread


def _demo_or_report(base_url: str, stop: threading.Event, say: Say, key: str) -> None:
    try:
        run_demo(base_url, stop, say, key)
    except (OSError, ValueError, KeyError) as exc:
        say(f"demo: stopped: {type(exc).__name__}: {exc}")
