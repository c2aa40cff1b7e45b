"""`tripline dlq list / show / redrive`, as an operator runs them (moto in process)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from tripline.cli import main


def bury(aws: dict[str, Any], queue: str, *bodies: str) -> None:
    url = aws["resources"].queue_urls[f"tripline-{queue}-dlq"]
    for body in bodies:
        aws["clients"]["sqs"].send_message(QueueUrl=url, MessageBody=body)


def on_queue(aws: dict[str, Any], name: str) -> list[str]:
    sqs, url = aws["clients"]["sqs"], aws["resources"].queue_urls[name]
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    return sorted(message["Body"] for message in got.get("Messages", []))


class Terminal(io.StringIO):
    """Standard input that is a terminal, holding what the operator types."""

    def isatty(self) -> bool:
        return True


def test_list_prints_each_queue_its_dlq_and_messages(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN two messages on the rows DLQ
    bury(aws, "rows", "{}", "{}")
    # WHEN listed
    code = main(["dlq", "list"])
    # THEN one line per queue, in a table
    assert code == 0
    assert capsys.readouterr().out.splitlines() == [
        "queue             dead-letter queue     messages",
        "tripline-events   tripline-events-dlq   0",
        "tripline-uploads  tripline-uploads-dlq  0",
        "tripline-rows     tripline-rows-dlq     2",
        "tripline-reports  tripline-reports-dlq  0",
        "tripline-replays  tripline-replays-dlq  0",
    ]


def test_show_pretty_prints_each_message_and_cuts_long_bodies(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a JSON message and a 5,000-character one on the events DLQ
    bury(aws, "events", json.dumps({"source": "shop", "id": "e-1"}), "x" * 5000)
    # WHEN shown
    code = main(["dlq", "show", "events"])
    # THEN each has its id, sent time and receive count; JSON is indented; the long one is cut
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("tripline-events-dlq: 2 message(s)\n")
    assert out.count("\nmessage ") == 2 and "Z  receive count 1\n" in out
    assert '  {\n    "source": "shop",\n    "id": "e-1"\n  }' in out
    assert "  " + "x" * 2000 + "\n  … 3000 more characters (--json shows all)" in out
    # AND the messages are still there
    assert len(on_queue(aws, "tripline-events-dlq")) == 2


def test_show_json_gives_whole_bodies(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    bury(aws, "uploads", "y" * 5000)
    assert main(["dlq", "show", "tripline-uploads-dlq", "--json", "--limit", "5"]) == 0
    [shown] = json.loads(capsys.readouterr().out)
    assert shown["body"] == "y" * 5000
    assert set(shown) == {"message_id", "sent_at", "receive_count", "attributes", "body"}


def test_redrive_with_yes_moves_everything_back_and_exits_0(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN two messages on the events DLQ
    bury(aws, "events", '{"n": 1}', '{"n": 2}')
    # WHEN redriven without a question
    code = main(["dlq", "redrive", "events", "--yes"])
    # THEN both are back on the events queue and the DLQ is empty
    assert code == 0
    assert capsys.readouterr().out == (
        "moved 2 message(s) from tripline-events-dlq to tripline-events\n"
    )
    assert on_queue(aws, "tripline-events") == ['{"n": 1}', '{"n": 2}']
    assert on_queue(aws, "tripline-events-dlq") == []


def test_redrive_on_a_terminal_asks_and_a_no_moves_nothing(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a message on the rows DLQ and an operator at a terminal who answers "n"
    bury(aws, "rows", "{}")
    monkeypatch.setattr("sys.stdin", Terminal("n\n"))
    # WHEN a redrive is asked for
    code = main(["dlq", "redrive", "rows"])
    # THEN the question says what would move, and nothing did
    assert code == 1
    out = capsys.readouterr().out
    assert "move 1 message(s) from tripline-rows-dlq back to tripline-rows? [y/N] " in out
    assert out.endswith("nothing moved\n")
    assert on_queue(aws, "tripline-rows-dlq") == ["{}"]


def test_redrive_confirmed_on_a_terminal_moves_them(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    bury(aws, "rows", "{}")
    monkeypatch.setattr("sys.stdin", Terminal("y\n"))
    assert main(["dlq", "redrive", "rows"]) == 0
    assert on_queue(aws, "tripline-rows") == ["{}"]


def test_redrive_of_an_empty_dlq_asks_nothing(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", Terminal(""))
    assert main(["dlq", "redrive", "events"]) == 0
    assert capsys.readouterr().out == "tripline-events-dlq is empty: nothing to move\n"


def test_redrive_that_cannot_send_lists_each_failure_and_exits_1(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a message on the uploads DLQ and its source queue gone
    bury(aws, "uploads", "{}")
    aws["clients"]["sqs"].delete_queue(QueueUrl=aws["resources"].queue_urls["tripline-uploads"])
    # WHEN redriven
    code = main(["dlq", "redrive", "uploads", "--yes"])
    # THEN it says nothing moved and why, and the message is still on the DLQ
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert out[:2] == [
        "moved 0 message(s) from tripline-uploads-dlq to tripline-uploads",
        "failed 1 (left on tripline-uploads-dlq):",
    ]
    assert "queue 'tripline-uploads' unavailable" in out[2]
    assert on_queue(aws, "tripline-uploads-dlq") == ["{}"]


def test_an_unknown_queue_exits_2_naming_the_known_ones(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["dlq", "show", "payments"]) == 2
    assert "the queues are events, uploads, rows" in capsys.readouterr().err
