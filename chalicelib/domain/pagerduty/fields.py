"""The pieces every PagerDuty field is read with: a problem in PagerDuty's words with its
field path, a string field (blank counts as missing, as PagerDuty counts it), an array of
objects, and a list of choices as an error says it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from chalicelib.domain.errors import Detail
from chalicelib.domain.json_values import json_kind


def problem(path: str, text: str) -> Detail:
    """One of PagerDuty's ``errors``: the field's path in quotes, then what is wrong."""
    return Detail(f"'{path}' {text}", field=path)


def items(
    value: object, name: str, problems: list[Detail]
) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """The array's objects, as the caller reads them: problems stay in the array's order."""
    if value is None:
        return
    if not isinstance(value, list):
        problems.append(problem(name, f"must be an array, not {json_kind(value)}"))
        return
    for index, item in enumerate(value):
        if isinstance(item, Mapping):
            yield index, item
        else:
            problems.append(
                problem(f"{name}[{index}]", f"must be an object, not {json_kind(item)}")
            )


def text_field(
    body: Mapping[str, Any],
    name: str,
    problems: list[Detail],
    *,
    required: bool,
    limit: int,
    at: str = "",
) -> str | None:
    """A string field; blank counts as missing, as PagerDuty counts it."""
    path = f"{at}.{name}" if at else name
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(problem(path, "is missing or blank"))
        return None
    if not isinstance(value, str):
        problems.append(problem(path, f"must be a string, not {json_kind(value)}"))
        return None
    if len(value) > limit:
        problems.append(problem(path, f"is too long ({len(value)} characters; at most {limit})"))
        return None
    return value


def choices(options: tuple[str, ...]) -> str:
    quoted = [f"'{one}'" for one in options]
    return ", ".join(quoted[:-1]) + f" or {quoted[-1]}"
