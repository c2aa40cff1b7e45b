"""Builds the services' collaborators from settings, once per container, on first use.

This is the only module that names concrete adapters. Nothing here runs at import: Chalice imports
``app.py`` to package it, and a cold start should pay for a database engine or boto3 client only in
the function that uses one (the processor never builds an SQS client, for instance).
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING

from chalicelib.settings import Settings
from chalicelib.topology import EVENTS_QUEUE

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from chalicelib.ports import EventReader, EventStore, MessageQueue


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def new_event_id() -> str:
    return uuid.uuid4().hex


class Container:
    """Collaborators built lazily from one ``Settings``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.clock = SystemClock()
        self.new_id: Callable[[], str] = new_event_id

    @cached_property
    def engine(self) -> Engine:
        from chalicelib.adapters.db.engine import make_engine

        return make_engine(self.settings.database_url)

    @cached_property
    def store(self) -> EventStore:
        from chalicelib.adapters.db.event_store import SqlEventStore

        return SqlEventStore(self.engine, self.clock.now)

    @cached_property
    def reader(self) -> EventReader:
        from chalicelib.adapters.db.event_reader import SqlEventReader

        return SqlEventReader(self.engine)

    @cached_property
    def events_queue(self) -> MessageQueue:
        from chalicelib.adapters.aws.clients import make_client
        from chalicelib.adapters.aws.sqs_queue import SqsQueue

        client = make_client("sqs", self.settings)
        return SqsQueue(client, EVENTS_QUEUE, attempts=self.settings.send_attempts)

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()


_lock = threading.Lock()
_container: Container | None = None


def container(env: Mapping[str, str] | None = None) -> Container:
    """The container of this process, built from the environment on first call."""
    global _container
    with _lock:
        if _container is None:
            _container = Container(Settings.from_env(os.environ if env is None else env))
        return _container


def reset() -> None:
    """Forget the container (tests, and the local runtime after it changes the environment)."""
    global _container
    with _lock:
        if _container is not None:
            _container.close()
        _container = None
