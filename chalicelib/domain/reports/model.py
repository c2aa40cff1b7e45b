"""A requested report and its lifecycle: ``queued`` → ``running`` → ``complete`` | ``failed``.

The row is the report's only state: the queue message carries nothing but its id, so a
redelivered message finds what an earlier delivery did. A report ``running`` whose last sign of
life is older than ``STALE_AFTER`` was taken by a function that died (a timeout, a crash); the
next delivery takes it over. Its object is written to a key of its own and completed in one
step, so a report is either complete with its whole file or has none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.reports.requests import ReportRequest

QUEUED, RUNNING, COMPLETE, FAILED = "queued", "running", "complete", "failed"
STATUSES = (QUEUED, RUNNING, COMPLETE, FAILED)
STALE_AFTER = timedelta(minutes=2)  # progress is recorded at least this often while running
MAX_ATTEMPTS = 3
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Report:
    id: str
    kind: str
    format: str
    params: Mapping[str, Any]
    sources: tuple[str, ...] | None
    status: str
    requested_by: str
    created_at: datetime
    updated_at: datetime
    rows_written: int = 0
    rows_expected: int | None = None
    object_key: str | None = None
    size_bytes: int | None = None
    reason: str | None = None
    attempts: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.status in (COMPLETE, FAILED)

    def takeable(self, now: datetime) -> bool:
        """Whether a delivery may (re)start it: queued, or running with no sign of life."""
        return self.status == QUEUED or (
            self.status == RUNNING and now - self.updated_at > STALE_AFTER
        )

    @property
    def since(self) -> datetime:
        return datetime.fromisoformat(str(self.params["since"]))

    @property
    def until(self) -> datetime:
        return datetime.fromisoformat(str(self.params["until"]))

    def filter(self, name: str) -> tuple[str, ...]:
        """A list filter of the request (``types``, ``rules``…); empty when not asked for."""
        return tuple(self.params.get(name, ()))

    def file_name(self) -> str:
        """``events-2026-11-30-2026-12-07.xlsx``: what it covers, readable in a downloads folder."""
        since = str(self.params.get("since", ""))[:10]
        until = str(self.params.get("until", ""))[:10]
        return f"{self.kind}-{since}-{until}.{self.format}"

    def key(self, prefix: str) -> str:
        return f"{prefix}generated/{self.id}/{self.file_name()}"


def new_report(
    report_id: str, request: ReportRequest, *, requested_by: str, now: datetime
) -> Report:
    return Report(
        id=report_id,
        kind=request.kind,
        format=request.format,
        params=request.params(),
        sources=request.sources,
        status=QUEUED,
        requested_by=requested_by,
        created_at=now,
        updated_at=now,
    )


def report_view(report: Report, download_url: str | None, link_seconds: int) -> dict[str, Any]:
    """As ``GET /reports/{id}`` answers it: the progress while running, the link once complete
    (presigned, for ``link_seconds``), the reason once failed."""
    view: dict[str, Any] = {
        "id": report.id,
        "kind": report.kind,
        "format": report.format,
        "params": dict(report.params),
        "status": report.status,
        "requested_by": report.requested_by,
        "created_at": report.created_at.isoformat(),
        "started_at": _stamp(report.started_at),
        "finished_at": _stamp(report.finished_at),
        "links": {"self": f"/reports/{report.id}"},
    }
    if report.status == RUNNING:
        view["progress"] = progress(report)
    if report.status == COMPLETE:
        view |= {"rows": report.rows_written, "size_bytes": report.size_bytes}
        view["download"] = {
            "url": download_url,
            "file_name": report.file_name(),
            "expires_in_seconds": link_seconds,
        }
    if report.status == FAILED:
        view["reason"] = report.reason
    return view


def progress(report: Report) -> dict[str, Any]:
    expected = report.rows_expected
    percent = None
    if expected is not None:
        percent = 100.0 if expected == 0 else round(100 * min(report.rows_written / expected, 1), 1)
    return {"rows_written": report.rows_written, "rows_expected": expected, "percent": percent}


def _stamp(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
