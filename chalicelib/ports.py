"""The I/O the services need, as narrow Protocols; adapters implement them, tests use the real ones.

Every port speaks in domain values and raises only ``TriplineError`` children, so a service never
sees a boto3 or SQLAlchemy type and never needs to know which database or queue is behind it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from chalicelib.domain.alerts import NoticeRecord, OutgoingAlert, PendingNotice, TimelineLine
from chalicelib.domain.errors import Detail
from chalicelib.domain.events import (
    ArrivedEvent,
    Event,
    EventPage,
    EventQuery,
    EventView,
    RejectedItem,
    RejectionPage,
    RejectionQuery,
    RowEvent,
)
from chalicelib.domain.messages import OutgoingMessage, QueueMessage, SendReceipt
from chalicelib.domain.uploads import (
    ChunkRecord,
    PresignedPost,
    RejectedRow,
    UploadPage,
    UploadProgress,
    UploadQuery,
    UploadRecord,
)

if TYPE_CHECKING:  # the rule engine is imported where rules run, not by every route
    from chalicelib.domain.access import ApiKey, AuditEntry, AuditPage, AuditQuery
    from chalicelib.domain.alerts import Alert, AlertChange, AlertPage, AlertQuery
    from chalicelib.domain.availability import Observation
    from chalicelib.domain.reports import Cell, Digest, DigestWeek, Report
    from chalicelib.domain.rules import (
        BucketRead,
        GroupKey,
        GroupValues,
        MatchCount,
        Rule,
        RuleBook,
        RuleFailure,
        RuleMatch,
        Sighting,
        WindowBucket,
    )
    from chalicelib.domain.silences import Silence


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""


class MessageQueue(Protocol):
    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendReceipt]:
        """Send all messages, retrying what can be retried; one receipt per message."""

    def ping(self) -> None:
        """Raise ``DependencyError`` when the queue cannot be reached."""


class Redelivery(Protocol):
    def postpone(self, messages: Sequence[tuple[QueueMessage, int]]) -> None:
        """Make each message, still in flight, visible again after its number of seconds. Best
        effort: a message it cannot postpone comes back after its queue's visibility timeout."""


class AlertWork(Protocol):
    """Alerts inside one open transaction: the reads a service decides on, the changes it
    decided. Locks are held, and writes kept, until the unit of work ends; an error inside it
    rolls everything back."""

    def lock_fingerprints(self, rule_ids: Mapping[str, str], now: datetime) -> dict[str, bool]:
        """Create or touch each fingerprint's row (``rule_ids``: fingerprint → rule id), locking
        them in key order until the work ends; whether each is flapping."""

    def flapping(self, fingerprint: str) -> bool: ...

    def recent_opens(self, fingerprint: str, since: datetime) -> int:
        """How many of the fingerprint's alerts opened after ``since``."""

    def end_flapping(self, fingerprint: str) -> None: ...

    def active_alert(self, fingerprint: str) -> Alert | None: ...

    def active_alerts(self, fingerprints: Collection[str]) -> dict[str, Alert]:
        """The active alert of each of ``fingerprints`` that has one, by fingerprint."""

    def alert(self, alert_id: int) -> Alert | None: ...

    def window(
        self,
        rule_id: str,
        state_version: str,
        fingerprint: str,
        span: tuple[datetime, datetime],
        tokens: bool,
    ) -> list[WindowBucket]:
        """A group's stored buckets starting in ``[low, high)`` (``span``), with their tokens
        when ``tokens``."""

    def last_seen(self, rule_id: str, state_version: str, fingerprint: str) -> datetime | None:
        """When the group was last heard from (absence rules)."""

    def write_change(self, change: AlertChange, now: datetime) -> None:
        """The alert, its timeline lines and its notices (each keyed by alert and transition)."""

    def write_changes(self, changes: Sequence[AlertChange], now: datetime) -> None:
        """Several fingerprints' changes, as ``write_change`` would write each (in fewer
        statements)."""


class VerdictWork(AlertWork, Protocol):
    """The rules' state inside one open transaction, beside the alerts its matches change.
    Matches and failures are keyed, so writing one twice adds nothing; window buckets add up,
    so only the verdicts of events stored for the first time may reach them."""

    def advance_groups(self, seen: Mapping[tuple[str, str], Sequence[Sighting]]) -> None:
        """Create each group (by rule id and state version) not tracked yet, tracked from its
        ``since``, and move its ``last_seen_at`` forward, locking the rows in key order until
        the work ends: take the locks before reading the windows they guard."""

    def add_window_buckets(
        self, deltas: Mapping[GroupKey, Mapping[datetime, WindowBucket]]
    ) -> None:
        """Add a batch's buckets to the stored ones (counts, sums, least and greatest, tokens,
        the latest entry), every bucket in one statement."""

    def window_buckets(self, reads: Sequence[BucketRead]) -> dict[GroupKey, list[WindowBucket]]:
        """The stored bucket rows of every read, by group, in one statement; what this work
        added included."""

    def revise_observed(self, matches: Sequence[RuleMatch]) -> list[RuleMatch]:
        """Set each recorded match's ``observed`` to the one given; the matches whose stored
        value changed (one not recorded, or recorded with that value, is not among them)."""

    def add_failures(self, failures: Sequence[RuleFailure], at: datetime) -> None: ...

    def add_new_matches(self, matches: Sequence[RuleMatch], at: datetime) -> list[RuleMatch]:
        """Record the matches (each key at most once) not recorded yet; the ones recorded now,
        exactly, against concurrent writers too."""


class EventWork(VerdictWork, Protocol):
    """Events, their rejections and the rules' state in one open transaction."""

    def add_new_events(
        self, arrived: Sequence[ArrivedEvent], processed_at: datetime
    ) -> list[ArrivedEvent]:
        """Store the events (each key at most once) whose key is not stored yet, processed and
        raw rows; the ones stored now. Exact against concurrent writers: an event another
        transaction stored first is not among them."""

    def add_new_rejections(self, rejected: Sequence[RejectedItem], at: datetime) -> int:
        """Record the rejections (each key at most once) not recorded yet; how many were."""


class EventStore(Protocol):
    def unit_of_work(self) -> AbstractContextManager[EventWork]:
        """One transaction for one batch: committed when the block ends, rolled back when it
        raises; database errors come out as ``DependencyError`` or ``StorageError``."""


class RejectionReader(Protocol):
    """``GET /rejections``: the rejected items a query asks for, newest first."""

    def list_rejections(self, query: RejectionQuery) -> RejectionPage: ...


class EventReader(Protocol):
    def list_events(self, query: EventQuery) -> EventPage: ...

    def get_event(self, source: str, event_id: str) -> EventView | None: ...

    def has_events(self, source: str) -> bool:
        """Whether any event of ``source`` is stored (a JSON source needs no definition)."""

    def ping(self) -> None:
        """Raise ``DependencyError`` when the database cannot be reached."""


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

    def claim(
        self,
        upload_id: str,
        *,
        identity: str,
        size: int,
        landed_at: datetime,
        message_id: str,
        at: datetime,
        pin: Mapping[str, str | None] | None = None,
    ) -> bool:
        """``awaiting_upload`` → ``importing`` for this object version and notification message.

        True also when this same message claimed it before (a redelivery after a crash must
        redo the work); False when another message or another version holds it. ``pin``
        (``version_id``, ``sequencer``, ``etag``) is kept for a retry to read the same version.
        """

    def object_pin(self, upload_id: str) -> dict[str, str | None] | None:
        """The ``pin`` its claim recorded (None before the claim, or for an older upload)."""

    def reopen(self, upload_id: str, reason: str) -> bool:
        """``failed`` → ``awaiting_upload`` with its outcome cleared (``reason`` as its status
        reason), for a retry; False when it was not failed."""

    def record_header(self, upload_id: str, header: Sequence[str]) -> None: ...

    def finish_fanout(
        self, upload_id: str, chunks_total: int, rows_seen: int, at: datetime
    ) -> None: ...

    def fail(self, upload_id: str, reason: str, problems: Sequence[Detail], at: datetime) -> bool:
        """→ ``failed`` unless it already finished; whether this call changed it."""

    def finish(
        self,
        upload_id: str,
        status: str,
        progress: UploadProgress,
        reason: str | None,
        at: datetime,
    ) -> bool:
        """Record the final status and counts once; False when it was already final."""

    def progress(self, upload_id: str) -> UploadProgress: ...

    def rejected_rows(self, upload_id: str) -> Iterator[RejectedRow]:
        """In line order, streamed: an upload may have a million of them."""

    def list_uploads(self, query: UploadQuery) -> UploadPage: ...


class ChunkWork(EventWork, Protocol):
    """One chunk's rows and its record, beside everything an ``EventWork`` writes."""

    def add_new_rows(self, rows: Sequence[RowEvent], processed_at: datetime) -> list[RowEvent]:
        """As ``add_new_events``, for an upload's rows (no raw row: the chunk is their raw form)."""

    def add_chunk(self, chunk: ChunkRecord) -> None:
        """The chunk's record, its idempotency key: a replay adds nothing."""


class ChunkStore(Protocol):
    def is_done(self, upload_id: str, chunk: int) -> bool: ...

    def unit_of_work(self) -> AbstractContextManager[ChunkWork]:
        """One transaction for one chunk, as ``EventStore.unit_of_work``."""


class RuleReader(Protocol):
    def match_counts(self) -> list[MatchCount]: ...

    def failure_counts(self) -> dict[str, int]:
        """Rule failures recorded, by rule id."""

    def events_between(
        self, since: datetime, until: datetime, sources: Sequence[str], limit: int
    ) -> list[Event]:
        """Stored events with ``since <= occurred_at < until`` (of ``sources``, or all when
        empty), oldest first, at most ``limit``."""


class RuleParser(Protocol):
    def __call__(self, text: str, book: RuleBook, file: str = "<inline>") -> Rule:
        """One rule's YAML checked against the loaded book; ``ConfigurationError`` with every
        problem (file, line, column) when it does not check."""


class WindowState(Protocol):
    def prune(self, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` window buckets (and up to ``limit`` tokens) that start before
        ``before``, in a transaction of their own; the larger of the two counts."""


class AbsenceState(Protocol):
    def sightings(
        self,
        rule_id: str,
        state_version: str,
        expected: Sequence[tuple[str, GroupValues]],
        now: datetime,
    ) -> list[Sighting]:
        """Every group the rule tracks; ``expected`` groups not tracked yet start at ``now``."""

    def unit_of_work(self) -> AbstractContextManager[VerdictWork]:
        """One transaction for one rule's silences and the alerts they open."""


class AlertTopic(Protocol):
    def publish(self, message: OutgoingAlert) -> str:
        """Publish once (no retry: the outbox retries); the topic's message id.
        ``MessageRefused`` when the topic refused this message for what it holds (sending it
        again as it is cannot succeed), ``DependencyError`` when it did not go out otherwise."""


class AlertStore(Protocol):
    """Alerts for the API and the schedule; every change is decided by a service inside one
    ``unit_of_work``, under its fingerprint's lock."""

    def list_alerts(self, query: AlertQuery) -> AlertPage: ...

    def get(self, alert_id: int) -> Alert | None: ...

    def history(self, alert_id: int) -> tuple[list[TimelineLine], list[NoticeRecord]]: ...

    def active_alerts(self) -> list[Alert]: ...

    def flapping_fingerprints(self) -> list[tuple[str, str]]:
        """``(fingerprint, rule id)`` of every fingerprint in a flapping spell."""

    def unit_of_work(self, action: str = ...) -> AbstractContextManager[AlertWork]:
        """One transaction for one alert's change; ``action`` names it in a database error."""


class AlertOutbox(Protocol):
    def claim_due(self, now: datetime, limit: int, lease_seconds: int) -> list[PendingNotice]:
        """Pending notices due by ``now``, each held for ``lease_seconds`` so that two notifiers
        never send one twice; oldest first."""

    def settle(
        self,
        outbox_id: int,
        status: str,
        at: datetime,
        detail: str,
        *,
        message_id: str | None = None,
        silence_id: str | None = None,
        error: str | None = None,
        owe_alert: bool = False,
    ) -> None:
        """``sent``, ``grouped``, ``silenced`` or ``failed`` (with the ``error`` that ended it),
        once, with a timeline line; ``owe_alert``: the alert, if still active, owes on-call its
        state when the silence ends."""

    def retry(
        self, outbox_id: int, next_attempt_at: datetime, error: str, at: datetime
    ) -> None: ...


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

    def current(self) -> str | None:
        """The revision the database is at; None before the first migration."""

    def downgrade(self, revision: str) -> str | None:
        """Undo migrations down to ``revision`` (``-N`` steps back, a revision, ``base``); the
        revision afterwards (None: nothing applied). A target it cannot reach: ``RequestError``."""


class AppLogin(Protocol):
    def ensure(self) -> str:
        """Create or update the application's database user from its secret, with data grants
        only; the user's name. Idempotent: run again, it changes nothing but a new password."""


class ReportStore(Protocol):
    """Requested reports; each change of status is conditional on the one it leaves."""

    def add(self, report: Report) -> None: ...

    def get(self, report_id: str) -> Report | None: ...

    def take(self, report_id: str, now: datetime) -> Report | None:
        """Queued (or running with no sign of life) → running; None when not to be worked on."""

    def expect(self, report_id: str, rows: int, now: datetime) -> None: ...

    def progress(self, report_id: str, rows_written: int, now: datetime) -> None: ...

    def complete(
        self, report_id: str, *, object_key: str, rows: int, size_bytes: int, now: datetime
    ) -> None: ...

    def fail(self, report_id: str, reason: str, now: datetime) -> None:
        """Queued or running → failed, with why; a finished report stays as it finished."""

    def release(self, report_id: str, reason: str, now: datetime) -> None:
        """Running → queued, for another attempt."""

    def list_reports(
        self,
        *,
        requested_by: str | None,
        after: tuple[datetime, str] | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
    ) -> list[Report]:
        """Newest first."""


class ReportRows(Protocol):
    """The stored records a report covers (its kind, range, sources and filters)."""

    def count(self, report: Report) -> int: ...

    def records(self, report: Report) -> Iterator[Mapping[str, object]]:
        """Oldest first, in bounded memory however many there are."""


class ReportFiles(Protocol):
    """Where finished reports are kept (the bucket)."""

    def write(
        self,
        key: str,
        fmt: str,
        sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Cell]]]],
        *,
        on_progress: Callable[[int], None] | None = None,
    ) -> int:
        """Write each sheet (name, columns, rows) as a CSV (one sheet) or XLSX workbook at
        ``key``; its size in bytes. The key holds the whole file or nothing: a failure part way
        leaves no object behind."""

    def presign_get(self, key: str, *, expires_seconds: int, file_name: str) -> str: ...


class DigestStore(Protocol):
    """One weekly digest per ISO week: claimed by one caller, then sent or failed."""

    def claim(self, week: DigestWeek, now: datetime) -> bool:
        """Whether this caller is to build the week's digest (first, or taking over one that
        failed or was abandoned)."""

    def sent(
        self,
        week: DigestWeek,
        *,
        object_key: str,
        headline: dict[str, object],
        message_id: str,
        now: datetime,
    ) -> None: ...

    def failed(self, week: DigestWeek, reason: str) -> None: ...

    def get(self, label: str) -> Digest | None: ...

    def latest_sent(self) -> Digest | None: ...

    def list_digests(self, limit: int) -> list[Digest]:
        """Newest week first."""


if TYPE_CHECKING:  # KPIs (issue 17)
    from chalicelib.domain.reports import KpiFacts, KpiQuery


class KpiReader(Protocol):
    """The KPI views, each filtered by the query's range on its base table's index."""

    def read(self, query: KpiQuery) -> KpiFacts: ...


class StatusObservations(Protocol):
    def observations(
        self,
        source: str,
        entity_field: str,
        status_field: str,
        start: datetime,
        end: datetime,
    ) -> Iterator[Observation]:
        """Each event of ``source`` in ``[start, end)`` with a status, oldest first."""


if TYPE_CHECKING:  # replays (issue 19)
    from chalicelib.domain.replays import Keyset, ReplayJob


class ReplayWork(VerdictWork, Protocol):
    """One replay chunk's transaction: the rules' state and alerts, the job and its chunks."""

    def still_running(self, replay_id: str, now: datetime) -> bool:
        """Touch the job if it is running (holding it until the end); False: it is not."""
        ...

    def claim_chunk(self, replay_id: str, chunk: int, events_read: int, now: datetime) -> bool:
        """Record the chunk done; False when an earlier delivery did."""
        ...

    def add_progress(
        self, replay_id: str, chunk: int, *, events_read: int, matches: int, notices: int
    ) -> None: ...


class ReplayStore(Protocol):
    def add(self, job: ReplayJob) -> None: ...

    def get(self, replay_id: str) -> ReplayJob | None: ...

    def start(self, replay_id: str, events_total: int, now: datetime) -> bool: ...

    def complete(self, replay_id: str, now: datetime) -> bool: ...

    def fail(self, replay_id: str, reason: str, now: datetime) -> bool: ...

    def cancel(self, replay_id: str, by: str, now: datetime) -> bool: ...

    def list_replays(self, after: tuple[datetime, str] | None, limit: int) -> list[ReplayJob]: ...

    def count_events(self, job: ReplayJob, sources: Sequence[str] | None) -> int: ...

    def events_after(
        self, job: ReplayJob, sources: Sequence[str] | None, after: Keyset | None, limit: int
    ) -> tuple[list[Event], Keyset | None, bool]:
        """A keyset page of the job's events by ``(occurred_at, id)``, its last key, and
        whether more follow."""
        ...

    def unit_of_work(self, suppress: str | None = None) -> AbstractContextManager[ReplayWork]:
        """``suppress``: why this chunk's notices are recorded ``suppressed``, never sent."""
        ...


if TYPE_CHECKING:  # retention and metrics (issue 19)
    from chalicelib.domain.metrics import PipelineFigures, QueueDepth, StoredCounts
    from chalicelib.domain.retention import RuleCutoff, SourceCutoff


class RetentionStore(Protocol):
    """Rows past a retention cutoff; each purge call one short transaction of its own."""

    def count_past(self, cutoff: SourceCutoff) -> Mapping[str, int]:
        """Per table (events, raw_events, rejected_items, rule_matches, upload_chunks)."""

    def count_windows_past(self, cutoff: RuleCutoff) -> Mapping[str, int]: ...

    def purge(self, cutoff: SourceCutoff, table: str, limit: int) -> Mapping[str, int]:
        """At most ``limit`` of ``table``'s oldest rows past the cutoff (events take their raw
        items along); how many went, per table."""

    def empty_chunks(self, cutoff: SourceCutoff, limit: int) -> Mapping[str, int]:
        """Empty the bytes of at most ``limit`` chunks of finished uploads created before the
        cutoff (the rows stay: an upload's counts are summed from them)."""

    def purge_windows(self, cutoff: RuleCutoff, limit: int) -> Mapping[str, int]: ...


class PipelineCounts(Protocol):
    def counts(self) -> StoredCounts: ...


class QueueDepths(Protocol):
    def depths(self) -> Sequence[QueueDepth]:
        """Every queue and its dead-letter queue; ``DependencyError`` when SQS is away."""


class MetricsExposition(Protocol):
    def __call__(self, figures: PipelineFigures) -> tuple[str, str]:
        """The figures in a monitoring system's text format, and its media type."""


if TYPE_CHECKING:  # pipeline incidents (issue 19)
    from chalicelib.domain.incidents import RuleFailing


class RuleFailures(Protocol):
    def failing_since(self, since: datetime) -> list[RuleFailing]:
        """Each rule that failed on an event at or after ``since``: how often, and the latest."""


if TYPE_CHECKING:  # known errors (issue 19)
    from chalicelib.domain.known_errors import ReadOptions, UploadFailure


class UploadRemedies(Protocol):
    """Known errors' remedies (``services.known_errors``), told of every upload that fails or
    completes, and asked how a (re-)import reads its file."""

    def upload_failed(self, upload: UploadRecord, failure: UploadFailure, incident: str) -> None:
        """Match the failure; carry out (or note) the remedy of the known error it fits."""

    def upload_completed(self, upload: UploadRecord) -> None:
        """A remedy that was pending for it worked."""

    def read_options(self, upload_id: str) -> ReadOptions:
        """How the import starting now reads the file (a pending remedy's options, or none)."""
