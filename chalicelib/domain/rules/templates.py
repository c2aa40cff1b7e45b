"""A rule's ``message:``: text with ``{field}`` placeholders, checked when the rules load.

The template is split once into literal text and field names, so an alert renders it with one
join. Python's ``str.format`` is deliberately not used: it would let a rule author reach into a
value (``{amount.__class__}``, ``{items[0]}``) or choose a format that fails at send time, and a
notification must never fail because of its own text. So a placeholder is one name and nothing
else, and every name is checked against the rule's fields before any event arrives.

Rendering is for people reading an email: a missing or null value reads ``null`` (as in the rest
of the email), times are UTC ISO 8601 with ``Z``, numbers carry no float noise
(``0.1 + 0.2`` reads ``0.3``, ``5000.0`` reads ``5000``), lists and mappings read as JSON.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from chalicelib.domain.durations import format_duration

NULL_TEXT = "null"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TOKEN = re.compile(r"\{\{|\}\}|\{[^{}]*\}?|\}")


@dataclass(frozen=True, slots=True)
class TemplatePart:
    """Literal ``text`` followed by the value of ``field`` (None: text only)."""

    text: str
    field: str | None = None


@dataclass(frozen=True, slots=True)
class TemplateProblem:
    """Why a template was refused, at a 1-based line and column inside its text."""

    message: str
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class MessageTemplate:
    """A checked template: ``text`` as written, ``parts`` as rendered."""

    text: str
    parts: tuple[TemplatePart, ...]

    @property
    def fields(self) -> tuple[str, ...]:
        """The placeholder names, in order of first use."""
        return tuple(dict.fromkeys(part.field for part in self.parts if part.field))

    def render(self, values: Mapping[str, object]) -> str:
        """The message with each placeholder replaced; missing or null values read ``null``."""
        return "".join(
            part.text + (render_value(values.get(part.field)) if part.field else "")
            for part in self.parts
        )


def literal_template(text: str) -> MessageTemplate:
    """A template that is ``text`` as it stands (braces included), for a default message."""
    return MessageTemplate(text.replace("{", "{{").replace("}", "}}"), (TemplatePart(text),))


def parse_template(
    text: str, known_fields: Collection[str]
) -> MessageTemplate | list[TemplateProblem]:
    """``text`` split into parts, or every problem with its position in ``text``."""
    parts: list[TemplatePart] = []
    literal: list[str] = []
    problems: list[TemplateProblem] = []
    position = 0
    for token in _TOKEN.finditer(text):
        literal.append(text[position : token.start()])
        position = token.end()
        written = token.group()
        if written in ("{{", "}}"):
            literal.append(written[0])
            continue
        problem = _placeholder_problem(written, known_fields)
        if problem is not None:
            problems.append(_at(text, token.start(), problem))
            continue
        parts.append(TemplatePart("".join(literal), written[1:-1]))
        literal = []
    literal.append(text[position:])
    if problems:
        return problems
    return MessageTemplate(text, (*parts, TemplatePart("".join(literal))))


def _placeholder_problem(written: str, known: Collection[str]) -> str | None:
    if written == "}":
        return "a lone '}'; write '}}' for a brace"
    if not written.endswith("}"):
        return f"'{written}' is not closed; write '{{{{' for a brace"
    name = written[1:-1]
    if not name.strip():
        return "an empty placeholder '{}'; write a field name inside, e.g. {amount}"
    if _NAME.fullmatch(name) is None:
        return _not_a_name(written, name)
    if name not in known:
        close = difflib.get_close_matches(name, sorted(known), n=1)
        hint = (
            f"; did you mean '{close[0]}'?"
            if close
            else f"; known: {', '.join(sorted(known)) or 'none'}"
        )
        return f"unknown field '{name}' in '{written}'{hint}"
    return None


def _not_a_name(written: str, name: str) -> str:
    if _NAME.fullmatch(name.strip()):
        return f"'{written}': write the field name without spaces, {{{name.strip()}}}"
    if any(mark in name for mark in ":!.["):
        return (
            f"'{written}': a placeholder is a field name only; formats, conversions, "
            "attributes and indexes are not supported"
        )
    return f"'{written}' is not a field name"


def _at(text: str, offset: int, message: str) -> TemplateProblem:
    before = text[:offset]
    line = before.count("\n") + 1
    return TemplateProblem(message, line, offset - (before.rfind("\n") + 1) + 1)


def render_value(value: object) -> str:
    """One value as a person reads it in an email."""
    if value is None:
        return NULL_TEXT
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(value, ".15g")
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date | int):
        return str(value)
    if isinstance(value, timedelta):
        return format_duration(value)
    return json.dumps(value, ensure_ascii=False, default=str, separators=(", ", ": "))
