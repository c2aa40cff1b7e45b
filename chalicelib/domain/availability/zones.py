"""Whether a text names a time zone: the YAML section and the hours table check zones alike."""

from __future__ import annotations

from zoneinfo import ZoneInfo

ZONE_HINT = "is not an IANA time zone (e.g. Europe/Berlin, America/Chicago, UTC)"


def is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (KeyError, ValueError):  # ZoneInfoNotFoundError is a KeyError
        return False
    return True
