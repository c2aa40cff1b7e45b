"""CSV source definitions: what an operator's file must look like, and how one cell is read.

- :mod:`.model`: the checked values (columns, definitions, header slots, the catalog), header
  normalisation, event ids, :func:`read_cell`, and the names a source and an event type may take;
- :mod:`.parsing`: :func:`parse_source_definition`, which reports every problem of a definition
  at once, with :mod:`.dialect`, :mod:`.columns` and :mod:`.problems` for its parts;
- :mod:`.headers`: :func:`match_header`;
- :mod:`.cells` and :mod:`.formats`: the per-type converters, built once per column, and the
  declared date formats they read.

Imports only the kernel.
"""

from __future__ import annotations

from chalicelib.domain.sources.cells import (
    INT64_MAX,
    INT64_MIN,
    CellError,
)
from chalicelib.domain.sources.columns import (
    FIELD_NAME_PATTERN,
)
from chalicelib.domain.sources.dialect import (
    canonical_encoding,
)
from chalicelib.domain.sources.headers import (
    match_header,
)
from chalicelib.domain.sources.model import (
    SOURCE_PATTERN,
    TYPE_PATTERN,
    ColumnSpec,
    FieldSlot,
    HeaderMatch,
    Located,
    LocatedMapping,
    LocatedValue,
    SourceCatalog,
    SourceDefinition,
    join_id,
    normalize_header,
    read_cell,
)
from chalicelib.domain.sources.parsing import (
    parse_source_definition,
)
from chalicelib.domain.sources.problems import (
    Problems,
    yaml_kind,
)
from chalicelib.domain.sources.retention import (
    MAX_RETENTION_DAYS,
    MIN_RETENTION_DAYS,
    retention_problem,
)

__all__ = [
    "FIELD_NAME_PATTERN",
    "INT64_MAX",
    "INT64_MIN",
    "MAX_RETENTION_DAYS",
    "MIN_RETENTION_DAYS",
    "SOURCE_PATTERN",
    "TYPE_PATTERN",
    "CellError",
    "ColumnSpec",
    "FieldSlot",
    "HeaderMatch",
    "Located",
    "LocatedMapping",
    "LocatedValue",
    "Problems",
    "SourceCatalog",
    "SourceDefinition",
    "canonical_encoding",
    "join_id",
    "match_header",
    "normalize_header",
    "parse_source_definition",
    "read_cell",
    "retention_problem",
    "yaml_kind",
]
