"""Checking a source definition's ``lookups:`` and ``derived:`` into an :class:`Enrichment`.

This is a second pass over a definition that already checked (its columns are known) once the
reference tables are loaded, so each problem can say exactly which table or column is missing.
Names the enrichment adds may not shadow a column or a top-level field: a rule reading ``store``
must mean one thing.
"""

from __future__ import annotations

import ast
import keyword
from collections.abc import Mapping

from chalicelib.domain.errors import SourceDefinitionError
from chalicelib.domain.expressions import compile_expression
from chalicelib.domain.rules.enrichment import DerivedField, Enrichment, Lookup, ReferenceTable
from chalicelib.domain.rules.fields import TOP_LEVEL_FIELDS
from chalicelib.domain.rules.parsing.problems import RuleProblems, did_you_mean
from chalicelib.domain.sources import (
    FIELD_NAME_PATTERN,
    Located,
    LocatedMapping,
    SourceDefinition,
    yaml_kind,
)

LOOKUP_KEYS = ("reference", "key", "columns")
DERIVED_TYPES = ("string", "integer", "number", "boolean", "timestamp", "date", "any", "null")
_KEY_TYPES = ("string", "integer")


def parse_enrichment(
    file: str,
    document: LocatedMapping,
    definition: SourceDefinition,
    references: Mapping[str, ReferenceTable],
) -> Enrichment | None:
    """The source's enrichment (None when it declares none); :class:`SourceDefinitionError`
    listing every problem otherwise."""
    if document.get("lookups") is None and document.get("derived") is None:
        return None
    problems = RuleProblems(file)
    fields = {column.name: column.type for column in definition.columns}
    lookups = _lookups(document.get("lookups"), fields, references, problems)
    derived = _derived(document.get("derived"), fields, problems)
    if problems.details:
        count = len(problems.details)
        raise SourceDefinitionError(
            f"{file}: {count} problem{'s' if count != 1 else ''} in lookups and derived fields",
            sorted(problems.details, key=lambda one: one.line or 0),
        )
    read = {name for one in derived for name in one.expression.fields}
    timestamps = frozenset(name for name in read if fields.get(name) == "timestamp")
    return Enrichment(definition.source, tuple(lookups), tuple(derived), timestamps)


def _new_name(
    name: str, path: str, entry: Located, fields: Mapping[str, str], problems: RuleProblems
) -> bool:
    """Whether ``name`` may be added to ``fields`` (recorded when it may not)."""
    if not FIELD_NAME_PATTERN.fullmatch(name) or keyword.iskeyword(name):
        problems.at(
            f"'{name}' is not a field name: lower case letters, digits and '_', "
            "starting with a letter or '_', not a Python keyword",
            path,
            entry,
        )
    elif name in TOP_LEVEL_FIELDS:
        problems.at(f"'{name}' is a field every event has; choose another name", path, entry)
    elif name in fields:
        problems.at(f"'{name}' is already a field of this source; choose another name", path, entry)
    else:
        return True
    return False


def _lookups(
    entry: Located | None,
    fields: dict[str, str],
    references: Mapping[str, ReferenceTable],
    problems: RuleProblems,
) -> list[Lookup]:
    if entry is None or entry.value is None:
        return []
    if not isinstance(entry.value, tuple):
        problems.at(
            "must be a list of lookups, each {reference: ..., key: ..., columns: [...]}",
            "lookups",
            entry,
        )
        return []
    found = []
    for index, item in enumerate(entry.value):
        lookup = _lookup(item, f"lookups[{index}]", fields, references, problems)
        if lookup is not None:
            found.append(lookup)
    return found


def _lookup(
    item: Located,
    path: str,
    fields: dict[str, str],
    references: Mapping[str, ReferenceTable],
    problems: RuleProblems,
) -> Lookup | None:
    if not isinstance(item.value, Mapping):
        problems.at(
            f"must be a mapping with {', '.join(LOOKUP_KEYS)}, not {yaml_kind(item.value)}",
            path,
            item,
        )
        return None
    spec = item.value
    problems.keys(spec, LOOKUP_KEYS, f"{path}.")
    for required in LOOKUP_KEYS:
        problems.required(spec, required, _LOOKUP_WHY[required], f"{path}.", item.line)
    table = _table(spec.get("reference"), f"{path}.reference", references, problems)
    key = _key(spec.get("key"), f"{path}.key", fields, problems)
    columns = _columns(spec.get("columns"), f"{path}.columns", table, fields, problems)
    if table is None or key is None or not columns:
        return None
    return Lookup(table.name, key, columns, table.projection(columns))


_LOOKUP_WHY = {
    "reference": "the table's name (rules/reference/<name>.csv)",
    "key": "the field whose value is looked up in the table's first column",
    "columns": "the table's columns to add to each event",
}


def _table(
    entry: Located | None,
    path: str,
    references: Mapping[str, ReferenceTable],
    problems: RuleProblems,
) -> ReferenceTable | None:
    name = problems.string(entry, path)
    if name is None:
        return None
    table = references.get(name)
    if table is None:
        problems.at(
            f"no reference table '{name}' (rules/reference/{name}.csv)"
            f"{did_you_mean(name, references, 'tables')}",
            path,
            entry,
        )
    return table


def _key(
    entry: Located | None, path: str, fields: Mapping[str, str], problems: RuleProblems
) -> str | None:
    name = problems.string(entry, path)
    if name is None:
        return None
    if name not in fields:
        problems.at(
            f"'{name}' is not a column of this source{did_you_mean(name, fields)}", path, entry
        )
        return None
    if fields[name] not in _KEY_TYPES:
        problems.at(
            f"'{name}' is a {fields[name]} column; a lookup key must be a string or "
            "integer column (the table's keys are text)",
            path,
            entry,
        )
        return None
    return name


def _columns(
    entry: Located | None,
    path: str,
    table: ReferenceTable | None,
    fields: dict[str, str],
    problems: RuleProblems,
) -> tuple[str, ...]:
    chosen: list[str] = []
    for item, item_path in problems.items(entry, path):
        name = problems.string(item, item_path)
        if name is None or table is None:
            continue
        if name not in table.columns[1:]:
            where = "is the table's key" if name == table.key_column else "is not a column of"
            problems.at(
                f"'{name}' {where} {table.file} (its columns: "
                f"{', '.join(table.columns[1:]) or 'none'})",
                item_path,
                item,
            )
        elif _new_name(name, item_path, item, fields, problems):
            fields[name] = "string"
            chosen.append(name)
    return tuple(chosen)


def _derived(
    entry: Located | None, fields: dict[str, str], problems: RuleProblems
) -> list[DerivedField]:
    if entry is None or entry.value is None:
        return []
    if not isinstance(entry.value, Mapping):
        problems.at(
            "must be a mapping of field names to expressions, e.g. total: quantity * unit_price",
            "derived",
            entry,
        )
        return []
    found = []
    for name, expression in entry.value.items():
        path = f"derived.{name}"
        text = problems.string(expression, path)
        if not _new_name(name, path, expression, fields, problems) or text is None:
            continue
        compiled = compile_expression(text, fields)
        if isinstance(compiled, list):
            problems.inside(expression, path, compiled)
        elif compiled.result_type not in DERIVED_TYPES:
            problems.at(
                f"gives a {compiled.result_type}; a derived field holds one value: "
                "string, integer, number, boolean, timestamp or date",
                path,
                expression,
            )
        elif _uses_ago(text):
            problems.at(
                "uses ago(): a derived field is stored with its event and must not "
                "depend on when it was computed; compare with ago() in the rule",
                path,
                expression,
            )
        else:
            result = compiled.result_type if compiled.result_type != "null" else "any"
            fields[name] = result
            found.append(DerivedField(name, result, compiled))
    return found


def _uses_ago(text: str) -> bool:
    """The text compiled already, so it parses (wrapped as the compiler wraps it)."""
    tree = ast.parse(f"(\n{text}\n)", mode="eval")
    return any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "ago"
        for node in ast.walk(tree)
    )
