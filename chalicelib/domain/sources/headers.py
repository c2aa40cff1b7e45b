"""Matching a file's header row to its source definition.

Headers are compared after normalisation, so ``Event ID`` finds ``event_id``; what cannot be
matched is reported all at once, with a near spelling when there is one, because a header problem
rejects the whole file.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from chalicelib.domain.errors import Detail
from chalicelib.domain.sources.model import (
    FieldSlot,
    HeaderMatch,
    SourceDefinition,
    normalize_header,
)


def match_header(definition: SourceDefinition, header: Sequence[str]) -> HeaderMatch | list[Detail]:
    """Map each header cell to its declared column, or list every problem with the header.

    Problems are Details on line 1: ``column`` is the header cell as written for empty, unknown and
    duplicate cells; ``field`` is the column's name for a missing required column.
    """
    slots: list[FieldSlot] = []
    taken: dict[str, str] = {}
    problems: list[Detail] = []
    for index, cell in enumerate(header):
        text = cell.strip()
        column = definition.by_header.get(normalize_header(text)) if text else None
        if column is None:
            problems.append(_unmatched(definition, index, cell, text))
        elif column.name in taken:
            problems.append(
                Detail(
                    f"header cells '{taken[column.name]}' and '{text}' both name "
                    f"column {column.name}",
                    line=1,
                    column=text,
                )
            )
        else:
            taken[column.name] = text
            slots.append(FieldSlot(index, column, text))
    problems.extend(
        Detail(
            "required column is missing (accepted headers: "
            f"{', '.join(repr(s) for s in column.spellings)})",
            field=column.name,
            line=1,
        )
        for column in definition.columns
        if column.required and column.name not in taken
    )
    if problems:
        return problems
    absent = tuple(column for column in definition.columns if column.name not in taken)
    return HeaderMatch(tuple(slots), absent)


def _unmatched(definition: SourceDefinition, index: int, cell: str, text: str) -> Detail:
    if not text:
        return Detail(
            f"header cell {index + 1} is empty; every column needs a name", line=1, column=cell
        )
    close = difflib.get_close_matches(normalize_header(text), list(definition.by_header), n=1)
    if close:
        hint = f"did you mean {definition.by_header[close[0]].name}?"
    else:
        hint = f"this source's columns are {', '.join(c.name for c in definition.columns)}"
    return Detail(f"unknown column '{text}'; {hint}", line=1, column=text)
