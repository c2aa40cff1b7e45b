"""Checking one rule file (``rules/<name>.yaml``) into a :class:`Rule`: :func:`parse_rule`.

Every problem is reported at once, each with its key path, line and (inside an expression or a
template) column, so a rule author fixes a file in one pass and a dry-run answers the same
problems the linter prints. The keys every rule has are checked here; what only threshold and
absence rules say is :mod:`~chalicelib.domain.rules.parsing.kinds`, the fields a rule may name are
:mod:`~chalicelib.domain.rules.fields`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import urlsplit

from chalicelib.domain.errors import RuleFileError
from chalicelib.domain.expressions import CompiledExpression, compile_expression
from chalicelib.domain.rules.fields import RuleCatalog
from chalicelib.domain.rules.model import KINDS, SEVERITIES, Rule
from chalicelib.domain.rules.parsing.alerting import ALERTING_KEYS, parse_alerting
from chalicelib.domain.rules.parsing.kinds import KIND_KEYS, parse_absence, parse_threshold
from chalicelib.domain.rules.parsing.problems import RuleProblems, did_you_mean
from chalicelib.domain.rules.parsing.version import content_version, state_version
from chalicelib.domain.rules.templates import MessageTemplate, literal_template, parse_template
from chalicelib.domain.sources import TYPE_PATTERN, Located, LocatedMapping, yaml_kind

RULE_ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
COMMON_KEYS = (
    "id",
    "description",
    "enabled",
    "source",
    "type",
    "severity",
    "group_by",
    "labels",
    "runbook",
    "message",
    "kind",
    "when",
    "resolve_after",
    *ALERTING_KEYS,
)
ALL_KEYS = tuple(dict.fromkeys((*COMMON_KEYS, *(k for keys in KIND_KEYS.values() for k in keys))))
CONDITION_TYPES = ("boolean", "any", "null")


@dataclass
class _Common:
    """What every rule says about itself, as far as it could be read."""

    id: str | None = None
    description: str = ""
    enabled: bool = True
    severity: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    runbook: str | None = None


def parse_rule(file: str, document: LocatedMapping, catalog: RuleCatalog) -> Rule:
    """Check a rule against ``catalog``; raise :class:`RuleFileError` listing every problem."""
    problems = RuleProblems(file)
    rule_kind = _kind(document, problems)
    common = _common(document, problems)
    sources = _sources(document.get("source"), catalog, problems)
    types = _types(document.get("type"), problems)
    fields = catalog.field_types(sources)
    when = _when(document, rule_kind, fields, problems)
    group_by = problems.field_names(document.get("group_by"), "group_by", fields)
    threshold = parse_threshold(document, fields, problems) if rule_kind == "threshold" else None
    absence = (
        parse_absence(document, group_by, fields, catalog.references, problems)
        if rule_kind == "absence"
        else None
    )
    message = _message(document, rule_kind, fields, group_by, common, problems)
    resolve_after = problems.duration(document.get("resolve_after"), "resolve_after")
    alerting = parse_alerting(document, problems)
    if problems.details or rule_kind is None or common.id is None or common.severity is None:
        raise _error(file, problems)
    assert message is not None
    return Rule(
        common.id,
        common.description,
        common.enabled,
        rule_kind,
        sources,
        types,
        common.severity,
        group_by,
        MappingProxyType(dict(common.labels)),
        common.runbook,
        message,
        when,
        threshold,
        absence,
        resolve_after,
        content_version(document),
        state_version(document),
        file,
        _first_line(document),
        alerting,
    )


def _error(file: str, problems: RuleProblems) -> RuleFileError:
    count = len(problems.details)
    ordered = sorted(
        problems.details,
        key=lambda one: (one.line or 0, one.column if isinstance(one.column, int) else 0),
    )
    return RuleFileError(f"{file}: {count} problem{'s' if count != 1 else ''} in the rule", ordered)


def _first_line(document: LocatedMapping) -> int:
    entry = document.get("id")
    return entry.line if entry is not None else min((e.line for e in document.values()), default=1)


def _kind(document: LocatedMapping, problems: RuleProblems) -> str | None:
    """The rule's kind; keys that are unknown, or known but of another kind, are problems."""
    problems.keys(document, ALL_KEYS)
    problems.required(document, "kind", "match, threshold or absence")
    rule_kind = problems.choice(document.get("kind"), "kind", KINDS)
    if rule_kind is None:
        return None
    own = KIND_KEYS[rule_kind]
    for key, entry in document.items():
        if key in ALL_KEYS and key not in COMMON_KEYS and key not in own:
            users = [name for name, keys in KIND_KEYS.items() if key in keys]
            problems.add(
                f"is only for {' and '.join(users)} rules; this is a {rule_kind} rule",
                key,
                entry.line,
            )
    return rule_kind


def _common(document: LocatedMapping, problems: RuleProblems) -> _Common:
    problems.required(document, "id", "the rule's name: lower case letters, digits, '_' and '-'")
    problems.required(document, "severity", ", ".join(SEVERITIES))
    common = _Common()
    common.id = problems.string(document.get("id"), "id")
    if common.id is not None and not RULE_ID_PATTERN.fullmatch(common.id):
        problems.at(
            f"'{common.id}' is not a rule id: lower case letters, digits, '_' and '-', "
            "starting with a letter or digit, at most 64",
            "id",
            document.get("id"),
        )
        common.id = None
    common.description = problems.text(document.get("description"), "description") or ""
    enabled = document.get("enabled")
    if enabled is not None and not isinstance(enabled.value, bool):
        problems.at(f"must be true or false, not {yaml_kind(enabled.value)}", "enabled", enabled)
    common.enabled = not (enabled is not None and enabled.value is False)
    common.severity = problems.choice(document.get("severity"), "severity", SEVERITIES)
    common.labels = _labels(document.get("labels"), problems)
    common.runbook = _runbook(document.get("runbook"), problems)
    return common


def _labels(entry: Located | None, problems: RuleProblems) -> dict[str, str]:
    if entry is None or entry.value is None:
        return {}
    if not isinstance(entry.value, Mapping):
        problems.at(
            f"must be a mapping of names to text, not {yaml_kind(entry.value)}", "labels", entry
        )
        return {}
    labels = {}
    for name, value in entry.value.items():
        if not isinstance(value.value, str):
            problems.at(
                f"must be text, not {yaml_kind(value.value)}; quote it", f"labels.{name}", value
            )
            continue
        labels[name] = value.value
    return labels


def _runbook(entry: Located | None, problems: RuleProblems) -> str | None:
    url = problems.string(entry, "runbook")
    if url is None:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.at(f"'{url}' is not an http(s) URL", "runbook", entry)
        return None
    return url.strip()


def _sources(
    entry: Located | None, catalog: RuleCatalog, problems: RuleProblems
) -> tuple[str, ...]:
    known = catalog.sources()
    names: list[str] = []
    for item, path in _nonempty_items(entry, "source", "source", problems):
        name = problems.string(item, path)
        if name is None:
            continue
        if name not in known:
            problems.at(
                f"no source '{name}' is defined (rules/sources/{name}.yaml)"
                f"{did_you_mean(name, known, 'sources')}",
                path,
                item,
            )
        elif name in names:
            problems.at(f"'{name}' is listed twice", path, item)
        else:
            names.append(name)
    return tuple(names)


def _types(entry: Located | None, problems: RuleProblems) -> tuple[str, ...]:
    names: list[str] = []
    for item, path in _nonempty_items(entry, "type", "event type", problems):
        name = problems.string(item, path)
        if name is not None and not TYPE_PATTERN.fullmatch(name):
            problems.at(
                f"'{name}' is not an event type: letters, digits, inner spaces and _.:/-",
                path,
                item,
            )
        elif name is not None and name not in names:
            names.append(name)
    return tuple(names)


def _nonempty_items(
    entry: Located | None, path: str, what: str, problems: RuleProblems
) -> list[tuple[Located, str]]:
    if entry is not None and entry.value == ():
        problems.at(f"lists no {what}; leave {path} out to mean every {what}", path, entry)
    return problems.items(entry, path)


def _when(
    document: LocatedMapping,
    rule_kind: str | None,
    fields: Mapping[str, str],
    problems: RuleProblems,
) -> CompiledExpression | None:
    entry = document.get("when")
    if rule_kind == "match":
        problems.required(document, "when", "the condition an event must meet, e.g. amount > 5000")
    text = problems.string(entry, "when")
    if text is None or entry is None:
        return None
    compiled = compile_expression(text, fields)
    if isinstance(compiled, list):
        problems.inside(entry, "when", compiled)
        return None
    if compiled.result_type not in CONDITION_TYPES:
        problems.at(
            f"must be a condition (true or false), but it gives a {compiled.result_type}"
            "; compare it, e.g. amount > 100",
            "when",
            entry,
        )
        return None
    return compiled


def _message(
    document: LocatedMapping,
    rule_kind: str | None,
    fields: Mapping[str, str],
    group_by: tuple[str, ...],
    common: _Common,
    problems: RuleProblems,
) -> MessageTemplate | None:
    """The template, with the names an alert can fill: an absence has no event, only its group."""
    entry = document.get("message")
    text = problems.string(entry, "message")
    if entry is None or entry.value is None:
        return literal_template(common.description or common.id or "")
    if text is None:
        return None
    known = {"rule", "severity", "group", *(group_by if rule_kind == "absence" else fields)}
    if rule_kind in ("threshold", "absence"):
        known.add("observed")
    if rule_kind == "threshold":
        known.add("threshold")
    parsed = parse_template(text, known)
    if isinstance(parsed, list):
        problems.inside(entry, "message", parsed)
        return None
    return parsed
