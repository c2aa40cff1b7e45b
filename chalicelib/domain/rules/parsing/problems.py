"""The problems found in one rule (or one source's enrichment), with lines and columns.

It extends the source definitions' :class:`Problems` with what rules need: a column for problems
inside a value (an expression, a template), "did you mean" for misspelt names, and the checks
every part of a rule repeats (one of a list of words, a list of field names, a duration).
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from chalicelib.domain.durations import parse_duration
from chalicelib.domain.errors import Detail
from chalicelib.domain.sources import Located, LocatedMapping, Problems, yaml_kind


class Positioned(Protocol):
    """A problem inside a value's text: an expression's or a template's (1-based)."""

    @property
    def message(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def column(self) -> int: ...


def did_you_mean(name: str, options: Collection[str], listing: str = "known") -> str:
    """``; did you mean 'amount'?``, or the options themselves when none is close."""
    close = difflib.get_close_matches(name, sorted(options), n=1)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f"; {listing}: {', '.join(sorted(options)) or 'none'}"


def position_in_file(entry: Located, line: int, column: int) -> tuple[int, int | None]:
    """Where ``line``/``column`` of ``entry``'s text is in the file (the column when known)."""
    first = entry.value_line or entry.line
    if entry.style == "block":  # the text starts on the line after the | or >
        return first + line, None
    if line == 1 and entry.column is not None and entry.style in ("plain", "quoted"):
        return first, entry.column + column - 1 + (entry.style == "quoted")
    return first, None


@dataclass
class RuleProblems(Problems):
    """Every problem of one file so far; each check records here and carries on."""

    def at(self, message: str, path: str, entry: Located | None, column: int | None = None) -> None:
        """A problem with ``entry``: at its value's column unless a ``column`` is given."""
        if entry is None:
            self.details.append(Detail(message, field=path, file=self.file))
            return
        line = entry.value_line or entry.line
        self.details.append(
            Detail(
                message,
                field=path,
                line=line,
                column=column if column is not None else entry.column,
                file=self.file,
            )
        )

    def inside(self, entry: Located, path: str, problems: Sequence[Positioned]) -> None:
        """Problems inside ``entry``'s text, each moved to its place in the file."""
        for problem in problems:
            line, column = position_in_file(entry, problem.line, problem.column)
            self.details.append(
                Detail(problem.message, field=path, line=line, column=column, file=self.file)
            )

    def keys(self, document: LocatedMapping, allowed: Collection[str], prefix: str = "") -> None:
        for key, entry in document.items():
            if key not in allowed:
                hint = did_you_mean(key, allowed, "allowed keys")
                self.details.append(
                    Detail(
                        f"unknown key '{key}'{hint}",
                        field=prefix + key,
                        line=entry.line,
                        file=self.file,
                    )
                )

    def required(
        self, document: LocatedMapping, key: str, why: str, path: str = "", line: int | None = None
    ) -> None:
        """``key`` must have a value; a missing one is reported at ``line`` (its mapping's)."""
        entry = document.get(key)
        if entry is None or entry.value is None:
            self.add(f"is required: {why}", path + key, entry.line if entry is not None else line)

    def text(self, entry: Located | None, path: str, default: str | None = None) -> str | None:
        """Any string (empty too), or ``default`` when absent; at the value's column."""
        if entry is None or entry.value is None:
            return default
        if isinstance(entry.value, str):
            return entry.value
        self.at(f"must be a string, not {yaml_kind(entry.value)}", path, entry)
        return None

    def string(self, entry: Located | None, path: str) -> str | None:
        """A non-empty string, or None (recorded when it is something else)."""
        if entry is None or entry.value is None:
            return None
        if not isinstance(entry.value, str) or not entry.value.strip():
            what = "empty text" if isinstance(entry.value, str) else yaml_kind(entry.value)
            self.at(f"must be a non-empty string, not {what}", path, entry)
            return None
        return entry.value

    def choice(self, entry: Located | None, path: str, options: Sequence[str]) -> str | None:
        given = self.string(entry, path)
        if given is None or entry is None or given in options:
            return given
        self.at(
            f"'{given}' is not one of {', '.join(options)}{_close(given, options)}", path, entry
        )
        return None

    def duration(self, entry: Located | None, path: str) -> timedelta | None:
        if entry is None or entry.value is None:
            return None
        parsed = parse_duration(entry.value)
        if isinstance(parsed, str):
            self.at(parsed, path, entry)
            return None
        return parsed

    def items(self, entry: Located | None, path: str) -> list[tuple[Located, str]]:
        """One value or a list of values, each with its path (``group_by[1]``)."""
        if entry is None or entry.value is None:
            return []
        if isinstance(entry.value, tuple):
            return [(item, f"{path}[{index}]") for index, item in enumerate(entry.value)]
        return [(entry, path)]

    def field_names(
        self, entry: Located | None, path: str, fields: Mapping[str, str]
    ) -> tuple[str, ...]:
        """A field name or a list of them, each known and listed once."""
        names: list[str] = []
        for item, item_path in self.items(entry, path):
            name = self.string(item, item_path)
            if name is None:
                continue
            if name in names:
                self.at(f"'{name}' is listed twice", item_path, item)
            elif name not in fields:
                self.at(
                    f"unknown field '{name}'{did_you_mean(name, fields, 'the fields are')}",
                    item_path,
                    item,
                )
            else:
                names.append(name)
        return tuple(names)


def _close(given: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(given, options, n=1)
    return f"; did you mean {close[0]}?" if close else ""
