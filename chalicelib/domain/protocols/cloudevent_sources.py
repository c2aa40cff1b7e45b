"""Which Tripline source a CloudEvent goes to: its ``source`` is a URI, Tripline's a short name.

In this order (README, "CloudEvents"):

1. the operator's map in ``rules/cloudevents.yaml``: source URI prefix → Tripline source, the
   longest prefix that starts the URI winning;
2. the CloudEvent's ``source`` itself, when it is a Tripline source name (``shop``);
3. the calling key's source, when it is an ingest key for exactly one source;
4. none: the event is refused, naming ``source`` and saying how to map it.

The caller must then be allowed to write the source decided, as for any event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from chalicelib.domain.errors import Detail
from chalicelib.domain.sources import SOURCE_PATTERN, Located, LocatedMapping, yaml_kind

TOP_KEY = "sources"
_URI_REFERENCE_CHARS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%"
)


@dataclass(frozen=True)
class SourceRoutes:
    """``rules/cloudevents.yaml``: URI prefixes and the Tripline source each maps to."""

    prefixes: Mapping[str, str] = field(default_factory=dict)

    def route(self, uri: str) -> str | None:
        """The Tripline source of the longest prefix that starts ``uri``; None when none does."""
        matching = [prefix for prefix in self.prefixes if uri.startswith(prefix)]
        return self.prefixes[max(matching, key=len)] if matching else None


def decide_source(event: object, routes: SourceRoutes, key_source: str | None) -> str:
    """The Tripline source for a CloudEvent (in its JSON format), in the documented order; ""
    when there is none, or the event has no ``source`` to map (it is refused either way)."""
    uri = event.get("source") if isinstance(event, dict) else None
    if not isinstance(uri, str) or not uri:
        return ""
    mapped = routes.route(uri)
    if mapped is not None:
        return mapped
    if SOURCE_PATTERN.fullmatch(uri):
        return uri
    return key_source or ""


def parse_source_routes(file: str, document: LocatedMapping) -> tuple[SourceRoutes, list[Detail]]:
    """The map, and every problem with its line and, for a value, its column."""
    problems: list[Detail] = []
    for key, entry in document.items():
        if key != TOP_KEY:
            problems.append(
                Detail(
                    f"unknown key '{key}'; the file holds one key, {TOP_KEY}",
                    field=key,
                    line=entry.line,
                    file=file,
                )
            )
    listed = document.get(TOP_KEY)
    if listed is None or listed.value is None:
        return SourceRoutes({}), problems
    if not isinstance(listed.value, Mapping):
        problems.append(
            _at(
                file,
                f"must be a mapping of source URI prefix to Tripline source, not "
                f"{yaml_kind(listed.value)}",
                TOP_KEY,
                listed,
            )
        )
        return SourceRoutes({}), problems
    prefixes: dict[str, str] = {}
    for prefix, entry in listed.value.items():
        path = f"{TOP_KEY}.{prefix}"
        good_prefix = _prefix_problem(prefix)
        if good_prefix is not None:
            problems.append(Detail(good_prefix, field=path, line=entry.line, file=file))
        source = _source(file, entry, path, problems)
        if good_prefix is None and source is not None:
            prefixes[prefix] = source
    return SourceRoutes(prefixes), problems


def _prefix_problem(prefix: str) -> str | None:
    if not prefix:
        return "an empty prefix would map every CloudEvent: name a URI prefix"
    if not set(prefix) <= _URI_REFERENCE_CHARS:
        return (
            f"'{prefix}' is not the start of a URI-reference (RFC 3986): percent-encode spaces "
            "and other characters as senders do"
        )
    return None


def _source(file: str, entry: Located, path: str, problems: list[Detail]) -> str | None:
    value = entry.value
    if isinstance(value, str) and SOURCE_PATTERN.fullmatch(value):
        return value
    what = f"'{value}'" if isinstance(value, str) else yaml_kind(value)
    problems.append(
        _at(
            file,
            f"{what} is not a Tripline source name: lower case letters, digits, '_' and '-', "
            "starting with a letter or digit, at most 64",
            path,
            entry,
        )
    )
    return None


def _at(file: str, message: str, path: str, entry: Located) -> Detail:
    return Detail(
        message, field=path, line=entry.value_line or entry.line, column=entry.column, file=file
    )
