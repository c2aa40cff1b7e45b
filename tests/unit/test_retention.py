"""Retention as declared: ``retention_days`` checked with file:line:col, the default setting, and
the cutoffs a purge works from (per source, the other sources, threshold rules' window state)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chalicelib.adapters.rule_files.rules import load_rulebook
from chalicelib.adapters.rule_files.sources import located_yaml
from chalicelib.domain.errors import ConfigurationError, SourceDefinitionError
from chalicelib.domain.retention import purge_plan
from chalicelib.domain.sources import SourceCatalog, parse_source_definition
from chalicelib.settings import Settings
from tests.retention_data import rules_folder
from tripline.cli import main as tripline

NOW = datetime(2026, 11, 23, tzinfo=UTC)
FILE = "rules/sources/shop.yaml"


def definition(retention: str) -> str:
    return (
        f"type: order.created\nid: ref\nretention_days: {retention}\n"
        "columns:\n  - {name: ref, type: string}\n"
    )


def problems(text: str) -> list[dict[str, object]]:
    document = located_yaml(text, FILE)
    assert not isinstance(document, list)
    with pytest.raises(SourceDefinitionError) as raised:
        parse_source_definition(FILE, document)
    return [detail.as_dict() for detail in raised.value.details]


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("14", "not 14"),  # shorter than the queues' redelivery
        ("36501", "not 36501"),
        ("30.5", "not a number"),
        ('"30"', "not a string"),
        ("yes", "not true/false"),
        ("[30]", "not a list"),
    ],
)
def test_a_bad_retention_is_named_with_its_file_line_and_column(written: str, said: str) -> None:
    # GIVEN a source definition whose retention_days is not a whole number of days in range
    # WHEN it is checked THEN the one problem names the key, where it is written, and why
    (found,) = problems(definition(written))
    assert (found["file"], found["field"], found["line"], found["column"]) == (
        FILE,
        "retention_days",
        3,
        17,
    )
    assert str(found["message"]).startswith("must be a whole number of days from 15")
    assert said in str(found["message"])


def test_a_declared_retention_is_kept_and_an_absent_one_is_none() -> None:
    # GIVEN definitions with and without retention_days WHEN they are checked
    for text, expected in ((definition("400"), 400), (definition(""), None)):
        document = located_yaml(text, FILE)
        assert not isinstance(document, list)
        # THEN the definition carries the days, or None for the default
        assert parse_source_definition(FILE, document).retention_days == expected


def test_the_linter_reports_a_bad_retention_as_file_line_col(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a rules folder whose source keeps its rows for 3 days
    folder = rules_folder(tmp_path)
    short = folder / "sources" / "short.yaml"
    short.write_text(short.read_text().replace("retention_days: 20", "retention_days: 3"))
    # WHEN the rules are checked THEN the problem is printed where it is, and the exit is 1
    assert tripline(["rules", "check", str(folder)]) == 1
    assert "rules/sources/short.yaml:3:17: retention_days: must be a whole number" in (
        capsys.readouterr().out
    )


def test_the_default_retention_is_a_setting_and_empty_keeps_everything() -> None:
    assert Settings.from_env({}).retention_days is None
    assert Settings.from_env({"TRIPLINE_RETENTION_DAYS": "400"}).retention_days == 400
    with pytest.raises(ConfigurationError) as raised:
        Settings.from_env({"TRIPLINE_RETENTION_DAYS": "7"})
    assert [detail.field for detail in raised.value.details] == ["TRIPLINE_RETENTION_DAYS"]


def test_the_plan_cuts_each_source_at_its_retention_and_the_others_at_the_default(
    tmp_path: Path,
) -> None:
    # GIVEN short kept 20 days, long 60, a default of 30 and a threshold rule over short
    book = load_rulebook(rules_folder(tmp_path))
    # WHEN the plan is made
    plan = purge_plan(book.sources, book.rules, 30, NOW)
    # THEN each declared source has its cutoff, and every other source the default's
    cuts = {(one.label, one.before, one.except_sources) for one in plan.sources}
    assert cuts == {
        ("long", NOW - timedelta(days=60), ()),
        ("short", NOW - timedelta(days=20), ()),
        ("(other sources)", NOW - timedelta(days=30), ("long", "short")),
    }
    # AND the rule's window state goes with the events it counted
    assert [(one.rule_id, one.before) for one in plan.rules] == [
        ("short-burst", NOW - timedelta(days=20))
    ]


def test_without_a_default_only_declared_sources_are_purged(tmp_path: Path) -> None:
    # GIVEN no default, and a catalog without any retention
    book = load_rulebook(rules_folder(tmp_path))
    plan = purge_plan(book.sources, book.rules, None, NOW)
    # THEN the undeclared sources are kept for ever
    assert {one.label for one in plan.sources} == {"long", "short"}
    # AND nothing at all is planned when no source declares a retention
    assert purge_plan(SourceCatalog(), book.rules, None, NOW).sources == ()
