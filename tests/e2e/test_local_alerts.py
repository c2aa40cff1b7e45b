"""On-call's side of `tripline local`: a rule broken over HTTP puts the email in the mailbox within
seconds, repeats follow while nobody acknowledges it, and acknowledging it through the API stops
them. The schedule runs every second here (``--schedule-every 1``) so repeats come in seconds."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.e2e.test_local_runtime import REPO, LocalRun, http, post_events, wait_until

MAIL_SECONDS = 10.0

pytestmark = pytest.mark.slow


def ticks(run: LocalRun) -> int:
    return run.stderr.read_text().count("scheduled function ran")


def subjects(run: LocalRun) -> list[str]:
    return [
        next(
            line
            for line in mail.read_text(encoding="utf-8").splitlines()
            if line.startswith("Subject: ")
        )
        for mail in run.mails()
    ]


def test_an_alert_is_mailed_within_seconds_and_acknowledging_it_stops_the_repeats(
    start_local: Callable[..., LocalRun], tmp_path: Path
) -> None:
    # GIVEN the repository's rules, with large-payment repeating every two seconds
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    large = rules / "large-payment.yaml"
    large.write_text(large.read_text().replace("repeat_every: 1h", "repeat_every: 2s"))
    run = start_local(
        f"sqlite:///{tmp_path / 'alerts.db'}",
        {"TRIPLINE_RULES_DIR": str(rules)},
        ("--schedule-every", "1"),
    )
    # WHEN a payment breaks it
    payment = {
        "source": "payments",
        "type": "payment.attempted",
        "id": uuid.uuid4().hex,
        "data": {"amount": 9000, "card": "c-e2e", "merchant": "e2e-books", "status": "captured"},
    }
    status, answer = post_events(run, [payment])
    assert status == 202, answer
    # THEN the email is in the mailbox within seconds, and repeats follow while unacknowledged
    wait_until(lambda: len(run.mails()) >= 1, MAIL_SECONDS, "mailed", run)
    assert subjects(run)[0] == "Subject: [HIGH] large-payment: merchant=e2e-books"
    wait_until(
        lambda: any("still open" in one for one in subjects(run)), MAIL_SECONDS, "repeated", run
    )
    # WHEN on-call acknowledges it through the API
    _, page = http("GET", f"{run.api}/alerts?status=open&rule=large-payment")
    [alert] = page["items"]
    status, acked = http(
        "POST",
        f"{run.api}/alerts/{alert['id']}/ack",
        json.dumps({"comment": "on it", "by": "e2e"}).encode(),
    )
    assert (status, acked["status"]) == (200, "acknowledged"), acked
    # THEN, once a repeat already on its way has landed, the schedule runs on and sends nothing
    after_ack = ticks(run)
    wait_until(lambda: ticks(run) >= after_ack + 2, MAIL_SECONDS, "ticking", run)
    settled = len(run.mails())
    wait_until(lambda: ticks(run) >= after_ack + 6, MAIL_SECONDS, "ticking on", run)
    assert len(run.mails()) == settled, run.output()
    _, detail = http("GET", f"{run.api}/alerts/{alert['id']}")
    kinds = [line["kind"] for line in detail["timeline"]]
    assert kinds[0] == "opened" and "acknowledged" in kinds and "sent" in kinds


def test_an_alert_whose_group_holds_control_characters_is_mailed_with_a_clean_subject(
    start_local: Callable[..., LocalRun], tmp_path: Path
) -> None:
    # GIVEN the local runtime, whose SNS refuses the subjects real SNS refuses
    run = start_local(
        f"sqlite:///{tmp_path / 'hostile.db'}", {"TRIPLINE_RULES_DIR": str(REPO / "rules")}
    )
    # WHEN a payment whose merchant holds a terminal escape, a line break and an umlaut breaks
    # large-payment
    merchant = "evil\x1b[31m\r\nBcc: all\u2028Zürich"
    payment_id = uuid.uuid4().hex
    status, answer = post_events(
        run,
        [
            {
                "source": "payments",
                "type": "payment.attempted",
                "id": payment_id,
                "data": {
                    "amount": 9000,
                    "card": "c-e2e",
                    "merchant": merchant,
                    "status": "captured",
                },
            }
        ],
    )
    assert status == 202, answer
    # THEN the email is in the mailbox, under a subject SNS takes
    wait_until(lambda: len(run.mails()) >= 1, MAIL_SECONDS, "mailed", run)
    [path] = run.mails()
    mail = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(mail, EmailMessage)
    assert mail["Subject"] == "[HIGH] large-payment: merchant=evil [31m Bcc: all Zurich"
    # AND its body names the payment and shows the whole merchant, control characters written out
    body = mail.get_content()
    assert f"Payment {payment_id} of 9000 EUR at evil\\x1b[31m\\r\\nBcc: all\\u2028Zürich" in body
    assert "Where:     payments; merchant=evil\\x1b[31m\\r\\nBcc: all\\u2028Zürich" in body
