"""MySqlAppUser: the login every function but ``migrate`` uses, kept by ``migrate`` on each run.

The owner login (RDS's master user) can change the schema and hand out privileges; a function
that only reads and writes rows should not hold it, so a bug or an injected statement there can
do no more than its data grants allow. The grants are what the adapters use at runtime: reads,
inserts, updates, and upserts (``INSERT ... ON DUPLICATE KEY UPDATE``, which takes ``INSERT`` and
``UPDATE`` and is also how rows are locked). Only the schedules delete rows: threshold windows'
buckets no window can need any more, and the rows past their source's retention (events, raw
items, rejects, rule matches), so ``DELETE`` is granted on those tables alone (a silence ended
early keeps its row, stamped; alerts are never purged). Nothing makes a temporary table, locks tables or
loads a file, so neither ``CREATE TEMPORARY TABLES``, ``LOCK TABLES`` nor ``FILE`` is granted: a
change that needs one adds it here, and tests/iam's MySQL deployment runs every function on this
login to find out.

Every statement is idempotent and runs on every ``migrate``: the user is created if missing,
its password set to what the secret holds now (how a rotation reaches the server), and the
grants given again. The password and the user go in as PyMySQL literals, escaped for the
session's ``NO_BACKSLASH_ESCAPES`` mode, since ``CREATE USER`` takes no server-side parameters.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, text

from chalicelib.adapters.db.credentials import DatabaseLogin, LoginSource
from chalicelib.adapters.db.errors import database_errors

DATA_PRIVILEGES = ("SELECT", "INSERT", "UPDATE")
# DELETE on these only: the schedule's window pruning, and the retention purge
PRUNED_TABLES = (
    "rule_window_buckets",
    "rule_window_tokens",
    "events",
    "raw_events",
    "rejected_items",
    "rule_matches",
)
# RDS Proxy opens the server connections from its own addresses in the VPC, which change.
ANY_HOST = "%"


class MySqlAppUser:
    """The ``AppLogin`` port: the application's user on the database the engine's login owns."""

    def __init__(self, engine: Engine, login: LoginSource, database: str) -> None:
        self._engine = engine
        self._login = login
        self._database = database

    def ensure(self) -> str:
        """Create or update the user from the secret's current value (read afresh: a rotation
        put there minutes ago must reach the server now); answers the user name."""
        login = self._login.login(refresh=True)
        with (
            database_errors("creating the application's database user"),
            self._engine.begin() as conn,
        ):
            ensure_app_user(conn, login, self._database)
        return login.username


def ensure_app_user(conn: Connection, login: DatabaseLogin, database: str) -> None:
    account = {"user": login.username, "host": ANY_HOST}
    conn.execute(
        text("CREATE USER IF NOT EXISTS :user@:host IDENTIFIED BY :password"),
        account | {"password": login.password},
    )
    conn.execute(
        text("ALTER USER :user@:host IDENTIFIED BY :password"),
        account | {"password": login.password},
    )
    conn.execute(
        text(f"GRANT {', '.join(DATA_PRIVILEGES)} ON {grant_scope(conn, database)} TO :user@:host"),
        account,
    )
    quote = conn.dialect.identifier_preparer.quote_identifier
    for table in PRUNED_TABLES:  # a table-level grant names its database literally, no wildcards
        conn.execute(
            text(f"GRANT DELETE ON {quote(database)}.{quote(table)} TO :user@:host"), account
        )


def grant_scope(conn: Connection, database: str) -> str:
    """``db``.* with the name's ``_`` and ``%`` escaped: in a database-level GRANT they are
    wildcards, and ``tripline_x``.* would also reach ``triplineAx``."""
    escaped = database.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")
    return f"{conn.dialect.identifier_preparer.quote_identifier(escaped)}.*"
