"""CSV source definitions: the one import path for the model, its parser, the header match and
the cell readers.

Callers import from here and need not know how the work is divided:

- :mod:`~chalicelib.domain.source_model`: the checked values (columns, definitions, header
  slots, the catalog), header normalisation, event ids, and :func:`read_cell`;
- :mod:`~chalicelib.domain.source_parsing`: :func:`parse_source_definition`, which reports every
  problem of a definition at once, with :mod:`~chalicelib.domain.source_dialect` and
  :mod:`~chalicelib.domain.source_columns` for its two larger parts;
- :mod:`~chalicelib.domain.source_headers`: :func:`match_header`;
- :mod:`~chalicelib.domain.cells` and :mod:`~chalicelib.domain.cell_formats`: the per-type
  converters, built once per column, and the declared date formats they read.

Those modules import one another only downwards (cells, model, parsing), never this one, so no
import cycle can form here.
"""

from __future__ import annotations

from chalicelib.domain.cell_formats import format_problem
from chalicelib.domain.cells import INT64_MAX, INT64_MIN, CellError, Converter
from chalicelib.domain.source_columns import COLUMN_KEYS, FIELD_NAME_PATTERN
from chalicelib.domain.source_dialect import canonical_encoding
from chalicelib.domain.source_headers import match_header
from chalicelib.domain.source_model import (
    COLUMN_TYPES,
    ID_SEPARATOR,
    ColumnSpec,
    FieldSlot,
    HeaderMatch,
    Located,
    LocatedMapping,
    LocatedValue,
    Scalar,
    SourceCatalog,
    SourceDefinition,
    join_id,
    normalize_header,
    read_cell,
)
from chalicelib.domain.source_parsing import SOURCE_KEYS, parse_source_definition

__all__ = [
    "COLUMN_KEYS",
    "COLUMN_TYPES",
    "FIELD_NAME_PATTERN",
    "ID_SEPARATOR",
    "INT64_MAX",
    "INT64_MIN",
    "SOURCE_KEYS",
    "CellError",
    "ColumnSpec",
    "Converter",
    "FieldSlot",
    "HeaderMatch",
    "Located",
    "LocatedMapping",
    "LocatedValue",
    "Scalar",
    "SourceCatalog",
    "SourceDefinition",
    "canonical_encoding",
    "format_problem",
    "join_id",
    "match_header",
    "normalize_header",
    "parse_source_definition",
    "read_cell",
]
