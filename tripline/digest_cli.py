"""``tripline digest send``: the weekly digest, now, from an operator's terminal.

It runs the use case the hourly schedule runs, in this process, where the app's settings point:
``DATABASE_URL`` and ``TRIPLINE_AWS_ENDPOINT_URL`` (moto, under ``tripline local``) or AWS with the
usual credentials, as ``tripline keys`` and ``tripline dlq`` do. A week already sent is not sent
again, so the command is safe to repeat. Against an endpoint with no
``TRIPLINE_DIGESTS_TOPIC_ARN`` set (the local runtime sets it only for itself), the topic is
looked up there by its name.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, MutableMapping
from typing import Any

Say = Callable[[str], None]
TOPIC_VARIABLE = "TRIPLINE_DIGESTS_TOPIC_ARN"


def add_arguments(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    digest = commands.add_parser("digest", help="the weekly digest: send one now")
    group = digest.add_subparsers(dest="digest", required=True)
    send = group.add_parser(
        "send",
        help="build and email a week's digest, unless it was sent already",
        description="Uses DATABASE_URL, TRIPLINE_AWS_ENDPOINT_URL and TRIPLINE_DIGESTS_TOPIC_ARN "
        "as the app does. Exit status: 0 sent or already sent, 2 a bad week or settings.",
    )
    send.add_argument(
        "--week",
        metavar="YYYY-Www",
        help="an ISO week, e.g. 2026-W48 (default: the last whole week, as the schedule sends)",
    )
    send.set_defaults(run=lambda args: run_send(args, _say))


def run_send(args: argparse.Namespace, say: Say) -> int:
    from chalicelib import bootstrap
    from chalicelib.use_cases import use_cases

    # The service logs as it does on Lambda, JSON on stdout; here the line printed below says
    # it all, so only warnings are logged unless the operator asks for more.
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    if find_local_topic(os.environ):
        bootstrap.reset()  # the container reads the environment once
    outcome = use_cases().send_digest(args.week)
    say(describe(outcome))
    return 0


def describe(outcome: dict[str, Any]) -> str:
    """``sent digest 2026-W48: 120 events, …`` or ``digest 2026-W48 already sent``."""
    week = outcome["week"]
    if not outcome.get("sent"):
        return f"digest {week} already sent" + (
            "" if "already" in str(outcome.get("reason", "already")) else f": {outcome['reason']}"
        )
    headline = outcome.get("headline") or {}
    parts = [
        _count(headline.get("events_stored"), "event"),
        _count(headline.get("rows_rejected"), "row rejected", "rows rejected"),
        _count(headline.get("uploads"), "upload")
        + f" ({headline.get('uploads_failed') or 0} failed)",
        _count(headline.get("rule_matches"), "rule match", "rule matches"),
        _count(headline.get("alerts_opened"), "alert opened", "alerts opened")
        + f" ({headline.get('alerts_still_open') or 0} still open)",
    ]
    return f"sent digest {week}: {', '.join(parts)}; message {outcome.get('message_id')}"


def find_local_topic(env: MutableMapping[str, str]) -> bool:
    """Set the digests topic's ARN from the endpoint when only the endpoint is configured;
    whether it did. On AWS (no endpoint) nothing is looked up: the setting names the topic."""
    if env.get(TOPIC_VARIABLE) or not env.get("TRIPLINE_AWS_ENDPOINT_URL"):
        return False
    from botocore.exceptions import BotoCoreError, ClientError

    from chalicelib.adapters.aws.clients import make_client
    from chalicelib.domain.errors import DependencyError
    from chalicelib.settings import Settings
    from chalicelib.topology import DIGESTS_TOPIC

    sns = make_client("sns", Settings.from_env(env))
    try:
        arns = [
            topic.get("TopicArn", "")
            for page in sns.get_paginator("list_topics").paginate()
            for topic in page.get("Topics", [])
        ]
    except (BotoCoreError, ClientError) as exc:
        reason = str(exc).splitlines()[0]
        raise DependencyError(
            f"cannot list the SNS topics to find {DIGESTS_TOPIC}: {reason}"
        ) from exc
    found = next((arn for arn in arns if arn.rsplit(":", 1)[-1] == DIGESTS_TOPIC), None)
    if found is not None:
        env[TOPIC_VARIABLE] = found
    return found is not None


def _count(number: int | None, one: str, many: str | None = None) -> str:
    value = number or 0
    return f"{value:,} {one if value == 1 else (many or one + 's')}"


def _say(line: str) -> None:
    print(line, flush=True)
