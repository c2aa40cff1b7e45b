"""A rule's versions: hashes of what it says, not of how its file is written.

``version`` covers the whole rule, so every recorded match names the exact rule that made it;
``state_version`` covers only what the windows and sightings of a rule were gathered under
(which events count, how they are grouped and counted, over how long). Both hash a canonical
JSON dump of the values (keys sorted, no lines or columns), so a comment, a reordered key or
another indentation changes neither.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping

from chalicelib.domain.sources import LocatedMapping, LocatedValue

STATE_KEYS = (
    "kind",
    "source",
    "type",
    "when",
    "group_by",
    "aggregate",
    "field",
    "within",
    "granularity",  # only when a rule gives it: rules without it keep their state version
    "expect",
    "entities",
    "entities_from",
)


def content_version(document: LocatedMapping) -> str:
    return _digest(document, None)


def state_version(document: LocatedMapping) -> str:
    return _digest(document, STATE_KEYS)


def _digest(document: LocatedMapping, keys: Collection[str] | None) -> str:
    chosen = {
        key: plain(entry.value) for key, entry in document.items() if keys is None or key in keys
    }
    text = json.dumps(chosen, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def plain(value: LocatedValue) -> object:
    """A located value as plain JSON-able data, positions dropped."""
    if isinstance(value, tuple):
        return [plain(item.value) for item in value]
    if isinstance(value, Mapping):
        return {key: plain(entry.value) for key, entry in value.items()}
    return value
