"""What a source adds to its events: looked-up columns and derived fields, and their checks."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from chalicelib.adapters.rule_files.sources import located_yaml
from chalicelib.domain.errors import SourceDefinitionError
from chalicelib.domain.rules import Enrichment, ReferenceTable, RuleBook, parse_enrichment
from chalicelib.domain.sources import SourceCatalog, parse_source_definition

FILE = "rules/sources/sales.yaml"
STORES = ReferenceTable(
    "stores",
    "rules/reference/stores.csv",
    ("store", "region", "manager"),
    MappingProxyType({"s-1": ("s-1", "north", "Ana"), "17": ("17", "south", "Ben")}),
)
BASE = """\
type: sale
id: sale_id
occurred_at: sold_at
columns:
  - {name: sale_id, type: string, required: true}
  - {name: sold_at, type: timestamp, required: true}
  - {name: store, type: string}
  - {name: till, type: integer}
  - {name: quantity, type: integer}
  - {name: unit_price, type: number}
  - {name: paid, type: boolean}
"""


def enrichment(extra: str) -> Enrichment:
    found = _parse(extra)
    assert found is not None
    return found


def _parse(extra: str) -> Enrichment | None:
    document = located_yaml(BASE + extra, FILE)
    assert not isinstance(document, list), document
    definition = parse_source_definition(FILE, document)
    return parse_enrichment(FILE, document, definition, {"stores": STORES})


def problems(extra: str) -> list[tuple[int | None, object, str]]:
    with pytest.raises(SourceDefinitionError) as caught:
        _parse(extra)
    return [(d.line, d.column, f"{d.field}: {d.message}") for d in caught.value.details]


# --- what an event gains ------------------------------------------------------------------------


def test_derived_fields_are_computed_in_order_and_may_use_earlier_ones() -> None:
    # GIVEN a total and a rounded total computed from it
    enrich = enrichment("derived:\n  total: quantity * unit_price\n  big: total > 100\n")
    # WHEN an event of the source is enriched
    data = enrich.apply({"quantity": 3, "unit_price": 40.0})
    # THEN both fields are there, the first used by the second
    assert data == {"quantity": 3, "unit_price": 40.0, "total": 120.0, "big": True}
    assert enrich.field_types() == {"total": "number", "big": "boolean"}


def test_a_derived_field_that_fails_on_an_event_is_null_and_the_rest_go_on() -> None:
    enrich = enrichment("derived:\n  per_unit: unit_price / quantity\n  double: unit_price * 2\n")
    assert enrich.apply({"quantity": 0, "unit_price": 5.0}) == {
        "quantity": 0,
        "unit_price": 5.0,
        "per_unit": None,
        "double": 10.0,
    }


def test_missing_inputs_give_a_null_derived_field() -> None:
    assert enrichment("derived:\n  total: quantity * unit_price\n").apply({})["total"] is None


def test_declared_timestamps_are_times_to_a_derived_field_and_times_are_stored_as_text() -> None:
    enrich = enrichment("derived:\n  hour_sold: hour(sold_at)\n  due: sold_at + duration('1d')\n")
    data = enrich.apply({"sold_at": "2026-11-22T08:30:00+00:00"})
    assert data["hour_sold"] == 8
    assert data["due"] == "2026-11-23T08:30:00+00:00"
    assert enrich.field_types() == {"hour_sold": "integer", "due": "timestamp"}


def test_a_lookup_adds_the_columns_of_the_matching_row() -> None:
    enrich = enrichment(
        "lookups:\n  - {reference: stores, key: store, columns: [region, manager]}\n"
    )
    assert enrich.apply({"store": "s-1"}) == {"store": "s-1", "region": "north", "manager": "Ana"}
    assert enrich.field_types() == {"region": "string", "manager": "string"}


def test_a_lookup_miss_or_a_null_key_gives_null_columns() -> None:
    enrich = enrichment("lookups:\n  - {reference: stores, key: store, columns: [region]}\n")
    assert enrich.apply({"store": "s-9"})["region"] is None
    assert enrich.apply({})["region"] is None


def test_an_integer_key_finds_the_row_written_with_its_digits() -> None:
    enrich = enrichment("lookups:\n  - {reference: stores, key: till, columns: [region]}\n")
    assert enrich.apply({"till": 17})["region"] == "south"


def test_derived_fields_may_use_looked_up_columns() -> None:
    enrich = enrichment(
        "lookups:\n  - {reference: stores, key: store, columns: [region]}\n"
        "derived:\n  northern: region == 'north'\n"
    )
    assert enrich.apply({"store": "s-1"})["northern"] is True


def test_a_source_without_lookups_or_derived_fields_has_no_enrichment() -> None:
    assert _parse("") is None


def test_the_rulebook_enriches_only_sources_that_declare_something() -> None:
    # GIVEN a book with one enriched source
    book = RuleBook(SourceCatalog({}), {"sales": enrichment("derived:\n  double: till * 2\n")})
    plain = {"till": 1}
    # THEN an event of another source keeps its very data; one of sales gets a new dict
    assert book.enrich("other", plain) is plain
    enriched = book.enrich("sales", plain)
    assert enriched == {"till": 1, "double": 2} and plain == {"till": 1}


# --- what is refused, with its line and column ---------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "derived:\n  store: till * 2\n",
            (
                13,
                10,
                "derived.store: 'store' is already a field of this source; choose another name",
            ),
        ),
        (
            "derived:\n  source: till * 2\n",
            (13, 11, "derived.source: 'source' is a field every event has; choose another name"),
        ),
        (
            "derived:\n  Total: till * 2\n",
            (
                13,
                10,
                "derived.Total: 'Total' is not a field name: lower case letters, digits and '_', "
                "starting with a letter or '_', not a Python keyword",
            ),
        ),
        (
            "derived:\n  total: quantity * unit_prise\n",
            (13, 21, "derived.total: unknown field 'unit_prise'; did you mean 'unit_price'?"),
        ),
        (
            "derived:\n  recent: sold_at > ago('1h')\n",
            (
                13,
                11,
                "derived.recent: uses ago(): a derived field is stored with its event and must "
                "not depend on when it was computed; compare with ago() in the rule",
            ),
        ),
        (
            "derived:\n  pair: '[1, 2]'\n",
            (
                13,
                9,
                "derived.pair: gives a list; a derived field holds one value: string, integer, "
                "number, boolean, timestamp or date",
            ),
        ),
        (
            "derived: total\n",
            (
                12,
                10,
                "derived: must be a mapping of field names to expressions, e.g. total: quantity * "
                "unit_price",
            ),
        ),
        (
            "derived:\n  total: 5\n",
            (13, 10, "derived.total: must be a non-empty string, not a number"),
        ),
    ],
)
def test_derived_fields_are_checked(extra: str, expected: tuple[int, int, str]) -> None:
    assert problems(extra) == [expected]


def test_a_later_derived_field_cannot_shadow_an_earlier_one() -> None:
    # YAML itself refuses the same key twice, so the clash is with a looked-up column
    assert problems(
        "lookups:\n  - {reference: stores, key: store, columns: [region]}\n"
        "derived:\n  region: store\n"
    ) == [
        (15, 11, "derived.region: 'region' is already a field of this source; choose another name")
    ]


@pytest.mark.parametrize(
    ("lookup", "says"),
    [
        (
            "{reference: store, key: store, columns: [region]}",
            "lookups[0].reference: no reference table 'store' (rules/reference/store.csv); did you mean "
            "'stores'?",
        ),
        (
            "{reference: stores, key: stor, columns: [region]}",
            "lookups[0].key: 'stor' is not a column of this source; did you mean 'store'?",
        ),
        (
            "{reference: stores, key: paid, columns: [region]}",
            "lookups[0].key: 'paid' is a boolean column; a lookup key must be a string or integer "
            "column",
        ),
        (
            "{reference: stores, key: store, columns: [city]}",
            "lookups[0].columns[0]: 'city' is not a column of rules/reference/stores.csv (its columns: "
            "region, manager)",
        ),
        (
            "{reference: stores, key: store, columns: [store]}",
            "lookups[0].columns[0]: 'store' is the table's key",
        ),
        (
            "{reference: stores, key: store, colums: [region]}",
            "lookups[0].colums: unknown key 'colums'; did you mean 'columns'?",
        ),
        (
            "{reference: stores, key: store}",
            "lookups[0].columns: is required: the table's columns to add to each event",
        ),
        ("stores", "lookups[0]: must be a mapping with reference, key, columns, not a string"),
    ],
)
def test_lookups_are_checked(lookup: str, says: str) -> None:
    found = problems(f"lookups:\n  - {lookup}\n")
    assert any(message.startswith(says) for _, _, message in found), found
    assert all(line == 13 for line, _, _ in found)


def test_a_looked_up_column_may_not_shadow_a_column() -> None:
    table = ReferenceTable(
        "stores",
        "rules/reference/stores.csv",
        ("store", "till"),
        MappingProxyType({"s-1": ("s-1", "3")}),
    )
    document = located_yaml(
        BASE + "lookups:\n  - {reference: stores, key: store, columns: [till]}\n", FILE
    )
    assert not isinstance(document, list)
    with pytest.raises(SourceDefinitionError) as caught:
        parse_enrichment(FILE, document, parse_source_definition(FILE, document), {"stores": table})
    assert [detail.message for detail in caught.value.details] == [
        "'till' is already a field of this source; choose another name"
    ]


def test_lookups_must_be_a_list() -> None:
    assert problems("lookups: {reference: stores}\n") == [
        (
            12,
            10,
            "lookups: must be a list of lookups, each {reference: ..., key: ..., columns: [...]}",
        )
    ]
