"""Plain `alembic`, as a DBA runs it from the repository root: alembic.ini finds sql/ and the
database the application is configured with (DATABASE_URL), with no flags."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import inspect

from chalicelib.adapters.db.engine import make_engine

REPO = Path(__file__).resolve().parents[2]


def alembic(*args: str, database_url: str | None) -> subprocess.CompletedProcess[str]:
    """``alembic ARGS`` in the repository root, the database named the application's way."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TRIPLINE_", "DATABASE_"))
    }
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "alembic", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_history_lists_the_migrations_in_sql() -> None:
    # WHEN a DBA asks for the history, with nothing set and no flag
    done = alembic("history", database_url=None)
    # THEN every migration is there, newest first, head marked
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("0008 -> 0009 (head), Operations: pipeline incidents, known errors")
    assert any(line.startswith("<base> -> 0001, Raw events") for line in lines)


def test_upgrade_downgrade_and_upgrade_again_on_the_configured_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tripline.db'}"
    # WHEN the database is brought to head THEN it has the tables, and alembic says where it is
    up = alembic("upgrade", "head", database_url=url)
    assert up.returncode == 0, up.stderr
    assert "Running upgrade 0008 -> 0009" in up.stderr  # alembic.ini's logging, as usual
    assert {"events", "uploads", "alerts", "api_keys"} <= tables(url)
    assert alembic("current", database_url=url).stdout.strip() == "0009 (head)"
    # WHEN three steps are undone THEN 0007's tables are gone and it is at 0006
    back = alembic("downgrade", "-3", database_url=url)
    assert back.returncode == 0, back.stderr
    assert "Running downgrade 0007 -> 0006" in back.stderr
    assert "reports" not in tables(url) and "rule_window_buckets" in tables(url)
    assert alembic("current", database_url=url).stdout.strip() == "0006"
    # WHEN it goes to base and up again THEN nothing was left, and everything is back
    assert alembic("downgrade", "base", database_url=url).returncode == 0
    assert tables(url) == set()
    assert alembic("upgrade", "head", database_url=url).returncode == 0
    assert "api_keys" in tables(url)


def test_offline_sql_needs_no_server() -> None:
    # GIVEN a MySQL URL no server answers WHEN the DDL is asked for offline THEN it is MySQL's
    done = alembic(
        "upgrade", "head", "--sql", database_url="mysql+pymysql://reviewer@127.0.0.1:1/tripline"
    )
    assert done.returncode == 0, done.stderr
    assert "ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_bin" in done.stdout


def test_bad_settings_fail_naming_the_variable_without_a_traceback() -> None:
    # GIVEN a DATABASE_URL the application refuses WHEN alembic runs
    done = alembic("current", database_url="postgres://elsewhere/tripline")
    # THEN it fails with alembic's FAILED line and the application's own reason
    assert done.returncode != 0
    assert "FAILED: invalid configuration" in done.stdout
    assert "DATABASE_URL: expected a URL starting with sqlite://" in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
