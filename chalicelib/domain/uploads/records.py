"""Uploads as stored and as read: the record, its progress, the list query and its cursor."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain.errors import Detail, InvalidQuery
from chalicelib.domain.events import SOURCE
from chalicelib.domain.paging import decode_keyset, encode_keyset, invalid_parameter, page_window
from chalicelib.domain.uploads.model import UploadStatus

UPLOAD_QUERY_PARAMETERS = ("source", "status", "since", "until", "limit", "cursor")


@dataclass(frozen=True)
class UploadRecord:
    id: str
    source: str
    filename: str
    key: str
    origin: str
    status: str
    created_at: datetime
    status_reason: str | None = None
    problems: tuple[Detail, ...] = ()
    object_version: str | None = None
    object_size: int | None = None
    header: tuple[str, ...] | None = None
    chunks_total: int | None = None
    rows_seen: int | None = None
    landed_at: datetime | None = None
    fanout_started_at: datetime | None = None
    fanout_finished_at: datetime | None = None
    completed_at: datetime | None = None


@dataclass(frozen=True)
class ChunkRecord:
    """A processed chunk: its lines, what became of its rows, and its raw bytes."""

    upload_id: str
    chunk: int
    first_line: int
    last_line: int
    rows_seen: int
    rows_stored: int
    rows_duplicate: int
    rows_rejected: int
    raw: bytes
    processed_at: datetime


@dataclass(frozen=True)
class UploadProgress:
    chunks_done: int = 0
    rows_seen: int = 0
    rows_stored: int = 0
    rows_duplicate: int = 0
    rows_rejected: int = 0
    last_processed_at: datetime | None = None

    @property
    def rows_accepted(self) -> int:
        """Valid rows: newly stored, or already stored by an earlier upload of the same event."""
        return self.rows_stored + self.rows_duplicate

    def counts(self) -> dict[str, int]:
        return {
            "seen": self.rows_seen,
            "accepted": self.rows_accepted,
            "stored": self.rows_stored,
            "duplicate": self.rows_duplicate,
            "rejected": self.rows_rejected,
        }


@dataclass(frozen=True)
class UploadCursor:
    created_at: datetime
    upload_id: str

    def encode(self) -> str:
        return encode_keyset(self.created_at, self.upload_id)

    @classmethod
    def decode(cls, text: str) -> UploadCursor:
        created_at, upload_id = decode_keyset(text)
        if not isinstance(upload_id, str):
            raise invalid_parameter("cursor", "is not a cursor this API returned", text)
        return cls(created_at, upload_id)


@dataclass(frozen=True)
class UploadQuery:
    source: str | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 50
    after: UploadCursor | None = None


@dataclass(frozen=True)
class UploadPage:
    items: list[tuple[UploadRecord, UploadProgress]]
    next_cursor: str | None = None


@dataclass(frozen=True)
class UploadLinks:
    rejects_csv: str | None = None
    report_json: str | None = None


def upload_view(
    record: UploadRecord, progress: UploadProgress, links: UploadLinks | None = None
) -> dict[str, Any]:
    """``GET /uploads/{id}``: where the upload is, what became of its rows, and its reports."""

    def stamp(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    seconds = None
    if record.landed_at and record.completed_at:
        seconds = (record.completed_at - record.landed_at).total_seconds()
    view: dict[str, Any] = {
        "upload_id": record.id,
        "source": record.source,
        "filename": record.filename,
        "key": record.key,
        "origin": record.origin,
        "status": record.status,
        "status_reason": record.status_reason,
        "problems": [detail.as_dict() for detail in record.problems],
        "size": record.object_size,
        "rows": progress.counts(),
        "chunks": {"done": progress.chunks_done, "total": record.chunks_total},
        "timings": {
            "created_at": stamp(record.created_at),
            "landed_at": stamp(record.landed_at),
            "fanout_started_at": stamp(record.fanout_started_at),
            "fanout_finished_at": stamp(record.fanout_finished_at),
            "completed_at": stamp(record.completed_at),
            "seconds_from_landing": seconds,
        },
    }
    if links is not None:
        view["reports"] = {"rejects_csv": links.rejects_csv, "report_json": links.report_json}
    return view


def parse_upload_query(
    params: Mapping[str, str], *, default_limit: int, max_limit: int
) -> UploadQuery:
    """Query-string parameters to a query; every bad parameter is reported at once."""
    problems: list[Detail] = []
    since, until, limit, after = page_window(
        params,
        UPLOAD_QUERY_PARAMETERS,
        UploadCursor.decode,
        problems,
        default_limit=default_limit,
        max_limit=max_limit,
    )
    source = SOURCE.normalize(params["source"], problems) if "source" in params else None
    status = params.get("status")
    if status is not None and status not in {one.value for one in UploadStatus}:
        problems.append(
            Detail(
                f"must be one of {', '.join(one.value for one in UploadStatus)}",
                field="status",
                value=status,
            )
        )
    if problems:
        raise InvalidQuery("invalid query parameters", problems)
    return UploadQuery(source, status, since, until, limit, after)
