"""Silences: matchers, one-off and weekly recurring windows in a time zone, and the API's
parsing of them. Imports the kernel only.
"""

from __future__ import annotations

from chalicelib.domain.silences.model import (
    Matchers,
    Silence,
    SilenceTarget,
    WeeklyRecurrence,
    silencing,
)
from chalicelib.domain.silences.parsing import (
    parse_silence,
    parse_silence_query,
)

__all__ = [
    "Matchers",
    "Silence",
    "SilenceTarget",
    "WeeklyRecurrence",
    "parse_silence",
    "parse_silence_query",
    "silencing",
]
