"""The problems found in one source definition, gathered rather than raised.

An operator fixing a definition should see every mistake in one pass, each with its key path and
line, so every check records into a :class:`Problems` and carries on with what it could read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from chalicelib.domain.errors import Detail
from chalicelib.domain.sources.model import Located, LocatedMapping


@dataclass
class Problems:
    """The problems found so far in one file; every check adds to it and carries on."""

    file: str
    details: list[Detail] = field(default_factory=list)

    def add(self, message: str, path: str | None, line: int | None) -> None:
        self.details.append(Detail(message, field=path, line=line, file=self.file))

    def unknown_keys(self, mapping: LocatedMapping, allowed: Sequence[str], prefix: str) -> None:
        for key, entry in mapping.items():
            if key not in allowed:
                self.add(
                    f"unknown key '{key}'; allowed keys: {', '.join(allowed)}",
                    prefix + key,
                    entry.line,
                )

    def text(self, entry: Located | None, path: str, default: str | None = None) -> str | None:
        if entry is None or entry.value is None:
            return default
        if isinstance(entry.value, str):
            return entry.value
        self.add(f"must be a string, not {yaml_kind(entry.value)}", path, entry.line)
        return None

    def flag(self, entry: Located | None, path: str) -> bool:
        if entry is None or entry.value is None:
            return False
        if isinstance(entry.value, bool):
            return entry.value
        self.add(f"must be true or false, not {yaml_kind(entry.value)}", path, entry.line)
        return False

    def names(self, entry: Located, path: str) -> list[tuple[str, str, int]]:
        """One string or a list of strings, each with its own path and line."""
        if isinstance(entry.value, tuple):
            items = [(item, f"{path}[{index}]") for index, item in enumerate(entry.value)]
        else:
            items = [(entry, path)]
        found = []
        for item, item_path in items:
            if item.value is None or (isinstance(item.value, str) and not item.value.strip()):
                self.add("must be a non-empty string", item_path, item.line)
                continue
            text = self.text(item, item_path)
            if text is not None:
                found.append((text, item_path, item.line))
        return found


def yaml_kind(value: object) -> str:
    """What a YAML value is, in an operator's words, for "must be X, not <kind>" messages."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return "a number" if isinstance(value, int | float) else "a string"
