"""The weekly digest through app.py: the hourly schedule sends last week's once, as one email
whose link is the week's workbook; GET /digests and /digests/latest read it back."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlparse

import openpyxl
import pytest

from chalicelib import bootstrap
from chalicelib.domain.errors import RequestError
from chalicelib.use_cases import use_cases
from tests.builders import FixedClock, event_item
from tests.functional.helpers import post_events, process, queued_records

# Monday 2026-11-23 08:00 in Berlin: week 2026-W47 (16 to 22 November) has ended and is due
MONDAY_MORNING = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


@pytest.fixture
def berlin(app_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("TRIPLINE_DIGEST_TIMEZONE", "Europe/Berlin")
    bootstrap.reset()
    return app_env


@pytest.fixture
def digest_mail(berlin: dict[str, Any]) -> Iterator[Any]:
    """A queue subscribed to the digests topic, as a manager's address would be."""
    sqs, sns = berlin["clients"]["sqs"], berlin["clients"]["sns"]
    url = sqs.create_queue(QueueName="digest-inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    topic = bootstrap.container().settings.digests_topic_arn
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn["QueueArn"])

    def take() -> list[dict[str, Any]]:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        for message in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return [json.loads(message["Body"]) for message in got]

    yield take


def payment(event_id: str, at: str, amount: float) -> dict[str, Any]:
    data = {"amount": amount, "currency": "EUR", "card": "c-1", "merchant": "acme"}
    return event_item(
        source="payments",
        type="payment.attempted",
        id=event_id,
        occurred_at=at,
        data=data | {"status": "captured"},
    )


def scheduled(client: Any, at: datetime) -> dict[str, Any]:
    """The hourly schedule's run at ``at``."""
    bootstrap.container().clock = FixedClock(at)
    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    answer = client.lambda_.invoke("send_digest", event)
    return dict(answer.payload)


def workbook_at(aws: dict[str, Any], url: str) -> Any:
    path = unquote(urlparse(url).path).lstrip("/")
    bucket = aws["resources"].bucket
    body = aws["clients"]["s3"].get_object(Bucket=bucket, Key=path.removeprefix(f"{bucket}/"))
    return openpyxl.load_workbook(io.BytesIO(body["Body"].read()))


def test_last_weeks_digest_is_one_email_linking_to_its_workbook_and_is_sent_once(
    client: Any, berlin: dict[str, Any], digest_mail: Any
) -> None:
    # GIVEN three payments in week 47 (one large enough to open an alert) and one the week after
    week_47 = [
        payment("w47-1", "2026-11-17T10:00:00Z", 12.5),
        payment("w47-2", "2026-11-22T22:30:00Z", 7250),  # Sunday 23:30 in Berlin: still week 47
        payment("w47-3", "2026-11-16T09:00:00Z", 40),
    ]
    week_48 = [payment("w48-1", "2026-11-22T23:30:00Z", 9)]  # Monday 00:30 in Berlin: week 48
    for items, processed_at in ((week_47, "22:45"), (week_48, "23:40")):
        bootstrap.container().clock = FixedClock(
            datetime.fromisoformat(f"2026-11-22T{processed_at}Z")
        )
        assert post_events(client, {"events": items}).status_code == 202
        assert process(client, queued_records(berlin)) == []
    # WHEN the hourly schedule runs on Monday at 06:00 in Berlin THEN week 47 is not due yet:
    # the latest due is week 46's, sent by the first run that saw it due, once
    early = [scheduled(client, datetime(2026, 11, 23, hour, 0, tzinfo=UTC)) for hour in (4, 5)]
    assert [(one["week"], one["sent"]) for one in early] == [
        ("2026-W46", True),
        ("2026-W46", False),
    ]
    assert [mail["Subject"] for mail in digest_mail()] == ["Tripline weekly digest 2026-W46"]
    # WHEN it runs at 08:00 and again at 09:00
    first = scheduled(client, MONDAY_MORNING)
    again = scheduled(client, datetime(2026, 11, 23, 8, 0, tzinfo=UTC))
    # THEN week 47's digest went out once, naming its figures
    assert (first["week"], first["sent"], again["sent"]) == ("2026-W47", True, False)
    [mail] = digest_mail()
    assert mail["Subject"] == "Tripline weekly digest 2026-W47"
    assert "Events stored: 3" in mail["Message"] and "Alerts opened: 1" in mail["Message"]
    link = next(line for line in mail["Message"].splitlines() if line.startswith("http"))
    # AND its link is a workbook with one sheet per topic, week 47's payments in it
    book = workbook_at(berlin, link)
    assert book.sheetnames == ["sources", "uploads", "rules", "alerts", "availability"]
    sources = list(book["sources"].iter_rows(values_only=True))
    assert sources[1][:2] == ("payments", 3)
    rules = {row[0]: row[1] for row in book["rules"].iter_rows(min_row=2, values_only=True)}
    assert rules["large-payment"] == 1
    # AND the API lists it, and signs a fresh link to the same workbook
    listed = json.loads(client.http.get("/digests").body)["items"]
    assert [(one["week"], one["status"]) for one in listed] == [
        ("2026-W47", "sent"),
        ("2026-W46", "sent"),
    ]
    latest = json.loads(client.http.get("/digests/latest").body)
    assert latest["headline"]["events_stored"] == 3
    assert urlparse(latest["download"]["url"]).path == urlparse(link).path


def test_a_week_not_yet_ended_is_refused_naming_the_week(berlin: dict[str, Any]) -> None:
    # GIVEN Monday morning of week 48 WHEN week 48's digest is asked for by hand
    bootstrap.container().clock = FixedClock(MONDAY_MORNING)
    with pytest.raises(RequestError) as refused:
        use_cases().send_digest("2026-W48")
    # THEN it is refused, naming the week
    assert [detail.field for detail in refused.value.details] == ["week"]
    assert "has not ended yet" in str(refused.value)


def test_no_digest_sent_yet_is_a_404(client: Any) -> None:
    answer = client.http.get("/digests/latest")
    assert answer.status_code == 404
