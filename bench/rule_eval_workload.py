"""The workload of ``bench.rule_eval``: the events, the ten rules beside their hand-written
lambdas (the reference), and the rules as the engine compiles them."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import re2  # type: ignore[import-untyped]  # the engine's regex library, for the lambdas too

from chalicelib.domain.expressions import compile_expression

Fields = dict[str, Any]
Evaluate = Callable[[Mapping[str, Any], datetime], object]
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
ENGINE_FIELDS = {
    "source": "string",
    "type": "string",
    "id": "string",
    "occurred_at": "timestamp",
    "received_at": "timestamp",
}
DATA_FIELDS = {
    "amount": "number",
    "currency": "string",
    "merchant": "string",
    "status": "string",
    "card": "string",
    "country": "string",
    "quantity": "integer",
    "user": "string",
    "outcome": "string",
    "ip": "string",
    "sku": "string",
}
FIELD_TYPES = {**DATA_FIELDS, **ENGINE_FIELDS}
MISSING_SHARE = 0.05  # each data field is absent from this share of events

_SKU_9 = re2.compile("^SKU-9").search
_SKU_9_RE = re.compile("^SKU-9").search
_FIVE_MINUTES = timedelta(minutes=5)

# Each rule beside the lambda a careful engineer would write for it: data fields may be missing
# (``get`` and an explicit None check, false as the language says), the fields the engine always
# sets are indexed, ``matches`` uses the same RE2 pattern the engine compiles, and ``hour`` reads
# the attribute (the engine's times are UTC already).
RULES: tuple[tuple[str, Evaluate], ...] = (
    ("amount > 5000", lambda e, now: (a := e.get("amount")) is not None and a > 5000),
    (
        'status == "declined" and currency in ["EUR", "USD"]',
        lambda e, now: e.get("status") == "declined" and e.get("currency") in {"EUR", "USD"},
    ),
    (
        'matches(sku, "^SKU-9")',
        lambda e, now: (s := e.get("sku")) is not None and _SKU_9(s) is not None,
    ),
    ('occurred_at > ago("5m")', lambda e, now: e["occurred_at"] > now - _FIVE_MINUTES),
    (
        "amount * quantity > 20000",
        lambda e, now: (
            (a := e.get("amount")) is not None
            and (q := e.get("quantity")) is not None
            and a * q > 20000
        ),
    ),
    (
        'country not in ["DE", "FR", "NL"] and amount > 1000',
        lambda e, now: (
            (c := e.get("country")) is not None
            and c not in {"DE", "FR", "NL"}
            and (a := e.get("amount")) is not None
            and a > 1000
        ),
    ),
    (
        'lower(merchant) == "acme"',
        lambda e, now: (m := e.get("merchant")) is not None and m.lower() == "acme",
    ),
    (
        'outcome == "failure" and user != null',
        lambda e, now: e.get("outcome") == "failure" and e.get("user") is not None,
    ),
    (
        "hour(occurred_at) < 6 or hour(occurred_at) >= 22",
        lambda e, now: (h := e["occurred_at"].hour) < 6 or h >= 22,
    ),
    (
        'startswith(card, "4") and amount >= 100 and amount < 200',
        lambda e, now: (
            (c := e.get("card")) is not None
            and c.startswith("4")
            and (a := e.get("amount")) is not None
            and 100 <= a < 200
        ),
    ),
)
# The same lambdas with Python's ``re`` for ``matches``, as most engineers would write it: RE2 is
# the engine's choice for safety (linear time), not speed, and the gap is reported on its own.
HAND_WITH_RE: tuple[Evaluate, ...] = tuple(
    (lambda e, now: (s := e.get("sku")) is not None and _SKU_9_RE(s) is not None)
    if text.startswith("matches(")
    else hand
    for text, hand in RULES
)


class BenchmarkError(Exception):
    """The contenders disagree, or a rule does not compile: no figure would mean anything."""


def generate_events(count: int, seed: int) -> list[Fields]:
    """``count`` field dicts shaped as ``RuleEngine.fields`` builds them: data, then the event's."""
    rng = random.Random(seed)
    return [_fields(rng, index) for index in range(count)]


def _fields(rng: random.Random, index: int) -> Fields:
    recent = rng.random() < 0.1  # a tenth within ten minutes of now, the rest over two days
    occurred = NOW - timedelta(seconds=rng.uniform(0, 600 if recent else 172_800))
    data: Fields = {
        "amount": round(rng.expovariate(1 / 1500), 2),
        "currency": rng.choice(("EUR", "USD", "GBP", "CHF", "JPY")),
        "merchant": rng.choice(("Acme", "ACME", "Globex", "Initech", "Umbrella", "Hooli")),
        "status": "declined" if rng.random() < 0.1 else "captured",
        "card": f"{rng.choice('4536')}{rng.randrange(10**15):015d}",
        "country": rng.choice(("DE", "FR", "NL", "US", "GB", "ES", "IT", "BR")),
        "quantity": rng.randint(1, 20),
        "user": f"user-{rng.randrange(5000)}",
        "outcome": "failure" if rng.random() < 0.15 else "success",
        "ip": f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}",
        "sku": f"SKU-{rng.randrange(1000):03d}",
    }
    fields = {name: value for name, value in data.items() if rng.random() >= MISSING_SHARE}
    fields.update(
        source=rng.choice(("payments", "shop", "logins")),
        type="payment",
        id=f"ev-{index:07d}",
        occurred_at=occurred,
        received_at=occurred + timedelta(seconds=rng.uniform(0, 5)),
    )
    return fields


def compiled_rules() -> list[Evaluate]:
    evaluators = []
    for text, _ in RULES:
        compiled = compile_expression(text, FIELD_TYPES)
        if isinstance(compiled, list):
            raise BenchmarkError(f"{text!r} does not compile: {compiled}")
        evaluators.append(compiled.evaluate)
    return evaluators
