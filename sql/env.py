"""Alembic environment: online against a connection or URL, offline to print DDL for review.

Three kinds of caller. ``tripline db`` and the migrate function hand over a connection
(``config.attributes["connection"]``); ``review_sql`` sets a URL to render offline. A DBA's plain
``alembic`` (``alembic.ini`` at the repository root) sets neither, and gets the database the
application is configured with, the one ``tripline db upgrade`` would migrate: ``bootstrap``
decides it in one place (DATABASE_URL, its default, or on AWS the host and the secret's login).
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, create_engine

config = context.config


def run_offline() -> None:
    url = config.get_main_option("sqlalchemy.url") or _configured_engine().url
    context.configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    engine = create_engine(url) if url else _configured_engine()
    try:
        with engine.connect() as conn:
            _run_on(conn)
    finally:
        engine.dispose()


def _run_on(connection: Connection) -> None:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


def _configured_engine() -> Engine:
    """The application's schema engine; bad settings end the command with alembic's one-line
    ``FAILED:`` naming every bad variable, not a traceback."""
    from chalicelib import bootstrap
    from chalicelib.domain.errors import TriplineError

    try:
        return bootstrap.container().schema_engine
    except TriplineError as error:
        raise CommandError(str(error)) from error


if config.config_file_name is not None:  # the alembic command with alembic.ini: its logging
    fileConfig(config.config_file_name, disable_existing_loggers=False)
if context.is_offline_mode():
    run_offline()
else:
    run_online()
