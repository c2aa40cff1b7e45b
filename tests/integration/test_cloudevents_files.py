"""``rules/cloudevents.yaml`` through the linter and the rule-file adapter: the repository's sample
checks, each problem is named at file:line:col, a broken map fails only its own load, and the
rule loader never takes it for a rule."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chalicelib.adapters.rule_files.cloudevents import load_source_routes
from chalicelib.adapters.rule_files.rules import check_rules, load_rulebook
from chalicelib.domain.errors import RuleFileError
from tripline.cli import main

REPO_RULES = Path(__file__).resolve().parents[2] / "rules"


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    """A copy of the repository's rules folder, its sample CloudEvents map included."""
    directory = tmp_path / "rules"
    shutil.copytree(REPO_RULES, directory)
    return directory


def test_the_shipped_map_checks_and_maps_the_shops_uris(rules: Path) -> None:
    # GIVEN the repository's rules/cloudevents.yaml WHEN it is loaded
    routes = load_source_routes(rules)
    # THEN it maps by the longest prefix, and the linter finds nothing wrong
    assert routes.route("https://shop.example.com/orders/7") == "shop"
    assert routes.route("https://shop.example.com/payments/card") == "payments"
    assert check_rules(rules) == []


def test_the_linter_names_each_problem_of_the_map_by_file_line_and_column(
    rules: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a map with a source name in capitals and an unknown top-level key
    (rules / "cloudevents.yaml").write_text(
        'sources:\n  "https://erp.example.org/": Billing\nmapping: {}\n'
    )
    # WHEN the rules folder is linted
    code = main(["rules", "check", str(rules)])
    # THEN each problem is one line at file:line(:col), and the exit status is 1
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert out[:2] == [
        "rules/cloudevents.yaml:3: mapping: unknown key 'mapping'; the file holds one key, sources",
        "rules/cloudevents.yaml:2:31: sources.https://erp.example.org/: 'Billing' is not a "
        "Tripline source name: lower case letters, digits, '_' and '-', starting with a letter "
        "or digit, at most 64",
    ]
    assert out[2].startswith("rules/: 2 problems in 1 file (")


def test_the_linter_counts_the_maps_entries(
    rules: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules", "check", str(rules)]) == 0
    assert "3 CloudEvents source mappings: no problems" in capsys.readouterr().out


def test_a_map_that_is_not_yaml_fails_only_its_own_load(rules: Path) -> None:
    # GIVEN a map with a YAML syntax error
    (rules / "cloudevents.yaml").write_text('sources:\n  "https://x/": [shop\n')
    # WHEN the rules and the map are loaded
    book = load_rulebook(rules)
    # THEN the rules load (the map is no rule), and the map says where it is broken
    assert book.rules
    with pytest.raises(RuleFileError) as raised:
        load_source_routes(rules)
    [detail] = raised.value.details
    assert detail.file == "rules/cloudevents.yaml" and detail.line is not None


def test_no_file_means_an_empty_map(tmp_path: Path) -> None:
    assert load_source_routes(tmp_path).route("https://shop.example.com/") is None
