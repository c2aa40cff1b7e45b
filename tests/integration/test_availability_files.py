"""rules/ → each source's availability settings and business hours, read from real files."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from chalicelib.adapters.rule_files.availability import load_availability, read_availability
from chalicelib.adapters.rule_files.rules import check_rules
from chalicelib.domain.errors import RuleFileError, SourceDefinitionError

REPO_RULES = Path(__file__).resolve().parents[2] / "rules"
SOURCE = """\
type: status
id: [store, at]
occurred_at: at
columns:
  - {name: store, type: string, required: true}
  - {name: at, type: timestamp, required: true}
  - {name: status, type: string}
availability:
  entity: store
  status: status
  timezone: Europe/Berlin
  hours: till-hours
"""


def rules_folder(tmp_path: Path, hours: str, source: str = SOURCE) -> Path:
    """A rules folder with one source, ``tills``, and its hours table."""
    directory = tmp_path / "rules"
    (directory / "sources").mkdir(parents=True)
    (directory / "reference").mkdir()
    (directory / "sources" / "tills.yaml").write_text(source)
    (directory / "reference" / "till-hours.csv").write_text(hours)
    return directory


def test_the_repositorys_stores_have_availability_and_their_hours() -> None:
    # GIVEN this repository's rules/, WHEN the availability settings are loaded
    found = load_availability(REPO_RULES)
    # THEN stores has its section and hours; a late store runs past midnight, s-004 is 24x7
    stores = found["stores"]
    assert (stores.settings.entity_field, stores.settings.status_field) == ("store", "status")
    assert stores.settings.stale_after == timedelta(hours=2)
    assert stores.hours["s-003"].timezone == "Europe/Berlin"
    assert any(one.crosses_midnight for one in stores.hours["s-003"].week or ())
    assert stores.hours["s-004"].week is None


def test_a_good_folder_loads_with_the_hours_by_entity(tmp_path: Path) -> None:
    # GIVEN a source and a table, with a byte-order mark and a blank line
    directory = rules_folder(
        tmp_path,
        "\ufeffstore,timezone,mon,tue,wed,thu,fri,sat,sun\n\ns-1,,,,,,,,\n",
    )
    # WHEN it is loaded
    found = load_availability(directory)
    # THEN the table's row is there, 24x7, on the line it was written
    assert found["tills"].hours["s-1"].line == 3
    assert check_rules(directory) == []


def test_problems_in_the_hours_table_carry_file_and_line_and_are_listed_once_by_the_linter(
    tmp_path: Path,
) -> None:
    # GIVEN a table with a duplicate store and a bad cell
    directory = rules_folder(
        tmp_path,
        "store,timezone,mon,tue,wed,thu,fri,sat,sun\n"
        "s-1,,24h,24h,24h,24h,24h,24h,24h\n"
        "s-1,,24h,24h,24h,24h,24h,24h,24h\n"
        "s-2,,nine to five,closed,closed,closed,closed,closed,closed\n",
    )
    # WHEN the folder is checked
    found = [RuleFileError.describe(one) for one in check_rules(directory)]
    # THEN the reference loader's duplicate and this table's own problems are listed, each once
    assert found == [
        "rules/reference/till-hours.csv:3: duplicate key 's-1' (first at line 2)",
        "rules/reference/till-hours.csv:3: duplicate entity 's-1' (first at line 2)",
        "rules/reference/till-hours.csv:4: mon: 'nine' is not an interval such as 09:00-17:00 "
        "(or closed, 24h)",
    ]
    # AND loading refuses with the same problems
    with pytest.raises(SourceDefinitionError) as caught:
        load_availability(directory)
    assert len(caught.value.details) == 2


def test_a_bad_section_is_reported_by_the_linter_but_does_not_stop_the_rule_book(
    tmp_path: Path,
) -> None:
    # GIVEN a section naming an undeclared status field
    directory = rules_folder(
        tmp_path,
        "store,timezone,mon,tue,wed,thu,fri,sat,sun\n",
        SOURCE.replace("status: status", "status: state"),
    )
    # WHEN the folder is checked
    found = [RuleFileError.describe(one) for one in check_rules(directory)]
    # THEN the linter names the line
    assert found == [
        "rules/sources/tills.yaml:10: availability.status: 'state' is not a declared column "
        "(declared: store, at, status)"
    ]
    # AND availability has nothing for the source
    assert read_availability(directory)[0] == {}
