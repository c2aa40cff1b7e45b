"""The local runtime's banner: what a developer reads first, including where alert emails land."""

from __future__ import annotations

from tripline.local.console import Banner


def banner(mailbox: str = "") -> Banner:
    return Banner(
        api_url="http://127.0.0.1:8000",
        aws_url="http://127.0.0.1:4566",
        region="us-east-1",
        database_url="sqlite:////tmp/tripline.db",
        queues=(),
        bucket="tripline-data",
        topic_arn="arn:aws:sns:us-east-1:123456789012:tripline-alerts",
        mailbox=mailbox,
    )


def test_the_banner_says_where_alert_emails_land_and_lists_the_alert_routes() -> None:
    # GIVEN a runtime with a mailbox, WHEN its banner is drawn
    lines = banner("var/mailbox").lines()
    # THEN one line names the folder, and the API line lists the alert and silence routes
    assert (
        "  mailbox    var/mailbox (one .eml per alert or digest email; the topics' messages land "
        "here)" in lines
    )
    api = next(line for line in lines if line.startswith("  API"))
    assert "GET /alerts, POST /alerts/{id}/ack|resolve, POST|GET|DELETE /silences" in api
    assert "GET /kpis, POST|GET /reports, GET /digests" in api


def test_without_a_mailbox_the_banner_has_no_mailbox_line() -> None:
    assert not any(line.startswith("  mailbox") for line in banner().lines())


def test_the_banner_points_at_the_browsable_api_docs() -> None:
    lines = banner().lines()
    assert (
        "  docs       http://127.0.0.1:8000/docs   (the API in Swagger UI, no key needed)" in lines
    )
