"""Source definitions: how a rules/sources/<source>.yaml is checked, how a CSV header is matched
to it, and how each cell is read.

Definitions are built the honest way, from YAML text through the real loader, so every line number
asserted here is the one an operator would see.
"""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from chalicelib.adapters.rule_files.sources import load_sources
from chalicelib.domain.errors import Detail, SourceDefinitionError
from chalicelib.domain.sources import (
    CellError,
    ColumnSpec,
    FieldSlot,
    HeaderMatch,
    SourceDefinition,
    canonical_encoding,
    join_id,
    match_header,
    normalize_header,
    read_cell,
)

MINIMAL = """\
type: order.created
id: order_id
columns:
  - name: order_id
    type: string
"""

SHOP = """\
description: Orders from the web shop.
type: order.created
id: order_id
occurred_at: ordered_at
columns:
  - name: order_id
    type: string
    aliases: ["Order ID", "order number"]
  - name: ordered_at
    type: timestamp
    required: true
  - name: store
    type: string
    required: true
  - name: sku
    type: string
  - name: quantity
    type: integer
    default: 1
  - name: unit_price
    type: number
    required: true
"""


def write_source(tmp_path: Path, text: str, name: str = "shop") -> Path:
    rules = tmp_path / "rules"
    (rules / "sources").mkdir(parents=True, exist_ok=True)
    (rules / "sources" / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return rules


def definition(tmp_path: Path, text: str, name: str = "shop") -> SourceDefinition:
    loaded = load_sources(write_source(tmp_path, text, name)).get(name)
    assert loaded is not None
    return loaded


def problems(tmp_path: Path, text: str, name: str = "shop") -> list[Detail]:
    with pytest.raises(SourceDefinitionError) as caught:
        load_sources(write_source(tmp_path, text, name))
    return caught.value.details


def places(details: list[Detail]) -> set[tuple[str | None, int | None]]:
    return {(detail.field, detail.line) for detail in details}


def message(details: list[Detail], field: str) -> str:
    found = [detail.message for detail in details if detail.field == field]
    assert len(found) == 1, details
    return found[0]


def with_columns(*columns: str, head: str = "type: order.created\nid: order_id\n") -> str:
    body = "".join(textwrap.indent(textwrap.dedent(column), "  ") for column in columns)
    return f"{head}columns:\n  - name: order_id\n    type: string\n{body}"


# --- a valid definition -----------------------------------------------------------------------


def test_a_minimal_definition_takes_the_documented_defaults(tmp_path: Path) -> None:
    # GIVEN a definition with only type, id and one column
    # WHEN it is loaded
    loaded = definition(tmp_path, MINIMAL)
    # THEN the source is the file's name and encoding, delimiter and decimal take their defaults
    assert loaded.source == "shop"
    assert (loaded.description, loaded.event_type) == ("", "order.created")
    assert loaded.type_column is None
    assert (loaded.encoding, loaded.delimiter, loaded.decimal_separator) == ("utf-8", ",", ".")
    assert loaded.id_columns == ("order_id",)
    assert loaded.occurred_at_column is None


def test_columns_keep_their_declaration_and_id_columns_become_required(tmp_path: Path) -> None:
    # GIVEN the shop definition, whose id column does not say required
    # WHEN it is loaded
    loaded = definition(tmp_path, SHOP)
    # THEN each column is as declared, and the id column is required all the same
    assert [column.name for column in loaded.columns] == [
        "order_id",
        "ordered_at",
        "store",
        "sku",
        "quantity",
        "unit_price",
    ]
    order_id = loaded.column("order_id")
    assert order_id == ColumnSpec("order_id", "string", True, None, ("Order ID", "order number"))
    assert loaded.column("sku") == ColumnSpec("sku", "string")
    assert loaded.occurred_at_column == "ordered_at"


def test_defaults_are_stored_converted_as_a_cell_would_be_read(tmp_path: Path) -> None:
    # GIVEN defaults for each type, as YAML writes them
    text = with_columns(
        "- {name: quantity, type: integer, default: 1}\n",
        "- {name: price, type: number, default: 2}\n",
        "- {name: paid, type: boolean, default: false}\n",
        "- {name: day, type: date, default: 2026-11-22}\n",
        "- {name: since, type: timestamp, default: 2026-11-22T09:30:00+01:00}\n",
        "- {name: currency, type: string, default: EUR}\n",
    )
    # WHEN the definition is loaded
    loaded = definition(tmp_path, text)
    # THEN every default is the value read_cell would return for it
    defaults = {column.name: column.default for column in loaded.columns}
    assert defaults == {
        "order_id": None,
        "quantity": 1,
        "price": 2.0,
        "paid": False,
        "day": "2026-11-22",
        "since": datetime(2026, 11, 22, 8, 30, tzinfo=UTC),
        "currency": "EUR",
    }
    assert isinstance(defaults["price"], float)


def test_a_composite_id_and_a_type_column_make_their_columns_required(tmp_path: Path) -> None:
    # GIVEN a source whose id is two columns and whose type comes from a column
    text = """\
        type_column: kind
        id: [sensor, reading_at]
        columns:
          - {name: sensor, type: string}
          - {name: reading_at, type: timestamp, timezone: Europe/Berlin}
          - {name: kind, type: string}
          - {name: note, type: string}
        """
    # WHEN it is loaded
    loaded = definition(tmp_path, text, name="sensors")
    # THEN id and type column are kept, and all three columns are required
    assert loaded.id_columns == ("sensor", "reading_at")
    assert (loaded.event_type, loaded.type_column) == (None, "kind")
    assert {column.name: column.required for column in loaded.columns} == {
        "sensor": True,
        "reading_at": True,
        "kind": True,
        "note": False,
    }


def test_encoding_names_are_normalised_and_a_byte_order_mark_variant_is_plain_utf8(
    tmp_path: Path,
) -> None:
    # GIVEN encodings spelled the way operators write them
    # WHEN definitions using them are loaded
    latin = definition(tmp_path, "encoding: latin-1\n" + MINIMAL)
    sig = definition(tmp_path, "encoding: UTF-8-SIG\n" + MINIMAL, name="orders")
    # THEN they carry Python's canonical names, and utf-8-sig is utf-8
    assert latin.encoding == "iso8859-1"
    assert sig.encoding == "utf-8"
    assert canonical_encoding("cp1252") == "cp1252"


@pytest.mark.parametrize(
    "name", ["utf-16", "UTF-16LE", "utf-32", "utf-7", "cp500", "base64", "idna"]
)
def test_encodings_a_csv_reader_cannot_split_on_ascii_are_refused(name: str) -> None:
    # GIVEN an encoding whose commas and line breaks are not the ASCII bytes
    # WHEN it is checked
    with pytest.raises(ValueError) as caught:
        canonical_encoding(name)
    # THEN it is refused with the reason and what to use instead
    assert "is not ASCII-compatible" in str(caught.value)
    assert "utf-8, latin-1 or cp1252" in str(caught.value)


def test_separators_can_be_declared(tmp_path: Path) -> None:
    # GIVEN a tab-separated source with a decimal comma
    # WHEN it is loaded
    loaded = definition(tmp_path, 'delimiter: "\\t"\ndecimal_separator: ","\n' + MINIMAL)
    # THEN both are kept
    assert (loaded.delimiter, loaded.decimal_separator) == ("\t", ",")


def test_a_source_key_equal_to_the_file_name_is_accepted(tmp_path: Path) -> None:
    assert definition(tmp_path, "source: shop\n" + MINIMAL).source == "shop"


# --- a definition with problems ------------------------------------------------------------------


def test_every_problem_is_reported_at_once_with_its_file_field_and_line(tmp_path: Path) -> None:
    # GIVEN a definition with a problem on nearly every line
    text = """\
        source: orders
        type: order created!
        id: [order_id, missing]
        occurred_at: store
        encoding: utf-16
        delimiter: ";;"
        colour: blue
        columns:
          - name: order_id
            type: strin
          - name: Store Name
            type: string
          - name: store
            type: string
            timezone: Europe/Berlin
          - 42
        """
    # WHEN it is loaded
    details = problems(tmp_path, text)
    # THEN each problem is reported, at its line, in line order, in the operator's file
    assert [(detail.field, detail.line) for detail in details] == [
        ("source", 1),
        ("type", 2),
        ("id[1]", 3),
        ("encoding", 5),
        ("delimiter", 6),
        ("colour", 7),
        ("columns[0].type", 10),
        ("columns[1].name", 11),
        ("columns[2].timezone", 15),
        ("columns[3]", 16),
    ]
    assert {detail.file for detail in details} == {"rules/sources/shop.yaml"}
    assert "did you mean string?" in message(details, "columns[0].type")


def test_the_error_renders_each_problem_as_file_line_field_message(tmp_path: Path) -> None:
    # GIVEN a definition with an unknown key
    rules = write_source(tmp_path, "typo: 1\n" + MINIMAL)
    # WHEN it is loaded
    with pytest.raises(SourceDefinitionError) as caught:
        load_sources(rules)
    # THEN its text points at the file and line, and it is a configuration error with its own code
    assert "rules/sources/shop.yaml:1: typo: unknown key 'typo'; allowed keys: source, " in str(
        caught.value
    )
    assert caught.value.code == "source_definition_error"


def test_unknown_column_keys_are_refused_with_the_allowed_keys(tmp_path: Path) -> None:
    # GIVEN a column with a misspelt key
    details = problems(tmp_path, with_columns("- name: sku\n  type: string\n  requried: true\n"))
    # THEN the key is named, with the keys a column may have
    assert places(details) == {("columns[1].requried", 8)}
    assert details[0].message == (
        "unknown key 'requried'; allowed keys: name, type, required, "
        "default, aliases, format, timezone"
    )


@pytest.mark.parametrize(
    ("file_name", "text", "expected"),
    [
        ("shop", "source: orders\n", "is 'orders' but the file is named 'shop'"),
        ("Shop", "", "'Shop' (the file's name) is not a source name"),
        ("my shop", "", "'my shop' (the file's name) is not a source name"),
    ],
)
def test_the_source_name_is_the_file_name_and_must_be_a_valid_lower_case_name(
    tmp_path: Path, file_name: str, text: str, expected: str
) -> None:
    # GIVEN a file name or source key that is not a usable source name
    # WHEN it is loaded
    details = problems(tmp_path, text + MINIMAL, name=file_name)
    # THEN the source name is refused, saying why
    assert message(details, "source").startswith(expected)


@pytest.mark.parametrize(
    ("head", "field", "expected"),
    [
        ("id: order_id\n", "type", "one of type (the event type of every row) or type_column"),
        (
            "type:\nid: order_id\n",
            "type",
            "one of type (the event type of every row) or type_column",
        ),
        ("type: a\ntype_column: order_id\nid: order_id\n", "type_column", "give either type or"),
        ("type: 'order created!'\nid: order_id\n", "type", "'order created!' must match "),
        ("type: x\n", "id", "is required: the column, or list of columns, that identifies a row"),
        ("type: x\nid: []\n", "id", "must name at least one column"),
        ("type: x\nid: [order_id, order_id]\n", "id[1]", "'order_id' is listed twice"),
        (
            "type: x\nid: nope\n",
            "id",
            "'nope' is not a declared column (declared: order_id, quantity)",
        ),
        (
            "type: x\nid: order_id\noccurred_at: order_id\n",
            "occurred_at",
            "'order_id' is declared as string; occurred_at must name a timestamp column",
        ),
        (
            "type_column: quantity\nid: order_id\n",
            "type_column",
            "'quantity' is declared as integer; type_column must name a string column",
        ),
    ],
)
def test_type_id_and_occurred_at_must_name_fitting_columns(
    tmp_path: Path, head: str, field: str, expected: str
) -> None:
    # GIVEN a definition whose type, id or occurred_at is wrong
    text = with_columns("- {name: quantity, type: integer}\n", head=head)
    # WHEN it is loaded
    details = problems(tmp_path, text)
    # THEN that key is reported with the reason
    assert message(details, field).startswith(expected)


def test_an_id_column_may_not_be_optional_or_have_a_default(tmp_path: Path) -> None:
    # GIVEN id columns declared optional, or with a default
    text = """\
        type: x
        id: [a, b]
        columns:
          - name: a
            type: string
            required: false
          - name: b
            type: integer
            default: 0
        """
    # WHEN it is loaded
    details = problems(tmp_path, text)
    # THEN both contradictions are reported where they are written
    assert places(details) == {("columns[0].required", 6), ("columns[1].default", 9)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('delimiter: ";;"\n', "must be one character other than a quote or a line break"),
        ("delimiter: '\"'\n", "must be one character other than a quote or a line break"),
        ('delimiter: "\\n"\n', "must be one character other than a quote or a line break"),
        ('encoding: ascii\ndelimiter: "§"\n', "'§' cannot be written in ascii"),
    ],
)
def test_a_delimiter_must_be_one_usable_character(tmp_path: Path, text: str, expected: str) -> None:
    assert message(problems(tmp_path, text + MINIMAL), "delimiter").startswith(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('decimal_separator: "x"\n', "must be '.' or ',', not 'x'"),
        ('decimal_separator: ","\n', "',' is also the delimiter"),
    ],
)
def test_the_decimal_separator_is_a_point_or_a_comma_other_than_the_delimiter(
    tmp_path: Path, text: str, expected: str
) -> None:
    assert message(problems(tmp_path, text + MINIMAL), "decimal_separator").startswith(expected)


def test_unknown_encodings_are_refused(tmp_path: Path) -> None:
    details = problems(tmp_path, "encoding: klingon\n" + MINIMAL)
    assert message(details, "encoding") == (
        "unknown encoding 'klingon' (e.g. utf-8, latin-1, cp1252)"
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Order ID", "'Order ID' is not a field name: lower case letters, digits and '_'"),
        ("1st", "'1st' is not a field name"),
        ("a" * 65, "is not a field name"),
        ("class", "'class' is a reserved word in rule expressions"),
        ("", "is required"),
    ],
)
def test_field_names_must_be_usable_in_rule_expressions(
    tmp_path: Path, name: str, expected: str
) -> None:
    # GIVEN a column whose name a rule could not use
    details = problems(
        tmp_path,
        with_columns(
            f"- name: {name!r}\n  type: string\n" if name else "- name:\n  type: string\n"
        ),
    )
    # THEN the name is refused
    assert expected in message(details, "columns[1].name")


def test_a_column_without_name_or_type_is_reported_for_both(tmp_path: Path) -> None:
    details = problems(tmp_path, with_columns("- aliases: [x]\n"))
    assert places(details) == {("columns[1].name", 6), ("columns[1].type", 6)}


def test_columns_must_be_a_non_empty_list(tmp_path: Path) -> None:
    assert places(problems(tmp_path, "type: x\nid: a\ncolumns: []\n")) >= {("columns", 3)}
    assert message(problems(tmp_path, "type: x\nid: a\ncolumns: {a: 1}\n"), "columns") == (
        "must be a non-empty list of columns, each with at least name and type"
    )
    assert message(problems(tmp_path, "type: x\nid: a\n"), "columns") == (
        "is required: a list of columns, each with at least name and type"
    )


def test_a_column_declared_twice_names_the_first_line(tmp_path: Path) -> None:
    details = problems(tmp_path, with_columns("- {name: order_id, type: integer}\n"))
    assert message(details, "columns[1].name") == (
        "column 'order_id' is declared twice (first at line 4)"
    )


def test_spellings_that_normalise_alike_in_two_columns_are_refused(tmp_path: Path) -> None:
    # GIVEN a second column whose alias reads like the first column's name, and an alias with no
    # letters or digits
    text = with_columns("- name: order_ref\n  type: string\n  aliases: ['ORDER-ID', '---']\n")
    # WHEN it is loaded
    details = problems(tmp_path, text)
    # THEN both aliases are reported, on their line
    assert places(details) == {("columns[1].aliases[0]", 8), ("columns[1].aliases[1]", 8)}
    assert message(details, "columns[1].aliases[0]").startswith(
        "'ORDER-ID' reads as the same header as column 'order_id' (line 4)"
    )
    assert message(details, "columns[1].aliases[1]") == (
        "'---' has no letters or digits, so no header can match it"
    )


def test_an_alias_that_only_restates_its_own_column_is_fine(tmp_path: Path) -> None:
    loaded = definition(
        tmp_path,
        with_columns("- {name: store_id, type: string, aliases: ['Store ID', STORE-ID]}\n"),
    )
    assert loaded.column("store_id") is not None


@pytest.mark.parametrize(
    ("column", "field", "expected"),
    [
        ("{name: v, type: int}", "type", "'int' is not a column type: one of string, integer"),
        (
            "{name: v, type: string, format: '%Y'}",
            "format",
            "is only for timestamp and date columns",
        ),
        ("{name: v, type: date, timezone: UTC}", "timezone", "is only for timestamp columns"),
        (
            "{name: v, type: timestamp, timezone: Mars/Olympus}",
            "timezone",
            "'Mars/Olympus' is not an IANA time zone",
        ),
        (
            "{name: v, type: timestamp, format: '%d.%m.%Y'}",
            "format",
            "'%d.%m.%Y' cannot hold a timestamp: 2026-11-22 20:30 reads back as 2026-11-22 00:00",
        ),
        (
            "{name: v, type: timestamp, format: '%d.%m.%Y %I:%M'}",
            "format",
            "cannot hold a timestamp",
        ),
        ("{name: v, type: date, format: '%d.%m.'}", "format", "cannot hold a date"),
        (
            "{name: v, type: date, format: '%d.%m.%Y %Q'}",
            "format",
            "is not a usable strptime format",
        ),
        (
            "{name: v, type: string, default: 12}",
            "default",
            "must be a string, not a number; quote it",
        ),
        ("{name: v, type: string, default: no}", "default", "must be a string, not true/false"),
        ("{name: v, type: integer, default: 1.5}", "default", "1.5 is not an integer"),
        ("{name: v, type: integer, default: true}", "default", "True is not an integer"),
        ("{name: v, type: number, default: .nan}", "default", "nan is not a finite number"),
        ("{name: v, type: boolean, default: maybe}", "default", "'maybe' is not a boolean"),
        ("{name: v, type: date, default: 2026-02-30}", "default", "'2026-02-30' is not a date"),
        ("{name: v, type: timestamp, default: '2026-11-22 08:30'}", "default", "has no time zone"),
        (
            "{name: v, type: integer, default: 1, required: true}",
            "default",
            "a required column cannot have a default",
        ),
        ("{name: v, type: integer, default: ''}", "default", "must be a single non-empty value"),
        ("{name: v, type: string, default: ' '}", "default", "must be a single non-empty value"),
        ("{name: v, type: number, default: [1]}", "default", "must be a single non-empty value"),
        ("{name: v, type: string, required: 'yes'}", "required", "must be true or false"),
        ("{name: v, type: string, aliases: [a, '']}", "aliases[1]", "must be a non-empty string"),
    ],
)
def test_column_keys_are_checked(tmp_path: Path, column: str, field: str, expected: str) -> None:
    # GIVEN one column with one mistake
    # WHEN the definition is loaded
    details = problems(tmp_path, with_columns(f"- {column}\n"))
    # THEN that key of that column is reported, with the reason
    assert expected in message(details, f"columns[1].{field}")
    assert places(details) == {(f"columns[1].{field}", 6)}


def test_a_bad_name_does_not_hide_a_bad_default(tmp_path: Path) -> None:
    details = problems(tmp_path, with_columns("- {name: Qty, type: integer, default: x}\n"))
    assert {detail.field for detail in details} == {"columns[1].name", "columns[1].default"}


# --- header matching ----------------------------------------------------------------------------


@pytest.fixture
def shop(tmp_path: Path) -> SourceDefinition:
    return definition(tmp_path, SHOP)


def matched(outcome: HeaderMatch | list[Detail]) -> HeaderMatch:
    assert isinstance(outcome, HeaderMatch), outcome
    return outcome


def refused(outcome: HeaderMatch | list[Detail]) -> list[Detail]:
    assert isinstance(outcome, list), outcome
    return outcome


@pytest.mark.parametrize("spelling", ["Event ID", "event_id", "eventId", "EVENT-ID", " event id "])
def test_headers_are_normalised_by_case_and_punctuation(spelling: str) -> None:
    assert normalize_header(spelling) == "eventid"


def test_a_header_matches_by_name_or_alias_in_any_spelling_and_order(
    shop: SourceDefinition,
) -> None:
    # GIVEN a header with an alias, odd spellings and padding, in the file's own order
    header = ["Store", " ORDER NUMBER ", "Ordered-At", "unit price"]
    # WHEN it is matched
    match = matched(match_header(shop, header))
    # THEN each cell is a slot at its index, with the header as written (stripped)
    assert [(slot.index, slot.column.name, slot.header) for slot in match.slots] == [
        (0, "store", "Store"),
        (1, "order_id", "ORDER NUMBER"),
        (2, "ordered_at", "Ordered-At"),
        (3, "unit_price", "unit price"),
    ]
    # AND the optional columns the file lacks are listed for their defaults
    assert [column.name for column in match.absent] == ["sku", "quantity"]


def test_a_header_missing_required_columns_names_them_with_their_spellings(
    shop: SourceDefinition,
) -> None:
    # GIVEN a header without the order id and the price
    details = refused(match_header(shop, ["ordered_at", "store"]))
    # THEN each missing column is reported on line 1, with the headers that would be accepted
    assert [(detail.field, detail.line) for detail in details] == [
        ("order_id", 1),
        ("unit_price", 1),
    ]
    assert details[0].message == (
        "required column is missing (accepted headers: 'order_id', 'Order ID', 'order number')"
    )


def test_an_unknown_header_suggests_the_closest_column(shop: SourceDefinition) -> None:
    # GIVEN a header with a misspelt column and a foreign one
    header = ["order_id", "ordered_at", "store", "unit_price", "Quantitiy", "colour"]
    # WHEN it is matched
    details = refused(match_header(shop, header))
    # THEN both are reported by the header cell as written: one with a suggestion, one with the list
    assert [(detail.column, detail.line) for detail in details] == [("Quantitiy", 1), ("colour", 1)]
    assert details[0].message == "unknown column 'Quantitiy'; did you mean quantity?"
    assert details[1].message == (
        "unknown column 'colour'; this source's columns are order_id, "
        "ordered_at, store, sku, quantity, unit_price"
    )


def test_two_header_cells_naming_one_column_are_refused(shop: SourceDefinition) -> None:
    details = refused(
        match_header(shop, ["order_id", "ordered_at", "store", "unit_price", "Order ID"])
    )
    assert [(detail.column, detail.message) for detail in details] == [
        ("Order ID", "header cells 'order_id' and 'Order ID' both name column order_id")
    ]


def test_empty_header_cells_are_refused_with_their_position(shop: SourceDefinition) -> None:
    details = refused(match_header(shop, ["order_id", "ordered_at", " ", "store", "unit_price"]))
    assert [(detail.column, detail.message) for detail in details] == [
        (" ", "header cell 3 is empty; every column needs a name")
    ]


def test_all_header_problems_are_reported_together(shop: SourceDefinition) -> None:
    details = refused(match_header(shop, ["order_id", "", "order_id", "colour"]))
    assert len(details) == 6  # empty, duplicate, unknown, and three missing required columns


# --- reading cells -------------------------------------------------------------------------------


def slot(column_type: str, **options: object) -> FieldSlot:
    column = ColumnSpec("value", column_type, **options)  # type: ignore[arg-type]
    return FieldSlot(0, column, "Value")


def read(column_type: str, text: str, decimal_separator: str = ".", **options: object) -> object:
    return read_cell(slot(column_type, **options), text, decimal_separator)


def refusal(column_type: str, text: str, decimal_separator: str = ".", **options: object) -> str:
    with pytest.raises(CellError) as caught:
        read(column_type, text, decimal_separator, **options)
    return caught.value.message


def test_strings_are_stripped() -> None:
    assert read("string", "  Berlin Mitte\u00a0") == "Berlin Mitte"


@pytest.mark.parametrize(
    "column_type", ["string", "integer", "number", "boolean", "date", "timestamp"]
)
def test_an_empty_cell_is_none_when_optional_and_refused_when_required(column_type: str) -> None:
    assert read(column_type, "  ") is None
    assert refusal(column_type, "", required=True) == "is required"


def test_an_empty_cell_takes_the_columns_default() -> None:
    assert read("integer", " ", default=1) == 1
    assert read("boolean", "", default=False) is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42", 42),
        ("+7", 7),
        ("-13", -13),
        ("007", 7),
        ("-0", 0),
        ("9223372036854775807", 2**63 - 1),
        ("-9223372036854775808", -(2**63)),
        ("00000000000000000000001", 1),
    ],
)
def test_integers_are_digits_with_an_optional_sign_within_64_bits(text: str, expected: int) -> None:
    assert read("integer", text) == expected


@pytest.mark.parametrize(
    "text", ["1,000", "1_000", "1e3", "1.0", "0x10", "+", "--1", "4 2", "\u0661\u0662"]
)
def test_other_integer_notations_are_refused(text: str) -> None:
    assert refusal("integer", text) == (
        "is not an integer (expected digits with an optional sign, e.g. 42 or -7)"
    )


@pytest.mark.parametrize("text", ["9223372036854775808", "-9223372036854775809", "9" * 5000])
def test_integers_beyond_64_bits_are_refused(text: str) -> None:
    assert refusal("integer", text).startswith("is out of range for a 64-bit integer")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.50", 12.5),
        ("-0.5", -0.5),
        (".5", 0.5),
        ("3", 3.0),
        ("1e3", 1000.0),
        ("+2.5E-1", 0.25),
    ],
)
def test_numbers_with_a_decimal_point(text: str, expected: float) -> None:
    assert read("number", text) == expected


@pytest.mark.parametrize(("text", "expected"), [("12,50", 12.5), ("-0,5", -0.5), ("7", 7.0)])
def test_numbers_with_a_decimal_comma(text: str, expected: float) -> None:
    assert read("number", text, ",") == expected


def test_only_the_declared_decimal_separator_is_accepted_and_the_message_says_which() -> None:
    assert refusal("number", "12,50", ".") == (
        "is not a number (expected digits with '.' as the decimal separator and no thousands "
        "separator, e.g. 1234.50)"
    )
    assert "with ',' as the decimal separator" in refusal("number", "12.50", ",")
    assert "with ',' as the decimal separator" in refusal("number", "1.234,50", ",")


@pytest.mark.parametrize("text", ["abc", "1_000.5", "\u0661\u066b\u0665", "12 50", "0x1p3"])
def test_other_number_notations_are_refused(text: str) -> None:
    assert refusal("number", text).startswith("is not a number")


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-Infinity"])
def test_nan_and_infinity_are_refused(text: str) -> None:
    assert refusal("number", text) == "is not a finite number (NaN and infinity are not allowed)"


def test_numbers_too_large_for_a_float_are_refused() -> None:
    assert refusal("number", "1e400") == "is out of range for a number"


@pytest.mark.parametrize("text", ["true", "TRUE", "Yes", "y", "Y", "1"])
def test_true_booleans(text: str) -> None:
    assert read("boolean", text) is True


@pytest.mark.parametrize("text", ["false", "False", "NO", "n", "0"])
def test_false_booleans(text: str) -> None:
    assert read("boolean", text) is False


@pytest.mark.parametrize("text", ["maybe", "2", "ja", "t"])
def test_other_booleans_are_refused(text: str) -> None:
    assert refusal("boolean", text) == (
        "is not a boolean (expected true/false, yes/no, y/n or 1/0)"
    )


def test_dates_are_iso_or_the_declared_format_and_read_as_iso_text() -> None:
    assert read("date", "2026-11-22") == "2026-11-22"
    assert read("date", "22.11.2026", format="%d.%m.%Y") == "2026-11-22"
    assert read("date", "1.2.2026", format="%d.%m.%Y") == "2026-02-01"


@pytest.mark.parametrize(
    "text", ["2026-02-30", "20261122", "2026-W47-7", "22.11.2026", "2026-11-22T08:30"]
)
def test_other_dates_are_refused(text: str) -> None:
    assert refusal("date", text) == "is not a date (expected YYYY-MM-DD, e.g. 2026-11-22)"


def test_a_date_not_in_the_declared_format_says_the_format_with_an_example() -> None:
    assert refusal("date", "2026-11-22", format="%d.%m.%Y") == (
        "does not match the format %d.%m.%Y (e.g. 22.11.2026)"
    )
    assert refusal("date", "31.02.2026", format="%d.%m.%Y").startswith("does not match")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-22T08:30:00Z", datetime(2026, 11, 22, 8, 30, tzinfo=UTC)),
        ("2026-11-22T09:30:00+01:00", datetime(2026, 11, 22, 8, 30, tzinfo=UTC)),
        ("2026-11-22 03:30:00.250-05:00", datetime(2026, 11, 22, 8, 30, 0, 250000, tzinfo=UTC)),
    ],
)
def test_iso_timestamps_with_an_offset_are_read_in_utc(text: str, expected: datetime) -> None:
    value = read("timestamp", text)
    assert value == expected
    assert isinstance(value, datetime) and value.tzinfo is UTC


def test_a_timestamp_without_an_offset_needs_a_declared_time_zone() -> None:
    assert refusal("timestamp", "2026-11-22T08:30:00") == (
        "has no time zone; add Z or an offset, or declare timezone: in the source"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-22T08:30:00", datetime(2026, 11, 22, 7, 30, tzinfo=UTC)),  # winter: +01:00
        ("2026-07-01T08:30:00", datetime(2026, 7, 1, 6, 30, tzinfo=UTC)),  # summer: +02:00
        (
            "2026-03-29T01:59:59",
            datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC),
        ),  # just before the gap
        ("2026-03-29T03:00:00", datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),  # just after it
        ("2026-10-25T03:00:00", datetime(2026, 10, 25, 2, 0, tzinfo=UTC)),  # just after the fold
        ("2026-11-22T08:30:00Z", datetime(2026, 11, 22, 8, 30, tzinfo=UTC)),  # an offset wins
    ],
)
def test_naive_timestamps_are_read_in_the_declared_time_zone(text: str, expected: datetime) -> None:
    assert read("timestamp", text, timezone="Europe/Berlin") == expected


@pytest.mark.parametrize(
    "text", ["2026-03-29T02:00:00", "2026-03-29T02:30:00", "2026-03-29T02:59:59"]
)
def test_local_times_skipped_when_the_clocks_went_forward_are_refused(text: str) -> None:
    assert refusal("timestamp", text, timezone="Europe/Berlin") == (
        "does not exist in Europe/Berlin (the clocks went forward)"
    )


@pytest.mark.parametrize("text", ["2026-10-25T02:00:00", "2026-10-25T02:30:00"])
def test_local_times_that_happened_twice_are_refused_as_ambiguous(text: str) -> None:
    # GIVEN a local time the clocks passed twice when they went back
    # WHEN it is read without an offset
    # THEN it is refused: taking either occurrence could misorder events
    assert refusal("timestamp", text, timezone="Europe/Berlin") == (
        "is ambiguous in Europe/Berlin (the clocks went back, so it happened twice); write it "
        "with an offset such as +01:00"
    )
    # AND with an offset it is read
    assert read("timestamp", text + "+01:00", timezone="Europe/Berlin") is not None


def test_timestamps_in_a_declared_format_and_zone() -> None:
    options: dict[str, object] = {"format": "%d.%m.%Y %H:%M", "timezone": "Europe/Berlin"}
    assert read("timestamp", "22.11.2026 08:30", **options) == datetime(
        2026, 11, 22, 7, 30, tzinfo=UTC
    )
    assert refusal("timestamp", "29.03.2026 02:30", **options) == (
        "does not exist in Europe/Berlin (the clocks went forward)"
    )
    assert refusal("timestamp", "2026-11-22T08:30", **options) == (
        "does not match the format %d.%m.%Y %H:%M (e.g. 22.11.2026 20:30)"
    )


def test_a_format_with_an_offset_directive_needs_no_time_zone() -> None:
    value = read("timestamp", "22.11.2026 09:30 +0100", format="%d.%m.%Y %H:%M %z")
    assert value == datetime(2026, 11, 22, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "22.11.2026 08:30",
        "1.2.2026 8:05",
        "22.11.2026   08:30",
        "22.11.2026 08:30x",
        "31.11.2026 08:30",
        "22.11.26 08:30",
        " 1.11.2026 08:30",
    ],
)
def test_the_fast_format_path_reads_exactly_what_strptime_reads(text: str) -> None:
    # GIVEN a purely numeric format (read by a compiled pattern instead of strptime)
    fmt = "%d.%m.%Y %H:%M"
    try:
        expected: object = datetime.strptime(text.strip(), fmt).replace(tzinfo=UTC)
    except ValueError:
        expected = CellError
    # WHEN a cell is read with it
    try:
        value: object = read("timestamp", text, format=fmt, timezone="UTC")
    except CellError:
        value = CellError
    # THEN the outcome is strptime's
    assert value == expected


def test_timestamps_out_of_range_in_utc_are_refused() -> None:
    assert refusal("timestamp", "0001-01-01T00:30:00+01:00") == (
        "is out of range once converted to UTC"
    )


def test_a_timestamp_that_is_not_iso_says_what_was_expected() -> None:
    assert refusal("timestamp", "22/11/2026") == (
        "is not an ISO 8601 timestamp (e.g. 2026-11-22T08:30:00Z)"
    )


# --- ids -----------------------------------------------------------------------------------------


def test_a_composite_id_is_the_same_whatever_notation_the_file_used() -> None:
    # GIVEN one reading written with two different offsets
    one = datetime(2026, 11, 22, 8, 30, tzinfo=UTC)
    other = datetime(2026, 11, 22, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    # THEN both give one id, joined with ':'
    assert join_id(["room-2", one]) == join_id(["room-2", other]) == "room-2:2026-11-22T08:30:00Z"
    assert join_id([7, 1.5, True]) == "7:1.5:true"
