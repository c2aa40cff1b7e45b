"""``rules/cloudevents.yaml`` → :class:`SourceRoutes`, every problem with file:line:col.

The file sits beside the rules but is not one (the rule loader leaves it out). It maps
CloudEvents ``source`` URI prefixes to Tripline sources (``domain.protocols.cloudevent_sources``).
A missing file is an empty map: CloudEvents then name their Tripline source themselves, or the
key's one source receives them.
"""

from __future__ import annotations

from pathlib import Path

from chalicelib.adapters.rule_files.sources import display_name, read_located_yaml
from chalicelib.domain.errors import Detail, RuleFileError
from chalicelib.domain.protocols import SourceRoutes, parse_source_routes

CLOUDEVENTS_FILE = "cloudevents.yaml"


def read_source_routes(directory: Path) -> tuple[SourceRoutes, list[Detail]]:
    """What checks, and every problem (empty: all is well, or there is no file)."""
    path = directory / CLOUDEVENTS_FILE
    if not path.is_file():
        return SourceRoutes(), []
    file = display_name(path, directory)
    document = read_located_yaml(path, file)
    if isinstance(document, list):
        return SourceRoutes(), document
    return parse_source_routes(file, document)


def load_source_routes(directory: Path) -> SourceRoutes:
    """The map; :class:`RuleFileError` naming every problem when the file has any."""
    routes, details = read_source_routes(directory)
    if details:
        raise RuleFileError(f"{len(details)} problem(s) in {CLOUDEVENTS_FILE}", details)
    return routes
