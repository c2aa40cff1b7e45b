"""load_sources against real files: YAML mistakes reported with file and line, every bad file at
once, and the repository's own rules/sources/ loading cleanly and reading its example files."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chalicelib.adapters.rule_files.sources import load_sources
from chalicelib.domain.errors import Detail, SourceDefinitionError
from chalicelib.domain.sources import HeaderMatch, join_id, match_header, read_cell

ROOT = Path(__file__).resolve().parents[2]
VALID = """\
type: order.created
id: order_id
columns:
  - name: order_id
    type: string
"""


def rules_with(tmp_path: Path, **files: str | bytes) -> Path:
    """A rules/ folder whose sources/ holds ``files`` (name → YAML text, or raw bytes)."""
    folder = tmp_path / "rules" / "sources"
    folder.mkdir(parents=True)
    for name, content in files.items():
        path = folder / name.replace("__", ".")
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return tmp_path / "rules"


def problems(rules: Path) -> list[Detail]:
    with pytest.raises(SourceDefinitionError) as caught:
        load_sources(rules)
    return caught.value.details


def where(details: list[Detail]) -> list[tuple[str | None, int | None]]:
    return [(detail.file, detail.line) for detail in details]


# --- the repository's own definitions ------------------------------------------------------------


def test_the_repositorys_source_definitions_load_cleanly() -> None:
    # GIVEN the rules/ folder of this repository
    # WHEN its sources are loaded
    catalog = load_sources(ROOT / "rules")
    # THEN shop and sensors are there
    assert {"shop", "sensors"} <= set(catalog.names())
    assert "shop" in catalog


def test_the_shop_definition_reads_an_export_from_the_web_shop() -> None:
    # GIVEN the shop definition and a header and row as the shop exports them
    shop = load_sources(ROOT / "rules").get("shop")
    assert shop is not None
    header = [
        "Order ID",
        "ordered_at",
        "store",
        "sku",
        "quantity",
        "unit_price",
        "currency",
        "paid",
    ]
    row = ["A-1001", "2026-11-22T08:30:00Z", "berlin-1", "SKU-9", "", "12.50", "", "yes"]
    # WHEN the header is matched and the row read
    match = match_header(shop, header)
    assert isinstance(match, HeaderMatch), match
    values = {
        slot.column.name: read_cell(slot, row[slot.index], shop.decimal_separator)
        for slot in match.slots
    }
    # THEN each cell has its type, and empty cells take their defaults
    assert values == {
        "order_id": "A-1001",
        "ordered_at": datetime(2026, 11, 22, 8, 30, tzinfo=UTC),
        "store": "berlin-1",
        "sku": "SKU-9",
        "quantity": 1,
        "unit_price": 12.5,
        "currency": "EUR",
        "paid": True,
    }
    assert (shop.event_type, shop.id_columns, shop.occurred_at_column) == (
        "order.created",
        ("order_id",),
        "ordered_at",
    )


def test_the_sensors_definition_reads_the_loggers_latin1_export() -> None:
    # GIVEN the sensors definition and the logger's file, in Latin-1 with ';' and decimal commas
    sensors = load_sources(ROOT / "rules").get("sensors")
    assert sensors is not None
    raw = "Fühler;Zeit;Temperatur °C;Batterie\nkuehlraum-2;22.11.2026 08:30;-18,5;87\n".encode(
        "latin-1"
    )
    header, row = (
        line.split(sensors.delimiter) for line in raw.decode(sensors.encoding).splitlines()
    )
    # WHEN the header is matched and the row read
    match = match_header(sensors, header)
    assert isinstance(match, HeaderMatch), match
    values = {
        slot.column.name: read_cell(slot, row[slot.index], sensors.decimal_separator)
        for slot in match.slots
    }
    # THEN local Berlin time is read in UTC, a decimal comma as a point, and the id is composite
    assert values == {
        "sensor": "kuehlraum-2",
        "reading_at": datetime(2026, 11, 22, 7, 30, tzinfo=UTC),
        "celsius": -18.5,
        "battery": 87,
    }
    assert join_id([values[name] for name in sensors.id_columns]) == (
        "kuehlraum-2:2026-11-22T07:30:00Z"
    )
    assert sensors.event_type == "temperature.reading"


# --- the folder ----------------------------------------------------------------------------------


def test_a_missing_sources_folder_is_an_empty_catalog(tmp_path: Path) -> None:
    catalog = load_sources(tmp_path / "rules")
    assert catalog.names() == ()
    assert catalog.get("shop") is None


def test_yaml_and_yml_files_are_read_and_other_files_ignored(tmp_path: Path) -> None:
    rules = rules_with(tmp_path, shop__yaml=VALID, orders__yml=VALID, notes__md="# not YAML {")
    assert load_sources(rules).names() == ("orders", "shop")


def test_one_source_in_two_files_is_refused(tmp_path: Path) -> None:
    details = problems(rules_with(tmp_path, shop__yaml=VALID, shop__yml=VALID))
    assert [(detail.file, detail.message) for detail in details] == [
        ("rules/sources/shop.yml", "source 'shop' is also defined in rules/sources/shop.yaml")
    ]


# --- YAML mistakes -------------------------------------------------------------------------------


def test_a_duplicate_key_is_refused_naming_the_first_line(tmp_path: Path) -> None:
    # GIVEN a definition that sets type twice (PyYAML alone would keep the last silently)
    rules = rules_with(tmp_path, shop__yaml="description: x\n" + VALID + "type: order.updated\n")
    # WHEN it is loaded
    details = problems(rules)
    # THEN the second one is reported where it is, naming the first
    assert [(detail.line, detail.message) for detail in details] == [
        (7, "duplicate key 'type' (first at line 2)")
    ]


def test_a_duplicate_key_inside_a_column_is_refused(tmp_path: Path) -> None:
    rules = rules_with(tmp_path, shop__yaml=VALID + "    type: integer\n")
    assert [(detail.line, detail.message) for detail in problems(rules)] == [
        (6, "duplicate key 'type' (first at line 5)")
    ]


def test_a_syntax_error_is_reported_with_its_line_and_yamls_own_words(tmp_path: Path) -> None:
    # GIVEN a definition with an unclosed flow sequence on line 2
    rules = rules_with(tmp_path, shop__yaml="type: order.created\nid: [order_id\ncolumns: []\n")
    # WHEN it is loaded
    details = problems(rules)
    # THEN the file and line are given, with PyYAML's description of the problem
    assert len(details) == 1
    assert details[0].file == "rules/sources/shop.yaml"
    assert (details[0].line, details[0].column) == (3, 8)
    assert details[0].message == (
        "YAML syntax error: while parsing a flow sequence (line 2), "
        "expected ',' or ']', but got ':'"
    )


def test_a_file_that_is_not_utf8_is_refused_with_its_name_and_line(tmp_path: Path) -> None:
    latin1 = "description: Fühler\n".encode("latin-1") + b"x: 1\n"
    rules = rules_with(tmp_path, sensors__yaml=latin1)
    assert [(detail.file, detail.line, detail.message) for detail in problems(rules)] == [
        ("rules/sources/sensors.yaml", 1, "is not UTF-8 text (byte 0xfc); save it as UTF-8")
    ]


def test_a_byte_order_mark_is_fine(tmp_path: Path) -> None:
    rules = rules_with(tmp_path, shop__yaml=b"\xef\xbb\xbf" + VALID.encode())
    assert load_sources(rules).names() == ("shop",)


def test_an_unknown_key_is_reported_through_the_loader(tmp_path: Path) -> None:
    rules = rules_with(tmp_path, shop__yaml=VALID + "delimter: ';'\n")
    details = problems(rules)
    assert [(detail.field, detail.line) for detail in details] == [("delimter", 6)]
    assert "allowed keys: source, description, type" in details[0].message


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ("1: x\n", 1, "key '1' is not a string (YAML reads it as int); quote it"),
        ("on: x\n", 1, "key 'on' is not a string (YAML reads it as bool); quote it"),
        ("description: !!binary aGk=\n", 1, "the tag tag:yaml.org,2002:binary is not allowed here"),
        (
            "description: !env HOME\n",
            1,
            "the tag !env is not allowed here; write plain YAML values",
        ),
        (
            "description: !!python/name:os.system x\n",
            1,
            "the tag tag:yaml.org,2002:python/name:os.system is not allowed here",
        ),
    ],
)
def test_non_string_keys_and_foreign_tags_are_refused(
    tmp_path: Path, text: str, line: int, expected: str
) -> None:
    details = problems(rules_with(tmp_path, shop__yaml=text + VALID))
    assert [(detail.line, detail.message[: len(expected)]) for detail in details] == [
        (line, expected)
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "is empty; expected a YAML mapping (key: value lines)"),
        ("# only a comment\n", "is empty; expected a YAML mapping (key: value lines)"),
        ("- a\n- b\n", "must be a YAML mapping (key: value lines), not a list"),
        ("just text\n", "must be a YAML mapping (key: value lines), not a single value"),
        (
            VALID + "---\n" + VALID,
            "YAML syntax error: expected a single document in the stream "
            "(line 1), but found another document",
        ),
    ],
)
def test_a_file_that_is_not_one_mapping_is_refused(
    tmp_path: Path, text: str, expected: str
) -> None:
    details = problems(rules_with(tmp_path, shop__yaml=text))
    assert [detail.message[: len(expected)] for detail in details] == [expected]


def test_anchors_aliases_and_merge_keys_work_and_written_keys_win(tmp_path: Path) -> None:
    # GIVEN columns sharing settings through an anchor and a merge key
    text = """\
        type: reading
        id: sensor
        columns:
          - name: sensor
            type: string
          - &local
            name: taken_at
            type: timestamp
            timezone: Europe/Berlin
          - <<: *local
            name: sent_at
        """
    # WHEN it is loaded
    sensors = load_sources(rules_with(tmp_path, sensors__yaml=text)).get("sensors")
    # THEN the merged column has the shared keys and its own name
    assert sensors is not None
    sent_at = sensors.column("sent_at")
    assert sent_at is not None
    assert (sent_at.type, sent_at.timezone) == ("timestamp", "Europe/Berlin")


def test_an_alias_inside_its_own_anchor_is_refused_not_followed_forever(tmp_path: Path) -> None:
    details = problems(rules_with(tmp_path, shop__yaml="description: &loop [*loop]\n" + VALID))
    assert [detail.message for detail in details] == [
        "an alias refers to the value that contains it"
    ]


def test_aliases_are_expanded_once_so_a_billion_laughs_stays_cheap(tmp_path: Path) -> None:
    # GIVEN nine levels of aliases, each ten times the one before (a billion leaves if expanded)
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    text = "\n".join(levels) + "\n" + VALID
    # WHEN it is loaded
    details = problems(rules_with(tmp_path, shop__yaml=text))
    # THEN it answers at once, with the unknown keys
    assert {detail.message.split(";")[0] for detail in details} == {
        f"unknown key 'a{i}'" for i in range(10)
    }


# --- several files -------------------------------------------------------------------------------


def test_the_problems_of_every_bad_file_are_reported_together(tmp_path: Path) -> None:
    # GIVEN one good file and three bad ones, each bad in its own way
    rules = rules_with(
        tmp_path,
        good__yaml=VALID,
        broken__yaml="type: [\n",
        typo__yaml=VALID + "colums: []\n",
        twice__yaml="type: a\ntype: b\nid: x\ncolumns: [{name: x, type: string}]\n",
    )
    # WHEN the folder is loaded
    with pytest.raises(SourceDefinitionError) as caught:
        load_sources(rules)
    # THEN one error lists every file's problems, each with its file and line
    assert where(caught.value.details) == [
        ("rules/sources/broken.yaml", 2),
        ("rules/sources/twice.yaml", 2),
        ("rules/sources/typo.yaml", 6),
    ]
    assert caught.value.message == "3 problem(s) in 3 source definition file(s)"
    assert "rules/sources/typo.yaml:6: colums: unknown key 'colums'" in str(caught.value)


def test_files_outside_the_rules_parent_are_named_as_given(tmp_path: Path) -> None:
    # GIVEN a rules folder given by a relative path
    rules_with(tmp_path, shop__yaml=VALID + "colour: red\n")
    # WHEN it is loaded from a working directory above it
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        details = problems(Path("rules"))
    # THEN the file is still named from the rules folder's parent
    assert where(details) == [("rules/sources/shop.yaml", 6)]
