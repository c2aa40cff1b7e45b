"""`tripline db upgrade`, `tripline db sql` and `tripline rules check`, as an operator runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import inspect

from chalicelib import bootstrap
from chalicelib.adapters.db.engine import make_engine
from tests.conftest import migrated
from tripline.cli import main


def test_db_upgrade_migrates_the_configured_database(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN DATABASE_URL pointing at a database (already at head: the command must be idempotent)
    monkeypatch.setenv("DATABASE_URL", database_url)
    bootstrap.reset()
    # WHEN the command runs
    code = main(["db", "upgrade"])
    bootstrap.reset()
    # THEN it succeeds, says where, and the tables are there
    assert code == 0
    assert "database at head" in capsys.readouterr().out
    engine = make_engine(database_url)
    assert {"events", "raw_events", "rejected_items"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_db_upgrade_with_bad_settings_names_each_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://nope")
    monkeypatch.setenv("TRIPLINE_PAGE_SIZE", "many")
    bootstrap.reset()
    code = main(["db", "upgrade"])
    bootstrap.reset()
    err = capsys.readouterr().err
    assert code == 2
    assert "DATABASE_URL" in err and "TRIPLINE_PAGE_SIZE" in err


def test_db_sql_prints_mysql_ddl(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "sql"]) == 0
    assert "ENGINE=InnoDB" in capsys.readouterr().out


# --- tripline db downgrade -----------------------------------------------------------------------


def run_db(monkeypatch: pytest.MonkeyPatch, url: str, *args: str) -> int:
    """``tripline db ARGS`` on the database at ``url``, with a container of its own."""
    monkeypatch.setenv("DATABASE_URL", url)
    bootstrap.reset()
    try:
        return main(["db", *args])
    finally:
        bootstrap.reset()


def tables_at(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def columns_of(url: str, view: str) -> set[str]:
    engine = make_engine(url)
    try:
        return {column["name"] for column in inspect(engine).get_columns(view)}
    finally:
        engine.dispose()


def test_db_downgrade_undoes_the_last_migration_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a database at head (0009, operations)
    url = migrated(f"sqlite:///{tmp_path / 'tripline.db'}")
    # WHEN the command runs with no revision, and again
    code = run_db(monkeypatch, url, "downgrade")
    assert code == 0 and capsys.readouterr().out.startswith("database downgraded from 0009 to 0008")
    code = run_db(monkeypatch, url, "downgrade")
    # THEN one step is undone, and it says from where to where, on which database
    assert code == 0
    assert capsys.readouterr().out == f"database downgraded from 0008 to 0007: {url}\n"
    assert "minute" not in columns_of(url, "kpi_event_facts")
    assert {"reports", "digests", "api_keys"} <= tables_at(url)


def test_db_downgrade_to_base_then_upgrade_rebuilds_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a database at head WHEN it is taken to base THEN no table is left
    url = migrated(f"sqlite:///{tmp_path / 'tripline.db'}")
    assert run_db(monkeypatch, url, "downgrade", "base") == 0
    assert capsys.readouterr().out == f"database downgraded from 0009 to base: {url}\n"
    assert tables_at(url) == set()
    # AND `db upgrade` brings every table back
    assert run_db(monkeypatch, url, "upgrade") == 0
    assert {"events", "uploads", "alerts", "api_keys"} <= tables_at(url)


def test_db_downgrade_steps_back_n_or_to_a_revision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = migrated(f"sqlite:///{tmp_path / 'tripline.db'}")
    assert run_db(monkeypatch, url, "downgrade", "-6") == 0
    assert run_db(monkeypatch, url, "downgrade", "0002") == 0
    assert run_db(monkeypatch, url, "downgrade", "0002") == 0
    assert capsys.readouterr().out.splitlines() == [
        f"database downgraded from 0009 to 0003: {url}",
        f"database downgraded from 0003 to 0002: {url}",
        f"database already at 0002, nothing undone: {url}",
    ]


@pytest.mark.parametrize(
    ("target", "said"),
    [
        ("+1", "cannot downgrade to '+1'\n  - revision: give -N (steps back), a revision"),
        ("head", "cannot downgrade to 'head'\n  - revision: give -N (steps back), a revision"),
        ("-0", "cannot downgrade to '-0'\n  - revision: give -N"),
        ("0001:0003", "cannot downgrade to '0001:0003'\n  - revision: give -N"),
        (
            "-10",
            "cannot downgrade to '-10' from 0009\n  - revision: Relative revision -10 didn't "
            "produce 10 migrations",
        ),
        ("0099", "cannot downgrade to '0099' from 0009\n  - revision: Can't locate revision"),
    ],
)
def test_db_downgrade_refuses_a_target_it_cannot_reach_and_changes_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    target: str,
    said: str,
) -> None:
    # GIVEN a database at head
    url = migrated(f"sqlite:///{tmp_path / 'tripline.db'}")
    before = tables_at(url)
    # WHEN a downgrade is asked to go forward, nowhere, or further back than base
    code = run_db(monkeypatch, url, "downgrade", target)
    # THEN it exits 2 saying why, and every table is still there
    assert code == 2
    assert capsys.readouterr().err.startswith(f"tripline: {said}")
    assert tables_at(url) == before


def test_db_downgrade_of_a_database_without_history_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN an empty database (a DATABASE_URL pointing at the wrong place, most often)
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    # WHEN a downgrade is asked THEN it is refused: there is nothing to undo
    assert run_db(monkeypatch, url, "downgrade") == 2
    assert "nothing to undo: the database has no migration applied" in capsys.readouterr().err


# --- tripline rules check ------------------------------------------------------------------------

BROKEN_RULE = """\
id: large
severity: high
kind: match
when: amout > 5000
"""
SOURCE = """\
type: payment
id: payment_id
columns:
  - {name: payment_id, type: string}
  - {name: amount, type: number}
"""


def test_rules_check_passes_the_repos_rules(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN the rules/ folder of this repository, WHEN it is linted
    code = main(["rules", "check", str(Path(__file__).resolve().parents[2] / "rules")])
    # THEN it says what it loaded and that nothing is wrong
    assert code == 0
    assert capsys.readouterr().out == (
        "rules/: 7 rules, 6 sources, 2 reference tables, 5 known errors, "
        "3 CloudEvents source mappings: no problems\n"
    )


def test_rules_check_prints_each_problem_as_file_line_column_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a rules folder with a misspelt field and a duplicate key in a source definition
    directory = tmp_path / "rules"
    (directory / "sources").mkdir(parents=True)
    (directory / "sources" / "payments.yaml").write_text(SOURCE + "type: again\n")
    (directory / "large.yaml").write_text(BROKEN_RULE)
    # WHEN it is linted
    code = main(["rules", "check", str(directory)])
    # THEN each problem is one line an editor can jump to, then a summary
    assert code == 1
    assert capsys.readouterr().out.splitlines() == [
        "rules/sources/payments.yaml:6: duplicate key 'type' (first at line 1)",
        "rules/large.yaml:4:7: when: unknown field 'amout'; the fields are: id, occurred_at, "
        "received_at, source, type",
        "rules/: 2 problems in 2 files (0 rules, 0 sources, 0 reference tables loaded)",
    ]


def test_rules_check_defaults_to_the_configured_rules_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = tmp_path / "mine"
    (directory / "sources").mkdir(parents=True)
    (directory / "sources" / "payments.yaml").write_text(SOURCE)
    (directory / "large.yaml").write_text(BROKEN_RULE.replace("amout", "amount"))
    monkeypatch.setenv("TRIPLINE_RULES_DIR", str(directory))
    assert main(["rules", "check"]) == 0
    assert capsys.readouterr().out == "mine/: 1 rule, 1 source, 0 reference tables: no problems\n"


def test_rules_check_of_a_missing_folder_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules", "check", str(tmp_path / "nowhere")]) == 2
    assert "no such directory" in capsys.readouterr().err


def declines(count: int) -> list[dict[str, object]]:
    return [
        {
            "source": "payments",
            "type": "payment.attempted",
            "id": f"d-{n}",
            "occurred_at": f"2026-11-22T08:0{n}:00Z",
            "data": {"amount": 20, "card": "c-1", "merchant": "acme", "status": "declined"},
        }
        for n in range(count)
    ]


def test_rules_test_dry_runs_a_loaded_rule_over_listed_events(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the repository's rules and five declines on one card in a JSON file
    monkeypatch.setenv("TRIPLINE_RULES_DIR", str(Path(__file__).resolve().parents[2] / "rules"))
    bootstrap.reset()
    events = tmp_path / "events.json"
    events.write_text(json.dumps({"events": declines(5)}))
    # WHEN declined-card-burst is dry-run over them
    code = main(["rules", "test", "declined-card-burst", "--events", str(events)])
    bootstrap.reset()
    # THEN it reports the one alert it would have opened, with the email it would have sent
    out = capsys.readouterr().out
    assert code == 0
    assert "5 events read, 5 judged, 1 matches, 1 alerts would open" in out
    assert "alert 1: [MEDIUM] declined-card-burst: card=c-1" in out
    assert "    Card c-1 was declined 5 times in 10 minutes (last at acme)" in out


def test_rules_test_of_a_broken_rule_file_names_file_line_and_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = tmp_path / "rules"
    (directory / "sources").mkdir(parents=True)
    (directory / "sources" / "payments.yaml").write_text(SOURCE)
    monkeypatch.setenv("TRIPLINE_RULES_DIR", str(directory))
    bootstrap.reset()
    rule = tmp_path / "draft.yaml"
    rule.write_text(BROKEN_RULE)
    events = tmp_path / "events.json"
    events.write_text("[]")
    code = main(["rules", "test", str(rule), "--events", str(events)])
    bootstrap.reset()
    assert code == 2
    assert f"{rule}:4:7: when: unknown field 'amout'" in capsys.readouterr().err
