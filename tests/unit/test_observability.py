"""The service's one logger: built once however many threads ask at once, JSON with its keys, and
each invocation's keys on its own lines only (the local runtime runs invocations on threads)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib import observability
from chalicelib.domain.errors import Detail
from chalicelib.ports import RejectedItem
from chalicelib.services.processing import BatchOutcome

ROOT = Path(__file__).resolve().parents[2]

# A fresh interpreter each time: the logger is built once per process. Chalice's app is imported
# first, as the local runtime does, so a plain handler would be there to pick up if the logger
# were built twice.
BUILD_FROM_MANY_THREADS = """
import json, threading
import app
from chalicelib import observability
barrier, built, errors = threading.Barrier(32), [], []
def build():
    barrier.wait()
    try:
        log = observability.logger()
        log.clear_state()
        log.thread_safe_clear_keys()
        built.append(id(log))
    except Exception as exc:
        errors.append(repr(exc))
threads = [threading.Thread(target=build) for _ in range(32)]
for one in threads: one.start()
for one in threads: one.join()
formatter = type(observability.logger().registered_formatter).__name__
print(json.dumps({"loggers": len(set(built)), "errors": errors, "formatter": formatter}))
"""


@pytest.mark.parametrize("attempt", [1, 2, 3])
def test_the_logger_built_from_many_threads_at_once_is_one_powertools_logger(attempt: int) -> None:
    # WHEN 32 threads of a fresh process ask for the logger at the same moment
    result = subprocess.run(
        [sys.executable, "-c", BUILD_FROM_MANY_THREADS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # THEN every one got the same logger, with Powertools' JSON formatter, and none raised
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == {
        "loggers": 1,
        "errors": [],
        "formatter": "LambdaPowertoolsFormatter",
    }


def http_request(request_id: str) -> Any:
    return SimpleNamespace(context={"requestId": request_id}, method="POST", path="/events")


def lambda_event(function: str, request_id: str) -> Any:
    return SimpleNamespace(
        context=SimpleNamespace(aws_request_id=request_id, function_name=function)
    )


def test_each_invocation_logs_with_its_own_keys_while_another_runs_on_another_thread(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an HTTP request and a scheduled invocation running at the same time, on two threads
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    both_started = threading.Barrier(2)

    def handler(message: str) -> Any:
        def run(_event: Any) -> None:
            both_started.wait()
            observability.logger().info(message, extra={"step": message})
            both_started.wait()

        return run

    invocations = [
        threading.Thread(
            target=observability.observe, args=(http_request("req-http"), handler("event accepted"))
        ),
        threading.Thread(
            target=observability.observe,
            args=(lambda_event("tripline-local-tick", "req-tick"), handler("tick done")),
        ),
    ]
    # WHEN each logs a line while the other is in the middle of its work
    for one in invocations:
        one.start()
    for one in invocations:
        one.join()
    lines = {
        line["message"]: line
        for line in map(json.loads, capsys.readouterr().out.splitlines())
        if line.get("service") == "tripline"
    }
    # THEN each line is JSON carrying its own invocation's keys, and none of the other's
    http, tick = lines["event accepted"], lines["tick done"]
    assert (http["request_id"], http["path"], http["step"]) == (
        "req-http",
        "/events",
        "event accepted",
    )
    assert "function" not in http
    assert (tick["request_id"], tick["function"]) == ("req-tick", "tripline-local-tick")
    assert "path" not in tick and "http_method" not in tick
    # AND once an invocation ends its keys are gone from the thread
    observability.logger().info("between invocations")
    after = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert "request_id" not in after and "function" not in after


def rejected_item(event_id: str) -> RejectedItem:
    return RejectedItem(
        item_key=f"shop:{event_id}",
        reason="invalid event",
        errors=(Detail("required", field="data.amount"),),
        payload="{}",
        received_at=datetime(2024, 5, 1, tzinfo=UTC),
        source="shop",
        event_id=event_id,
    )


def test_a_processed_batch_counts_and_logs_each_message_that_needs_a_look(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN a batch with events stored, one message left for redelivery, and two rejected
    # messages, one of which is the message left for redelivery (its write failed)
    outcome = BatchOutcome(
        stored=3,
        duplicates=1,
        rejected=2,
        failure_reasons={"m-2": "database unavailable"},
        rejections={"m-1": rejected_item("e-1"), "m-2": rejected_item("e-2")},
    )
    observability.metrics().clear_metrics()
    # WHEN it is recorded
    observability.record_processing(outcome)
    lines = [
        line
        for line in map(json.loads, capsys.readouterr().out.splitlines())
        if line.get("service") == "tripline"
    ]
    counted = {
        name: sum(metric["Value"]) for name, metric in observability.metrics().metric_set.items()
    }
    observability.metrics().clear_metrics()
    # THEN its counts are this invocation's metrics (zero counts left out)
    assert counted == {
        "EventsProcessed": 3,
        "EventsReplayed": 1,
        "ItemsRejected": 2,
        "MessagesFailed": 1,
    }
    # AND the message coming back is logged with its reason, the rejected one that is not coming
    # back with where it went wrong, and the rejected one coming back only once
    assert [(line["message"], line["message_id"]) for line in lines] == [
        ("message left for redelivery", "m-2"),
        ("message stored as rejected", "m-1"),
    ]
    assert lines[0]["reason"] == "database unavailable"
    assert (lines[1]["source"], lines[1]["event_id"], lines[1]["errors"]) == (
        "shop",
        "e-1",
        [{"message": "required", "field": "data.amount"}],
    )


def test_observability_imports_no_service_not_even_for_types() -> None:
    # GIVEN observability, which services and adapters log through
    tree = ast.parse((ROOT / "chalicelib" / "observability.py").read_text())
    # WHEN every import it makes is listed, those under TYPE_CHECKING included
    imported = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    # THEN none is a service: the edge does not import the layer that imports it
    assert sorted(name for name in imported if name.startswith("chalicelib.services")) == []
