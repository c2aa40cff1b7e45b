"""The I/O the services need, as narrow Protocols; adapters implement them, tests use the real ones.

Every port speaks in domain values and raises only ``TriplineError`` children, so a service never
sees a boto3 or SQLAlchemy type and never needs to know which database or queue is behind it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.domain.errors import Detail
from chalicelib.domain.events import Event
from chalicelib.domain.outgoing import OutgoingAlert
from chalicelib.domain.queries import EventPage, EventQuery, EventView
from chalicelib.domain.reports import RejectedRow
from chalicelib.domain.upload_records import (
    ChunkRecord,
    UploadPage,
    UploadProgress,
    UploadQuery,
    UploadRecord,
)

if TYPE_CHECKING:  # the rule engine is imported where rules run, not by every route
    from chalicelib.domain.access import ApiKey
    from chalicelib.domain.alert_model import Alert, AlertChange, FlapState
    from chalicelib.domain.alert_queries import AlertPage, AlertQuery
    from chalicelib.domain.audit import AuditEntry, AuditPage, AuditQuery
    from chalicelib.domain.rule_absence import Sighting
    from chalicelib.domain.rule_model import AlertPolicy, Rule
    from chalicelib.domain.rule_verdicts import GroupValues, RuleMatch, Verdicts
    from chalicelib.domain.rulebook import RuleBook
    from chalicelib.domain.silences import Silence


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""


@dataclass(frozen=True)
class OutgoingMessage:
    """``entry_id`` is the caller's handle for the per-entry receipt."""

    entry_id: str
    body: str


@dataclass(frozen=True)
class SendReceipt:
    entry_id: str
    queued: bool
    error: str | None = None


class MessageQueue(Protocol):
    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendReceipt]:
        """Send all messages, retrying what can be retried; one receipt per message."""

    def ping(self) -> None:
        """Raise ``DependencyError`` when the queue cannot be reached."""


@dataclass(frozen=True)
class QueueMessage:
    """A delivered message as the trigger hands it; the id is stable across redeliveries. The
    receipt handle and queue ARN say where to put it back later (``Redelivery``)."""

    message_id: str
    body: str
    receive_count: int = 1
    receipt_handle: str = ""
    queue_arn: str = ""


class Redelivery(Protocol):
    def postpone(self, messages: Sequence[tuple[QueueMessage, int]]) -> None:
        """Make each message, still in flight, visible again after its number of seconds. Best
        effort: a message it cannot postpone comes back after its queue's visibility timeout."""


@dataclass(frozen=True)
class ArrivedEvent:
    """A valid event with the raw item it came from, ready to store."""

    event: Event
    raw_payload: str
    message_id: str


@dataclass(frozen=True)
class RejectedItem:
    """Something that reached the pipeline and can never become an event.

    ``item_key`` makes storing it idempotent: a redelivered message is recorded once.
    """

    item_key: str
    reason: str
    errors: tuple[Detail, ...]
    payload: str
    received_at: datetime
    source: str | None = None
    event_id: str | None = None
    upload_id: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class RowEvent:
    """A valid event read from line ``line`` of an upload; the raw row is the stored chunk."""

    event: Event
    upload_id: str
    line: int


@dataclass(frozen=True)
class StoreOutcome:
    stored: int
    duplicates: int
    rejected: int
    matched: int = 0  # rule matches recorded for the events this call stored
    notices: int = 0  # alert notifications those matches queued in the outbox


class EventStore(Protocol):
    def store(self, arrived: Sequence[ArrivedEvent], rejected: Sequence[RejectedItem],
              verdicts: Verdicts | None = None) -> StoreOutcome:
        """Write raw and processed rows, rejections and the rules' verdicts on the events it
        stores, in one transaction; replays change nothing (an event already stored keeps the
        verdicts recorded when it was)."""


class EventReader(Protocol):
    def list_events(self, query: EventQuery) -> EventPage: ...

    def get_event(self, source: str, event_id: str) -> EventView | None: ...

    def ping(self) -> None:
        """Raise ``DependencyError`` when the database cannot be reached."""


@dataclass(frozen=True)
class PresignedPost:
    """A browser-form upload: POST ``fields`` and the file (last) to ``url`` before ``expires_at``."""

    url: str
    fields: dict[str, str]
    expires_at: datetime


class ObjectStore(Protocol):
    """The bucket. Reads pin the object version; a missing or replaced object is
    ``ObjectUnavailable`` (it will never come back), an outage ``DependencyError``."""

    def blocks(self, key: str, *, version_id: str | None, etag: str | None) -> Iterator[bytes]: ...

    def read_range(
        self, key: str, *, version_id: str | None, etag: str | None, start: int, end: int
    ) -> bytes: ...

    def put_text(self, key: str, pieces: Iterable[str], content_type: str) -> None: ...

    def presign_post(
        self, key: str, *, content_type: str, max_bytes: int, expires_seconds: int
    ) -> PresignedPost: ...

    def presign_get(self, key: str, *, expires_seconds: int) -> str: ...


class UploadStore(Protocol):
    """Uploads and their lifecycle; every change is conditional, so a replay changes nothing."""

    def add(self, upload: UploadRecord) -> bool:
        """Insert unless the id exists; whether it was inserted."""

    def get(self, upload_id: str) -> UploadRecord | None: ...

    def claim(self, upload_id: str, *, identity: str, size: int, landed_at: datetime,
              message_id: str, at: datetime) -> bool:
        """``awaiting_upload`` → ``importing`` for this object version and notification message.

        True also when this same message claimed it before (a redelivery after a crash must
        redo the work); False when another message or another version holds it.
        """

    def record_header(self, upload_id: str, header: Sequence[str]) -> None: ...

    def finish_fanout(self, upload_id: str, chunks_total: int, rows_seen: int,
                      at: datetime) -> None: ...

    def fail(self, upload_id: str, reason: str, problems: Sequence[Detail], at: datetime) -> None: ...

    def finish(self, upload_id: str, status: str, progress: UploadProgress,
               reason: str | None, at: datetime) -> bool:
        """Record the final status and counts once; False when it was already final."""

    def progress(self, upload_id: str) -> UploadProgress: ...

    def rejected_rows(self, upload_id: str) -> Iterator[RejectedRow]:
        """In line order, streamed: an upload may have a million of them."""

    def list_uploads(self, query: UploadQuery) -> UploadPage: ...


class ChunkStore(Protocol):
    def is_done(self, upload_id: str, chunk: int) -> bool: ...

    def store_chunk(self, chunk: ChunkRecord, rows: Sequence[RowEvent],
                    rejected: Sequence[RejectedItem],
                    verdicts: Verdicts | None = None) -> StoreOutcome:
        """Events, rejected rows, the rules' verdicts and the chunk's record in one transaction;
        a replay adds nothing."""


@dataclass(frozen=True)
class MatchCount:
    """How often one version of a rule matched, and when it last did."""

    rule_id: str
    rule_version: str
    matches: int
    last_matched_at: datetime | None


class RuleReader(Protocol):
    def match_counts(self) -> list[MatchCount]: ...

    def failure_counts(self) -> dict[str, int]:
        """Rule failures recorded, by rule id."""

    def events_between(self, since: datetime, until: datetime, sources: Sequence[str],
                       limit: int) -> list[Event]:
        """Stored events with ``since <= occurred_at < until`` (of ``sources``, or all when
        empty), oldest first, at most ``limit``."""


class RuleParser(Protocol):
    def __call__(self, text: str, book: RuleBook, file: str = "<inline>") -> Rule:
        """One rule's YAML checked against the loaded book; ``ConfigurationError`` with every
        problem (file, line, column) when it does not check."""


class AbsenceState(Protocol):
    def sightings(self, rule_id: str, state_version: str,
                  expected: Sequence[tuple[str, GroupValues]], now: datetime) -> list[Sighting]:
        """Every group the rule tracks; ``expected`` groups not tracked yet start at ``now``."""

    def record_matches(self, rule: Rule, matches: Sequence[RuleMatch], at: datetime) -> int:
        """Record ``rule``'s matches keyed by ``(rule, match_key)``, and open or add to their
        alerts, in one transaction; how many were new."""


class AlertTopic(Protocol):
    def publish(self, message: OutgoingAlert) -> str:
        """Publish once (no retry: the outbox retries); the topic's message id.
        ``MessageRefused`` when the topic refused this message for what it holds (sending it
        again as it is cannot succeed), ``DependencyError`` when it did not go out otherwise."""


@dataclass(frozen=True)
class PendingNotice:
    """An outbox row a notifier has claimed: what to say about which alert, and how often it
    was tried before. ``sample`` is the alert's latest matching event as its rule saw it, if
    stored: its data, then its own ``source``, ``type``, ``id``, ``occurred_at`` and
    ``received_at`` (what a rule's message may name)."""

    outbox_id: int
    kind: str
    transition: str
    attempts: int
    alert: Alert
    sample: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class TimelineLine:
    at: datetime
    kind: str
    detail: str
    actor: str | None = None
    comment: str | None = None
    outbox_id: int | None = None


@dataclass(frozen=True)
class NoticeRecord:
    """An outbox row as the alert's page shows it: what was (or will be) sent, and how it went."""

    outbox_id: int
    transition: str
    kind: str
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    settled_at: datetime | None
    last_error: str | None
    message_id: str | None
    silence_id: str | None


class AlertStore(Protocol):
    """Alerts; every change locks the alert's fingerprint first, decides, and writes the alert,
    its timeline and its notices in one transaction."""

    def list_alerts(self, query: AlertQuery) -> AlertPage: ...

    def get(self, alert_id: int) -> Alert | None: ...

    def history(self, alert_id: int) -> tuple[list[TimelineLine], list[NoticeRecord]]: ...

    def change(self, alert_id: int, decide: Callable[[Alert, FlapState], AlertChange],
               policy: AlertPolicy, now: datetime) -> Alert | None:
        """Apply ``decide`` to the alert as it is under the lock; None when there is no such
        alert. Errors ``decide`` raises roll everything back."""

    def active_alerts(self) -> list[Alert]: ...

    def sweep(self, alert_id: int, rule: Rule | None, silenced: Callable[[Alert], bool],
              now: datetime) -> AlertChange | None:
        """The schedule's turn on one alert: its condition read and judged, the change written."""

    def settle_flapping(self, policies: Mapping[str, AlertPolicy], now: datetime) -> int:
        """End the flapping spells that calmed down, of fingerprints without an active alert;
        how many ended."""


class AlertOutbox(Protocol):
    def claim_due(self, now: datetime, limit: int, lease_seconds: int) -> list[PendingNotice]:
        """Pending notices due by ``now``, each held for ``lease_seconds`` so that two notifiers
        never send one twice; oldest first."""

    def settle(self, outbox_id: int, status: str, at: datetime, detail: str, *,
               message_id: str | None = None, silence_id: str | None = None,
               error: str | None = None) -> None:
        """``sent``, ``grouped``, ``silenced`` or ``failed`` (with the ``error`` that ended it),
        once, with a timeline line; a silenced notice leaves its alert owing on-call its state
        when the silence ends."""

    def retry(self, outbox_id: int, next_attempt_at: datetime, error: str,
              at: datetime) -> None: ...


class Notifier(Protocol):
    def deliver_due(self) -> object:
        """Send the notifications due now; ``DependencyError`` only when the outbox itself
        cannot be read (a failed publish is kept for a retry, not raised)."""


class LiveSilences(Protocol):
    def live(self, now: datetime) -> list[Silence]:
        """Every silence that may be active at ``now`` (its weekly windows are checked by the
        caller)."""


class SilenceStore(LiveSilences, Protocol):
    """Silences kept with their history: ``DELETE`` ends one early, it is never removed."""

    def add(self, silence: Silence) -> None: ...

    def get(self, silence_id: str) -> Silence | None: ...

    def list_silences(self, include_ended: bool, now: datetime) -> list[Silence]:
        """Newest created first; ended and expired ones only with ``include_ended``."""

    def expire(self, silence_id: str, now: datetime) -> Silence | None:
        """End it at ``now`` unless already ended; the silence afterwards, None if unknown."""


class KeyStore(Protocol):
    def add(self, key: ApiKey) -> None: ...

    def find(self, key_id: str) -> ApiKey | None: ...

    def list_keys(self) -> list[ApiKey]: ...

    def revoke(self, key_id: str, at: datetime) -> ApiKey | None:
        """Revoked once (a second call keeps the first time); None for an unknown id."""


class AuditLog(Protocol):
    def record(self, entry: AuditEntry) -> None: ...

    def list_entries(self, query: AuditQuery) -> AuditPage:
        """Newest first, keyset-paginated."""


class SchemaHistory(Protocol):
    def upgrade(self) -> str:
        """Apply every migration not applied yet; the revision the database is at afterwards.
        Idempotent: a database already at head is left as it is."""


class AppLogin(Protocol):
    def ensure(self) -> str:
        """Create or update the application's database user from its secret, with data grants
        only; the user's name. Idempotent: run again, it changes nothing but a new password."""
