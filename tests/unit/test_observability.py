"""The service's one logger: built once however many threads ask at once, JSON with its keys, and
each invocation's keys on its own lines only (the local runtime runs invocations on threads)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib import observability

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
    result = subprocess.run([sys.executable, "-c", BUILD_FROM_MANY_THREADS], cwd=ROOT,
                            capture_output=True, text=True, timeout=60, check=False)
    # THEN every one got the same logger, with Powertools' JSON formatter, and none raised
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == {
        "loggers": 1, "errors": [], "formatter": "LambdaPowertoolsFormatter"}


def http_request(request_id: str) -> Any:
    return SimpleNamespace(context={"requestId": request_id}, method="POST", path="/events")


def lambda_event(function: str, request_id: str) -> Any:
    return SimpleNamespace(context=SimpleNamespace(aws_request_id=request_id,
                                                   function_name=function))


def test_each_invocation_logs_with_its_own_keys_while_another_runs_on_another_thread(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
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
        threading.Thread(target=observability.observe,
                         args=(http_request("req-http"), handler("event accepted"))),
        threading.Thread(target=observability.observe,
                         args=(lambda_event("tripline-local-tick", "req-tick"),
                               handler("tick done"))),
    ]
    # WHEN each logs a line while the other is in the middle of its work
    for one in invocations:
        one.start()
    for one in invocations:
        one.join()
    lines = {line["message"]: line for line in map(json.loads, capsys.readouterr().out.splitlines())
             if line.get("service") == "tripline"}
    # THEN each line is JSON carrying its own invocation's keys, and none of the other's
    http, tick = lines["event accepted"], lines["tick done"]
    assert (http["request_id"], http["path"], http["step"]) == ("req-http", "/events",
                                                                 "event accepted")
    assert "function" not in http
    assert (tick["request_id"], tick["function"]) == ("req-tick", "tripline-local-tick")
    assert "path" not in tick and "http_method" not in tick
    # AND once an invocation ends its keys are gone from the thread
    observability.logger().info("between invocations")
    after = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert "request_id" not in after and "function" not in after
