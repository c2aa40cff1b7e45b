"""``rules/known-errors.yaml`` → :class:`KnownErrorBook`, every problem with file:line:col.

The file sits beside the rules but is not one (the rule loader leaves it out); it is checked
against the source definitions, which say what a re-read may change. A missing file is an empty
book: no failure is known, and nothing is remedied.
"""

from __future__ import annotations

from pathlib import Path

from chalicelib.adapters.rule_files.sources import display_name, read_located_yaml
from chalicelib.domain.errors import Detail, RuleFileError
from chalicelib.domain.known_errors import KnownErrorBook, parse_known_errors
from chalicelib.domain.sources import SourceCatalog

KNOWN_ERRORS_FILE = "known-errors.yaml"


def read_known_errors(
    directory: Path, sources: SourceCatalog
) -> tuple[KnownErrorBook, list[Detail]]:
    """What checks, and every problem (empty: all is well, or there is no file)."""
    path = directory / KNOWN_ERRORS_FILE
    if not path.is_file():
        return KnownErrorBook(), []
    file = display_name(path, directory)
    document = read_located_yaml(path, file)
    if isinstance(document, list):
        return KnownErrorBook(), document
    return parse_known_errors(file, document, sources)


def load_known_errors(directory: Path, sources: SourceCatalog) -> KnownErrorBook:
    """The book; :class:`RuleFileError` naming every problem when the file has any."""
    book, details = read_known_errors(directory, sources)
    if details:
        raise RuleFileError(f"{len(details)} problem(s) in {KNOWN_ERRORS_FILE}", details)
    return book
