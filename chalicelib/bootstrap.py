"""Builds the services' collaborators from settings, once per container, on first use
(:mod:`chalicelib.use_cases` binds each use case to them).

This is the only module that names concrete adapters. Nothing here runs at import: Chalice imports
``app.py`` to package it, and a cold start should pay for a database engine or boto3 client only in
the function that uses one (the processor never builds an SQS client, for instance).
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING

from chalicelib.domain.errors import ConfigurationError, Detail
from chalicelib.settings import Settings
from chalicelib.topology import EVENTS_QUEUE, QUEUES, REPORTS_QUEUE, ROWS_QUEUE, UPLOADS_QUEUE

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from sqlalchemy import Engine

    from chalicelib.adapters.db.credentials import LoginSource
    from chalicelib.adapters.db.engine import DatabaseServer
    from chalicelib.domain.alerts import OutgoingAlert
    from chalicelib.domain.availability import SourceAvailability
    from chalicelib.domain.messages import QueueMessage
    from chalicelib.domain.rules import EventPipeline, RuleBook
    from chalicelib.domain.sources import SourceCatalog
    from chalicelib.ports import (
        AbsenceState,
        AlertOutbox,
        AlertStore,
        AlertTopic,
        AppLogin,
        AuditLog,
        ChunkStore,
        DigestStore,
        EventReader,
        EventStore,
        KeyStore,
        KpiReader,
        MessageQueue,
        ObjectStore,
        Redelivery,
        RejectionReader,
        ReplayStore,
        ReportFiles,
        ReportRows,
        ReportStore,
        RuleFailures,
        RuleParser,
        RuleReader,
        SchemaHistory,
        SilenceStore,
        StatusObservations,
        UploadStore,
        WindowState,
    )
    from chalicelib.services.chunks import ChunkSettings
    from chalicelib.services.completion import UploadPorts
    from chalicelib.services.digests import DigestSettings
    from chalicelib.services.fanout import FanOutSettings
    from chalicelib.services.incidents import Incidents
    from chalicelib.services.notifications import NotificationDelivery
    from chalicelib.services.reports import ReportSettings
    from chalicelib.services.uploads import UploadLimits


if TYPE_CHECKING:  # retention and metrics (issue 19)
    from chalicelib.ports import MetricsExposition, PipelineCounts, QueueDepths, RetentionStore


if TYPE_CHECKING:  # CloudEvents' source map (issue 20)
    from chalicelib.domain.protocols import SourceRoutes


if TYPE_CHECKING:  # known errors (issue 19)
    from chalicelib.domain.known_errors import KnownErrorBook
    from chalicelib.ports import UploadRemedies
    from chalicelib.services.known_errors import KnownErrorStore


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def new_event_id() -> str:
    return uuid.uuid4().hex


class Container:
    """Collaborators built lazily from one ``Settings``.

    ``on_lambda``: this process serves one invocation at a time, so its engine keeps one
    connection (see ``engine.LAMBDA_POOL``)."""

    def __init__(self, settings: Settings, *, on_lambda: bool = False) -> None:
        self.settings = settings
        self.on_lambda = on_lambda
        self.clock = SystemClock()
        self.new_id: Callable[[], str] = new_event_id
        self.new_upload_id: Callable[[], str] = new_event_id

    @cached_property
    def engine(self) -> Engine:
        from chalicelib.adapters.db.engine import READ_TIMEOUT_SECONDS

        return self._database_engine(READ_TIMEOUT_SECONDS)

    @cached_property
    def schema_engine(self) -> Engine:
        """Migrations' own engine, with DDL's long read timeout (built only where they run)."""
        from chalicelib.adapters.db.engine import DDL_READ_TIMEOUT_SECONDS

        return self._database_engine(DDL_READ_TIMEOUT_SECONDS)

    @cached_property
    def schema(self) -> SchemaHistory:
        from chalicelib.adapters.db.migrations import AlembicSchemaHistory

        return AlembicSchemaHistory(self.schema_engine)

    @cached_property
    def app_login(self) -> AppLogin | None:
        """The application's database user, kept by migrate with the owner's engine; only where
        the application login's secret is set (migrate on AWS), never on the local runtime."""
        from chalicelib.adapters.aws.database_secret import SecretsManagerLogin
        from chalicelib.adapters.db.app_user import MySqlAppUser

        arn = self.settings.database_app_secret_arn
        if arn is None:
            return None
        secret = SecretsManagerLogin(
            self.secrets_client, arn, variable="TRIPLINE_DATABASE_APP_SECRET_ARN"
        )
        return MySqlAppUser(self.schema_engine, secret, self.settings.database_name)

    @cached_property
    def secrets_client(self) -> SecretsManagerClient:
        from chalicelib.adapters.aws.clients import make_client

        return make_client("secretsmanager", self.settings)

    @cached_property
    def database_login(self) -> LoginSource:
        """One per container, shared by its engines: one cache of the secret."""
        from chalicelib.adapters.aws.database_secret import SecretsManagerLogin

        return SecretsManagerLogin(self.secrets_client, self.settings.database_secret_arn or "")

    def _database_engine(self, read_timeout: int) -> Engine:
        from chalicelib.adapters.db.engine import make_engine, make_server_engine

        if self.settings.database_secret_arn is None:
            return make_engine(
                self.settings.database_url,
                single_connection=self.on_lambda,
                read_timeout=read_timeout,
            )
        return make_server_engine(
            _database_server(self.settings),
            self.database_login,
            single_connection=self.on_lambda,
            read_timeout=read_timeout,
        )

    @cached_property
    def store(self) -> EventStore:
        from chalicelib.adapters.db.event_store import SqlEventStore

        return SqlEventStore(self.engine)

    @cached_property
    def reader(self) -> EventReader:
        from chalicelib.adapters.db.event_reader import SqlEventReader

        return SqlEventReader(self.engine)

    @cached_property
    def rejections(self) -> RejectionReader:
        from chalicelib.adapters.db.rejection_reader import SqlRejectionReader

        return SqlRejectionReader(self.engine)

    @cached_property
    def events_queue(self) -> MessageQueue:
        from chalicelib.adapters.aws.clients import make_client
        from chalicelib.adapters.aws.sqs_queue import SqsQueue

        client = make_client("sqs", self.settings)
        return SqsQueue(client, EVENTS_QUEUE, attempts=self.settings.send_attempts)

    @cached_property
    def uploads_queue(self) -> MessageQueue:
        """The S3 notifications' queue: ``POST /uploads/{id}/retry`` sends one there again."""
        from chalicelib.adapters.aws.clients import make_client
        from chalicelib.adapters.aws.sqs_queue import SqsQueue

        client = make_client("sqs", self.settings)
        return SqsQueue(client, UPLOADS_QUEUE, attempts=self.settings.send_attempts)

    @cached_property
    def rule_failures(self) -> RuleFailures:
        from chalicelib.adapters.db.incident_reads import SqlRuleFailures

        return SqlRuleFailures(self.engine)

    @property
    def redelivery(self) -> Redelivery:
        """Failed messages put back with their backoff; its SQS client is made only when a
        message fails, which most batches never do."""
        return _LazyRedelivery(self)

    @cached_property
    def sqs_redelivery(self) -> Redelivery:
        from chalicelib.adapters.aws.clients import make_client
        from chalicelib.adapters.aws.sqs_redelivery import SqsRedelivery

        return SqsRedelivery(make_client("sqs", self.settings))

    @cached_property
    def rulebook(self) -> RuleBook:
        """``rules/`` loaded and compiled once per container: a bad file fails the first use,
        naming every problem with file:line:col (``tripline rules check`` finds them first)."""
        from pathlib import Path

        from chalicelib.adapters.rule_files.rules import load_rulebook

        return load_rulebook(Path(self.settings.rules_dir))

    @property
    def sources(self) -> SourceCatalog:
        return self.rulebook.sources

    @cached_property
    def pipeline(self) -> EventPipeline:
        from chalicelib.domain.rules import EventPipeline

        return EventPipeline(self.rulebook)

    @property
    def parse_rule(self) -> RuleParser:
        from chalicelib.adapters.rule_files.rules import parse_inline_rule

        return parse_inline_rule

    @cached_property
    def rule_reader(self) -> RuleReader:
        from chalicelib.adapters.db.rule_reader import SqlRuleReader

        return SqlRuleReader(self.engine)

    @cached_property
    def absence_state(self) -> AbsenceState:
        from chalicelib.adapters.db.rule_reader import SqlAbsenceState

        return SqlAbsenceState(self.engine)

    @cached_property
    def window_state(self) -> WindowState:
        from chalicelib.adapters.db.window_state import SqlWindowState

        return SqlWindowState(self.engine)

    @cached_property
    def keys(self) -> KeyStore:
        """Remembered per container, so the authorizer answers while the database is away."""
        from datetime import timedelta

        from chalicelib.adapters.db.access_store import SqlKeyStore
        from chalicelib.services.key_cache import CachedKeyStore, KeyCachePolicy

        policy = KeyCachePolicy(
            fresh_for=timedelta(seconds=self.settings.key_cache_seconds),
            stale_for=timedelta(seconds=self.settings.key_stale_seconds),
        )
        return CachedKeyStore(SqlKeyStore(self.engine), self.clock, policy)

    @cached_property
    def kpi_reader(self) -> KpiReader:
        from chalicelib.adapters.db.kpi_queries import SqlKpiReader

        return SqlKpiReader(self.engine)

    @cached_property
    def retention(self) -> RetentionStore:
        from chalicelib.adapters.db.retention_store import SqlRetention

        return SqlRetention(self.engine)

    @cached_property
    def pipeline_counts(self) -> PipelineCounts:
        from chalicelib.adapters.db.pipeline_counts import SqlPipelineCounts

        return SqlPipelineCounts(self.engine)

    @cached_property
    def queue_depths(self) -> QueueDepths:
        from chalicelib.adapters.aws.clients import make_client
        from chalicelib.adapters.aws.queue_depths import SqsQueueDepths

        return SqsQueueDepths(make_client("sqs", self.settings), QUEUES)

    @property
    def metrics_exposition(self) -> MetricsExposition:
        from chalicelib.adapters.metrics.prometheus_text import exposition

        return exposition

    @cached_property
    def audit(self) -> AuditLog:
        from chalicelib.adapters.db.access_store import SqlAuditLog

        return SqlAuditLog(self.engine)

    @cached_property
    def alerts(self) -> AlertStore:
        from chalicelib.adapters.db.alert_store import SqlAlertStore

        return SqlAlertStore(self.engine)

    @cached_property
    def alert_outbox(self) -> AlertOutbox:
        from chalicelib.adapters.db.alert_outbox import SqlAlertOutbox

        return SqlAlertOutbox(self.engine)

    @cached_property
    def silences(self) -> SilenceStore:
        from chalicelib.adapters.db.silence_store import SqlSilenceStore

        return SqlSilenceStore(self.engine)

    @cached_property
    def alerts_topic(self) -> AlertTopic:
        from chalicelib.adapters.aws.clients import make_client
        from chalicelib.adapters.aws.sns_topic import SnsTopic

        return SnsTopic(make_client("sns", self.settings), self.settings.alerts_topic_arn)

    @cached_property
    def notifier(self) -> NotificationDelivery:
        """The outbox's notifier; built with the processor, but its SNS client only on the
        first publish."""
        from chalicelib.services.notifications import NotificationDelivery, NotifySettings

        settings = self.settings
        return NotificationDelivery(
            self.alert_outbox,
            _LazyTopic(self),
            self.silences,
            self.rulebook,
            self.clock,
            NotifySettings(
                settings.api_url,
                settings.notify_group_at,
                settings.notify_per_second,
                settings.notify_retry_seconds,
            ),
        )

    @cached_property
    def incidents(self) -> Incidents:
        """Pipeline incidents: operations alerts on the alerts' store, sent by its notifier."""
        from chalicelib.services.incidents import Incidents

        return Incidents(self.alerts, self.clock, self.notifier)

    @cached_property
    def objects(self) -> ObjectStore:
        from chalicelib.adapters.aws.clients import make_client
        from chalicelib.adapters.aws.s3_objects import S3Objects

        return S3Objects(make_client("s3", self.settings), self.settings.bucket)

    @cached_property
    def upload_origin(self) -> str:
        """Where presigned POSTs send files, derived once per process (the bucket and its
        endpoint never change within one); a failure is not kept, so the next call retries."""
        from chalicelib.services.uploads import upload_origin

        return upload_origin(self.objects)

    @cached_property
    def reports(self) -> ReportStore:
        from chalicelib.adapters.db.report_store import SqlReportStore

        return SqlReportStore(self.engine)

    @cached_property
    def report_rows(self) -> ReportRows:
        from chalicelib.adapters.db.report_pages import SqlReportRows

        return SqlReportRows(self.engine)

    @cached_property
    def report_files(self) -> ReportFiles:
        from chalicelib.adapters.aws.clients import make_client
        from chalicelib.adapters.aws.report_files import S3ReportFiles

        return S3ReportFiles(make_client("s3", self.settings), self.settings.bucket)

    @cached_property
    def reports_queue(self) -> MessageQueue:
        from chalicelib.adapters.aws.clients import make_client
        from chalicelib.adapters.aws.sqs_queue import SqsQueue

        client = make_client("sqs", self.settings)
        return SqsQueue(client, REPORTS_QUEUE, attempts=self.settings.send_attempts)

    @cached_property
    def replays(self) -> ReplayStore:
        from chalicelib.adapters.db.replay_store import SqlReplayStore

        return SqlReplayStore(self.engine)

    @cached_property
    def replays_queue(self) -> MessageQueue:
        from chalicelib.adapters.aws.clients import make_client
        from chalicelib.adapters.aws.sqs_queue import SqsQueue
        from chalicelib.topology import REPLAYS_QUEUE

        client = make_client("sqs", self.settings)
        return SqsQueue(client, REPLAYS_QUEUE, attempts=self.settings.send_attempts)

    @cached_property
    def report_settings(self) -> ReportSettings:
        from chalicelib.services.reports import ReportSettings
        from chalicelib.topology import REPORTS_PREFIX

        settings = self.settings
        return ReportSettings(
            REPORTS_PREFIX, settings.report_max_days, settings.report_link_seconds
        )

    @cached_property
    def status_observations(self) -> StatusObservations:
        from chalicelib.adapters.db.status_observations import SqlStatusObservations

        return SqlStatusObservations(self.engine)

    @cached_property
    def availability(self) -> Mapping[str, SourceAvailability]:
        """The sources' ``availability:`` sections and business hours, read once; a mistake in
        them fails the availability reports only (``tripline rules check`` finds it first)."""
        from pathlib import Path

        from chalicelib.adapters.rule_files.availability import load_availability

        return load_availability(Path(self.settings.rules_dir))

    @cached_property
    def digests(self) -> DigestStore:
        from chalicelib.adapters.db.digest_store import SqlDigestStore

        return SqlDigestStore(self.engine)

    @cached_property
    def digests_topic(self) -> AlertTopic:
        from chalicelib.adapters.aws.clients import make_client
        from chalicelib.adapters.aws.sns_topic import SnsTopic

        client = make_client("sns", self.settings)
        arn = self.settings.digests_topic_arn
        return SnsTopic(client, arn, name="digests", setting="TRIPLINE_DIGESTS_TOPIC_ARN")

    @cached_property
    def digest_settings(self) -> DigestSettings:
        from chalicelib.services.digests import DigestSettings
        from chalicelib.topology import REPORTS_PREFIX

        settings = self.settings
        return DigestSettings(
            REPORTS_PREFIX, settings.digest_timezone, settings.digest_link_seconds, settings.api_url
        )

    @cached_property
    def uploads(self) -> UploadStore:
        from chalicelib.adapters.db.upload_store import SqlUploadStore

        return SqlUploadStore(self.engine)

    @cached_property
    def chunks(self) -> ChunkStore:
        from chalicelib.adapters.db.chunk_store import SqlChunkStore

        return SqlChunkStore(self.engine)

    @cached_property
    def rows_queue(self) -> MessageQueue:
        from chalicelib.adapters.aws.clients import make_client
        from chalicelib.adapters.aws.sqs_queue import SqsQueue

        client = make_client("sqs", self.settings)
        return SqsQueue(client, ROWS_QUEUE, attempts=self.settings.send_attempts)

    @cached_property
    def upload_ports(self) -> UploadPorts:
        from chalicelib.services.completion import UploadPorts

        return UploadPorts(
            self.uploads,
            self.chunks,
            self.store,
            self.objects,
            self.sources,
            self.clock,
            self.rows_queue,
            self.pipeline,
            self.notifier,
            self.incidents,
            self.upload_remedies,
        )

    @cached_property
    def cloudevent_routes(self) -> SourceRoutes:
        """``rules/cloudevents.yaml``, read when a CloudEvent first arrives: a file with problems
        fails CloudEvents only (``tripline rules check`` finds them first)."""
        from pathlib import Path

        from chalicelib.adapters.rule_files.cloudevents import load_source_routes

        return load_source_routes(Path(self.settings.rules_dir))

    @cached_property
    def known_errors(self) -> KnownErrorBook:
        """``rules/known-errors.yaml``, read when a failure first needs it: a file with
        problems fails the remedies only (``tripline rules check`` finds them first)."""
        from pathlib import Path

        from chalicelib.adapters.rule_files.known_errors import load_known_errors

        return load_known_errors(Path(self.settings.rules_dir), self.sources)

    @cached_property
    def known_error_store(self) -> KnownErrorStore:
        from chalicelib.adapters.db.known_error_store import SqlKnownErrorStore

        return SqlKnownErrorStore(self.engine)

    @cached_property
    def upload_remedies(self) -> UploadRemedies:
        from chalicelib.services.known_errors import KnownErrorRemedies

        return KnownErrorRemedies(
            book=lambda: self.known_errors,
            store=self.known_error_store,
            uploads=self.uploads,
            uploads_queue=self.uploads_queue,
            incidents=self.incidents,
            clock=self.clock,
            bucket=self.settings.bucket,
        )

    @property
    def upload_limits(self) -> UploadLimits:
        from chalicelib.services.uploads import UploadLimits

        settings = self.settings
        return UploadLimits(
            settings.max_upload_bytes, settings.upload_expiry_seconds, settings.report_link_seconds
        )

    @property
    def fan_out_settings(self) -> FanOutSettings:
        from chalicelib.services.fanout import FanOutSettings

        return FanOutSettings(
            self.settings.bucket,
            self.settings.chunk_bytes,
            self.settings.max_record_bytes,
            _max_receive(UPLOADS_QUEUE),
            self.settings.max_columns,
            self.settings.max_rows,
        )

    @property
    def chunk_settings(self) -> ChunkSettings:
        from chalicelib.services.chunks import ChunkSettings

        return ChunkSettings(
            self.settings.max_record_bytes, self.settings.max_event_bytes, _max_receive(ROWS_QUEUE)
        )

    def close(self) -> None:
        for name in ("engine", "schema_engine"):
            if name in self.__dict__:
                self.__dict__[name].dispose()


def _database_server(settings: Settings) -> DatabaseServer:
    from chalicelib.adapters.db.engine import DatabaseServer

    if settings.database_host is None:  # from_env refuses this; a hand-built Settings may not
        raise ConfigurationError(
            "invalid configuration",
            [
                Detail(
                    "required when TRIPLINE_DATABASE_SECRET_ARN is set",
                    field="TRIPLINE_DATABASE_HOST",
                )
            ],
        )
    return DatabaseServer(
        settings.database_host,
        settings.database_port,
        settings.database_name,
        settings.database_ca_file if settings.database_tls else None,
    )


class _LazyTopic:
    """The alerts topic, built on the first publish: most processor batches queue nothing."""

    def __init__(self, container: Container) -> None:
        self._container = container

    def publish(self, message: OutgoingAlert) -> str:
        return self._container.alerts_topic.publish(message)


class _LazyRedelivery:
    """The container's ``SqsRedelivery``, built on the first postponement."""

    def __init__(self, container: Container) -> None:
        self._container = container

    def postpone(self, messages: Sequence[tuple[QueueMessage, int]]) -> None:
        self._container.sqs_redelivery.postpone(messages)


def _max_receive(queue: str) -> int:
    return next(spec.max_receive_count for spec in QUEUES if spec.name == queue)


_lock = threading.Lock()
_container: Container | None = None


def container(env: Mapping[str, str] | None = None) -> Container:
    """The container of this process, built from the environment on first call."""
    global _container
    with _lock:
        if _container is None:
            source = os.environ if env is None else env
            _container = Container(
                Settings.from_env(source), on_lambda=bool(source.get("AWS_LAMBDA_FUNCTION_NAME"))
            )
        return _container


def reset() -> None:
    """Forget the container (tests, and the local runtime after it changes the environment)."""
    global _container
    with _lock:
        if _container is not None:
            _container.close()
        _container = None
