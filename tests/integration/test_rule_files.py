"""rules/ on disk → RuleBook: the repo's own rules lint clean, and bad files say file:line:col."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from chalicelib.adapters.rule_files.rules import (
    check_rules,
    load_rulebook,
    parse_inline_rule,
    read_rulebook,
)
from chalicelib.domain.errors import Detail, RuleFileError, SourceDefinitionError

REPO_RULES = Path(__file__).resolve().parents[2] / "rules"
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)

PAYMENTS = """\
type: payment
id: payment_id
columns:
  - {name: payment_id, type: string, required: true}
  - {name: amount, type: number}
  - {name: store, type: string}
lookups:
  - {reference: stores, key: store, columns: [region]}
"""
LARGE = """\
id: large
severity: high
source: payments
kind: match
when: amount > 100
message: "{amount} in {region}"
"""


def rules_dir(tmp_path: Path, files: dict[str, str]) -> Path:
    """A rules folder holding ``files`` (paths relative to it)."""
    directory = tmp_path / "rules"
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return directory


def lines(details: list[Detail]) -> list[str]:
    return [RuleFileError.describe(detail) for detail in details]


GOOD = {
    "sources/payments.yaml": PAYMENTS,
    "reference/stores.csv": "store,region\ns-1,north\n",
    "large.yaml": LARGE,
}


# --- the repo's own rules ------------------------------------------------------------------------


def test_the_repos_rules_have_no_problems() -> None:
    # the linter runs in the test suite: a rule that does not check fails the build
    assert lines(check_rules(REPO_RULES)) == []


def test_the_repos_rules_load_with_their_sources_tables_and_enrichments() -> None:
    book = load_rulebook(REPO_RULES)
    assert [rule.id for rule in book.rules] == [
        "admin-login-outside-hours",
        "declined-card-burst",
        "failed-login-burst",
        "large-order",
        "large-payment",
        "payment-volume-spike",
        "store-feed-silent",
    ]
    assert set(book.sources.names()) == {"logins", "payments", "sensors", "shop", "stores", "web"}
    assert set(book.references) == {"stores", "store-hours"}
    assert set(book.enrichments) == {"shop", "stores"}


def test_the_sample_enrichments_add_what_their_rules_use() -> None:
    book = load_rulebook(REPO_RULES)
    order = book.enrich("shop", {"quantity": 3, "unit_price": 400.0})
    beat = book.enrich("stores", {"store": "s-001", "kind": "heartbeat"})
    assert order["total"] == 1200.0
    assert (beat["region"], beat["manager"]) == ("north", "Ana Lima")
    large_order = book.rule("large-order")
    assert large_order is not None and large_order.when is not None
    assert large_order.when.evaluate(order, NOW) is True


def test_the_absence_sample_expects_every_store_of_the_table() -> None:
    rule = load_rulebook(REPO_RULES).rule("store-feed-silent")
    assert rule is not None and rule.absence is not None
    assert rule.absence.entities == (("s-001",), ("s-002",), ("s-003",), ("s-004",))


# --- loading a folder ----------------------------------------------------------------------------


def test_a_folder_of_good_files_loads_into_a_book(tmp_path: Path) -> None:
    book = load_rulebook(rules_dir(tmp_path, GOOD))
    rule = book.rule("large")
    assert rule is not None and rule.file == "rules/large.yaml"
    assert book.field_types(["payments"])["region"] == "string"
    assert book.enrich("payments", {"store": "s-1", "amount": 5}) == {
        "store": "s-1",
        "amount": 5,
        "region": "north",
    }


def test_a_missing_folder_is_an_empty_book(tmp_path: Path) -> None:
    book = load_rulebook(tmp_path / "nothing")
    assert (book.rules, book.sources.names(), dict(book.references)) == ((), (), {})


def test_problems_in_every_kind_of_file_are_listed_together_with_lines_and_columns(
    tmp_path: Path,
) -> None:
    # GIVEN a bad table, a bad source definition, and a rule with a misspelt field
    directory = rules_dir(
        tmp_path,
        {
            "reference/stores.csv": "store,region\ns-1,north\ns-1,south\n",
            "sources/payments.yaml": PAYMENTS.replace("type: number", "type: numbr"),
            "sources/logins.yaml": "type: login\nid: user\ncolumns:\n  - {name: user, type: string}\n",
            "large.yaml": LARGE.replace("source: payments", "source: logins")
            .replace("amount > 100", "usr == 'x'")
            .replace("{amount} in {region}", "{user}"),
        },
    )
    # WHEN the folder is loaded
    with pytest.raises(RuleFileError) as caught:
        load_rulebook(directory)
    # THEN every problem is named, each with its place
    assert lines(caught.value.details) == [
        "rules/reference/stores.csv:3: duplicate key 's-1' (first at line 2)",
        "rules/sources/payments.yaml:5: columns[1].type: 'numbr' is not a column type: one of "
        "string, integer, number, boolean, timestamp, date; did you mean number?",
        "rules/large.yaml:5:7: when: unknown field 'usr'; did you mean 'user'?",
    ]
    assert caught.value.message == "3 problem(s) in 3 file(s) under rules/"


def test_a_rule_naming_a_source_that_does_not_load_is_reported_too(tmp_path: Path) -> None:
    directory = rules_dir(
        tmp_path, GOOD | {"sources/payments.yaml": PAYMENTS.replace("id: payment_id", "id: pid")}
    )
    found = lines(check_rules(directory))
    assert found[0].startswith("rules/sources/payments.yaml:2: id: 'pid' is not a declared column")
    assert "rules/large.yaml:3:9: source: no source 'payments' is defined" in found[1]


def test_only_source_problems_raise_a_source_definition_error(tmp_path: Path) -> None:
    directory = rules_dir(tmp_path, {"sources/payments.yaml": PAYMENTS.replace("id: ", "idd: ")})
    with pytest.raises(SourceDefinitionError):
        load_rulebook(directory)


def test_an_enrichment_problem_keeps_the_sources_columns_for_its_rules(tmp_path: Path) -> None:
    # GIVEN a lookup into a table that does not exist
    directory = rules_dir(
        tmp_path,
        {"sources/payments.yaml": PAYMENTS, "large.yaml": LARGE.replace(" in {region}", "")},
    )
    # THEN the lookup is the only problem: the rule still knows amount
    assert lines(check_rules(directory)) == [
        "rules/sources/payments.yaml:8:17: lookups[0].reference: no reference table 'stores' "
        "(rules/reference/stores.csv); tables: none"
    ]


def test_duplicate_rule_ids_name_both_files(tmp_path: Path) -> None:
    directory = rules_dir(tmp_path, GOOD | {"large-copy.yml": LARGE})
    assert lines(check_rules(directory)) == [
        "rules/large.yaml:1: id: rule id 'large' is also used by rules/large-copy.yml:1; rule "
        "ids must be unique"
    ]


def test_yaml_mistakes_in_a_rule_file_are_reported_alone(tmp_path: Path) -> None:
    directory = rules_dir(tmp_path, GOOD | {"bad.yaml": "id: bad\nid: again\nwhen: [\n"})
    found = lines(check_rules(directory))
    assert len(found) == 1 and found[0].startswith("rules/bad.yaml:")
    assert "YAML syntax error" in found[0]


def test_files_in_subfolders_other_than_sources_are_not_rules(tmp_path: Path) -> None:
    directory = rules_dir(
        tmp_path, GOOD | {"drafts/wip.yaml": "not: a rule\n", "README.md": "# notes\n"}
    )
    book, details = read_rulebook(directory)
    assert details == [] and [rule.id for rule in book.rules] == ["large"]


# --- reference tables ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "stores.csv",
            b"store,region\ns-1\n",
            "rules/reference/stores.csv:2: has 1 cells; the header has 2",
        ),
        (
            "stores.csv",
            b"store,region\n,north\n",
            "rules/reference/stores.csv:2: the key (store) is empty",
        ),
        (
            "stores.csv",
            b"store,store\n",
            "rules/reference/stores.csv:1: column 'store' is named twice",
        ),
        (
            "stores.csv",
            b"",
            "rules/reference/stores.csv: is empty; expected a header row naming the "
            "columns, the key first",
        ),
        (
            "stores.csv",
            b"store,region\ns-1,M\xfcnchen\n",
            "rules/reference/stores.csv:2: is not UTF-8 text (byte 0xfc); save it as UTF-8",
        ),
        (
            "Stores.csv",
            b"store\n",
            "rules/reference/Stores.csv: 'Stores' is not a table name: lower "
            "case letters, digits, '_' and '-', starting with a letter or "
            "digit",
        ),
    ],
)
def test_reference_table_problems(tmp_path: Path, name: str, content: bytes, expected: str) -> None:
    directory = tmp_path / "rules"
    (directory / "reference").mkdir(parents=True)
    (directory / "reference" / name).write_bytes(content)
    assert lines(check_rules(directory)) == [expected]


def test_a_reference_table_keeps_text_a_bom_and_quoted_line_breaks(tmp_path: Path) -> None:
    directory = rules_dir(tmp_path, {})
    (directory / "reference").mkdir(parents=True)
    (directory / "reference" / "stores.csv").write_bytes(
        '\ufeffstore,note\ns-1,"two\nlines"\ns-2, 007 \n\ns-1,again\n'.encode()
    )
    book, details = read_rulebook(directory)
    assert lines(details) == ["rules/reference/stores.csv:6: duplicate key 's-1' (first at line 2)"]
    assert dict(book.references) == {}


# --- inline rules (dry-runs) ---------------------------------------------------------------------


def test_an_inline_rule_is_checked_against_the_loaded_book(tmp_path: Path) -> None:
    book = load_rulebook(rules_dir(tmp_path, GOOD))
    rule = parse_inline_rule(LARGE.replace("id: large", "id: trial"), book)
    assert (rule.id, rule.file) == ("trial", "<inline>")


def test_a_broken_inline_rule_names_line_and_column(tmp_path: Path) -> None:
    book = load_rulebook(rules_dir(tmp_path, GOOD))
    with pytest.raises(RuleFileError) as caught:
        parse_inline_rule(LARGE.replace("amount > 100", "amout > 100"), book)
    assert lines(caught.value.details) == [
        "<inline>:5:7: when: unknown field 'amout'; did you mean 'amount'?"
    ]


def test_an_inline_rule_that_is_not_yaml_says_where(tmp_path: Path) -> None:
    book = load_rulebook(rules_dir(tmp_path, GOOD))
    with pytest.raises(RuleFileError) as caught:
        parse_inline_rule("id: x\nwhen: [\n", book, file="draft.yaml")
    assert caught.value.details[0].file == "draft.yaml"
    assert caught.value.details[0].line is not None
