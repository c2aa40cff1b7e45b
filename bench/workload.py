"""The benchmark's input: SQS events of ten records, each record an envelope the API would queue.

Bodies are built with the real ``encode_envelope`` and records with the test suite's ``sqs_record``,
so the processor sees exactly what Lambda hands it in production and in the tests. Every input is
deterministic (no clock, no randomness in the items) so two runs store the same rows.

An event of a source that ``rules/sources/`` declares (``shop``) carries every declared column,
built from the definition itself with a value of the column's type, in the form the processor
stores it: so the processor accepts it and conforming changes nothing, and a column added to the
definition later is in the next run's events instead of getting them rejected. Sources without a
definition (``billing``, ``warehouse``, ``auth``) carry free-form data, which is stored as posted.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from chalicelib.adapters.rule_files.sources import load_sources
from chalicelib.domain.events import EventEnvelope, encode_envelope
from chalicelib.domain.sources import ColumnSpec, SourceDefinition
from tests.builders import sqs_event, sqs_record

BATCH_SIZE = 10  # the processor's batch_size in app.py, and Lambda's SQS default
SOURCES = ("shop", "billing", "warehouse", "auth")
RECEIVED_AT = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
RULES_DIR = Path(__file__).resolve().parents[1] / "rules"  # the processor's TRIPLINE_RULES_DIR

# A value of each column type for event ``index``, as the processor stores it. The numbers keep
# a shop order's ``total`` (quantity * unit_price) under 1,000, so ``large-order`` judges every
# order and matches none: this bench measures the processor's path, bench.rules_overhead the rules.
CellValue = Callable[[ColumnSpec, int, datetime], Any]
BY_TYPE: dict[str, CellValue] = {
    "string": lambda column, index, _: (
        column.default if isinstance(column.default, str) else f"{column.name}-{index % 7}"
    ),
    "integer": lambda _, index, __: index % 5 + 1,
    "number": lambda _, index, __: round(index % 20_000 / 100, 2),
    "boolean": lambda _, index, __: index % 3 != 0,
    "timestamp": lambda _, __, at: at.isoformat(),
    "date": lambda _, __, at: at.date().isoformat(),
}


@cache
def rules_off_copy(workdir: Path) -> Path:
    """``workdir/rules-off``: the sample sources and reference tables without a single rule, so
    the processor still conforms and enriches, and judges nothing."""
    off = workdir / "rules-off"
    for folder in ("sources", "reference"):
        shutil.copytree(RULES_DIR / folder, off / folder, dirs_exist_ok=True)
    return off


def declared_sources() -> dict[str, SourceDefinition]:
    """The definitions the processor loads, read once (through the same reader) on first use."""
    return dict(load_sources(RULES_DIR).definitions)


def declared_data(
    definition: SourceDefinition, event_id: str, occurred: datetime, index: int
) -> dict[str, Any]:
    """Every declared column of ``definition``: the id and time columns repeat the envelope's."""
    data = {}
    for column in definition.columns:
        if column.name in definition.id_columns and len(definition.id_columns) == 1:
            data[column.name] = event_id
        elif column.name == definition.occurred_at_column:
            data[column.name] = occurred.isoformat()
        else:
            data[column.name] = BY_TYPE[column.type](column, index, occurred)
    return data


def event_item(index: int) -> dict[str, Any]:
    """An item as an integrator posts it: a few sources, a small ``data`` object."""
    occurred = RECEIVED_AT - timedelta(seconds=index)
    source, event_id = SOURCES[index % len(SOURCES)], f"evt-{index:08d}"
    event_type = "order.created" if index % 3 else "payment.failed"
    definition = declared_sources().get(source)
    if definition is None:
        data: dict[str, Any] = {
            "amount": round(index * 0.37, 2),
            "store": f"berlin-{index % 7}",
            "items": index % 5 + 1,
            "note": "gift wrap",
        }
    else:
        data = declared_data(definition, event_id, occurred, index)
        event_type = definition.event_type or data.get(definition.type_column or "", event_type)
    return {
        "source": source,
        "type": event_type,
        "id": event_id,
        "occurred_at": occurred.isoformat().replace("+00:00", "Z"),
        "data": data,
    }


def envelope_body(index: int) -> str:
    """The queue message body the API writes for item ``index`` (one API request per batch)."""
    received = RECEIVED_AT + timedelta(milliseconds=index // BATCH_SIZE)
    item = event_item(index)
    return encode_envelope(EventEnvelope(item=item, event_id=item["id"], received_at=received))


def sqs_batches(count: int, batch_size: int = BATCH_SIZE) -> list[dict[str, Any]]:
    """``count`` envelopes as SQS events of ``batch_size`` records each (the last may hold
    fewer): 10 is the events trigger's default, up to 100 with a batching window."""
    records = [sqs_record(envelope_body(index)) for index in range(count)]
    return [
        sqs_event(*records[start : start + batch_size]) for start in range(0, count, batch_size)
    ]


def one_batch(first: int) -> dict[str, Any]:
    """One SQS event of ``BATCH_SIZE`` records, for items ``first`` onwards."""
    return sqs_event(
        *(sqs_record(envelope_body(index)) for index in range(first, first + BATCH_SIZE))
    )
