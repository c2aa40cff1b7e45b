"""`tripline local` as a user runs it: a subprocess, real HTTP, moto's server, SQLite or MySQL.

The queue is watched through the runtime's own moto endpoint, so "processed" is a fact to wait
for (the queue drained) rather than a sleep.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import quote
from urllib.request import Request, urlopen

import pytest
from sqlalchemy import create_engine, text

from chalicelib.topology import EVENTS_QUEUE, QUEUES
from tests.builders import event_item
from tests.conftest import MYSQL_SERVER_URL
from tripline.local.triggers import JOIN_SECONDS

REPO = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 30.0
PROCESSING_SECONDS = 10.0
# Stopping lets a poller in the middle of a batch finish it (up to the function's timeout, as
# Lambda would), which a loaded machine can make take longer than an idle one.
EXIT_SECONDS = JOIN_SECONDS + 10.0
DEAD_LETTERS = next(spec.dead_letter_queue for spec in QUEUES if spec.name == EVENTS_QUEUE)

pytestmark = pytest.mark.slow
# the runtime's admin key, pinned so the tests can call with it (TRIPLINE_LOCAL_ADMIN_KEY)
ADMIN_KEY = "tl_e2e0e2e0e2e0_" + "e2e-admin-key-for-local-runtime0"


@dataclass
class LocalRun:
    process: subprocess.Popen[bytes]
    api: str
    aws_port: int
    stdout: Path
    stderr: Path

    def output(self) -> str:
        return f"--- stdout\n{self.stdout.read_text()}\n--- stderr\n{self.stderr.read_text()}"

    def mails(self) -> list[Path]:
        """The alert emails in the runtime's mailbox (``var/mailbox`` under its working folder,
        where the output files are too)."""
        return sorted((self.stdout.parent / "var" / "mailbox").glob("*.eml"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http(
    method: str, url: str, body: bytes | None = None, key: str | None = ADMIN_KEY
) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"} | (
        {"Authorization": f"Bearer {key}"} if key else {}
    )
    request = Request(url, data=body, method=method, headers=headers)
    try:
        with urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def post_events(run: LocalRun, items: list[dict[str, Any]]) -> tuple[int, Any]:
    return http("POST", f"{run.api}/events", json.dumps({"events": items}).encode())


def stored(run: LocalRun, source: str) -> list[dict[str, Any]]:
    status, page = http("GET", f"{run.api}/events?source={source}&limit=100")
    assert status == 200, page
    return list(page["items"])


def wait_until(condition: Callable[[], bool], seconds: float, what: str, run: LocalRun) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if run.process.poll() is not None:
            pytest.fail(f"tripline local exited ({run.process.returncode}) {what}\n{run.output()}")
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"not {what} within {seconds} s\n{run.output()}")


def healthy(run: LocalRun) -> bool:
    try:
        return http("GET", f"{run.api}/health")[0] == 200
    except OSError:
        return False


def messages_on(run: LocalRun, queue: str) -> int:
    """Messages waiting or in flight on a queue of the runtime's moto."""
    import boto3

    sqs = boto3.client(
        "sqs",
        endpoint_url=f"http://127.0.0.1:{run.aws_port}",
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    counts = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in counts.values())


@pytest.fixture
def start_local(tmp_path: Path) -> Iterator[Callable[..., LocalRun]]:
    """Start `tripline local` in tmp_path on free ports; always killed at the end."""
    runs: list[LocalRun] = []

    def start(
        database_url: str, extra_env: dict[str, str] | None = None, options: tuple[str, ...] = ()
    ) -> LocalRun:
        port, aws_port = free_port(), free_port()
        env = os.environ | {
            "DATABASE_URL": database_url,
            "PYTHONPATH": str(REPO),
            "TRIPLINE_LOCAL_ADMIN_KEY": ADMIN_KEY,
        }
        env |= extra_env or {}
        stdout, stderr = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
        with stdout.open("wb") as out, stderr.open("wb") as err:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tripline.cli",
                    "local",
                    "--port",
                    str(port),
                    "--aws-port",
                    str(aws_port),
                    *options,
                ],
                cwd=tmp_path,
                env=env,
                stdout=out,
                stderr=err,
            )
        run = LocalRun(process, f"http://127.0.0.1:{port}", aws_port, stdout, stderr)
        runs.append(run)
        wait_until(lambda: healthy(run), STARTUP_SECONDS, "healthy", run)
        return run

    yield start
    for run in runs:
        if run.process.poll() is None:
            run.process.kill()
            run.process.wait(timeout=10)


@pytest.fixture
def fresh_mysql_url() -> Iterator[str]:
    """An empty, unmigrated MySQL database: the runtime must bring it to head itself."""
    name = f"tripline_e2e_{uuid.uuid4().hex[:8]}"
    server = create_engine(MYSQL_SERVER_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
    yield f"{MYSQL_SERVER_URL}/{name}"
    with server.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
    server.dispose()


def large_payment_matches(run: LocalRun) -> int:
    _, answer = http("GET", f"{run.api}/rules")
    rule = next(rule for rule in answer["items"] if rule["id"] == "large-payment")
    matches: int = rule["matches"]["this_version"]
    return matches


def check_the_pipeline_end_to_end(run: LocalRun) -> None:
    source = f"e2e{uuid.uuid4().hex[:8]}"
    batch = [
        event_item(source=source, type=kind)
        for kind in ("order.created", "order.paid", "order.shipped")
    ]

    # WHEN a batch is posted, THEN each item is accepted and all are stored shortly after
    status, answer = post_events(run, batch)
    assert status == 202, answer
    assert [item["status"] for item in answer["results"]] == ["accepted"] * 3
    wait_until(lambda: len(stored(run, source)) == 3, PROCESSING_SECONDS, "all stored", run)
    first = stored(run, source)
    assert {view["id"] for view in first} == {item["id"] for item in batch}

    # WHEN the same batch is posted again, THEN once processed nothing stored has changed
    status, _ = post_events(run, batch)
    assert status == 202
    wait_until(lambda: messages_on(run, EVENTS_QUEUE) == 0, PROCESSING_SECONDS, "drained", run)
    assert stored(run, source) == first
    assert messages_on(run, DEAD_LETTERS) == 0, run.output()

    # WHEN a payment breaks a sample rule of rules/, THEN GET /rules counts its match
    large = {
        "source": "payments",
        "type": "payment.attempted",
        "id": f"{source}-pay",
        "data": {"amount": 9000, "card": "c-e2e", "merchant": "e2e", "status": "captured"},
    }
    status, answer = post_events(run, [large])
    assert answer["results"][0]["status"] == "accepted", answer
    wait_until(lambda: large_payment_matches(run) == 1, PROCESSING_SECONDS, "matched", run)
    # AND on-call's email lands in the local mailbox, its links on this runtime's API
    wait_until(lambda: len(run.mails()) == 1, PROCESSING_SECONDS, "mailed", run)
    [mail] = run.mails()
    text = mail.read_text(encoding="utf-8")
    assert "X-Tripline-Rule: large-payment" in text and f"{run.api}/alerts/" in text
    assert "mail subject=" in run.stderr.read_text(), run.output()

    # WHEN the body is malformed JSON, THEN a 400 says where
    status, error = http("POST", f"{run.api}/events", b'{"events": [\n  {"source": "shop",,}]}')
    assert status == 400
    assert error["error"]["details"][0]["line"] == 2
    assert "line 2, column" in error["error"]["message"]

    # WHEN the runtime is interrupted, THEN it stops cleanly
    run.process.send_signal(signal.SIGINT)
    assert run.process.wait(timeout=EXIT_SECONDS) == 0, run.output()


def test_local_runtime_on_sqlite_accepts_processes_and_stores_each_event_once(
    start_local: Callable[[str], LocalRun], tmp_path: Path
) -> None:
    # GIVEN tripline local on a new SQLite file
    database = tmp_path / "data" / "tripline.db"
    run = start_local(f"sqlite:///{database}")

    # THEN an event is fetched by any id it was posted with, percent-encoded in the URL
    check_ids_round_trip(run)
    # AND the pipeline works end to end, in that file
    check_the_pipeline_end_to_end(run)
    assert database.is_file()


def check_ids_round_trip(run: LocalRun) -> None:
    ids = ["a b", "100%", "a+b", "AbC", "é中😀", "x/y?z#"]
    status, _ = post_events(run, [event_item(id=one) for one in ids])
    assert status == 202
    wait_until(lambda: messages_on(run, EVENTS_QUEUE) == 0, PROCESSING_SECONDS, "drained", run)
    for one in ids:
        found, view = http("GET", f"{run.api}/events/checkout/{quote(one, safe='')}")
        assert (found, view.get("id")) == (200, one), (one, view)
    assert http("GET", f"{run.api}/events/checkout/%41bC")[1]["id"] == "AbC"


@pytest.mark.mysql
def test_local_runtime_on_mysql_migrates_then_stores_each_event_once(
    start_local: Callable[[str], LocalRun], fresh_mysql_url: str
) -> None:
    # GIVEN tripline local on an empty MySQL database
    run = start_local(fresh_mysql_url)

    # THEN it migrated the database and the pipeline works end to end
    check_the_pipeline_end_to_end(run)
    engine = create_engine(fresh_mysql_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM alembic_version")).scalar() == 1
    engine.dispose()


def wait_for_port(
    port: int, process: subprocess.Popen[bytes], seconds: float, output: Path
) -> None:
    """Until something listens on ``port``; a start that exits or hangs fails with its output
    (what it was doing when the time ran out)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"tripline local exited ({process.returncode}):\n{output.read_text()}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    pytest.fail(f"nothing listening on {port} within {seconds} s:\n{output.read_text()}")


def test_twenty_starts_in_a_row_each_answer_at_once(tmp_path: Path) -> None:
    # GIVEN a quiet machine and one working folder, as a new user has
    env = os.environ | {
        "PYTHONPATH": str(REPO),
        "TRIPLINE_LOCAL_ADMIN_KEY": ADMIN_KEY,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'tripline.db'}",
    }
    answers = []
    for start in range(20):
        # WHEN `tripline local` starts, and is asked the moment its API listens
        port, aws_port = free_port(), free_port()
        with (tmp_path / f"out-{start}.txt").open("wb") as out:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tripline.cli",
                    "local",
                    "--port",
                    str(port),
                    "--aws-port",
                    str(aws_port),
                ],
                cwd=tmp_path,
                env=env,
                stdout=out,
                stderr=out,
            )
        try:
            wait_for_port(port, process, STARTUP_SECONDS, tmp_path / f"out-{start}.txt")
            api = f"http://127.0.0.1:{port}"
            health, _ = http("GET", f"{api}/health", key=None)
            posted, _ = http(
                "POST", f"{api}/events", json.dumps(event_item(source="restarts")).encode()
            )
            answers.append((health, posted))
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=EXIT_SECONDS)
    # THEN every start answered /health 200 and an authenticated POST 202, first time
    assert answers == [(200, 202)] * 20, (tmp_path / "out-0.txt").read_text()
