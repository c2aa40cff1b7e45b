"""A dry-run: what one rule would have done to a run of stored events, decided in memory
(:mod:`.engine`), the request that asks for it (:mod:`.request`), and the report (:mod:`.report`).

Imports the kernel, ``events``, ``rules`` and ``alerts``.
"""

from __future__ import annotations

from chalicelib.domain.dry_run.engine import (
    replay,
)
from chalicelib.domain.dry_run.report import (
    preview,
)
from chalicelib.domain.dry_run.request import (
    DryRunRequest,
    parse_dry_run_request,
)

__all__ = [
    "DryRunRequest",
    "parse_dry_run_request",
    "preview",
    "replay",
]
