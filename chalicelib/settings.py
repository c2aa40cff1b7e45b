"""One frozen ``Settings`` built from a mapping (the environment, in production).

Every variable is declared once in ``VARIABLES`` with its default and meaning; the README's table is
checked against it. A bad or missing value never stops at the first: all problems are raised
together in one ``ConfigurationError`` so a deploy needs one fix, not one per cold start.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from chalicelib.domain.errors import ConfigurationError, Detail
from chalicelib.domain.events import Limits
from chalicelib.domain.retries import MAX_VISIBILITY_SECONDS, RetrySchedule

DEFAULT_DATABASE_URL = "sqlite:///var/tripline.db"
DATABASE_SCHEMES = ("sqlite", "mysql+pymysql")
MAX_TIMEOUT_SECONDS = 900  # Lambda's own limit: a longer wait can only be a mistake
SECRET_IN_URL = re.compile(r"(?<=://)([^:/@]*):[^@/]*@")
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
DEFAULT_RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
GIB = 1024**3
MIB = 1024**2
MAX_CHUNK_BYTES = 8 * MIB
# The Lambda python3.11 runtime (Amazon Linux 2) keeps the system CA bundle here; it holds the
# Amazon root CAs that issue RDS Proxy's certificates.
LAMBDA_CA_BUNDLE = "/etc/pki/tls/certs/ca-bundle.crt"
SECRET_ARN = re.compile(
    r"arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@!-]+"
)
HOST_NAME = re.compile(
    r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)
DATABASE_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")
TLS_MODES = ("verify", "off")


def _database_url(text: str) -> str:
    scheme = text.split("://", 1)[0]
    if "://" not in text or scheme not in DATABASE_SCHEMES:
        raise ValueError(f"a URL starting with {' or '.join(s + '://' for s in DATABASE_SCHEMES)}")
    return text


def _http_url(text: str) -> str | None:
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("an http:// or https:// URL")
    return text


def _topic_arn(text: str) -> str | None:
    if not text:
        return None
    if not re.fullmatch(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}", text):
        raise ValueError("an SNS topic ARN, arn:aws:sns:<region>:<account>:<name>")
    return text


def _time_zone(text: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("an IANA time zone, e.g. Europe/Berlin or UTC") from exc
    return text


def _link_seconds(text: str) -> int:
    """A presigned link signed with SigV4 lives at most seven days."""
    seconds = _positive_int(text)
    if seconds > 7 * 24 * 3600:
        raise ValueError("a whole number of seconds from 1 to 604800 (seven days)")
    return seconds


def _positive_int(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise ValueError("a whole number of at least 1")
    return int(text)


def _seconds(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_VISIBILITY_SECONDS:
        raise ValueError(f"a whole number of seconds from 0 to {MAX_VISIBILITY_SECONDS}")
    return int(text)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= MAX_TIMEOUT_SECONDS:
        raise ValueError(f"a number of seconds greater than 0 and at most {MAX_TIMEOUT_SECONDS}")
    return value


def _secret_arn(text: str) -> str | None:
    if not text:
        return None
    if not SECRET_ARN.fullmatch(text):
        raise ValueError(
            "a Secrets Manager ARN, arn:aws:secretsmanager:<region>:<account>:secret:<name>"
        )
    return text


def _host(text: str) -> str | None:
    if not text:
        return None
    if not HOST_NAME.fullmatch(text):
        raise ValueError("a host name or IPv4 address")
    return text


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 65535:
        raise ValueError("a TCP port, 1 to 65535")
    return int(text)


def _database_name(text: str) -> str:
    if not DATABASE_NAME.fullmatch(text):
        raise ValueError("1 to 64 letters, digits or '_'")
    return text


def _file_path(text: str) -> str:
    if not text:
        raise ValueError("the path of a file")
    return text


def _tls(text: str) -> bool:
    if text not in TLS_MODES:
        raise ValueError(f"one of {', '.join(TLS_MODES)}")
    return text == "verify"


def _bucket(text: str) -> str:
    if not BUCKET_NAME.fullmatch(text):
        raise ValueError("an S3 bucket name: 3 to 63 lower-case letters, digits, '.' or '-'")
    return text


def _directory(text: str) -> str:
    return text or str(DEFAULT_RULES_DIR)


def _retention_days(text: str) -> int | None:
    """Empty: keep every source without its own ``retention_days`` for ever."""
    if not text:
        return None
    from chalicelib.domain.sources import MAX_RETENTION_DAYS, MIN_RETENTION_DAYS, retention_problem

    number = int(text) if text.isascii() and text.isdigit() else text
    if retention_problem(number) is not None:
        raise ValueError(
            f"a whole number of days from {MIN_RETENTION_DAYS} to {MAX_RETENTION_DAYS}, or "
            "nothing to keep events for ever"
        )
    return int(number)


def _name(text: str) -> str:
    if not text or not all(ch.isalnum() or ch in "-_" for ch in text) or len(text) > 80:
        raise ValueError("1 to 80 letters, digits, '-' or '_'")
    return text


@dataclass(frozen=True)
class Variable:
    name: str
    attribute: str
    parse: Callable[[str], Any]
    default: str
    meaning: str


VARIABLES: tuple[Variable, ...] = (
    Variable(
        "DATABASE_URL",
        "database_url",
        _database_url,
        DEFAULT_DATABASE_URL,
        "SQLAlchemy URL: sqlite:///path or mysql+pymysql://user:pass@host/db",
    ),
    Variable(
        "TRIPLINE_DATABASE_SECRET_ARN",
        "database_secret_arn",
        _secret_arn,
        "",
        "Secrets Manager secret holding the login this function uses (username and "
        "password): the application login's, or for migrate RDS's managed master secret; "
        "set on AWS, where it replaces DATABASE_URL",
    ),
    Variable(
        "TRIPLINE_DATABASE_APP_SECRET_ARN",
        "database_app_secret_arn",
        _secret_arn,
        "",
        "with TRIPLINE_DATABASE_SECRET_ARN, on migrate only: the application login's "
        "secret, whose user migrate creates or updates with data grants only",
    ),
    Variable(
        "TRIPLINE_DATABASE_HOST",
        "database_host",
        _host,
        "",
        "database host with TRIPLINE_DATABASE_SECRET_ARN: the RDS Proxy endpoint",
    ),
    Variable(
        "TRIPLINE_DATABASE_PORT",
        "database_port",
        _port,
        "3306",
        "database port with TRIPLINE_DATABASE_SECRET_ARN",
    ),
    Variable(
        "TRIPLINE_DATABASE_NAME",
        "database_name",
        _database_name,
        "tripline",
        "database (schema) name with TRIPLINE_DATABASE_SECRET_ARN",
    ),
    Variable(
        "TRIPLINE_DATABASE_CA_FILE",
        "database_ca_file",
        _file_path,
        LAMBDA_CA_BUNDLE,
        "CA bundle that verifies the database's TLS certificate and host name (the Lambda "
        "runtime's system bundle)",
    ),
    Variable(
        "TRIPLINE_DATABASE_TLS",
        "database_tls",
        _tls,
        "verify",
        "verify: TLS with the certificate and host name checked; off: plain TCP, only for a "
        "test server without TLS (RDS Proxy refuses it)",
    ),
    Variable("AWS_REGION", "aws_region", _name, "us-east-1", "AWS region of the queues and bucket"),
    Variable(
        "TRIPLINE_AWS_ENDPOINT_URL",
        "aws_endpoint_url",
        _http_url,
        "",
        "endpoint for S3/SQS/SNS (moto locally; empty on AWS)",
    ),
    Variable(
        "TRIPLINE_MAX_BATCH_EVENTS",
        "max_batch_events",
        _positive_int,
        "500",
        "most events in one POST /events (413 past it)",
    ),
    Variable(
        "TRIPLINE_MAX_BODY_BYTES",
        "max_body_bytes",
        _positive_int,
        str(1024 * 1024),
        "largest POST /events body in bytes (413 past it)",
    ),
    Variable(
        "TRIPLINE_MAX_EVENT_BYTES",
        "max_event_bytes",
        _positive_int,
        str(32 * 1024),
        "largest single event in bytes, as compact JSON (that item is rejected)",
    ),
    Variable(
        "TRIPLINE_MAX_FIELDS",
        "max_fields",
        _positive_int,
        "200",
        "most field names in an event's data, nested ones included (that item is rejected)",
    ),
    Variable(
        "TRIPLINE_MAX_DEPTH",
        "max_depth",
        _positive_int,
        "8",
        "deepest nesting of objects and arrays in an event's data",
    ),
    Variable(
        "TRIPLINE_MAX_STRING_CHARS",
        "max_string_chars",
        _positive_int,
        "8192",
        "longest string value in an event's data, in characters",
    ),
    Variable(
        "TRIPLINE_PAGE_SIZE",
        "page_size",
        _positive_int,
        "50",
        "events per page of GET /events when no limit is given",
    ),
    Variable(
        "TRIPLINE_MAX_PAGE_SIZE",
        "max_page_size",
        _positive_int,
        "500",
        "largest limit GET /events accepts",
    ),
    Variable(
        "TRIPLINE_SQS_SEND_ATTEMPTS",
        "send_attempts",
        _positive_int,
        "3",
        "tries per SQS entry before it is reported not_queued",
    ),
    Variable(
        "TRIPLINE_AWS_CONNECT_TIMEOUT",
        "aws_connect_timeout",
        _positive_float,
        "2",
        "seconds to connect to an AWS endpoint",
    ),
    Variable(
        "TRIPLINE_AWS_READ_TIMEOUT",
        "aws_read_timeout",
        _positive_float,
        "5",
        "seconds to wait for an AWS answer",
    ),
    Variable(
        "TRIPLINE_BUCKET",
        "bucket",
        _bucket,
        "tripline-data",
        "S3 bucket for incoming/ CSV files and reports/",
    ),
    Variable(
        "TRIPLINE_RULES_DIR",
        "rules_dir",
        _directory,
        "",
        "folder of rule and source files (empty: rules/ beside the code)",
    ),
    Variable(
        "TRIPLINE_MAX_UPLOAD_BYTES",
        "max_upload_bytes",
        _positive_int,
        str(GIB),
        "largest CSV file a presigned upload accepts (413 past it)",
    ),
    Variable(
        "TRIPLINE_UPLOAD_EXPIRY_SECONDS",
        "upload_expiry_seconds",
        _positive_int,
        "900",
        "how long a presigned upload stays usable",
    ),
    Variable(
        "TRIPLINE_REPORT_LINK_SECONDS",
        "report_link_seconds",
        _positive_int,
        "3600",
        "how long the report links of GET /uploads/{id} and GET /reports/{id} stay usable",
    ),
    Variable(
        "TRIPLINE_REPORT_MAX_DAYS",
        "report_max_days",
        _positive_int,
        "92",
        "the longest range POST /reports takes, in days",
    ),
    Variable(
        "TRIPLINE_REPLAY_CHUNK_EVENTS",
        "replay_chunk_events",
        _positive_int,
        "5000",
        "the stored events one chunk of a replay reads, judges and writes in one transaction",
    ),
    Variable(
        "TRIPLINE_DIGESTS_TOPIC_ARN",
        "digests_topic_arn",
        _topic_arn,
        "",
        "SNS topic the weekly digest is published to (the local runtime sets it)",
    ),
    Variable(
        "TRIPLINE_DIGEST_TIMEZONE",
        "digest_timezone",
        _time_zone,
        "UTC",
        "the time zone whose Monday 07:00 sends the weekly digest, and whose weeks it covers",
    ),
    Variable(
        "TRIPLINE_DIGEST_LINK_SECONDS",
        "digest_link_seconds",
        _link_seconds,
        "604800",
        "how long the workbook link in a digest email stays usable (at most seven days)",
    ),
    Variable(
        "TRIPLINE_CSV_CHUNK_BYTES",
        "chunk_bytes",
        _positive_int,
        str(MIB),
        "bytes of CSV per chunk sent to the rows queue (as a byte range)",
    ),
    Variable(
        "TRIPLINE_CSV_MAX_RECORD_BYTES",
        "max_record_bytes",
        _positive_int,
        str(MIB),
        "longest CSV record; past it the upload fails (an unclosed quote, usually)",
    ),
    Variable(
        "TRIPLINE_CSV_MAX_COLUMNS",
        "max_columns",
        _positive_int,
        "500",
        "most columns in a CSV header; past it the upload fails",
    ),
    Variable(
        "TRIPLINE_CSV_MAX_ROWS",
        "max_rows",
        _positive_int,
        "10000000",
        "most rows in a CSV file; past it the upload fails, naming the lines imported",
    ),
    Variable(
        "TRIPLINE_ALERTS_TOPIC_ARN",
        "alerts_topic_arn",
        _topic_arn,
        "",
        "SNS topic alerts are published to (the local runtime sets it)",
    ),
    Variable(
        "TRIPLINE_API_URL",
        "api_url",
        _http_url,
        "",
        "the API's public base URL, for the acknowledge and resolve calls in alert emails",
    ),
    Variable(
        "TRIPLINE_NOTIFY_GROUP_AT",
        "notify_group_at",
        _positive_int,
        "3",
        "this many alerts of one rule opening at once are sent as one grouped email",
    ),
    Variable(
        "TRIPLINE_NOTIFY_PER_SECOND",
        "notify_per_second",
        _positive_int,
        "10",
        "most SNS publishes per second (SNS email delivery is rate limited)",
    ),
    Variable(
        "TRIPLINE_NOTIFY_RETRY_SECONDS",
        "notify_retry_seconds",
        _positive_int,
        "30",
        "first wait before a failed publish is retried; doubles each time, up to an hour",
    ),
    Variable(
        "TRIPLINE_KEY_CACHE_SECONDS",
        "key_cache_seconds",
        _positive_int,
        "60",
        "how long the authorizer trusts an API key the database confirmed before asking again "
        "(a revocation takes effect within it)",
    ),
    Variable(
        "TRIPLINE_KEY_STALE_SECONDS",
        "key_stale_seconds",
        _positive_int,
        "900",
        "while the database is unreachable, how long after its last confirmation a key is "
        "still accepted from memory; past it the authorizer answers 503",
    ),
    Variable(
        "TRIPLINE_RETRY_FIRST_SECONDS",
        "retry_first_seconds",
        _seconds,
        "30",
        "when a queue message that failed (the database unreachable, say) comes back the "
        "first time; the wait doubles with each delivery",
    ),
    Variable(
        "TRIPLINE_RETRY_LONGEST_SECONDS",
        "retry_longest_seconds",
        _seconds,
        "300",
        "the longest wait before a failed queue message comes back",
    ),
    Variable(
        "TRIPLINE_RETENTION_DAYS",
        "retention_days",
        _retention_days,
        "",
        "days an event, its raw item and rejects are kept when its source declares no "
        "retention_days; empty: kept for ever (the hourly purge deletes only what a source "
        "declares)",
    ),
)


def _cross_checks(values: dict[str, Any]) -> list[Detail]:
    """Limits that only make sense together; checked whenever both sides parsed."""
    pairs = (
        ("page_size", "max_page_size", "TRIPLINE_PAGE_SIZE", "TRIPLINE_MAX_PAGE_SIZE"),
        (
            "max_event_bytes",
            "max_body_bytes",
            "TRIPLINE_MAX_EVENT_BYTES",
            "TRIPLINE_MAX_BODY_BYTES",
        ),
        (
            "key_cache_seconds",
            "key_stale_seconds",
            "TRIPLINE_KEY_CACHE_SECONDS",
            "TRIPLINE_KEY_STALE_SECONDS",
        ),
        (
            "retry_first_seconds",
            "retry_longest_seconds",
            "TRIPLINE_RETRY_FIRST_SECONDS",
            "TRIPLINE_RETRY_LONGEST_SECONDS",
        ),
    )
    problems = [
        Detail(f"must not exceed {upper_name}", field=lower_name)
        for lower, upper, lower_name, upper_name in pairs
        if lower in values and upper in values and values[lower] > values[upper]
    ]
    for attribute, name in (
        ("chunk_bytes", "TRIPLINE_CSV_CHUNK_BYTES"),
        ("max_record_bytes", "TRIPLINE_CSV_MAX_RECORD_BYTES"),
    ):
        if values.get(attribute, 0) > MAX_CHUNK_BYTES:  # a chunk is stored raw in a MEDIUMBLOB
            problems.append(Detail(f"must be at most {MAX_CHUNK_BYTES}", field=name))
    return problems + _database_checks(values) + _app_login_checks(values)


def _database_checks(values: dict[str, Any]) -> list[Detail]:
    """The secret-based connection needs a host, and a CA bundle that exists: a missing bundle
    found here names the variable, where found at connect time it is an SSL error per request."""
    if values.get("database_secret_arn") is None:
        return []
    problems = []
    if "database_host" in values and values["database_host"] is None:
        problems.append(
            Detail(
                "required when TRIPLINE_DATABASE_SECRET_ARN is set", field="TRIPLINE_DATABASE_HOST"
            )
        )
    ca_file = values.get("database_ca_file")
    if values.get("database_tls") and ca_file and not Path(ca_file).is_file():
        problems.append(
            Detail(
                "no such file (set it to this system's CA bundle)",
                field="TRIPLINE_DATABASE_CA_FILE",
                value=ca_file,
            )
        )
    return problems


def _app_login_checks(values: dict[str, Any]) -> list[Detail]:
    """The application login's user is made by the owner login, so its secret never comes
    alone; and it is another secret, or migrate would vouch for a login no weaker than its own."""
    app_secret = values.get("database_app_secret_arn")
    if app_secret is None or "database_secret_arn" not in values:  # unset, or already refused
        return []
    if values.get("database_secret_arn") is None:
        problem = "only with TRIPLINE_DATABASE_SECRET_ARN, the owner login that creates its user"
    elif app_secret == values["database_secret_arn"]:
        problem = "must name another secret than TRIPLINE_DATABASE_SECRET_ARN"
    else:
        return []
    return [Detail(problem, field="TRIPLINE_DATABASE_APP_SECRET_ARN")]


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    database_secret_arn: str | None = None
    database_app_secret_arn: str | None = None
    database_host: str | None = None
    database_port: int = 3306
    database_name: str = "tripline"
    database_ca_file: str = LAMBDA_CA_BUNDLE
    database_tls: bool = True
    aws_region: str = "us-east-1"
    aws_endpoint_url: str | None = None
    max_batch_events: int = 500
    max_body_bytes: int = 1024 * 1024
    max_event_bytes: int = 32 * 1024
    max_fields: int = 200
    max_depth: int = 8
    max_string_chars: int = 8192
    page_size: int = 50
    max_page_size: int = 500
    send_attempts: int = 3
    aws_connect_timeout: float = 2.0
    aws_read_timeout: float = 5.0
    bucket: str = "tripline-data"
    rules_dir: str = str(DEFAULT_RULES_DIR)
    max_upload_bytes: int = GIB
    upload_expiry_seconds: int = 900
    report_link_seconds: int = 3600
    report_max_days: int = 92
    replay_chunk_events: int = 5000
    digests_topic_arn: str | None = None
    digest_timezone: str = "UTC"
    digest_link_seconds: int = 7 * 24 * 3600
    chunk_bytes: int = MIB
    max_record_bytes: int = MIB
    max_columns: int = 500
    max_rows: int = 10_000_000
    alerts_topic_arn: str | None = None
    api_url: str | None = None
    notify_group_at: int = 3
    notify_per_second: int = 10
    notify_retry_seconds: int = 30
    key_cache_seconds: int = 60
    key_stale_seconds: int = 900
    retry_first_seconds: int = 30
    retry_longest_seconds: int = 300
    retention_days: int | None = None

    @property
    def retry_schedule(self) -> RetrySchedule:
        return RetrySchedule(self.retry_first_seconds, self.retry_longest_seconds)

    @property
    def limits(self) -> Limits:
        return Limits(
            self.max_batch_events,
            self.max_body_bytes,
            self.max_event_bytes,
            self.max_fields,
            self.max_depth,
            self.max_string_chars,
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Parse every variable; raise one ``ConfigurationError`` naming each bad one."""
        values: dict[str, Any] = {}
        problems: list[Detail] = []
        for variable in VARIABLES:
            raw = env.get(variable.name, variable.default)
            if variable.name == "AWS_REGION":
                raw = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or variable.default
            try:
                values[variable.attribute] = variable.parse(raw.strip())
            except ValueError as exc:
                shown = SECRET_IN_URL.sub(r"\1:***@", raw)
                problems.append(Detail(f"expected {exc}", field=variable.name, value=shown))
        problems.extend(_cross_checks(values))
        if problems:
            raise ConfigurationError("invalid configuration", problems)
        return cls(**values)
