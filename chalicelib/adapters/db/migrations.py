"""Schema history (Alembic scripts in ``sql/``): apply it, undo it, or print it as MySQL DDL.

``sql/`` sits beside ``app.py`` both in a checkout and in the Lambda bundle (the packaging step
copies it there), so one path finds it in both. Nothing applies it at a cold start: the ``migrate``
function and ``tripline db upgrade`` do, when an operator asks; only ``tripline db downgrade``
undoes it.
"""

from __future__ import annotations

import io
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.util import CommandError
from sqlalchemy import Engine

from chalicelib.adapters.db.errors import database_errors
from chalicelib.domain.errors import Detail, RequestError, StorageError

SQL_DIR = Path(__file__).resolve().parents[3] / "sql"
REVIEW_URL = "mysql+pymysql://reviewer@localhost/tripline"


def _config(url: str, output: io.StringIO | None = None) -> Config:
    if not (SQL_DIR / "env.py").is_file():
        raise FileNotFoundError(
            f"schema history not found at {SQL_DIR}; run from a checkout, or "
            "package sql/ beside app.py"
        )
    config = Config(stdout=output) if output is not None else Config()
    config.set_main_option("script_location", str(SQL_DIR))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(SQL_DIR / "versions"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Bring the database to ``revision``; a database already there is left untouched.
    Answers the revision the database is at afterwards (None for an empty history)."""
    config = _config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
        return MigrationContext.configure(conn).get_current_revision()


def downgrade(engine: Engine, revision: str) -> str | None:
    """Undo migrations down to ``revision`` (Alembic's: ``-1``, ``base``, an id). Answers the
    revision the database is at afterwards (None: nothing applied)."""
    config = _config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)
        return MigrationContext.configure(conn).get_current_revision()


class AlembicSchemaHistory:
    """The ``SchemaHistory`` port: ``sql/`` applied or undone through its own engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def upgrade(self) -> str:
        with database_errors("applying the schema history"):
            revision = upgrade(self._engine)
        if revision is None:
            raise StorageError(
                f"no revision recorded after upgrading; is {SQL_DIR / 'versions'} empty?"
            )
        return revision

    def current(self) -> str | None:
        with database_errors("reading the schema revision"), self._engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def downgrade(self, revision: str) -> str | None:
        """Alembic's refusal of a target (unknown, ahead of the database, more steps back than
        applied) is the caller's mistake: a ``RequestError`` in Alembic's words."""
        with database_errors("undoing migrations"):
            try:
                return downgrade(self._engine, revision)
            except CommandError as exc:
                at = self.current() or "base"
                raise RequestError(
                    f"cannot downgrade to {revision!r} from {at}",
                    [Detail(str(exc), field="revision", value=revision)],
                ) from exc


def review_sql(url: str = REVIEW_URL) -> str:
    """The DDL that ``upgrade`` would run on MySQL, rendered offline (no server needed)."""
    output = io.StringIO()
    config = _config(url, output)
    config.output_buffer = output
    command.upgrade(config, "head", sql=True)
    return output.getvalue()
