"""``rules/`` → :class:`RuleBook`: sources, reference tables, enrichments and rules, all checked.

Files are read in the order their checks need: reference tables, then source definitions (each
with its lookups and derived fields, which name tables), then rule files (which name sources and
their fields). Every problem of every file is gathered, and a later step still checks against
what the earlier ones could load, so one run of the linter shows everything it can. A source
definition that does not check is left out, so rules naming it are reported too; a source whose
enrichment does not check keeps its columns.

A rule file is a YAML file directly in ``rules/`` but ``known-errors.yaml`` and
``cloudevents.yaml`` (each its own adapter's); ``sources/`` and ``reference/`` hold the rest.
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

from chalicelib.adapters.rule_files.availability import read_availability
from chalicelib.adapters.rule_files.cloudevents import CLOUDEVENTS_FILE, read_source_routes
from chalicelib.adapters.rule_files.known_errors import KNOWN_ERRORS_FILE, read_known_errors
from chalicelib.adapters.rule_files.references import read_references
from chalicelib.adapters.rule_files.sources import (
    display_name,
    located_yaml,
    read_definitions,
    read_located_yaml,
)
from chalicelib.domain.errors import Detail, RuleFileError, SourceDefinitionError
from chalicelib.domain.rules import (
    Enrichment,
    ReferenceTable,
    Rule,
    RuleBook,
    RuleCatalog,
    parse_enrichment,
    parse_rule,
    rule_catalog,
)
from chalicelib.domain.sources import SourceCatalog, SourceDefinition

_YAML = (".yaml", ".yml")
_NOT_RULES = (KNOWN_ERRORS_FILE, CLOUDEVENTS_FILE)  # beside the rules, each its own adapter's


def load_rulebook(directory: Path) -> RuleBook:
    """Everything in ``directory``; raise listing every problem in every file when any.

    Raises :class:`SourceDefinitionError` when only source definitions have problems (as
    :func:`~chalicelib.adapters.rule_files.sources.load_sources` does), else
    :class:`RuleFileError`. A missing directory is an empty book.
    """
    book, details = read_rulebook(directory)
    if not details:
        return book
    files = len({detail.file for detail in details})
    message = f"{len(details)} problem(s) in {files} file(s) under {directory.name}/"
    if all(_in_folder(detail, "sources") for detail in details):
        raise SourceDefinitionError(message, details)
    raise RuleFileError(message, details)


def check_rules(directory: Path) -> list[Detail]:
    """Every problem in ``directory``'s files (empty: all is well), for the linter; availability
    sections, known errors and the CloudEvents source map too, which the rule book leaves out
    (events are judged without them)."""
    book, details = read_rulebook(directory)
    details.extend(one for one in read_availability(directory)[1] if one not in details)
    details.extend(read_known_errors(directory, book.sources)[1])
    details.extend(read_source_routes(directory)[1])
    return details


def read_rulebook(directory: Path) -> tuple[RuleBook, list[Detail]]:
    """What loads cleanly, and every problem; files are named relative to ``directory``'s parent
    (``rules/large-payment.yaml``)."""
    references, details = read_references(directory)
    sources, enrichments = _read_sources(directory, references, details)
    catalog = rule_catalog(sources, enrichments, references)
    rules = _read_rules(directory, catalog, details)
    book = RuleBook(sources, MappingProxyType(enrichments), MappingProxyType(references), rules)
    return book, details


def parse_inline_rule(text: str, book: RuleBook, file: str = "<inline>") -> Rule:
    """One rule's YAML, checked against ``book`` as the linter checks a file (for dry-runs)."""
    document = located_yaml(text, file)
    if isinstance(document, list):
        raise RuleFileError(f"{file}: the rule is not readable YAML", document)
    return parse_rule(file, document, book.catalog)


def _in_folder(detail: Detail, folder: str) -> bool:
    return detail.file is not None and f"/{folder}/" in f"/{detail.file}"


def _read_sources(
    directory: Path, references: dict[str, ReferenceTable], details: list[Detail]
) -> tuple[SourceCatalog, dict[str, Enrichment]]:
    definitions: dict[str, SourceDefinition] = {}
    enrichments: dict[str, Enrichment] = {}
    for file, document, definition in read_definitions(directory, details):
        definitions[definition.source] = definition
        try:
            enrichment = parse_enrichment(file, document, definition, references)
        except SourceDefinitionError as exc:
            details.extend(exc.details)
            continue
        if enrichment is not None:
            enrichments[definition.source] = enrichment
    return SourceCatalog(MappingProxyType(definitions)), enrichments


def _read_rules(directory: Path, catalog: RuleCatalog, details: list[Detail]) -> tuple[Rule, ...]:
    rules: dict[str, Rule] = {}
    for path in _yaml_files(directory):
        file = display_name(path, directory)
        document = read_located_yaml(path, file)
        if isinstance(document, list):
            details.extend(document)
            continue
        try:
            rule = parse_rule(file, document, catalog)
        except RuleFileError as exc:
            details.extend(exc.details)
            continue
        if rule.id in rules:
            first = rules[rule.id]
            details.append(
                Detail(
                    f"rule id '{rule.id}' is also used by {first.file}:{first.line}"
                    "; rule ids must be unique",
                    field="id",
                    line=rule.line,
                    file=file,
                )
            )
            continue
        rules[rule.id] = rule
    return tuple(rules.values())


def _yaml_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return [
        path
        for path in sorted(folder.iterdir())
        if path.suffix in _YAML and path.is_file() and path.name not in _NOT_RULES
    ]
