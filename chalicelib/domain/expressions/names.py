"""Messages for names an expression cannot use: unknown fields and things that are not functions.

A typo in a field name is the most common mistake in a rule, so the message offers the closest
known field (``difflib``), or lists some fields when nothing is close. Names are shortened in
messages: hostile text can hold a 2,000-character name, and a problem should stay one line.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Mapping

from chalicelib.domain.expressions.functions import FUNCTIONS

_LISTED = 8


def shortened(name: str) -> str:
    """A name as messages quote it."""
    return name if len(name) <= 40 else name[:40] + "..."


def unknown_field(name: str, field_types: Mapping[str, str]) -> str:
    shown = shortened(name)
    if name in FUNCTIONS:
        return f"unknown field '{name}'; {name} is a function: call it as {FUNCTIONS[name].usage}"
    close = difflib.get_close_matches(name, list(field_types), n=1)
    if close:
        return f"unknown field '{shown}'; did you mean '{close[0]}'?"
    known = sorted(field_types)
    listed = ", ".join(known[:_LISTED]) + (", ..." if len(known) > _LISTED else "")
    return f"unknown field '{shown}'; the fields are: {listed or 'none'}"


def not_callable(func: ast.expr) -> str:
    """Why ``func(...)`` cannot be called: only the functions of :data:`FUNCTIONS` can."""
    names = ", ".join(FUNCTIONS)
    if not isinstance(func, ast.Name):
        return f"only these functions can be called: {names}"
    close = difflib.get_close_matches(func.id, list(FUNCTIONS), n=1)
    hint = f"did you mean {close[0]}()?" if close else f"the functions are: {names}"
    return f"unknown function '{shortened(func.id)}'; {hint}"
