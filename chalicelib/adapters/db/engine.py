"""One engine per database, tuned per dialect and per runtime; built on first use, never at import.

Two ways to name a MySQL database: a URL with its login inside (``DATABASE_URL``: local runs,
tests, any server), or a ``DatabaseServer`` whose login comes from a ``LoginSource`` at each new
connection (AWS: RDS Proxy, the password in Secrets Manager, rotated by RDS).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.pool import PoolResetState

from chalicelib.adapters.db.credentials import DatabaseLogin, LoginSource

SQLITE_BUSY_TIMEOUT_MS = 30_000
CONNECT_TIMEOUT_SECONDS = 5
# Shorter than any server's or proxy's idle timeout; longer than the gap between a busy
# function's batches, so those send no ping.
PING_AFTER_IDLE_SECONDS = 10
READ_TIMEOUT_SECONDS = 30
# A migration's ALTER on a large table may run for minutes, and a client that stops waiting makes
# the server roll it back; Lambda's own 900 s limit bounds the migrate function anyway.
DDL_READ_TIMEOUT_SECONDS = 840

# Shared by the threads of a process (the local runtime, the CLI, tests): a few connections,
# recycled well inside the server's wait_timeout.
SHARED_POOL: dict[str, Any] = {"pool_size": 2, "max_overflow": 2, "pool_recycle": 280}

# A Lambda container runs one invocation at a time and nothing in an invocation holds two
# connections, so one is enough; RDS Proxy multiplexes the containers' connections onto a few
# database connections, and every extra one here would only be an idle client the proxy keeps.
# pool_recycle is half the proxy's IdleClientTimeout (1800 s): a connection is never older, so
# never idler, than the proxy allows, even after a container thawed from minutes frozen; the
# ping of an idle connection catches what recycling cannot (a proxy failover). pool_timeout is short because the
# only way to wait for the one connection is a nested checkout, a bug better raised than hung on.
LAMBDA_POOL: dict[str, Any] = {
    "pool_size": 1,
    "max_overflow": 0,
    "pool_recycle": 900,
    "pool_timeout": 10,
}


@dataclass(frozen=True)
class DatabaseServer:
    """A MySQL server by host name, its login supplied apart. ``ca_file`` None means no TLS,
    which only an explicit setting asks for (RDS Proxy with RequireTLS refuses it)."""

    host: str
    port: int
    database: str
    ca_file: str | None


def make_engine(
    url: str, *, single_connection: bool = False, read_timeout: int = READ_TIMEOUT_SECONDS
) -> Engine:
    """``single_connection`` on Lambda; ``read_timeout`` longer for DDL (migrations)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database)
    return _mysql_engine(parsed, {}, single_connection, read_timeout)


def make_server_engine(
    server: DatabaseServer,
    login: LoginSource,
    *,
    single_connection: bool = False,
    read_timeout: int = READ_TIMEOUT_SECONDS,
) -> Engine:
    """An engine whose URL holds no login: each new connection asks ``login`` for the current
    one, and asks again, skipping its cache, once when the server refuses it (a rotation)."""
    url = URL.create("mysql+pymysql", host=server.host, port=server.port, database=server.database)
    engine = _mysql_engine(url, tls_arguments(server.ca_file), single_connection, read_timeout)
    event.listen(engine, "do_connect", _connect_with(login))
    return engine


def tls_arguments(ca_file: str | None) -> dict[str, Any]:
    """PyMySQL verifies the server's certificate only when given a CA; given one, it also refuses
    a server that offers no TLS instead of going on in plain text (PyMySQL 1.2; 1.1 went on).
    The host name is checked against the certificate, so connect by the proxy's name."""
    if ca_file is None:
        return {}
    return {"ssl_ca": ca_file, "ssl_verify_cert": True, "ssl_verify_identity": True}


def _mysql_engine(
    url: URL, extra: dict[str, Any], single_connection: bool, read_timeout: int
) -> Engine:
    # READ COMMITTED keeps InnoDB from taking gap locks on the unique keys our upserts probe.
    engine = create_engine(
        url,
        isolation_level="READ COMMITTED",
        pool_reset_on_return=None,  # _round_trips: only a connection left mid-transaction
        connect_args={
            "charset": "utf8mb4",
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "read_timeout": read_timeout,
            "write_timeout": READ_TIMEOUT_SECONDS,
            **extra,
        },
        **(LAMBDA_POOL if single_connection else SHARED_POOL),
    )
    _round_trips(engine)
    return engine


def _round_trips(engine: Engine) -> None:
    """No round trip a batch does not need: a batch used to send a ping before its first
    statement and a ``ROLLBACK`` after its ``COMMIT`` (SQLAlchemy's pre-ping and reset-on-return),
    two of six round trips with rules off.

    - Ping only a connection idle for ``PING_AFTER_IDLE_SECONDS``: one used moments ago is alive
      or its failure is a real outage, which the unit of work reports as such (and the batch is
      retried); one idle longer may have been dropped by the server or the proxy while the
      container was frozen, and a failed ping makes the pool connect afresh. Wall-clock time,
      since a frozen container's monotonic clock may not have moved.
    - Roll back on return only a connection whose transaction did not end: every unit of work
      commits or rolls back through its ``Connection``, so the reset is usually redundant.
    """
    _ping_when_idle(engine)
    _reset_mid_transaction_only(engine)


def _ping_when_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        last_used = record.info.get("last_used")
        if last_used is not None and time.time() - last_used > PING_AFTER_IDLE_SECONDS:
            try:
                dbapi_connection.ping(reconnect=False)
            except Exception as error:  # any failure: the pool discards it and connects anew
                raise exc.DisconnectionError(f"idle connection dropped: {error}") from error

    @event.listens_for(engine, "checkin")
    def _used(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["last_used"] = time.time()


def _reset_mid_transaction_only(engine: Engine) -> None:
    # An invalidated connection (the server went away mid-transaction) is not asked: reaching
    # its DB-API connection would try to reconnect inside the failed transaction. The pool
    # discards it anyway.
    @event.listens_for(engine, "begin")
    def _began(conn: Connection) -> None:
        if not conn.invalidated:
            conn.connection.info["in_transaction"] = True

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _ended(conn: Connection) -> None:
        if not conn.invalidated:
            conn.connection.info["in_transaction"] = False

    @event.listens_for(engine, "reset")
    def _reset(dbapi_connection: Any, record: Any, state: PoolResetState) -> None:
        info = record.info if record is not None else {}
        if not state.terminate_only and info.get("in_transaction", True):
            dbapi_connection.rollback()
        info["in_transaction"] = False


def _connect_with(login: LoginSource) -> Callable[..., Any]:
    from pymysql.constants import ER
    from pymysql.err import OperationalError

    def connect(dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]) -> Any:
        _use(cparams, login.login())
        try:
            return dialect.connect(*cargs, **cparams)
        except OperationalError as error:
            if not error.args or error.args[0] != ER.ACCESS_DENIED_ERROR:
                raise
        _use(cparams, login.login(refresh=True))  # outside the except: no chained old error
        return dialect.connect(*cargs, **cparams)

    return connect


def _use(cparams: dict[str, Any], login: DatabaseLogin) -> None:
    cparams["user"] = login.username
    cparams["password"] = login.password


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # WAL lets the API read while the processor writes; NORMAL sync is durable across crashes
        # of the process (not of the OS) and several times faster than FULL.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine
