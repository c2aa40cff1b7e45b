"""`tripline digest send` against `tripline local`: one email in the local mailbox, once a week.

The command runs the digest in its own process, pointed at the runtime's moto and database the
way an operator points `tripline dlq` or `tripline keys` at them (the environment); the email is
delivered by the runtime's mailbox, subscribed to the digests topic, and its link is the week's
workbook on moto's S3.
"""

from __future__ import annotations

import email
import io
import os
import subprocess
import sys
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import httpx
import openpyxl
import pytest

from tests.builders import event_item
from tests.e2e.test_local_runtime import (
    PROCESSING_SECONDS,
    REPO,
    LocalRun,
    post_events,
    stored,
    wait_until,
)
from tripline.local.credentials import FAKE_CREDENTIALS

pytestmark = pytest.mark.slow
WEEK = "2026-W47"  # 16 to 22 November 2026, UTC: ended before the tests' today
SHEETS = ["sources", "uploads", "rules", "alerts", "availability"]
MAIL_SECONDS = 15.0


def tripline_digest(run: LocalRun, database_url: str) -> subprocess.CompletedProcess[str]:
    """``tripline digest send --week WEEK`` with the runtime's settings in its environment."""
    env = {
        name: value for name, value in os.environ.items() if name != "TRIPLINE_DIGESTS_TOPIC_ARN"
    }
    env |= FAKE_CREDENTIALS | {
        "DATABASE_URL": database_url,
        "PYTHONPATH": str(REPO),
        "TRIPLINE_AWS_ENDPOINT_URL": f"http://127.0.0.1:{run.aws_port}",
        "AWS_REGION": "us-east-1",
        "TRIPLINE_API_URL": run.api,
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
    return subprocess.run(
        [sys.executable, "-m", "tripline.cli", "digest", "send", "--week", WEEK],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def digests_of_the_week(run: LocalRun) -> list[EmailMessage]:
    mails = [email.message_from_bytes(path.read_bytes(), policy=default) for path in run.mails()]
    return [mail for mail in mails if WEEK in str(mail["Subject"])]


def test_digest_send_mails_one_digest_whose_link_is_the_weeks_workbook_and_only_once(
    start_local: Callable[..., LocalRun], tmp_path: Path
) -> None:
    database_url = f"sqlite:///{tmp_path / 'tripline.db'}"
    run = start_local(database_url)
    # GIVEN events of two sources stored in a week that has ended
    items = [
        event_item(source=source, id=f"{source}-{n}", occurred_at=f"2026-11-1{7 + n}T10:00:00Z")
        for source in ("checkout", "returns")
        for n in range(3)
    ]
    status, answer = post_events(run, items)
    assert status == 202 and answer["accepted"] == len(items), answer
    wait_until(
        lambda: len(stored(run, "checkout")) + len(stored(run, "returns")) == len(items),
        PROCESSING_SECONDS,
        "the week's events stored",
        run,
    )
    # WHEN an operator sends that week's digest
    sent = tripline_digest(run, database_url)
    # THEN it says what it sent
    assert sent.returncode == 0, sent.stdout + sent.stderr + run.output()
    assert sent.stdout.startswith(f"sent digest {WEEK}: 6 events"), sent.stdout
    # AND exactly one email for that week lands in the local mailbox
    wait_until(lambda: len(digests_of_the_week(run)) == 1, MAIL_SECONDS, "digest mailed", run)
    [mail] = digests_of_the_week(run)
    body = mail.get_content()
    [link] = [line for line in body.splitlines() if line.startswith("http")]
    # AND its link downloads a workbook with one sheet for each part of the digest
    response = httpx.get(link, timeout=30)
    assert response.status_code == 200, response.text[:500]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == SHEETS
    sources = list(book["sources"].iter_rows(values_only=True))
    assert [row[:2] for row in sources[1:]] == [("checkout", 3), ("returns", 3)]

    # WHEN the same week is sent again
    again = tripline_digest(run, database_url)
    # THEN nothing is sent: it says so, and the mailbox still holds one digest of the week
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.strip() == f"digest {WEEK} already sent"
    time.sleep(2)  # the mailbox polls continuously: a second email would have landed by now
    assert len(digests_of_the_week(run)) == 1
