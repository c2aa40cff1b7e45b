"""The database goes away in the middle of a run: the batch it was writing goes back to the queue
whole, nothing of it stays half-written, and after recovery every row lands once.

The outage is injected on the app's engine (:class:`~tests.faults.harness.DatabaseOutage`: the
driver's own "lost connection" error from a chosen statement on) rather than by stopping the
shared MySQL server other tests are using. The queues are moto's, delivered by the local
runtime's pump, so "back to the queue" is SQS's own redelivery.
"""

from __future__ import annotations

from collections.abc import Callable

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
from tests.faults.workload import (
    expect_all_done,
    expect_events_done,
    submit,
    submit_events,
    submit_files,
)


def clean_run(tripline: Tripline, database_url: str, *, files: bool) -> None:
    tripline.use(database_url)
    submit_events(tripline)
    deliver_in_order(tripline, EVENTS)
    if files:
        submit_files(tripline)
        deliver_in_order(tripline, UPLOADS, ROWS)


def test_an_outage_while_a_batch_is_written_hands_it_back_whole_and_loses_nothing(
        tripline: Tripline, fresh_database: Callable[[str], str], database_url: str) -> None:
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
        tripline: Tripline, fresh_database: Callable[[str], str], database_url: str) -> None:
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
        tripline: Tripline, fresh_database: Callable[[str], str], database_url: str) -> None:
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
            (10, 0, 10), (10, 0, 10), (1, 0, 1), (1, 0, 1), (0, 0, 0), (0, 0, 0)]
        assert [tripline.visible(one) for one in (EVENTS.queue, UPLOADS.queue, ROWS.queue)] == [
            16, 2, 0]
        # AND the database holds nothing at all
        assert differences(empty, snapshot(database_url)) == {}
    # WHEN it is back THEN everything is stored once, as in the clean run
    poll_until_quiet(pumps)
    after = snapshot(tripline.engine)
    assert differences(expected, after) == {}
    expect_all_done(after)
