"""What the local runtime shows a person: a short banner on stdout, one-line logs on stderr.

Logs keep their keys (``queue_url=… error=…``) visible instead of hiding ``extra`` as the default
formatter does, and the chatty libraries (werkzeug logs every moto request, botocore announces
where it found credentials) are held to warnings so the console stays readable.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from sqlalchemy.engine import make_url

_STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({})))
QUIET_LOGGERS = ("werkzeug", "botocore", "boto3", "urllib3", "alembic")


class KeyValueFormatter(logging.Formatter):
    """``time level logger: message key=value …``; the keys are the ones passed in ``extra``."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        extras = {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRIBUTES}
        extras.pop("message", None)
        extras.pop("asctime", None)
        pairs = " ".join(f"{key}={value}" for key, value in extras.items())
        if not pairs:
            return text
        head, newline, rest = text.partition("\n")
        return f"{head} {pairs}{newline}{rest}"


def configure_logging(stream: TextIO = sys.stderr, process: str = "") -> None:
    """``process`` names a child process of the runtime in each of its lines (``local.pump
    [process_events-2]``), so a line on the shared console says which poller wrote it."""
    handler = logging.StreamHandler(stream)
    where = f" [{process}]" if process else ""
    handler.setFormatter(
        KeyValueFormatter(
            f"%(asctime)s %(levelname)s %(name)s{where}: %(message)s", datefmt="%H:%M:%S"
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def shown_database_url(url: str) -> str:
    """The URL with its password hidden; a relative SQLite path also as the file it resolves to."""
    parsed = make_url(url)
    shown = parsed.render_as_string(hide_password=True)
    database = parsed.database or ""
    if parsed.get_backend_name() == "sqlite" and database and not Path(database).is_absolute():
        return f"{shown}  (file {Path(database).resolve()})"
    return shown


@dataclass(frozen=True)
class QueueLine:
    queue: str
    handler: str
    batch_size: int
    dead_letter_queue: str | None
    pollers: int = 1  # processes polling the queue


@dataclass(frozen=True)
class Banner:
    api_url: str
    aws_url: str
    region: str
    database_url: str
    queues: Sequence[QueueLine]
    bucket: str
    topic_arn: str
    schedules: Sequence[tuple[str, float]] = ()
    mailbox: str = ""
    admin_key: str = ""
    admin_key_file: str = ""

    def lines(self) -> list[str]:
        rows = [
            "Tripline is running locally",
            f"  API        {self.api_url}   (GET /health, POST|GET /events, POST|GET /uploads, "
            "GET /rules, POST /rules/test, GET /alerts, POST /alerts/{id}/ack|resolve, "
            "POST|GET|DELETE /silences, GET /kpis, POST|GET /reports, GET /digests, "
            "POST|GET /replays, /openapi.json)",
            f"  docs       {self.api_url}/docs   (the API in Swagger UI, no key needed)",
            f"  console    {self.api_url}/console   (overview and alerts: sign in with a key)",
            f"  AWS (moto) {self.aws_url}   region {self.region}",
            f"  database   {shown_database_url(self.database_url)}",
        ]
        for line in self.queues:
            dlq = f", dead letters to {line.dead_letter_queue}" if line.dead_letter_queue else ""
            pollers = f"{line.pollers} poller{'s' if line.pollers != 1 else ''}"
            batch = f"batch {line.batch_size}, {pollers}"
            rows.append(f"  queue      {line.queue} -> {line.handler} ({batch}){dlq}")
        rows.extend(f"  schedule   {name} every {period:g} s" for name, period in self.schedules)
        rows.append(f"  bucket     {self.bucket}   topic {self.topic_arn}")
        if self.mailbox:
            rows.append(
                f"  mailbox    {self.mailbox} (one .eml per alert or digest email; the "
                "topics' messages land here)"
            )
        rows.append(f"  CSV        tripline upload FILE --source shop --api-url {self.api_url}")
        rows.append(
            f"             aws --endpoint-url {self.aws_url} s3 cp FILE "
            f"s3://{self.bucket}/incoming/<source>/"
        )
        if self.admin_key:
            kept = f"   (also in {self.admin_key_file})" if self.admin_key_file else ""
            rows.append(f"  admin key  {self.admin_key}{kept}")
            rows.append(
                "             every route but /health: -H 'Authorization: Bearer <key>';"
                " tripline keys create --role ingest|operator|admin for others"
            )
        rows.append("Press Ctrl-C to stop.")
        return rows


def show(lines: Sequence[str], stream: TextIO | None = None) -> None:
    """Print and flush: the console may be a pipe (a test, a log collector) that buffers."""
    out = stream or sys.stdout
    out.write("\n".join(lines) + "\n")
    out.flush()
