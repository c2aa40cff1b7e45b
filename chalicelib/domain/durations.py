"""Durations as operators write them: ``30s``, ``5m``, ``2h``, ``1d``, ``1w``, ``1h30m``.

Rule windows, ``resolve_after`` and the expression functions ``ago()`` and ``duration()`` all
take this one spelling, so an operator learns it once. Parsing answers a reason instead of
raising because every caller wants to report the problem next to a file line or an expression
position, not to unwind. The upper bound keeps windows (and the state kept for them) sane and
``now - duration`` far from ``datetime``'s limits.
"""

from __future__ import annotations

import re
from datetime import timedelta

MAX_DURATION = timedelta(days=366)
HOW_TO_WRITE = "write a number and a unit: 30s, 5m, 2h, 1d, 1w"

# units largest first, each at most once: "1h30m", never "30m1h" or "1h1h"
_UNITS = (("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))
_PATTERN = re.compile("".join(rf"(?:([0-9]{{1,9}}){unit})?" for unit, _ in _UNITS))


def parse_duration(text: object) -> timedelta | str:
    """The duration ``text`` spells (or an int number of seconds), else why it is not one."""
    if isinstance(text, bool) or not isinstance(text, int | str):
        return f"{text!r} is not a duration; {HOW_TO_WRITE}"
    seconds = text if isinstance(text, int) else _seconds(text.strip())
    if seconds is None:
        return f"{text!r} is not a duration; {HOW_TO_WRITE}"
    if seconds <= 0:
        return f"{text!r} is not a duration: it must be longer than zero"
    if seconds > MAX_DURATION.total_seconds():
        return f"{text!r} is too long: a duration is at most 366 days"
    return timedelta(seconds=seconds)


def _seconds(text: str) -> int | None:
    found = _PATTERN.fullmatch(text)
    if not text or found is None:
        return None
    return sum(
        int(count) * size
        for count, (_, size) in zip(found.groups(), _UNITS, strict=True)
        if count is not None
    )


def format_duration(delta: timedelta) -> str:
    """``delta`` spelled the way :func:`parse_duration` reads it (whole seconds; "0s" for none)."""
    if delta < timedelta(0):
        return "-" + format_duration(-delta)
    left = int(delta.total_seconds())
    parts = []
    for unit, size in _UNITS:
        count, left = divmod(left, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"
