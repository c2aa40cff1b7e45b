"""How much of a span sorted, disjoint open spans cover: the one measure the report takes."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime, timedelta

from chalicelib.domain.availability.model import Span


def covered(spans: Sequence[Span], start: datetime, end: datetime) -> timedelta:
    """The length of ``[start, end)`` inside ``spans`` (sorted, disjoint)."""
    total = timedelta()
    index = max(bisect_right(spans, start, key=lambda span: span.start) - 1, 0)
    while index < len(spans) and spans[index].start < end:
        span = spans[index]
        low, high = max(span.start, start), min(span.end, end)
        if low < high:
            total += high - low
        index += 1
    return total
