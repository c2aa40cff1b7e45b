"""Known errors through the app, on real failing files: each remedy kind of
``tests/data/known_errors/known-errors.yaml`` applied to the file it is for, the upload ending
complete (or, for ``none``, failed with its runbook on the incident), the incident's timeline
saying what was done, and ``GET /known-errors`` counting it.

The files are in ``tests/data/known_errors/files/``: Latin-1 bytes for a UTF-8 source, a
semicolon-separated export, a two-line banner above the header, a plain file met by a rows queue
that was away, and a carriage return inside an unquoted field.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.topology import QUEUES, ROWS_QUEUE, UPLOADS_QUEUE
from tests.builders import sqs_event, sqs_record
from tests.functional.uploads import drain, only_upload_id, put, run_pipeline, upload_status

DATA = Path(__file__).resolve().parents[1] / "data" / "known_errors"


@pytest.fixture
def known_rules(app_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Path:
    """The tests' rules folder: the orders source and a known error per remedy kind."""
    monkeypatch.setenv("TRIPLINE_RULES_DIR", str(DATA))
    bootstrap.reset()
    return DATA


def drop(app_env: dict[str, Any], name: str) -> None:
    put(app_env, f"incoming/orders/{name}", (DATA / "files" / name).read_bytes())


def known_errors(client: Any) -> dict[str, dict[str, Any]]:
    response = client.http.get("/known-errors")
    assert response.status_code == 200, response.body
    return {item["id"]: item for item in json.loads(response.body)["items"]}


def incident_of(client: Any, upload_id: str) -> dict[str, Any]:
    listed = json.loads(client.http.get("/alerts?rule=pipeline.upload-failed").body)["items"]
    [incident] = [one for one in listed if one["group"] == {"upload": upload_id}]
    found: dict[str, Any] = json.loads(client.http.get(f"/alerts/{incident['id']}").body)
    return found


def timeline_text(incident: dict[str, Any]) -> str:
    return "\n".join(json.dumps(line, ensure_ascii=False) for line in incident["timeline"])


@pytest.mark.parametrize(
    ("name", "known_error", "first_id"),
    [
        ("latin1.csv", "legacy-latin1-export", "L-1"),
        ("semicolons.csv", "semicolon-export", "S-1"),
        ("banner.csv", "export-banner", "B-1"),
    ],
)
def test_a_file_read_another_way_by_its_known_error_ends_complete(
    client: Any,
    app_env: dict[str, Any],
    known_rules: Path,
    name: str,
    known_error: str,
    first_id: str,
) -> None:
    # GIVEN a file the orders source cannot read as declared
    drop(app_env, name)
    # WHEN it is imported (the remedy's re-import runs through the same queues)
    run_pipeline(client, app_env)
    # THEN the upload is complete, its rows stored as the file meant them
    upload_id = only_upload_id(client)
    status = upload_status(client, upload_id)
    assert (status["status"], status["rows"]["stored"]) == ("complete", 2), status["status_reason"]
    stored = json.loads(client.http.get(f"/events/orders/{first_id}").body)
    assert stored["data"]["store"] in ("Köln", "berlin-1")
    # AND its incident was opened, told the remedy, and resolved by it
    incident = incident_of(client, upload_id)
    assert incident["status"] == "resolved"
    assert f"known error '{known_error}'" in incident["resolved"]["resolution"]
    assert f"known error '{known_error}' matched" in timeline_text(incident)
    # AND GET /known-errors counts the match and the remedy that worked
    counted = known_errors(client)[known_error]
    assert counted["matches"] == 1
    assert counted["remedies"] == {"applied": 1, "succeeded": 1, "failed": 0, "pending": 0}
    assert counted["last_seen_at"] is not None


def test_latin1_rows_are_stored_as_the_file_meant_them(
    client: Any, app_env: dict[str, Any], known_rules: Path
) -> None:
    # GIVEN Latin-1 bytes for a UTF-8 source WHEN imported with its known error's re-read
    drop(app_env, "latin1.csv")
    run_pipeline(client, app_env)
    # THEN the accented cells read as written
    stored = json.loads(client.http.get("/events/orders/L-2").body)
    assert (stored["data"]["store"], stored["data"]["size"]) == ("Düsseldorf", "klein")


def test_a_transient_failure_is_retried_after_its_delay_and_the_upload_completes(
    client: Any, app_env: dict[str, Any], known_rules: Path
) -> None:
    # GIVEN a plain file whose fan-out meets a rows queue that is away, on its last delivery
    sqs = app_env["clients"]["sqs"]
    rows_url = app_env["resources"].queue_urls[ROWS_QUEUE]
    sqs.delete_queue(QueueUrl=rows_url)
    drop(app_env, "plain.csv")
    notification = next(r for r in drain(app_env, UPLOADS_QUEUE) if "Records" in r["body"])
    last = next(spec.max_receive_count for spec in QUEUES if spec.name == UPLOADS_QUEUE)
    record = sqs_record(
        notification["body"], message_id=notification["messageId"], receive_count=last
    )
    answer = client.lambda_.invoke("fan_out_uploads", sqs_event(record))
    assert [one["itemIdentifier"] for one in answer.payload["batchItemFailures"]] == [
        notification["messageId"]
    ]
    upload_id = only_upload_id(client)
    # THEN the upload waits for the retry its known error scheduled
    waiting = upload_status(client, upload_id)
    assert waiting["status"] == "awaiting_upload", waiting
    assert "known error 'rows-queue-hiccup' matched: retry 1 of 2" in waiting["status_reason"]
    # WHEN the queue is back and the retry's delay has passed
    sqs.create_queue(QueueName=ROWS_QUEUE)
    time.sleep(1.2)
    run_pipeline(client, app_env)
    # THEN the upload is complete and its incident resolved by the remedy
    status = upload_status(client, upload_id)
    assert (status["status"], status["rows"]["stored"]) == ("complete", 2), status["status_reason"]
    incident = incident_of(client, upload_id)
    assert incident["status"] == "resolved"
    assert "known error 'rows-queue-hiccup'" in incident["resolved"]["resolution"]
    counted = known_errors(client)["rows-queue-hiccup"]
    assert (counted["matches"], counted["remedies"]["succeeded"]) == (1, 1)


def test_an_unfixable_file_stays_failed_with_its_runbook_on_the_incident(
    client: Any, app_env: dict[str, Any], known_rules: Path
) -> None:
    # GIVEN a file with a carriage return inside an unquoted field WHEN it is imported
    drop(app_env, "broken.csv")
    run_pipeline(client, app_env)
    # THEN it stays failed, and its incident is open, annotated with the runbook
    upload_id = only_upload_id(client)
    assert upload_status(client, upload_id)["status"] == "failed"
    incident = incident_of(client, upload_id)
    assert incident["status"] == "open"
    text = timeline_text(incident)
    assert "known error 'broken-quoting' matched; no automatic remedy" in text
    assert "https://wiki.example/runbooks/broken-csv" in text
    # AND it is counted as a match with no remedy applied
    counted = known_errors(client)["broken-quoting"]
    assert counted["matches"] == 1
    assert counted["remedies"] == {"applied": 0, "succeeded": 0, "failed": 0, "pending": 0}


def test_a_remedy_that_does_not_help_leaves_the_upload_failed_saying_so(
    client: Any, app_env: dict[str, Any], known_rules: Path
) -> None:
    # GIVEN a Latin-1 file whose rows also hold a semicolon header: re-read, it still fails
    body = "order_id;ordered_at;Größe\nX-1;2026-11-22T08:00:00Z;groß\n".encode("latin-1")
    put(app_env, "incoming/orders/both.csv", body)
    # WHEN it is imported
    run_pipeline(client, app_env)
    # THEN the first remedy (latin-1) was applied, failed, and the second (';') then worked
    upload_id = only_upload_id(client)
    status = upload_status(client, upload_id)
    counted = known_errors(client)
    assert counted["legacy-latin1-export"]["remedies"]["failed"] == 1
    assert counted["semicolon-export"]["remedies"]["applied"] == 1
    # the file lacks the required store column: the last re-import fails, and nothing matches it
    assert status["status"] == "failed", status
    incident = incident_of(client, upload_id)
    assert incident["status"] == "open"
    text = timeline_text(incident)
    assert "the remedy of known error 'legacy-latin1-export' (reread) did not help" in text
    assert "the remedy of known error 'semicolon-export' (reread) did not help" in text


def test_known_errors_lists_every_known_error_with_zero_counts_at_first(
    client: Any, known_rules: Path
) -> None:
    # GIVEN no upload yet WHEN the known errors are asked for
    listed = known_errors(client)
    # THEN each is there in file order, with its remedy and nothing counted
    assert list(listed) == [
        "legacy-latin1-export",
        "semicolon-export",
        "export-banner",
        "rows-queue-hiccup",
        "broken-quoting",
    ]
    assert listed["rows-queue-hiccup"]["remedy"] == {"kind": "retry", "after": "1s", "attempts": 2}
    assert listed["export-banner"]["remedy"] == {"kind": "skip_lines", "skip_lines": 2}
    assert listed["broken-quoting"]["runbook"] == "https://wiki.example/runbooks/broken-csv"
    assert all(one["matches"] == 0 and one["last_seen_at"] is None for one in listed.values())


def test_an_ingest_key_may_not_read_the_known_errors(client: Any, make_key: Any) -> None:
    ingest = make_key("ingest", ("shop",), name="feeder")
    response = client.http.get("/known-errors", headers={"Authorization": f"Bearer {ingest}"})
    assert response.status_code == 403


def test_a_known_errors_file_with_problems_leaves_imports_alone(
    client: Any,
    app_env: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN the tests' rules with a known-errors file that does not check
    rules = tmp_path / "rules"
    shutil.copytree(DATA, rules)
    (rules / "known-errors.yaml").write_text("known_errors:\n  - id: x\n    kind: nope\n")
    monkeypatch.setenv("TRIPLINE_RULES_DIR", str(rules))
    bootstrap.reset()
    # WHEN a file that fails is imported
    drop(app_env, "latin1.csv")
    run_pipeline(client, app_env)
    # THEN it fails as it would with no known errors, the log naming the file's problem by
    # file:line:col, and GET /known-errors answers 500 (a deployment's mistake, not the caller's)
    status = upload_status(client, only_upload_id(client))
    assert (status["status"], status["status_reason"]) == (
        "failed",
        "the header is not valid utf-8",
    )
    assert "rules/known-errors.yaml:3:11: known_errors[0].kind" in capsys.readouterr().out
    assert client.http.get("/known-errors").status_code == 500
