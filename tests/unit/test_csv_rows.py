"""RowReader: CSV rows of a source to events, or rejections naming line, column and value."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.adapters.rule_files.sources import located_yaml
from chalicelib.domain.errors import Detail
from chalicelib.domain.events import Event
from chalicelib.domain.sources import (
    HeaderMatch,
    SourceDefinition,
    match_header,
    parse_source_definition,
)
from chalicelib.domain.uploads import CsvFormat, RowReader, RowRejection, read_records
from chalicelib.domain.uploads.csv_scan import Record
from chalicelib.domain.uploads.rows import ReadRows

RECEIVED = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")

SHOP = """
type: order.created
id: order_id
occurred_at: ordered_at
columns:
  - {name: order_id, type: string, required: true, aliases: ["Order ID"]}
  - {name: ordered_at, type: timestamp, required: true}
  - {name: store, type: string, required: true}
  - {name: sku, type: string}
  - {name: quantity, type: integer, default: 1}
  - {name: unit_price, type: number, required: true}
  - {name: currency, type: string, default: "EUR"}
  - {name: paid, type: boolean, default: false}
"""
SHOP_HEADER = ["Order ID", "ordered_at", "store", "quantity", "unit_price"]

SENSORS = """
type: temperature.reading
id: [sensor, reading_at]
occurred_at: reading_at
encoding: latin-1
delimiter: ";"
decimal_separator: ","
columns:
  - {name: sensor, type: string, aliases: ["Fühler"]}
  - {name: reading_at, type: timestamp, aliases: ["Zeit"], format: "%d.%m.%Y %H:%M",
     timezone: Europe/Berlin}
  - {name: celsius, type: number, required: true, aliases: ["Temperatur °C"]}
  - {name: battery, type: integer, aliases: ["Batterie"]}
"""

DEVICES = """
type_column: kind
id: device
columns:
  - {name: device, type: string}
  - {name: kind, type: string}
"""


def definition(name: str, yaml_text: str) -> SourceDefinition:
    """A definition through the real loader, as ``rules/sources/<name>.yaml`` would give it."""
    file = f"rules/sources/{name}.yaml"
    located = located_yaml(yaml_text, file)
    assert not isinstance(located, list), located
    return parse_source_definition(file, located)


def reader(
    source: SourceDefinition, header: Sequence[str], *, max_row_bytes: int = 32 * 1024
) -> RowReader:
    match = match_header(source, header)
    assert isinstance(match, HeaderMatch), match
    return RowReader(source, match, len(header), RECEIVED, max_row_bytes)


def read(
    source: SourceDefinition,
    header: Sequence[str],
    *rows: Sequence[str],
    max_row_bytes: int = 32 * 1024,
) -> ReadRows:
    records = [Record(line, list(cells)) for line, cells in enumerate(rows, start=2)]
    return reader(source, header, max_row_bytes=max_row_bytes).read(records, True)


def only_event(read_rows: ReadRows) -> Event:
    assert read_rows.rejections == []
    [(_, event)] = read_rows.events
    return event


def only_rejection(read_rows: ReadRows) -> RowRejection:
    assert read_rows.events == []
    [rejection] = read_rows.rejections
    return rejection


def shop_row(**cells: str) -> list[str]:
    row = {
        "Order ID": "A-1",
        "ordered_at": "2026-11-22T08:30:00+02:00",
        "store": "berlin-1",
        "quantity": "3",
        "unit_price": "12.50",
    } | cells
    return [row[name] for name in SHOP_HEADER]


# --- valid rows ------------------------------------------------------------------------------


def test_valid_row_becomes_an_event_with_defaults_for_absent_columns() -> None:
    # GIVEN the shop's header without sku, currency and paid, and one valid row
    shop = definition("shop", SHOP)
    # WHEN the row is read
    outcome = read(shop, SHOP_HEADER, shop_row())
    # THEN it is an event of the source's type, at its UTC time, with defaults for absent columns
    [(line, event)] = outcome.events
    assert line == 2
    assert (event.source, event.type, event.event_id) == ("shop", "order.created", "A-1")
    assert event.occurred_at == datetime(2026, 11, 22, 6, 30, tzinfo=UTC)
    assert event.received_at == RECEIVED
    assert event.data == {
        "order_id": "A-1",
        "ordered_at": "2026-11-22T06:30:00+00:00",
        "store": "berlin-1",
        "sku": None,
        "quantity": 3,
        "unit_price": 12.5,
        "currency": "EUR",
        "paid": False,
    }


def test_an_empty_optional_cell_takes_the_column_default() -> None:
    # GIVEN a row whose quantity cell is blank
    # WHEN it is read
    event = only_event(read(definition("shop", SHOP), SHOP_HEADER, shop_row(quantity="  ")))
    # THEN quantity is the declared default
    assert event.data["quantity"] == 1


def test_a_header_alias_gives_the_declared_name_in_data_and_the_header_as_written_in_errors() -> (
    None
):
    # GIVEN the shop's "Order ID" header, one valid row and one whose id cell is empty
    shop = definition("shop", SHOP)
    # WHEN both rows are read
    outcome = read(shop, SHOP_HEADER, shop_row(), shop_row(**{"Order ID": ""}))
    # THEN data uses order_id, and the rejection names the column "Order ID"
    [(_, event)] = outcome.events
    assert event.data["order_id"] == "A-1"
    [rejection] = outcome.rejections
    assert rejection.errors == (Detail("is required", line=3, column="Order ID", value=""),)


def test_a_composite_id_joins_its_columns_in_utc() -> None:
    # GIVEN the cold-room logger's German header and a reading in Berlin local time
    sensors = definition("sensors", SENSORS)
    header = ["Fühler", "Zeit", "Temperatur °C"]
    # WHEN the row is read
    event = only_event(read(sensors, header, ["kuehlraum-2", "22.11.2026 08:30", "-18,5"]))
    # THEN the id is sensor:reading_at with the time in UTC, and the decimal comma is read
    assert event.event_id == "kuehlraum-2:2026-11-22T07:30:00Z"
    assert event.occurred_at == datetime(2026, 11, 22, 7, 30, tzinfo=UTC)
    assert event.data == {
        "sensor": "kuehlraum-2",
        "reading_at": "2026-11-22T07:30:00+00:00",
        "celsius": -18.5,
        "battery": None,
    }


def test_a_type_column_gives_each_row_its_type() -> None:
    # GIVEN a source whose rows say their own type, one valid and one not a type
    devices = definition("devices", DEVICES)
    # WHEN both rows are read
    outcome = read(devices, ["device", "Kind"], ["d-1", "device.seen"], ["d-2", "not a type!"])
    # THEN the first is an event of its type, the second is rejected naming the column
    [(_, event)] = outcome.events
    assert (event.type, event.occurred_at) == ("device.seen", RECEIVED)
    [rejection] = outcome.rejections
    [detail] = rejection.errors
    assert (detail.line, detail.column, detail.value) == (3, "Kind", "not a type!")
    assert rejection.event_id == "d-2"


# --- rejected rows ---------------------------------------------------------------------------


def test_every_bad_cell_of_a_row_is_reported_with_its_column_and_value() -> None:
    # GIVEN a row with a bad quantity and a bad price
    row = shop_row(quantity="three", unit_price="12,50")
    # WHEN it is read
    rejection = only_rejection(read(definition("shop", SHOP), SHOP_HEADER, row))
    # THEN both problems are reported, each with its header and the cell as written
    assert rejection.line == 2
    assert [(d.line, d.column, d.value) for d in rejection.errors] == [
        (2, "quantity", "three"),
        (2, "unit_price", "12,50"),
    ]
    assert rejection.errors[0].message.startswith("is not an integer")
    assert rejection.cells == row


def test_a_bad_cell_does_not_hide_a_time_in_the_future() -> None:
    # GIVEN a row with a bad price that also happened two days after it was received
    row = shop_row(ordered_at="2026-11-24T09:00:00Z", unit_price="free")
    # WHEN it is read
    rejection = only_rejection(read(definition("shop", SHOP), SHOP_HEADER, row))
    # THEN both problems are reported
    assert sorted(str(d.column) for d in rejection.errors) == ["ordered_at", "unit_price"]


@pytest.mark.parametrize(
    "cells", [["A-1", "2026-11-22T08:30:00Z"], [*shop_row(), "extra", ""]], ids=["fewer", "more"]
)
def test_a_ragged_row_is_rejected_with_its_cell_count(cells: list[str]) -> None:
    # GIVEN a row with fewer or more cells than the header
    # WHEN it is read
    rejection = only_rejection(read(definition("shop", SHOP), SHOP_HEADER, cells))
    # THEN it is rejected saying how many cells it has, and keeps them all
    assert rejection.errors == (Detail(f"has {len(cells)} cells; the header has 5", line=2),)
    assert rejection.cells == cells


def test_an_event_id_over_128_characters_is_rejected() -> None:
    # GIVEN an order id of 129 characters
    long_id = "A" * 129
    # WHEN the row is read
    rejection = only_rejection(
        read(definition("shop", SHOP), SHOP_HEADER, shop_row(**{"Order ID": long_id}))
    )
    # THEN the id column is named, with the id
    [detail] = rejection.errors
    assert (detail.column, detail.value) == ("Order ID", long_id)
    assert "1 to 128 printable characters" in detail.message


def test_an_occurred_at_more_than_a_day_after_receipt_is_rejected_with_the_cell_as_written() -> (
    None
):
    # GIVEN a reading one day and one minute after the upload landed, in Berlin local time
    sensors = definition("sensors", SENSORS)
    late = (RECEIVED + timedelta(days=1, minutes=1)).astimezone(BERLIN).strftime("%d.%m.%Y %H:%M")
    # WHEN the row is read
    rejection = only_rejection(
        read(sensors, ["Fühler", "Zeit", "Temperatur °C"], ["k-2", late, "4"])
    )
    # THEN the time column is named with the cell the operator wrote
    assert rejection.errors == (
        Detail("is more than a day in the future", line=2, column="Zeit", value=late),
    )


def test_an_occurred_at_exactly_a_day_after_receipt_is_accepted() -> None:
    # GIVEN an order placed exactly one day after the upload landed
    row = shop_row(ordered_at=(RECEIVED + timedelta(days=1)).isoformat())
    # WHEN it is read
    event = only_event(read(definition("shop", SHOP), SHOP_HEADER, row))
    # THEN it is accepted
    assert event.occurred_at == RECEIVED + timedelta(days=1)


def test_an_occurred_at_before_1970_is_rejected() -> None:
    # GIVEN an order placed on the last second of 1969
    row = shop_row(ordered_at="1969-12-31T23:59:59Z")
    # WHEN it is read
    rejection = only_rejection(read(definition("shop", SHOP), SHOP_HEADER, row))
    # THEN the error names the column and the cell
    assert rejection.errors == (
        Detail("is before 1970", line=2, column="ordered_at", value="1969-12-31T23:59:59Z"),
    )


def test_a_row_over_the_byte_limit_is_rejected() -> None:
    # GIVEN a 100-byte limit, a row of exactly 100 bytes and one of 101
    shop = definition("shop", SHOP)
    others = len("".join(shop_row(store="")))
    fits, over = shop_row(store="s" * (100 - others)), shop_row(store="s" * (101 - others))
    # WHEN both are read
    outcome = read(shop, SHOP_HEADER, fits, over, max_row_bytes=100)
    # THEN the first is an event and the second is rejected saying its size
    assert [line for line, _ in outcome.events] == [2]
    [rejection] = outcome.rejections
    assert rejection.errors == (Detail("row is 101 bytes; the limit is 100", line=3),)


def test_the_row_limit_counts_bytes_not_characters() -> None:
    # GIVEN a 100-byte limit and a row of 60 characters, 40 of them three bytes each
    row = shop_row(store="€" * 40)
    assert len("".join(row)) < 100 < len("".join(row).encode())
    # WHEN it is read
    rejection = only_rejection(read(definition("shop", SHOP), SHOP_HEADER, row, max_row_bytes=100))
    # THEN it is rejected for its size in bytes
    [detail] = rejection.errors
    assert detail.message == f"row is {len(''.join(row).encode())} bytes; the limit is 100"


def test_undecodable_cells_reject_their_row_and_the_rest_of_the_chunk_passes() -> None:
    # GIVEN a UTF-8 chunk whose second row holds a Latin-1 byte in its store
    chunk = (
        "A-1,2026-11-22T08:00:00Z,berlin-1,1,2.50\n"
        "A-2,2026-11-22T08:00:00Z,k\xf6ln,1,2.50\n"
        "A-3,2026-11-22T08:00:00Z,bonn,1,2.50\n"
    ).encode("latin-1")
    records, clean = read_records(chunk, 2, CsvFormat())
    # WHEN the chunk's records are read
    outcome = reader(definition("shop", SHOP), SHOP_HEADER).read(records, clean)
    # THEN only the second row is rejected, naming the column and showing U+FFFD for the byte
    assert [event.event_id for _, event in outcome.events] == ["A-1", "A-3"]
    [rejection] = outcome.rejections
    assert rejection.errors == (
        Detail("holds bytes that are not valid utf-8", line=3, column="store", value="k\ufffdln"),
    )
    assert rejection.cells[2] == "k\ufffdln"


def test_an_empty_type_cell_is_reported_once() -> None:
    # GIVEN a source with a type column and a row whose type cell is empty
    devices = definition("devices", DEVICES)
    # WHEN it is read
    rejection = only_rejection(read(devices, ["device", "kind"], ["d-1", " "]))
    # THEN the one problem is the missing cell, not also a bad type
    assert rejection.errors == (Detail("is required", line=2, column="kind", value=" "),)
