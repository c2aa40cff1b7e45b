"""One morning of work for the real ``rules/``: JSON events, a stray message and two CSV files.

Chosen so every kind of row the pipeline writes appears: raw and processed events, a rejected
message and rejected rows, uploads with several chunks, a CSV row that repeats a posted event,
match and threshold rule matches with their windows' buckets, and seven alerts of five rules, no
three of one rule at once (three opening together are grouped into one email, which depends on
how the batches fall, not on what was delivered).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.adapters.db.tables import (
    alert_outbox,
    alerts,
    events,
    raw_events,
    rejected_items,
    uploads,
)
from chalicelib.domain.uploads import direct_upload_id
from tests.faults.harness import EVENTS, NOW, Tripline
from tests.faults.state import Snapshot, counts, ordered, project

GARBAGE = "this is not an envelope"


def payment(
    payment_id: str, minute: int, amount: float, card: str, merchant: str, status: str = "captured"
) -> dict[str, Any]:
    return {
        "source": "payments",
        "type": "payment.attempted",
        "id": payment_id,
        "occurred_at": _at(minute),
        "data": {"amount": amount, "card": card, "merchant": merchant, "status": status},
    }


def login(
    login_id: str, minute: int, user: str, ip: str, outcome: str, role: str = "user"
) -> dict[str, Any]:
    return {
        "source": "logins",
        "type": "login.attempted",
        "id": login_id,
        "occurred_at": _at(minute),
        "data": {"user": user, "ip": ip, "outcome": outcome, "role": role},
    }


def _at(minute: int) -> str:
    return (NOW - timedelta(hours=1) + timedelta(minutes=minute)).isoformat()


PAYMENTS = [
    payment("pay-1", 10, 7250, "c-1", "acme"),  # large-payment: opens acme's alert
    payment("pay-2", 20, 9100, "c-2", "zenith"),  # large-payment: opens zenith's alert
    payment("pay-3", 40, 6400, "c-3", "acme"),  # large-payment: acme's alert again, the latest
    payment("pay-4", 30, 120, "c-4", "acme"),  # no match; counted in acme's volume window
    # five declines of one card within ten minutes: declined-card-burst's window ending at the
    # fifth crosses (a sixth, arriving late, is test_duplicates' late-decline tests' business)
    *(payment(f"dec-{n}", n, 20 + n, "c-9", "corner-shop", "declined") for n in range(1, 6)),
]
LOGINS = [
    # three addresses failing for maria within 15 minutes: failed-login-burst
    *(login(f"log-{n}", 30 + n, "maria", f"10.0.0.{n}", "failure") for n in range(1, 4)),
    login("log-4", -240, "root", "10.9.9.9", "success", role="admin"),  # 04:00 UTC: out of hours
]
CHECKOUT = [
    {
        "source": "checkout",
        "type": "order.created",
        "id": f"chk-{n}",
        "occurred_at": _at(n),
        "data": {"amount": 12.5 * n, "store": "berlin-1"},
    }
    for n in (1, 2)
]
EVENT_ITEMS = [*PAYMENTS, *LOGINS, *CHECKOUT]

ORDERS_KEY = "incoming/shop/orders.csv"
ORDERS = (
    "order_id,ordered_at,store,sku,quantity,unit_price,currency,paid\n"
    + "".join(
        f"O-{n},2026-11-22T08:{n:02d}:00Z,berlin-1,SKU-{n},1,9.5,EUR,yes\n" for n in (1, 2, 3)
    )
    + "O-4,2026-11-22T08:04:00Z,berlin-1,SKU-4,3,450,EUR,yes\n"  # large-order: 1350
    + "".join(
        f"O-{n},2026-11-22T08:{n:02d}:00Z,munich-2,SKU-{n},2,4.25,EUR,no\n" for n in (5, 6, 7)
    )
    + "O-8,2026-11-22T08:08:00Z,munich-2,SKU-8,2,800,EUR,no\n"  # large-order: 1600
    + "O-9,2026-11-22T08:09:00Z,munich-2,,,3,,\n"  # defaults: quantity 1, EUR, unpaid
    + "O-10,soon,munich-2,SKU-10,1,3,EUR,no\n"  # rejected: ordered_at
    + "O-11,2026-11-22T08:11:00Z,berlin-1,SKU-11,1,x,EUR,no\n"  # rejected: unit_price
    + "O-12,2026-11-22T08:12:00Z,berlin-1,SKU-12,1,2.5,EUR,yes\n"
).encode()

PAYMENTS_KEY = "incoming/payments/export.csv"
PAYMENTS_CSV = (
    "payment_id,paid_at,amount,currency,card,merchant,status\n"
    + "pay-1,2026-11-22T08:10:00Z,7250,EUR,c-1,acme,captured\n"  # posted already: a duplicate
    + "pay-5,2026-11-22T08:50:00Z,300,EUR,c-5,acme,captured\n"
    + "pay-6,2026-11-22T08:51:00Z,lots,EUR,c-6,acme,captured\n"  # rejected: amount
).encode()
FILES = {ORDERS_KEY: ORDERS, PAYMENTS_KEY: PAYMENTS_CSV}

EMAILS = sorted(
    [
        "[HIGH] large-payment: merchant=acme",
        "[HIGH] large-payment: merchant=zenith",
        "[MEDIUM] declined-card-burst: card=c-9",
        "[HIGH] failed-login-burst: user=maria",
        "[MEDIUM] admin-login-outside-hours: user=root",
        "[LOW] large-order: store=berlin-1",
        "[LOW] large-order: store=munich-2",
    ]
)


def submit_events(app: Tripline) -> None:
    """The JSON events, posted in two requests, and a stray message on the events queue."""
    app.post(EVENT_ITEMS[:9])
    app.post(EVENT_ITEMS[9:])
    app.send(EVENTS.queue, GARBAGE)


def submit_files(app: Tripline) -> None:
    for key, body in FILES.items():
        app.put(key, body)


def submit(app: Tripline) -> None:
    submit_events(app)
    submit_files(app)


def expect_events_done(state: Snapshot) -> None:
    """Exactly what the posted events and the stray message leave, row by row."""
    assert counts(state) == EVENTS_COUNTS
    assert project(state, events, "source", "event_id", "line") == ordered(
        (item["source"], item["id"], None) for item in EVENT_ITEMS
    )
    assert project(state, raw_events, "event_id") == ordered((item["id"],) for item in EVENT_ITEMS)
    assert project(state, rejected_items, "item_key", "payload") == [("sqs:*", GARBAGE)]
    assert project(state, alerts, *ALERT_COLUMNS) == EVENT_ALERTS
    assert project(state, alert_outbox, "transition", "status", "attempts") == [
        ("opened", "sent", 0)
    ] * len(EVENT_ALERTS)


def expect_all_done(state: Snapshot) -> None:
    """Exactly what the whole workload leaves, row by row: events, rows, uploads, alerts."""
    assert counts(state) == ALL_COUNTS
    assert project(state, events, "source", "event_id", "line") == ordered(
        [(item["source"], item["id"], None) for item in EVENT_ITEMS]
        + [("shop", f"O-{n}", n + 1) for n in (*range(1, 10), 12)]
        + [("payments", "pay-5", 3)]
    )
    assert project(state, rejected_items, "item_key", "line") == ordered(
        [("sqs:*", None)]
        + [(f"upload:{UPLOAD_IDS[key]}:{line}", line) for key, line in REJECTED_ROWS]
    )
    assert project(state, uploads, *UPLOAD_COLUMNS) == ordered(
        [
            ("orders.csv", "complete_with_errors", 4, 12, 10, 0, 2),
            ("export.csv", "complete_with_errors", 1, 3, 1, 1, 1),
        ]
    )
    assert project(state, alerts, *ALERT_COLUMNS) == ordered([*EVENT_ALERTS, *ORDER_ALERTS])
    assert project(state, alert_outbox, "transition", "status", "attempts") == [
        ("opened", "sent", 0)
    ] * len(EMAILS)


def _t(hour: int, minute: int) -> datetime:
    return datetime(2026, 11, 22, hour, minute, tzinfo=UTC)


ALERT_COLUMNS = (
    "rule_id",
    "group_values",
    "status",
    "count",
    "first_seen_at",
    "last_seen_at",
    "sample_event_id",
    "observed",
)
EVENT_ALERTS = ordered(
    [
        (
            "admin-login-outside-hours",
            '[["user", "root"]]',
            "open",
            1,
            _t(4, 0),
            _t(4, 0),
            "log-4",
            None,
        ),
        ("declined-card-burst", '[["card", "c-9"]]', "open", 1, _t(8, 5), _t(8, 5), "dec-5", 5.0),
        (
            "failed-login-burst",
            '[["user", "maria"]]',
            "open",
            1,
            _t(8, 33),
            _t(8, 33),
            "log-3",
            3.0,
        ),
        ("large-payment", '[["merchant", "acme"]]', "open", 2, _t(8, 10), _t(8, 40), "pay-3", None),
        (
            "large-payment",
            '[["merchant", "zenith"]]',
            "open",
            1,
            _t(8, 20),
            _t(8, 20),
            "pay-2",
            None,
        ),
    ]
)
ORDER_ALERTS = [
    ("large-order", '[["store", "berlin-1"]]', "open", 1, _t(8, 4), _t(8, 4), "O-4", None),
    ("large-order", '[["store", "munich-2"]]', "open", 1, _t(8, 8), _t(8, 8), "O-8", None),
]
UPLOAD_COLUMNS = (
    "filename",
    "status",
    "chunks_total",
    "rows_seen",
    "rows_stored",
    "rows_duplicate",
    "rows_rejected",
)
# A direct drop's upload id is derived from its key and ETag (no versioning, no sequencer on
# moto), so it is the same in every run.
UPLOAD_IDS = {
    key: direct_upload_id(key, hashlib.md5(body).hexdigest()) for key, body in FILES.items()
}
REJECTED_ROWS = [(ORDERS_KEY, 11), (ORDERS_KEY, 12), (PAYMENTS_KEY, 4)]
EVENTS_COUNTS = {
    "raw_events": 15,
    "events": 15,
    "rejected_items": 1,
    # large-payment x3, declined-card-burst, failed-login-burst, admin-login-outside-hours
    "rule_matches": 6,
    # threshold windows' buckets, every event in one of its own (they are minutes apart):
    # declined-card-burst x5, payment-volume-spike x4 (captured payments), failed-login-burst x3
    "rule_window_buckets": 12,
    "rule_window_tokens": 3,  # failed-login-burst counts distinct addresses: maria's three
    "rule_groups": 4,  # card c-9, merchants acme and zenith, user maria
    "alerts": 5,
    "alert_fingerprints": 5,
    "alert_outbox": 5,
    "alert_timeline": 10,  # opened and sent, for each
}
ALL_COUNTS = EVENTS_COUNTS | {
    "events": 15 + 10 + 1,  # the ten good orders, pay-5 (the CSV's pay-1 was posted already)
    "rejected_items": 1 + 3,  # two orders, one payment row
    "uploads": 2,
    "upload_chunks": 4 + 1,
    "rule_matches": 6 + 2,  # large-order x2
    "rule_window_buckets": 12 + 1,  # pay-5 in acme's volume window, a minute of its own
    "alerts": 7,
    "alert_fingerprints": 7,
    "alert_outbox": 7,
    "alert_timeline": 14,
}
