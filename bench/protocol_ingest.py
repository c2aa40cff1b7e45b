"""Each integrator protocol's ingest rate beside ``POST /events``, on one ``tripline local``, in one run.

Run from the repository root: ``.venv/bin/python -m bench.protocol_ingest --help``.

A fresh, migrated database (SQLite, as ``make run`` keeps its data, or MariaDB) and one ``tripline
local`` with the shipped rules. Each *lane* sends ``--events`` new events, one client, one request
after another, with the integrators' own clients:

- batches (``--batch`` per request): ``POST /events`` with ``{"events": [...]}`` (the reference),
  CloudEvents' batch mode (each event in the ``cloudevents`` SDK's JSON format), and Segment's
  ``analytics`` client (its background thread sends batches of ``--batch``, then ``flush``);
- one per request: ``POST /events`` with one event (the reference), CloudEvents' structured and
  binary modes (the SDK's HTTP messages), and PagerDuty's ``EventsApiV2Client.trigger`` (each
  opens an alert and sends its email at once: what a trigger costs on the whole path, paced as
  every email is by ``TRIPLINE_NOTIFY_PER_SECOND``, 10 by default: ``--notify-per-second``).

Each lane writes to a source of its own, and is timed from its first request until the last of
its events (alerts, for PagerDuty) is stored: the end-to-end rate, beside the rate at which the API
accepted them. Each lane first sends one unmeasured batch (imports, connections, the first
rule evaluations); then the lanes run in turn, ``--repeats`` rounds, and each figure is the
median; the ratio is a lane's end-to-end rate over its reference's in the same run.

Checked on every run, and the bench exits 1 when one fails: every lane's events are stored
exactly once (raw and processed), none is rejected, and PagerDuty's triggers opened one alert each.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import text

from bench.csv_pipeline import LocalRuntime, local_runtime
from bench.databases import Database, fresh_database
from chalicelib.adapters.db.access_store import SqlKeyStore
from chalicelib.adapters.db.engine import make_engine
from chalicelib.domain.access import ApiKey, hash_secret, new_key_text

JSON = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Lane:
    """One way of sending: its name, the reference it is read beside, what it stores, and how it
    sends ``count`` events to ``source`` with ``key`` (ids made unique by ``tag``)."""

    name: str
    reference: str
    stores: str  # "events" or "alerts"
    send: Callable[[str, str, str, int, int, str], None]  # api, key, source, count, batch, tag


@dataclass
class Timing:
    accepted: list[float] = field(default_factory=list)  # events/s while sending
    end_to_end: list[float] = field(default_factory=list)  # events/s until all were stored


def payment(number: int) -> dict[str, Any]:
    return {"amount": 10 + number % 90, "currency": "EUR", "card": f"c-{number % 50}"}


def check(response: requests.Response, expected: int = 202) -> None:
    if response.status_code != expected:
        raise RuntimeError(f"{response.status_code} from {response.url}: {response.text[:300]}")


def post_events_batches(api: str, key: str, source: str, count: int, batch: int, tag: str) -> None:
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {key}"
        for start in range(0, count, batch):
            items = [
                {"source": source, "type": "payment", "id": f"{tag}-{n}", "data": payment(n)}
                for n in range(start, min(count, start + batch))
            ]
            check(session.post(f"{api}/events", json={"events": items}))


def post_events_one_by_one(
    api: str, key: str, source: str, count: int, _batch: int, tag: str
) -> None:
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {key}"
        for n in range(count):
            item = {"source": source, "type": "payment", "id": f"{tag}-{n}", "data": payment(n)}
            check(session.post(f"{api}/events", json=item))


def cloudevent(source: str, tag: str, number: int) -> Any:
    from cloudevents.core.v1.event import CloudEvent

    attributes = {
        "id": f"{tag}-{number}",
        "source": source,  # a Tripline source name: mapped to itself
        "type": "payment",
        "time": datetime.now(UTC),
        "datacontenttype": "application/json",
    }
    return CloudEvent(attributes, payment(number))


def post_cloudevents_batches(
    api: str, key: str, source: str, count: int, batch: int, tag: str
) -> None:
    from cloudevents.core.formats.json import JSONFormat

    form = JSONFormat()
    headers = {"Content-Type": "application/cloudevents-batch+json"}
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {key}"
        for start in range(0, count, batch):
            events = [
                form.write(cloudevent(source, tag, n))
                for n in range(start, min(count, start + batch))
            ]
            body = b"[" + b",".join(events) + b"]"
            check(session.post(f"{api}/events", data=body, headers=headers))


def post_cloudevents(mode: str) -> Callable[[str, str, str, int, int, str], None]:
    def send(api: str, key: str, source: str, count: int, _batch: int, tag: str) -> None:
        from cloudevents.core.bindings.http import to_binary_event, to_structured_event

        convert = to_structured_event if mode == "structured" else to_binary_event
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {key}"
            for n in range(count):
                message = convert(cloudevent(source, tag, n))
                check(session.post(f"{api}/events", data=message.body, headers=message.headers))

    return send


def segment_tracks(api: str, key: str, _source: str, count: int, batch: int, tag: str) -> None:
    from segment.analytics import Client

    errors: list[str] = []
    client = Client(
        write_key=key,
        host=api,
        upload_size=batch,
        max_queue_size=max(10_000, count),
        on_error=lambda error, _items: errors.append(str(error)),
    )
    try:
        for n in range(count):
            client.track(
                user_id=f"user-{n % 50}",
                event="Payment Made",
                properties=payment(n),
                message_id=f"{tag}-{n}",
            )
        client.flush()
    finally:
        client.shutdown()
    if errors:
        raise RuntimeError(f"segment's client reported {errors[:3]}")


def pagerduty_triggers(api: str, key: str, source: str, count: int, _batch: int, tag: str) -> None:
    """PagerDuty's client speaks HTTPS only: it reaches the runtime through the local TLS front
    (``tripline.local.tls_front``), a thread passing bytes on, which this lane's figure includes."""
    from pagerduty import EventsApiV2Client

    from tripline.local.tls_front import TlsFront

    with tempfile.TemporaryDirectory(prefix="tripline-tls-") as folder:
        front = TlsFront(api, Path(folder))
        try:
            client = EventsApiV2Client(key, base_url=front.url, verify=front.trust)
            for n in range(count):
                client.trigger(
                    f"payment gateway {n} is failing",
                    "gateway.example",
                    dedup_key=f"{tag}-{n}",
                    severity="warning",
                    custom_details=payment(n),
                )
        finally:
            front.close()


LANES = (
    Lane("POST /events, batches", "POST /events, batches", "events", post_events_batches),
    Lane("CloudEvents batch mode", "POST /events, batches", "events", post_cloudevents_batches),
    Lane("Segment analytics client", "POST /events, batches", "events", segment_tracks),
    Lane("POST /events, one event", "POST /events, one event", "events", post_events_one_by_one),
    Lane(
        "CloudEvents structured",
        "POST /events, one event",
        "events",
        post_cloudevents("structured"),
    ),
    Lane("CloudEvents binary", "POST /events, one event", "events", post_cloudevents("binary")),
    Lane("PagerDuty trigger", "POST /events, one event", "alerts", pagerduty_triggers),
)


def source_of(lane: Lane) -> str:
    """A source name of the lane's own: its counts are the lane's."""
    words = "".join(c if c.isalnum() else " " for c in lane.name.lower()).split()
    return "bench-" + "-".join(words)[:50]


def ingest_key(database: Database, source: str) -> str:
    """An ingest key of one source, as ``tripline keys create --role ingest`` makes it: Segment
    and PagerDuty send to the key's one source."""
    key_id, secret, key = new_key_text()
    engine = make_engine(database.url)
    try:
        SqlKeyStore(engine).add(
            ApiKey(
                key_id, source, "ingest", (source,), hash_secret(secret), datetime.now(UTC), "bench"
            )
        )
    finally:
        engine.dispose()
    return key


def stored(database: Database, lane: Lane, source: str) -> dict[str, int]:
    engine = make_engine(database.url)
    try:
        with engine.connect() as conn:
            if lane.stores == "alerts":
                query = "SELECT COUNT(*) FROM alerts WHERE source = :source"
                return {"alerts": conn.execute(text(query), {"source": source}).scalar_one()}
            return {
                table: conn.execute(
                    text(f"SELECT COUNT(*) FROM {table} WHERE source = :source"),
                    {"source": source},
                ).scalar_one()
                for table in ("events", "raw_events", "rejected_items")
            }
    finally:
        engine.dispose()


def wait_stored(
    database: Database, lane: Lane, source: str, expected: int, patience: float
) -> None:
    """Until the lane's ``expected`` events (or alerts) are stored; fails after ``patience``
    seconds without progress."""
    what = lane.stores
    seen, last_progress = -1, time.perf_counter()
    while True:
        count = stored(database, lane, source)[what]
        if count >= expected:
            return
        if count != seen:
            seen, last_progress = count, time.perf_counter()
        elif time.perf_counter() - last_progress > patience:
            raise RuntimeError(f"{lane.name}: {count} of {expected} {what} stored, no progress")
        time.sleep(0.05)


def run_lane(
    lane: Lane, runtime: LocalRuntime, database: Database, key: str, args: Any, count: int
) -> tuple[float, float]:
    """One round of one lane, ``count`` events: (events/s accepted, events/s end to end)."""
    source = source_of(lane)
    before = stored(database, lane, source)[lane.stores]
    tag = uuid.uuid4().hex[:12]
    started = time.perf_counter()
    lane.send(runtime.api, key, source, count, args.batch, tag)
    sent = time.perf_counter()
    wait_stored(database, lane, source, before + count, args.patience)
    done = time.perf_counter()
    return count / (sent - started), count / (done - started)


def problems_of(database: Database, lanes: tuple[Lane, ...], expected: int) -> list[str]:
    problems = []
    for lane in lanes:
        counts = stored(database, lane, source_of(lane))
        wanted = (
            {"alerts": expected}
            if lane.stores == "alerts"
            else {"events": expected, "raw_events": expected, "rejected_items": 0}
        )
        if counts != wanted:
            problems.append(f"{lane.name}: expected {wanted}, stored {counts}")
    return problems


@contextmanager
def runtime_on(
    backend: str, workdir: Path, notify_per_second: int | None
) -> Iterator[tuple[Database, LocalRuntime]]:
    pace = (
        {} if notify_per_second is None else {"TRIPLINE_NOTIFY_PER_SECOND": str(notify_per_second)}
    )
    with (
        fresh_database(backend, "protocols", workdir) as database,
        local_runtime(database.url, workdir, pace) as runtime,
    ):
        yield database, runtime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=500, help="events per lane and round")
    parser.add_argument("--batch", type=int, default=100, help="events per batch request")
    parser.add_argument("--repeats", type=int, default=3, help="rounds of every lane")
    parser.add_argument("--backend", choices=("sqlite", "mysql"), default="sqlite")
    parser.add_argument("--patience", type=float, default=60.0, help="seconds without progress")
    parser.add_argument(
        "--notify-per-second",
        type=int,
        help="the email pace (TRIPLINE_NOTIFY_PER_SECOND; default the shipped 10), which bounds "
        "PagerDuty triggers: each one emails",
    )
    args = parser.parse_args(argv)
    timings = {lane.name: Timing() for lane in LANES}
    with (
        tempfile.TemporaryDirectory(prefix="tripline-bench-") as folder,
        runtime_on(args.backend, Path(folder), args.notify_per_second) as (database, runtime),
    ):
        keys = {lane.name: ingest_key(database, source_of(lane)) for lane in LANES}
        warm = min(args.batch, args.events)  # each lane once, unmeasured: imports, connections
        for lane in LANES:
            run_lane(lane, runtime, database, keys[lane.name], args, warm)
        for _ in range(args.repeats):
            for lane in LANES:
                accepted, end_to_end = run_lane(
                    lane, runtime, database, keys[lane.name], args, args.events
                )
                timings[lane.name].accepted.append(accepted)
                timings[lane.name].end_to_end.append(end_to_end)
        problems = problems_of(database, LANES, warm + args.events * args.repeats)
    pace = args.notify_per_second or "the shipped 10"
    print(
        f"{args.backend}, the shipped rules, {args.events} events per lane, batches of "
        f"{args.batch}, median of {args.repeats} rounds, emails paced at {pace} a second"
    )
    print("| lane | events/s accepted | events/s end to end | reference | end to end / reference |")
    print("|---|---|---|---|---|")
    for lane in LANES:
        mine = statistics.median(timings[lane.name].end_to_end)
        reference = statistics.median(timings[lane.reference].end_to_end)
        print(
            f"| {lane.name} | {statistics.median(timings[lane.name].accepted):,.0f}"
            f" | **{mine:,.0f}** | {lane.reference} | {mine / reference:.2f}x |"
        )
    if problems:
        print("\n".join(["FAILED:", *problems]), file=sys.stderr)
        return 1
    print(
        "checked: every lane's events stored exactly once, raw and processed, none rejected; "
        "one alert per PagerDuty trigger"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
