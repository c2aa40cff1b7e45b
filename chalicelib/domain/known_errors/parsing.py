"""``rules/known-errors.yaml`` (read into located values) to a checked :class:`KnownErrorBook`.

Every problem is reported at once with its line and, for a value, its column, as the rules'
linter does. A remedy can only be one of the fixed set, and a re-read only with what a source
definition could declare itself: an ASCII-compatible encoding, a one-character delimiter other
than a quote or a line break that the encoding can write and that is not the decimal separator
of a source it applies to.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Mapping
from datetime import timedelta
from urllib.parse import urlsplit

from chalicelib.domain.durations import parse_duration
from chalicelib.domain.errors import Detail
from chalicelib.domain.known_errors.model import (
    FAILURE_KINDS,
    MAX_RETRY_ATTEMPTS,
    MAX_RETRY_DELAY,
    MAX_SKIP_LINES,
    REMEDIES,
    KnownError,
    KnownErrorBook,
    ReadOptions,
    Remedy,
    compile_pattern,
)
from chalicelib.domain.sources import (
    Located,
    LocatedMapping,
    SourceCatalog,
    canonical_encoding,
    yaml_kind,
)

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
COMMON_KEYS = ("id", "description", "kind", "source", "message", "remedy", "runbook")
REMEDY_KEYS = {
    "retry": ("after", "attempts"),
    "reread": ("encoding", "delimiter"),
    "skip_lines": ("lines",),
    "none": (),
}
ALL_KEYS = (*COMMON_KEYS, *(key for keys in REMEDY_KEYS.values() for key in keys))
DEFAULT_ATTEMPTS = 3


class _Problems:
    """Every problem so far, each at its value's line and column."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.details: list[Detail] = []

    def at(self, message: str, path: str, entry: Located | None, line: int | None = None) -> None:
        where = (entry.value_line or entry.line) if entry is not None else line
        column = entry.column if entry is not None else None
        self.details.append(Detail(message, field=path, line=where, column=column, file=self.file))

    def string(self, entry: Located | None, path: str) -> str | None:
        if entry is None or entry.value is None:
            return None
        if not isinstance(entry.value, str) or not entry.value.strip():
            what = "empty text" if isinstance(entry.value, str) else yaml_kind(entry.value)
            self.at(f"must be a non-empty string, not {what}", path, entry)
            return None
        return entry.value

    def choice(self, entry: Located | None, path: str, options: Collection[str]) -> str | None:
        given = self.string(entry, path)
        if given is not None and given not in options:
            close = difflib.get_close_matches(given, sorted(options), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            self.at(f"'{given}' is not one of {', '.join(options)}{hint}", path, entry)
            return None
        return given


def parse_known_errors(
    file: str, document: LocatedMapping, sources: SourceCatalog
) -> tuple[KnownErrorBook, list[Detail]]:
    """The known errors that check, and every problem (empty: the file is fine)."""
    problems = _Problems(file)
    for key, entry in document.items():
        if key != "known_errors":
            problems.at(
                f"unknown key '{key}'; the file holds one key, known_errors", key, None, entry.line
            )
    listed = document.get("known_errors")
    if listed is None or not isinstance(listed.value, tuple):
        what = "missing" if listed is None else f"{yaml_kind(listed.value)}"
        problems.at(f"must be a list of known errors, not {what}", "known_errors", listed, 1)
        return KnownErrorBook(), problems.details
    found: dict[str, KnownError] = {}
    for index, item in enumerate(listed.value):
        path = f"known_errors[{index}]"
        if not isinstance(item.value, Mapping):
            problems.at(
                f"must be a mapping (id:, kind:, ...), not {yaml_kind(item.value)}", path, item
            )
            continue
        known = _known_error(file, item, path, sources, problems)
        if known is None:
            continue
        if known.id in found:
            first = found[known.id]
            problems.at(
                f"id '{known.id}' is also used at line {first.line}",
                f"{path}.id",
                item.value.get("id"),
            )
            continue
        found[known.id] = known
    return KnownErrorBook(tuple(found.values())), problems.details


def _known_error(
    file: str, item: Located, path: str, sources: SourceCatalog, problems: _Problems
) -> KnownError | None:
    assert isinstance(item.value, Mapping)
    entry: Mapping[str, Located] = item.value
    before = len(problems.details)
    for key, value in entry.items():
        if key not in ALL_KEYS:
            close = difflib.get_close_matches(key, ALL_KEYS, n=1)
            hint = (
                f"; did you mean '{close[0]}'?"
                if close
                else f"; allowed keys: {', '.join(ALL_KEYS)}"
            )
            problems.at(f"unknown key '{key}'{hint}", f"{path}.{key}", None, value.line)
    for key in ("id", "kind", "remedy"):
        if entry.get(key) is None or entry[key].value is None:
            problems.at("is required", f"{path}.{key}", None, item.line)
    known_id = problems.string(entry.get("id"), f"{path}.id")
    if known_id is not None and not ID_PATTERN.fullmatch(known_id):
        problems.at(
            f"'{known_id}' is not an id: lower case letters, digits, _ and -, at most 64",
            f"{path}.id",
            entry.get("id"),
        )
    kind = problems.choice(entry.get("kind"), f"{path}.kind", FAILURE_KINDS)
    names = _sources(entry.get("source"), f"{path}.source", sources, problems)
    message = _message(entry.get("message"), f"{path}.message", problems)
    runbook = _runbook(entry.get("runbook"), f"{path}.runbook", problems)
    remedy = _remedy(entry, path, names, sources, runbook, problems)
    description = entry.get("description")
    if description is not None and not isinstance(description.value, str | None):
        problems.at(
            f"must be a string, not {yaml_kind(description.value)}",
            f"{path}.description",
            description,
        )
    if len(problems.details) > before or known_id is None or kind is None or remedy is None:
        return None
    return KnownError(
        known_id,
        kind,
        names,
        message,
        remedy,
        runbook,
        str(description.value or "") if description is not None else "",
        file,
        item.line,
    )


def _sources(
    entry: Located | None, path: str, sources: SourceCatalog, problems: _Problems
) -> tuple[str, ...]:
    if entry is None or entry.value is None:
        return ()
    items = (
        [(one, f"{path}[{i}]") for i, one in enumerate(entry.value)]
        if isinstance(entry.value, tuple)
        else [(entry, path)]
    )
    names: list[str] = []
    declared = sorted(sources.definitions)
    for one, where in items:
        name = problems.string(one, where)
        if name is None:
            continue
        if name not in sources.definitions:
            close = difflib.get_close_matches(name, declared, n=1)
            hint = (
                f"; did you mean '{close[0]}'?"
                if close
                else f"; declared: {', '.join(declared) or 'none'}"
            )
            problems.at(f"unknown source '{name}'{hint}", where, one)
        elif name not in names:
            names.append(name)
    return tuple(names)


def _message(entry: Located | None, path: str, problems: _Problems) -> str:
    if entry is None or entry.value is None:
        return ""  # every failure of its kind
    if not isinstance(entry.value, str):
        problems.at(f"must be a string (an RE2 pattern), not {yaml_kind(entry.value)}", path, entry)
        return ""
    try:
        compile_pattern(entry.value)
    except ValueError as exc:
        problems.at(str(exc), path, entry)
    return entry.value


def _runbook(entry: Located | None, path: str, problems: _Problems) -> str | None:
    url = problems.string(entry, path)
    if url is None:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.at(f"'{url}' is not an http(s) URL", path, entry)
        return None
    return url.strip()


def _remedy(
    entry: Mapping[str, Located],
    path: str,
    names: tuple[str, ...],
    sources: SourceCatalog,
    runbook: str | None,
    problems: _Problems,
) -> Remedy | None:
    kind = problems.choice(entry.get("remedy"), f"{path}.remedy", REMEDIES)
    if kind is None:
        return None
    for other, keys in REMEDY_KEYS.items():
        for key in keys:
            if other != kind and key in entry and key not in REMEDY_KEYS[kind]:
                problems.at(
                    f"'{key}' is for remedy {other}, not {kind}",
                    f"{path}.{key}",
                    None,
                    entry[key].line,
                )
    if kind == "retry":
        return _retry(entry, path, problems)
    if kind == "skip_lines":
        lines = _whole(entry.get("lines"), f"{path}.lines", 1, MAX_SKIP_LINES, problems)
        if "lines" not in entry:
            problems.at(
                "is required for remedy skip_lines: how many leading lines to skip",
                f"{path}.lines",
                None,
                entry["remedy"].line,
            )
        return Remedy(kind, options=ReadOptions(skip_lines=lines or 0)) if lines else None
    if kind == "reread":
        return _reread(entry, path, names, sources, problems)
    if runbook is None:
        problems.at(
            "is required for remedy none: where on-call reads what to do",
            f"{path}.runbook",
            None,
            entry["remedy"].line,
        )
        return None
    return Remedy(kind)


def _retry(entry: Mapping[str, Located], path: str, problems: _Problems) -> Remedy | None:
    after_entry = entry.get("after")
    if after_entry is None:
        problems.at(
            "is required for remedy retry: how long to wait, e.g. 2m",
            f"{path}.after",
            None,
            entry["remedy"].line,
        )
        return None
    after = parse_duration(after_entry.value)
    if isinstance(after, str):
        problems.at(after, f"{path}.after", after_entry)
        return None
    if not timedelta(seconds=1) <= after <= MAX_RETRY_DELAY:
        problems.at(
            "must be from 1s to 15m (a queue's longest delay)", f"{path}.after", after_entry
        )
        return None
    attempts = DEFAULT_ATTEMPTS
    if "attempts" in entry:
        attempts = (
            _whole(entry["attempts"], f"{path}.attempts", 1, MAX_RETRY_ATTEMPTS, problems) or 0
        )
    return Remedy("retry", after, attempts) if attempts else None


def _whole(
    entry: Located | None, path: str, low: int, high: int, problems: _Problems
) -> int | None:
    if entry is None:
        return None
    value = entry.value
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        problems.at(f"must be a whole number from {low} to {high}, not {value!r}", path, entry)
        return None
    return value


def _reread(
    entry: Mapping[str, Located],
    path: str,
    names: tuple[str, ...],
    sources: SourceCatalog,
    problems: _Problems,
) -> Remedy | None:
    if "encoding" not in entry and "delimiter" not in entry:
        problems.at(
            "remedy reread needs an encoding, a delimiter or both",
            f"{path}.remedy",
            entry["remedy"],
        )
        return None
    encoding = _encoding(entry.get("encoding"), f"{path}.encoding", problems)
    delimiter = _delimiter(entry.get("delimiter"), f"{path}.delimiter", problems)
    if delimiter is not None:
        problem = _delimiter_problem(delimiter, encoding, names, sources)
        if problem:
            problems.at(problem, f"{path}.delimiter", entry.get("delimiter"))
            return None
    if ("encoding" in entry and encoding is None) or ("delimiter" in entry and delimiter is None):
        return None
    return Remedy("reread", options=ReadOptions(encoding, delimiter))


def _delimiter(entry: Located | None, path: str, problems: _Problems) -> str | None:
    """Any one character (a tab too, which ``string`` would call blank)."""
    if entry is None or entry.value is None:
        return None
    if not isinstance(entry.value, str):
        problems.at(f"must be a string, not {yaml_kind(entry.value)}", path, entry)
        return None
    return entry.value


def _encoding(entry: Located | None, path: str, problems: _Problems) -> str | None:
    name = problems.string(entry, path)
    if name is None:
        return None
    try:
        return canonical_encoding(name)
    except ValueError as exc:
        problems.at(str(exc), path, entry)
        return None


def _delimiter_problem(
    delimiter: str, encoding: str | None, names: tuple[str, ...], sources: SourceCatalog
) -> str:
    if len(delimiter) != 1 or delimiter in '"\r\n':
        return f"must be one character other than a quote or a line break, not {delimiter!r}"
    for name in names or tuple(sources.definitions):
        definition = sources.definitions[name]
        try:
            delimiter.encode(encoding or definition.encoding)
        except UnicodeError:
            return f"{delimiter!r} cannot be written in {encoding or definition.encoding}"
        if names and delimiter == definition.decimal_separator:
            return f"{delimiter!r} is source {name!r}'s decimal separator"
    return ""
