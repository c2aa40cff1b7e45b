"""Schema history (Alembic scripts in ``sql/``): apply it, or print it as MySQL DDL for review."""

from __future__ import annotations

import io
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

SQL_DIR = Path(__file__).resolve().parents[3] / "sql"
REVIEW_URL = "mysql+pymysql://reviewer@localhost/tripline"


def _config(url: str, output: io.StringIO | None = None) -> Config:
    if not (SQL_DIR / "env.py").is_file():
        raise FileNotFoundError(f"schema history not found at {SQL_DIR}; run from a checkout")
    config = Config(stdout=output) if output is not None else Config()
    config.set_main_option("script_location", str(SQL_DIR))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(SQL_DIR / "versions"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision``; a database already there is left untouched."""
    config = _config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def review_sql(url: str = REVIEW_URL) -> str:
    """The DDL that ``upgrade`` would run on MySQL, rendered offline (no server needed)."""
    output = io.StringIO()
    config = _config(url, output)
    config.output_buffer = output
    command.upgrade(config, "head", sql=True)
    return output.getvalue()
