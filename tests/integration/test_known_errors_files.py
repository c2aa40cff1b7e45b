"""``rules/known-errors.yaml`` through the linter and the rule-file adapter, and the SQS delay a
``retry`` remedy's message waits (moto)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from chalicelib.adapters.aws.sqs_queue import SqsQueue
from chalicelib.adapters.rule_files.known_errors import load_known_errors
from chalicelib.adapters.rule_files.rules import load_rulebook
from chalicelib.domain.errors import RuleFileError
from chalicelib.domain.messages import OutgoingMessage
from chalicelib.topology import UPLOADS_QUEUE
from tripline.cli import main

DATA = Path(__file__).resolve().parents[1] / "data" / "known_errors"


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    """A copy of the tests' rules folder (the orders source and its known errors)."""
    directory = tmp_path / "rules"
    shutil.copytree(DATA, directory)
    return directory


def test_the_linter_checks_known_errors_and_counts_them(
    rules: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the tests' rules folder WHEN it is linted
    code = main(["rules", "check", str(rules)])
    # THEN its known errors are loaded, and none is taken for a rule
    assert code == 0
    assert capsys.readouterr().out == (
        "rules/: 0 rules, 1 source, 0 reference tables, 5 known errors: no problems\n"
    )


def test_the_linter_names_each_known_error_problem_by_file_line_and_column(
    rules: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a known error whose pattern RE2 refuses and one re-reading with a UTF-16 encoding
    (rules / "known-errors.yaml").write_text(
        "known_errors:\n"
        "  - id: bad-pattern\n"
        "    kind: header\n"
        "    message: 'unknown column (?<=x)'\n"
        "    remedy: skip_lines\n"
        "    lines: 1\n"
        "  - id: wide\n"
        "    kind: encoding\n"
        "    remedy: reread\n"
        "    encoding: utf-16\n"
    )
    # WHEN it is linted
    code = main(["rules", "check", str(rules)])
    # THEN each problem is one line, file:line:col, and the exit status is 1
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert out[0] == (
        "rules/known-errors.yaml:4:14: known_errors[0].message: invalid RE2 pattern: "
        "invalid perl operator: (?<="
    )
    assert out[1].startswith("rules/known-errors.yaml:10:15: known_errors[1].encoding: ")
    assert out[2] == (
        "rules/: 2 problems in 1 file (0 rules, 1 source, 0 reference tables, 0 known errors loaded)"
    )


def test_a_known_errors_file_with_problems_fails_only_its_own_load(rules: Path) -> None:
    # GIVEN a known-errors file that is not a list
    (rules / "known-errors.yaml").write_text("known_errors: {id: x}\n")
    # WHEN the rules and the known errors are loaded
    book = load_rulebook(rules)
    # THEN the rules load, and the known errors say what is wrong, where
    with pytest.raises(RuleFileError) as raised:
        load_known_errors(rules, book.sources)
    assert RuleFileError.describe(raised.value.details[0]).startswith(
        "rules/known-errors.yaml:1:15: known_errors: must be a list of known errors"
    )


def test_no_file_means_no_known_errors(tmp_path: Path) -> None:
    assert load_known_errors(tmp_path, load_rulebook(tmp_path).sources).known_errors == ()


def test_a_delayed_message_is_received_only_after_its_delay(aws: dict[str, Any]) -> None:
    # GIVEN the uploads queue WHEN a retry's message is sent with a one-second delay
    sqs = aws["clients"]["sqs"]
    url = aws["resources"].queue_urls[UPLOADS_QUEUE]
    sqs.purge_queue(QueueUrl=url)  # S3's test event
    [receipt] = SqsQueue(sqs, UPLOADS_QUEUE).send([OutgoingMessage("r", "{}", delay_seconds=1)])
    assert receipt.queued
    # THEN it is not there at once, and is after the delay
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    time.sleep(1.2)
    assert len(sqs.receive_message(QueueUrl=url)["Messages"]) == 1
