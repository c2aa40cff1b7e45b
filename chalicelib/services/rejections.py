"""Reading rejected items back (``GET /rejections``): each with its source, errors and payload."""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.domain.access import Principal
from chalicelib.domain.events import RejectionPage, parse_rejection_query
from chalicelib.ports import RejectionReader


def list_rejections(
    params: Mapping[str, str],
    *,
    reader: RejectionReader,
    caller: Principal,
    default_limit: int,
    max_limit: int,
) -> RejectionPage:
    """An ingest key reads its own sources' rejected items only; operators and admins every
    source's (a CSV row's too)."""
    readable = tuple(caller.sources) if caller.role == "ingest" else None
    query = parse_rejection_query(
        params, readable=readable, default_limit=default_limit, max_limit=max_limit
    )
    return reader.list_rejections(query)
