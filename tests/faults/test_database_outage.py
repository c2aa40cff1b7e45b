"""The database goes away in the middle of a run: the batch it was writing goes back to the queue
whole, nothing of it stays half-written, and after recovery every row lands once.

The outage is injected on the app's engine (:class:`~tests.faults.harness.DatabaseOutage`: the
driver's own "lost connection" error from a chosen statement on), or, to stop "the server" for a
while, by cutting a TCP proxy between the app and MariaDB (:class:`~tests.faults.tcp_proxy.
CuttableProxy`), rather than by stopping the shared MySQL server other tests are using. The
queues are moto's, delivered by the local runtime's pump, so "back to the queue" is SQS's own
redelivery, at the time the processor's backoff set.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable

import pytest
from sqlalchemy.engine import make_url

from tests.faults.harness import (
    EVENTS,
    ROWS,
    UPLOADS,
    DatabaseOutage,
    Tripline,
    deliver_in_order,
    poll_until_quiet,
)
from tests.faults.state import counts, differences, snapshot
from tests.faults.tcp_proxy import CuttableProxy
from tests.faults.workload import (
    EVENT_ITEMS,
    GARBAGE,
    expect_all_done,
    expect_events_done,
    submit,
    submit_events,
    submit_files,
)
from tripline.local.pump import SqsPump


def clean_run(tripline: Tripline, database_url: str, *, files: bool) -> None:
    tripline.use(database_url)
    submit_events(tripline)
    deliver_in_order(tripline, EVENTS)
    if files:
        submit_files(tripline)
        deliver_in_order(tripline, UPLOADS, ROWS)


def test_an_outage_while_a_batch_is_written_hands_it_back_whole_and_loses_nothing(
    tripline: Tripline, fresh_database: Callable[[str], str], database_url: str
) -> None:
    # GIVEN the workload's 16 event messages on the queue, and the first batch of ten stored
    clean_run(tripline, fresh_database("clean"), files=False)
    expected = snapshot(tripline.engine)
    tripline.use(database_url)
    submit_events(tripline)
    pump = tripline.pump(EVENTS)
    first = pump.poll_once()
    assert (first.received, len(first.deleted), first.left) == (10, 10, ())
    before = snapshot(tripline.engine)
    # WHEN the server goes away as the next batch writes its events (its raw rows already sent)
    # and stays away for two deliveries
    with DatabaseOutage(tripline.engine, at="INSERT INTO events") as outage:
        failed = [pump.poll_once(), pump.poll_once()]
        # THEN every message of the batch went back to the queue, twice, and none was deleted
        assert [(one.received, one.deleted, len(one.left)) for one in failed] == [(6, (), 6)] * 2
        assert set(failed[0].left) == set(failed[1].left)
        assert tripline.visible(EVENTS.queue) == 6
        # AND nothing of it was written: not its raw rows, not a match, not an alert
        assert outage.refused[0] == "INSERT INTO events"
        assert differences(before, snapshot(database_url)) == {}
        assert (counts(before)["raw_events"], counts(before)["events"]) == (10, 10)
    # WHEN the server is back THEN the next delivery stores the six, each once
    assert poll_until_quiet([pump]) == 1
    after = snapshot(tripline.engine)
    assert differences(expected, after) == {}
    expect_events_done(after)


def test_an_outage_while_a_chunk_is_written_hands_back_its_batch_and_the_upload_completes(
    tripline: Tripline, fresh_database: Callable[[str], str], database_url: str
) -> None:
    # GIVEN the whole workload run cleanly into one database
    clean_run(tripline, fresh_database("clean"), files=True)
    expected = snapshot(tripline.engine)
    tripline.reports()
    # AND, in another, the events stored and both files fanned out into five chunk tasks
    tripline.use(database_url)
    submit(tripline)
    events, uploads, rows = (tripline.pump(one) for one in (EVENTS, UPLOADS, ROWS))
    poll_until_quiet([events, uploads])
    assert tripline.visible(ROWS.queue) == 5
    before = snapshot(tripline.engine)
    # WHEN the server goes away as the first chunk records itself (its events already sent)
    with DatabaseOutage(tripline.engine, at="INSERT INTO upload_chunks") as outage:
        failed = rows.poll_once()
        assert outage.refused[0] == "INSERT INTO upload_chunks"
        # THEN the whole batch of four goes back to the queue, and nothing of it was written
        assert (failed.received, failed.deleted, len(failed.left)) == (4, (), 4)
        assert tripline.visible(ROWS.queue) == 5
        assert differences(before, snapshot(database_url)) == {}
    # WHEN the server is back THEN every chunk is stored once and both uploads complete
    poll_until_quiet([rows, uploads, events])
    after = snapshot(tripline.engine)
    assert differences(expected, after) == {}
    expect_all_done(after)


def test_an_outage_from_the_start_fails_every_message_and_the_retry_stores_each_once(
    tripline: Tripline, fresh_database: Callable[[str], str], database_url: str
) -> None:
    # GIVEN the workload cleanly into one database
    clean_run(tripline, fresh_database("clean"), files=True)
    expected = snapshot(tripline.engine)
    tripline.reports()
    # AND a server that is down before anything runs
    tripline.use(database_url)
    empty = snapshot(tripline.engine)
    submit(tripline)
    pumps = [tripline.pump(one) for one in (EVENTS, UPLOADS, ROWS)]
    with DatabaseOutage(tripline.engine):
        # WHEN every queue is delivered twice
        results = [pump.poll_once() for pump in pumps for _ in range(2)]
        # THEN every message received went back (the events' batches whole, each notification
        # alone) and every queue still holds all it had: 16 event messages, 2 notifications
        assert [(one.received, len(one.deleted), len(one.left)) for one in results] == [
            (10, 0, 10),
            (10, 0, 10),
            (1, 0, 1),
            (1, 0, 1),
            (0, 0, 0),
            (0, 0, 0),
        ]
        assert [tripline.visible(one) for one in (EVENTS.queue, UPLOADS.queue, ROWS.queue)] == [
            16,
            2,
            0,
        ]
        # AND the database holds nothing at all
        assert differences(empty, snapshot(database_url)) == {}
    # WHEN it is back THEN everything is stored once, as in the clean run
    poll_until_quiet(pumps)
    after = snapshot(tripline.engine)
    assert differences(expected, after) == {}
    expect_all_done(after)


@pytest.mark.slow
@pytest.mark.mysql
@pytest.mark.parametrize("fresh_database", ["mysql"], indirect=True)
def test_the_server_stopped_while_integrators_keep_posting_loses_and_duplicates_nothing(
    tripline: Tripline, fresh_database: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the workload run cleanly into one database
    clean_run(tripline, fresh_database("clean"), files=False)
    expected = snapshot(tripline.engine)
    # AND the app on another MariaDB database through a connection that can be cut, failed
    # messages coming back after 1 s, then 2 s, as the local runtime's backoff but shorter
    monkeypatch.setenv("TRIPLINE_RETRY_FIRST_SECONDS", "1")
    monkeypatch.setenv("TRIPLINE_RETRY_LONGEST_SECONDS", "2")
    server = make_url(fresh_database("faulty"))
    with CuttableProxy(server.host or "127.0.0.1", server.port or 3306) as proxy:
        tripline.use(server.set(port=proxy.port).render_as_string(hide_password=False))
        pump, deliveries = tripline.pump(EVENTS), Counter[str]()
        # AND the first request's events stored, its key checked on the way
        tripline.post(EVENT_ITEMS[:4])
        deliveries += deliver_for(tripline, pump, seconds=0)
        # WHEN the server stops, for six seconds, while the integrators keep posting and the
        # processors keep polling
        proxy.cut()
        outage_ends = time.monotonic() + 6
        for start in range(4, len(EVENT_ITEMS), 4):
            tripline.post(EVENT_ITEMS[start : start + 4])  # THEN each is accepted (202)
            deliveries += deliver_for(tripline, pump, seconds=1)
        tripline.send(EVENTS.queue, GARBAGE)
        stranger = tripline.client.http.post(
            "/events",
            headers={
                "Content-Type": "application/json",
                "Authorization": "Bearer tl_0123456789ab_" + "x" * 32,
            },
            body=json.dumps({"events": EVENT_ITEMS[:1]}),
        )
        deliveries += deliver_for(tripline, pump, seconds=outage_ends - time.monotonic())
        stored_during = counts(snapshot(str(server)))
        # AND the server comes back
        proxy.restore()
        deliveries += deliver_for(tripline, pump, seconds=30, until_empty=True)
    # THEN a key that cannot be checked was a 503, never a 500
    assert stranger.status_code == 503, stranger.body
    assert stored_during["events"] == 4
    # AND nothing reached the dead-letter queue, and no redrive was needed: every accepted event
    # is stored exactly once, as in the clean run
    assert tripline.visible(f"{EVENTS.queue}-dlq") == 0
    after = snapshot(str(server))
    assert differences(expected, after) == {}
    expect_events_done(after)
    # AND the messages that failed came back with a growing wait: a few deliveries each, where a
    # retry every poll would have spent all ten on the outage
    assert 1 < max(deliveries.values()) <= 6


def deliver_for(
    tripline: Tripline, pump: SqsPump, *, seconds: float, until_empty: bool = False
) -> Counter[str]:
    """Poll as Lambda's event source mapping does, for ``seconds`` (or, with ``until_empty``,
    until the queue holds nothing, at most that long); how often each message was delivered."""
    delivered: Counter[str] = Counter()
    deadline = time.monotonic() + max(seconds, 0)
    while True:
        result = pump.poll_once()
        delivered.update(result.deleted + result.left)
        if until_empty and not result.received and tripline.visible(EVENTS.queue) == 0:
            return delivered
        if time.monotonic() >= deadline:
            assert not until_empty, f"messages still queued after {seconds} s"
            return delivered
        if not result.received:
            time.sleep(0.1)
