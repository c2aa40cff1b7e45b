"""Events of the sample sources (payments, logins) that make every sample rule of theirs fire.

Shaped to fit ``rules/sources/payments.yaml`` and ``logins.yaml`` (every required data field, the
declared types; ``role`` and ``currency`` sometimes left to their defaults, ``country`` sometimes
absent), spread over the 24 hours before ``now`` so that night hours are always in it, and sent in
time order. Seeded: two sides of one run see the very same SQS events.

- payments (70 %): 40 merchants, 5,000 cards, about 20 % declined, about 2 % over 5,000 EUR
  (``large-payment``); bursts of 6 declines on one card within 5 minutes
  (``declined-card-burst``); spikes of 12 large captures at one merchant within 40 minutes
  (``payment-volume-spike``).
- logins (30 %): 500 users and 5 admins (``admin-login-outside-hours`` at night, one of them
  at 22:30 UTC in every run), about 8 % failures, and bursts of 4 failures from 4 addresses on
  one user within 10 minutes (``failed-login-burst``).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.workload import BATCH_SIZE
from chalicelib.domain.events import EventEnvelope, encode_envelope
from tests.builders import sqs_event, sqs_record

SPAN = timedelta(hours=24)
MERCHANTS = [f"m-{n:03d}" for n in range(40)]
COUNTRIES = ["DE", "FR", "NL", "US", "GB", "PL"]
EXPECTED_RULES = (
    "large-payment",
    "declined-card-burst",
    "payment-volume-spike",
    "failed-login-burst",
    "admin-login-outside-hours",
)
Timed = tuple[datetime, str, dict[str, Any]]  # when, source, data without id and time


def _at(rng: random.Random, start: datetime) -> datetime:
    return start + timedelta(seconds=rng.randrange(int(SPAN.total_seconds()) - 60))


def _payment(
    rng: random.Random,
    status: str,
    amount: float,
    card: str | None = None,
    merchant: str | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "amount": amount,
        "card": card or f"card-{rng.randrange(5000):04d}",
        "merchant": merchant or rng.choice(MERCHANTS),
        "status": status,
    }
    if rng.random() < 0.9:  # else the column's default, EUR
        data["currency"] = "EUR" if rng.random() < 0.9 else "USD"
    if rng.random() < 0.8:
        data["country"] = rng.choice(COUNTRIES)
    return data


def _payments(rng: random.Random, count: int, start: datetime) -> list[Timed]:
    bursts, spikes = max(1, count // 400), max(1, count // 2000)
    base = count - bursts * 6 - spikes * 12
    declined_rate = max(0.0, (0.2 * count - bursts * 6) / base)
    timed: list[Timed] = []
    for _ in range(base):
        status = "declined" if rng.random() < declined_rate else "captured"
        amount = (
            round(rng.uniform(5000, 20000), 2)
            if rng.random() < 0.02
            else round(rng.lognormvariate(4.0, 1.0), 2)
        )
        timed.append((_at(rng, start), "payments", _payment(rng, status, amount)))
    for burst in range(bursts):
        at, card = _at(rng, start), f"card-burst-{burst:04d}"
        timed += [
            (
                at + timedelta(seconds=50 * k),
                "payments",
                _payment(rng, "declined", round(rng.uniform(5, 300), 2), card),
            )
            for k in range(6)
        ]
    for _ in range(spikes):
        at, merchant = _at(rng, start), rng.choice(MERCHANTS)
        timed += [
            (
                at + timedelta(minutes=3 * k),
                "payments",
                _payment(rng, "captured", round(rng.uniform(4500, 9000), 2), merchant=merchant),
            )
            for k in range(12)
        ]
    return timed


def _login(rng: random.Random, user: str, outcome: str, ip: str, admin: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "user": user,
        "ip": ip,
        "outcome": outcome,
        "method": rng.choice(["password", "sso", "api-key"]),
    }
    if admin:
        data["role"] = "admin"  # users leave it to the column's default
    if rng.random() < 0.7:
        data["country"] = rng.choice(COUNTRIES)
    return data


def _logins(rng: random.Random, count: int, start: datetime) -> list[Timed]:
    bursts = max(1, count // 300)
    timed: list[Timed] = []
    for _ in range(count - bursts * 4 - 1):
        admin = rng.random() < 0.03
        number = rng.randrange(5) if admin else rng.randrange(500)
        user = f"admin-{number}" if admin else f"user-{number:03d}"
        outcome = "failure" if rng.random() < 0.08 else "success"
        ip = f"10.{number % 250}.{number // 250}.{rng.randrange(1, 4)}"
        timed.append((_at(rng, start), "logins", _login(rng, user, outcome, ip, admin)))
    for _ in range(bursts):
        at, user = _at(rng, start), f"user-{rng.randrange(500):03d}"
        timed += [
            (
                at + timedelta(minutes=2 * k),
                "logins",
                _login(rng, user, "failure", f"203.0.113.{rng.randrange(1, 255)}", False),
            )
            for k in range(4)
        ]
    # one administrator at night whatever the hour now: at a small count, the random admins'
    # sign-ins can all fall within office hours, and the rule would stay silent by the clock
    night = start.replace(hour=22, minute=30, second=0, microsecond=0)
    if night <= start:
        night += timedelta(days=1)
    timed.append((night, "logins", _login(rng, "admin-0", "success", "10.0.0.1", True)))
    return timed


ID_AND_TIME = {
    "payments": ("payment_id", "paid_at", "payment.attempted"),
    "logins": ("login_id", "attempted_at", "login.attempted"),
}


def event_items(count: int, now: datetime, seed: int = 11) -> list[dict[str, Any]]:
    """``count`` items as an integrator posts them, in time order, within the day before ``now``."""
    rng = random.Random(seed)
    start = now - SPAN
    payments = round(count * 0.7)
    timed = sorted(
        _payments(rng, payments, start) + _logins(rng, count - payments, start),
        key=lambda one: one[0],
    )
    items = []
    for index, (at, source, data) in enumerate(timed):
        id_column, time_column, kind = ID_AND_TIME[source]
        event_id, when = f"{source[:3]}-{index:08d}", at.isoformat().replace("+00:00", "Z")
        items.append(
            {
                "source": source,
                "type": kind,
                "id": event_id,
                "occurred_at": when,
                "data": {id_column: event_id, time_column: when} | data,
            }
        )
    return items


def rule_batches(count: int, now: datetime | None = None) -> list[dict[str, Any]]:
    """The items as SQS events of ``BATCH_SIZE`` records, as the API would have queued them."""
    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    records = [
        sqs_record(
            encode_envelope(
                EventEnvelope(
                    item=item,
                    event_id=item["id"],
                    received_at=now + timedelta(milliseconds=index // 10),
                )
            )
        )
        for index, item in enumerate(event_items(count, now))
    ]
    return [
        sqs_event(*records[start : start + BATCH_SIZE]) for start in range(0, count, BATCH_SIZE)
    ]
