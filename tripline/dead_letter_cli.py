"""``tripline dlq list / show / redrive``: the dead-letter queues, from an operator's terminal.

They talk to SQS where the app does: ``TRIPLINE_AWS_ENDPOINT_URL`` (moto, under ``tripline local``)
or AWS with the usual credentials. QUEUE is ``events``, ``uploads`` or ``rows`` (or a full queue
name, its DLQ's included). A redrive is safe to repeat and to interrupt: processing is idempotent,
and a message leaves its DLQ only once it is back on its queue.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the adapter imports botocore: only the dlq commands pay for it
    from chalicelib.adapters.aws.dead_letters import DeadLetter, SqsDeadLetters

Say = Callable[[str], None]
Ask = Callable[[str], bool]
BODY_CHARS = 2000


def add_arguments(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dlq = commands.add_parser("dlq", help="dead-letter queues: list, show, redrive")
    group = dlq.add_subparsers(dest="dlq", required=True)
    group.add_parser(
        "list", help="every queue's DLQ and how many messages wait there"
    ).set_defaults(run=lambda args: run_list(args, _say))
    show = group.add_parser(
        "show",
        help="print messages of a DLQ without taking them off it",
        description="Each message: id, sent at, receive count, attributes and body (pretty JSON, "
        f"cut at {BODY_CHARS} characters; --json prints everything).",
    )
    show.add_argument("queue", help="events, uploads or rows")
    show.add_argument("--limit", type=_positive, default=10, help="at most N (default 10)")
    show.add_argument("--json", action="store_true", help="a JSON list, bodies whole")
    show.set_defaults(run=lambda args: run_show(args, _say))
    redrive = group.add_parser(
        "redrive",
        help="move a DLQ's messages back to their queue",
        description="Asks first on a terminal unless --yes. Exit status: 0 all moved, 1 some "
        "failed (they stay on the DLQ) or not confirmed, 2 a bad queue or SQS down.",
    )
    redrive.add_argument("queue", help="events, uploads or rows")
    redrive.add_argument("--limit", type=_positive, default=None, help="at most N (default all)")
    redrive.add_argument("--yes", action="store_true", help="do not ask")
    redrive.set_defaults(run=lambda args: run_redrive(args, _say, _ask))


def run_list(_: argparse.Namespace, say: Say) -> int:
    counts = dead_letters().counts()
    left = max(len("queue"), *(len(count.queue) for count in counts))
    middle = max(len("dead-letter queue"), *(len(count.dead_letter_queue) for count in counts))
    say(f"{'queue':<{left}}  {'dead-letter queue':<{middle}}  messages")
    for count in counts:
        busy = f" ({count.in_flight} being read)" if count.in_flight else ""
        say(f"{count.queue:<{left}}  {count.dead_letter_queue:<{middle}}  {count.messages}{busy}")
    return 0


def run_show(args: argparse.Namespace, say: Say) -> int:
    letters = dead_letters().peek(args.queue, args.limit)
    if args.json:
        say(json.dumps([_view(letter) for letter in letters], indent=2, ensure_ascii=False))
        return 0
    from chalicelib.adapters.aws.dead_letters import find_queue

    say(
        f"{find_queue(args.queue).dead_letter_queue}: {len(letters)} message(s)"
        + (f" (the first {args.limit}; --limit for more)" if len(letters) == args.limit else "")
    )
    for letter in letters:
        say("")
        say(
            f"message {letter.message_id}  sent {_when(letter) or '?'}  "
            f"receive count {letter.receive_count if letter.receive_count is not None else '?'}"
        )
        for name, value in letter.attributes.items():
            say(f"  {name} = {value.get('StringValue', '<binary>')}")
        say(_indent(_cut(_pretty(letter.body))))
    return 0


def run_redrive(args: argparse.Namespace, say: Say, ask: Ask) -> int:
    adapter = dead_letters()
    if not args.yes and sys.stdin.isatty():
        count = adapter.count(args.queue)
        if not count.messages:
            say(f"{count.dead_letter_queue} is empty: nothing to move")
            return 0
        many = (f"up to {args.limit} of " if args.limit else "") + f"{count.messages}"
        if not ask(
            f"move {many} message(s) from {count.dead_letter_queue} back to {count.queue}? [y/N] "
        ):
            say("nothing moved")
            return 1
    report = adapter.redrive(args.queue, args.limit)
    say(f"moved {len(report.moved)} message(s) from {report.dead_letter_queue} to {report.queue}")
    if report.failed:
        say(f"failed {len(report.failed)} (left on {report.dead_letter_queue}):")
        for failure in report.failed:
            say(f"  {failure.message_id}: {failure.reason}")
    return 1 if report.failed else 0


def dead_letters() -> SqsDeadLetters:
    from chalicelib.adapters.aws.clients import make_client
    from chalicelib.adapters.aws.dead_letters import SqsDeadLetters
    from chalicelib.settings import Settings

    return SqsDeadLetters(make_client("sqs", Settings.from_env(os.environ)))


def _view(letter: DeadLetter) -> dict[str, object]:
    return {
        "message_id": letter.message_id,
        "sent_at": _when(letter),
        "receive_count": letter.receive_count,
        "attributes": letter.attributes,
        "body": letter.body,
    }


def _when(letter: DeadLetter) -> str | None:
    if letter.sent_at is None:
        return None
    return letter.sent_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _pretty(body: str) -> str:
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


def _cut(text: str) -> str:
    if len(text) <= BODY_CHARS:
        return text
    return f"{text[:BODY_CHARS]}\n… {len(text) - BODY_CHARS} more characters (--json shows all)"


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def _positive(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def _ask(question: str) -> bool:
    try:
        return input(question).strip().lower() in ("y", "yes")
    except EOFError:
        return False


def _say(line: str) -> None:
    print(line, flush=True)
