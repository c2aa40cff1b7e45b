"""Integrators POSTing event batches to ``/events`` at once, and the tally of what came back.

Each integrator is a thread sending one request after another, each on a new connection (as
separate systems would), until a deadline; a request is timed from before the connection to the
end of the answer. Every outcome is counted: answered (with its latency, and each item's status),
timed out, or failed to connect or reset, by the exception's name.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.client import HTTPException
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

SOURCE = "checkout"  # declares no columns: any data is stored as given


@dataclass
class Tally:
    """What one client saw; ``ids`` are the items the API answered ``accepted``."""

    latencies: list[float] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    timeouts: int = 0
    connection_errors: int = 0
    refused: int = 0  # answered, but not 202
    not_queued: int = 0
    other_items: int = 0  # duplicate or rejected: the bench sends neither
    errors: Counter[str] = field(default_factory=Counter)  # what each failed request raised

    def add(self, other: Tally) -> None:
        self.latencies += other.latencies
        self.ids += other.ids
        self.errors += other.errors
        for name in ("timeouts", "connection_errors", "refused", "not_queued", "other_items"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def batch_body(client: int, start: int, size: int) -> bytes:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    items = [
        {
            "source": SOURCE,
            "type": "order.created",
            "id": f"c{client}-{number}",
            "occurred_at": now,
            "data": {"amount": number % 500, "store": f"store-{client}"},
        }
        for number in range(start, start + size)
    ]
    return json.dumps({"events": items}).encode()


def integrator(api: str, key: str, client: int, until: float, args: Any, tally: Tally) -> None:
    """POST batches until ``until`` (``perf_counter``), one at a time, tallying every answer."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    sent = 0
    while time.perf_counter() < until:
        body = batch_body(client, sent, args.batch)
        sent += args.batch
        request = Request(f"{api}/events", data=body, method="POST", headers=headers)
        started = time.perf_counter()
        try:
            with urlopen(request, timeout=args.timeout) as response:
                status, answer = response.status, json.loads(response.read())
        except HTTPError as error:
            status, answer = error.code, json.loads(error.read() or b"{}")
        except (OSError, HTTPException) as error:
            reason = error.reason if isinstance(error, URLError) else error
            tally.errors[type(reason).__name__] += 1
            if isinstance(reason, TimeoutError):
                tally.timeouts += 1
            else:
                tally.connection_errors += 1
            continue
        tally.latencies.append(time.perf_counter() - started)
        tally.refused += status != 202
        for item in answer.get("results", []):
            if item["status"] == "accepted":
                tally.ids.append(item["id"])
            elif item["status"] == "not_queued":
                tally.not_queued += 1
            else:
                tally.other_items += 1


def load(api: str, key: str, clients: int, args: Any) -> tuple[Tally, float]:
    """Every client's tally added up, and the seconds the load lasted."""
    tallies = [Tally() for _ in range(clients)]
    started = time.perf_counter()
    until = started + args.seconds
    threads = [
        threading.Thread(target=integrator, args=(api, key, client, until, args, tallies[client]))
        for client in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = Tally()
    for one in tallies:
        total.add(one)
    return total, time.perf_counter() - started
