"""The keys only threshold and absence rules have, checked into :class:`Threshold`/:class:`Absence`.

A threshold rule compares an aggregate of its matching events over a sliding window; an absence
rule notices that matching events stopped. Both are checked against the rule's fields here so
that a window never meets a field it cannot add up, and an absence rule never waits for a group
its events cannot produce (a listed entity of the wrong type would be silent forever).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from chalicelib.domain.durations import format_duration
from chalicelib.domain.rules.enrichment import ReferenceTable
from chalicelib.domain.rules.model import (
    AGGREGATES,
    COMPARATORS,
    EXPECTATIONS,
    NEVER_SEEN,
    Absence,
    Threshold,
    default_granularity,
)
from chalicelib.domain.rules.parsing.problems import RuleProblems, did_you_mean
from chalicelib.domain.sources import Located, LocatedMapping, yaml_kind

THRESHOLD_KEYS = ("aggregate", "field", "op", "value", "within", "granularity")
ABSENCE_KEYS = ("within", "expect", "entities", "entities_from", "never_seen")
KIND_KEYS: Mapping[str, tuple[str, ...]] = {
    "match": (),
    "threshold": THRESHOLD_KEYS,
    "absence": ABSENCE_KEYS,
}
NUMERIC_AGGREGATES = ("sum", "avg", "min", "max")
# A window's buckets are read back on every batch that changes it: a day of minutes at most.
MAX_BUCKETS = 1440
_ENTITY_TYPES: Mapping[str, tuple[type, ...]] = {
    "string": (str,),
    "date": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "any": (str, int, float, bool),
}


def parse_threshold(
    document: LocatedMapping, fields: Mapping[str, str], problems: RuleProblems
) -> Threshold | None:
    for key, why in (
        ("aggregate", f"one of {', '.join(AGGREGATES)}"),
        ("value", "the number the aggregate is compared with"),
        ("within", "the window, e.g. 10m"),
    ):
        problems.required(document, key, why)
    aggregate = problems.choice(document.get("aggregate"), "aggregate", AGGREGATES)
    measured = _measured_field(document.get("field"), aggregate, fields, problems)
    op = document.get("op")
    comparator = problems.choice(op, "op", COMPARATORS) if op is not None else ">="
    value = _threshold_value(document.get("value"), aggregate, problems)
    within = problems.duration(document.get("within"), "within")
    granularity = _granularity(document.get("granularity"), within, problems)
    if aggregate is None or comparator is None or value is None or within is None:
        return None
    if aggregate != "count" and measured is None:
        return None
    return Threshold(aggregate, measured, comparator, value, within, granularity)


def _granularity(
    entry: Located | None, within: timedelta | None, problems: RuleProblems
) -> timedelta | None:
    """The bucket width the rule asks for: it must cut the window into whole buckets, and not
    into more than :data:`MAX_BUCKETS`."""
    period = problems.duration(entry, "granularity")
    if period is None or within is None:
        return None
    suggestion = format_duration(default_granularity(within))
    if within % period:
        problems.at(
            f"must divide within ({format_duration(within)}) into whole buckets; "
            f"{suggestion}, say, or leave granularity out for that",
            "granularity",
            entry,
        )
        return None
    if within // period > MAX_BUCKETS:
        problems.at(
            f"cuts within ({format_duration(within)}) into {within // period} buckets; at most "
            f"{MAX_BUCKETS} (leave granularity out for {suggestion})",
            "granularity",
            entry,
        )
        return None
    return period


def _measured_field(
    entry: Located | None, aggregate: str | None, fields: Mapping[str, str], problems: RuleProblems
) -> str | None:
    if aggregate == "count":
        if entry is not None:
            problems.at(
                "count counts events and takes no field; remove field (or use "
                "distinct to count different values)",
                "field",
                entry,
            )
        return None
    if entry is None or entry.value is None:
        if aggregate is not None:
            problems.add(
                f"is required: the field {aggregate} is taken of",
                "field",
                entry.line if entry is not None else None,
            )
        return None
    names = problems.field_names(entry, "field", fields)
    if isinstance(entry.value, tuple) or not names:
        if isinstance(entry.value, tuple):
            problems.at("must be one field name, not a list", "field", entry)
        return None
    name = names[0]
    declared = fields[name]
    if aggregate in NUMERIC_AGGREGATES and declared not in ("integer", "number"):
        what = (
            "declared with different types by the rule's sources"
            if declared == "any"
            else f"a {declared} field"
        )
        problems.at(
            f"'{name}' is {what}; {aggregate} needs an integer or number field", "field", entry
        )
        return None
    return name


def _threshold_value(
    entry: Located | None, aggregate: str | None, problems: RuleProblems
) -> float | None:
    if entry is None or entry.value is None:
        return None
    value = entry.value
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.at(f"must be a number, not {yaml_kind(value)}", "value", entry)
        return None
    if aggregate in ("count", "distinct") and value < 0:
        problems.at(f"{aggregate} is never negative; compare with 0 or more", "value", entry)
        return None
    return float(value)


def parse_absence(
    document: LocatedMapping,
    group_by: tuple[str, ...],
    fields: Mapping[str, str],
    references: Mapping[str, ReferenceTable],
    problems: RuleProblems,
) -> Absence | None:
    problems.required(document, "within", "how long a silence may last, e.g. 15m")
    problems.required(
        document,
        "expect",
        "source (the whole source falls silent), seen (each "
        "group seen before) or listed (entities, or entities_from a table)",
    )
    within = problems.duration(document.get("within"), "within")
    expect = problems.choice(document.get("expect"), "expect", EXPECTATIONS)
    never_entry = document.get("never_seen")
    never_seen = problems.choice(never_entry, "never_seen", NEVER_SEEN) or "alert"
    _expect_fits(document, expect, group_by, problems)
    entities: tuple[tuple[object, ...], ...] = ()
    if expect == "listed" and group_by:
        entities = _listed(document, group_by, fields, references, problems)
    if within is None or expect is None:
        return None
    return Absence(within, expect, entities, never_seen)


def _expect_fits(
    document: LocatedMapping, expect: str | None, group_by: tuple[str, ...], problems: RuleProblems
) -> None:
    """What each expectation needs (a group) and refuses (entities where nothing is listed)."""
    group = document.get("group_by")
    if expect == "source" and group is not None and group.value not in (None, ()):
        problems.at(
            "expect: source watches the source as a whole and takes no group_by; use "
            "expect: seen or listed to watch each group",
            "group_by",
            group,
        )
    if expect in ("seen", "listed") and not group_by and group is None:
        problems.add(
            f"is required by expect: {expect}: the field(s) naming each group",
            "group_by",
            document["expect"].line,
        )
    for key in ("entities", "entities_from"):
        entry = document.get(key)
        if entry is not None and expect in ("source", "seen"):
            problems.at(f"is only for expect: listed (this rule expects {expect})", key, entry)
    never = document.get("never_seen")
    if never is not None and expect == "seen":
        problems.at(
            "expect: seen watches only groups it has seen, so a group is never "
            "'never seen'; remove never_seen",
            "never_seen",
            never,
        )


def _listed(
    document: LocatedMapping,
    group_by: tuple[str, ...],
    fields: Mapping[str, str],
    references: Mapping[str, ReferenceTable],
    problems: RuleProblems,
) -> tuple[tuple[object, ...], ...]:
    given, table = document.get("entities"), document.get("entities_from")
    if (given is None) == (table is None):
        line = given.line if given is not None else document["expect"].line
        problems.add(
            "expect: listed needs exactly one of entities (the values) and "
            "entities_from (a reference table)",
            "entities",
            line,
        )
        return ()
    if given is not None:
        return _entities(given, group_by, fields, problems)
    assert table is not None
    return _entities_from(table, group_by, fields, references, problems)


def _entities(
    entry: Located, group_by: tuple[str, ...], fields: Mapping[str, str], problems: RuleProblems
) -> tuple[tuple[object, ...], ...]:
    if not isinstance(entry.value, tuple) or not entry.value:
        problems.at(
            "must be a list of entities, each a value (or a list of values, one per "
            "group_by field)",
            "entities",
            entry,
        )
        return ()
    found: list[tuple[object, ...]] = []
    for index, item in enumerate(entry.value):
        entity = _entity(item, f"entities[{index}]", group_by, fields, problems)
        if entity is not None and entity in found:
            problems.at(f"{list(entity)!r} is listed twice", f"entities[{index}]", item)
        elif entity is not None:
            found.append(entity)
    return tuple(found)


def _entity(
    item: Located,
    path: str,
    group_by: tuple[str, ...],
    fields: Mapping[str, str],
    problems: RuleProblems,
) -> tuple[object, ...] | None:
    values = item.value if isinstance(item.value, tuple) else (item,)
    if len(values) != len(group_by):
        problems.at(
            f"has {len(values)} value(s) but group_by has {len(group_by)} field(s) "
            f"({', '.join(group_by)}); give one value per field, in that order",
            path,
            item,
        )
        return None
    entity = []
    for name, value in zip(group_by, values, strict=True):
        declared = fields.get(name, "any")
        allowed = _ENTITY_TYPES.get(declared, ())
        bad_bool = isinstance(value.value, bool) and bool not in allowed
        if not isinstance(value.value, allowed) or bad_bool:
            hint = "; quote it" if declared in ("string", "date") else ""
            problems.at(
                f"'{name}' is a {declared} field; {yaml_kind(value.value)} can never be "
                f"its value{hint}",
                path,
                value,
            )
            return None
        entity.append(value.value)
    return tuple(entity)


def _entities_from(
    entry: Located,
    group_by: tuple[str, ...],
    fields: Mapping[str, str],
    references: Mapping[str, ReferenceTable],
    problems: RuleProblems,
) -> tuple[tuple[object, ...], ...]:
    name = problems.string(entry, "entities_from")
    if name is None:
        return ()
    table = references.get(name)
    if table is None:
        problems.at(
            f"no reference table '{name}' (rules/reference/{name}.csv)"
            f"{did_you_mean(name, references, 'tables')}",
            "entities_from",
            entry,
        )
        return ()
    if len(group_by) != 1 or fields.get(group_by[0]) not in ("string", "any"):
        problems.at(
            "takes the keys of a table, which are text: group_by must be one string field",
            "entities_from",
            entry,
        )
        return ()
    if not table.rows:
        problems.at(f"{table.file} has no rows", "entities_from", entry)
        return ()
    return tuple((key,) for key in table.rows)
