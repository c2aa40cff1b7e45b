"""A source's ``retention_days``: how many days its events, raw items and rejects are kept.

The lower bound is not taste: SQS keeps a message 14 days, and an event is deduplicated by its
stored row. Were a source's events purged sooner, a message redelivered on day 14 (or a CSV file
uploaded again) would find no row, be stored as new, and fire its rules a second time. The upper
bound (a century) only catches a typo such as a year written as days twice over.
"""

from __future__ import annotations

from chalicelib.domain.errors import Detail
from chalicelib.domain.sources.model import Located
from chalicelib.domain.sources.problems import Problems, yaml_kind

MIN_RETENTION_DAYS = 15  # more than the queues' 14 days of redelivery (see the docstring)
MAX_RETENTION_DAYS = 36_500
RETENTION_HINT = (
    f"a whole number of days from {MIN_RETENTION_DAYS} (longer than the queues keep a "
    f"message, so a redelivery still finds its event) to {MAX_RETENTION_DAYS}"
)


def retention_problem(value: object) -> str | None:
    """Why ``value`` is not a retention in days, or None when it is one."""
    if isinstance(value, bool) or not isinstance(value, int):
        return f"must be {RETENTION_HINT}, not {yaml_kind(value)}"
    if not MIN_RETENTION_DAYS <= value <= MAX_RETENTION_DAYS:
        return f"must be {RETENTION_HINT}, not {value}"
    return None


def read_retention_days(entry: Located | None, problems: Problems) -> int | None:
    """The declared days, or None when the key is absent or empty (the default applies); a bad
    value is reported at its own line and column."""
    if entry is None or entry.value is None:
        return None
    value, problem = entry.value, retention_problem(entry.value)
    if isinstance(value, int) and problem is None:
        return value
    if problem is not None:
        problems.details.append(
            Detail(
                problem,
                field="retention_days",
                line=entry.value_line or entry.line,
                column=entry.column,
                value=entry.value if isinstance(entry.value, int | float | str) else None,
                file=problems.file,
            )
        )
    return None
