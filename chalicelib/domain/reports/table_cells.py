"""The values a report's cell may hold, and the columns of an events report.

Rows travel from a query to a file writer as plain tuples of these: each writer knows how its
format shows a datetime or a ``Decimal``, so the query never formats and the writer never queries.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

Cell = str | int | float | bool | Decimal | datetime | None

# ``data`` is the event's JSON as text: a spreadsheet shows it in one cell, a machine parses it.
EVENT_COLUMNS = (
    "source",
    "event_id",
    "type",
    "occurred_at",
    "received_at",
    "upload_id",
    "line",
    "data",
)
