"""grant_upload and the upload reads: a presigned POST for one CSV file, and where each upload is.

The grant is checked before anything is signed: an unknown source is a 404 and a declared size
over the limit a 413, so an operator learns it before sending a gigabyte. The POST policy itself
limits the key, the content type and the size, so the file that lands is the one granted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from chalicelib.domain.access import Principal
from chalicelib.domain.errors import Detail, MalformedBody, NotFound, PayloadTooLarge
from chalicelib.domain.sources import SourceCatalog
from chalicelib.domain.uploads import (
    FINAL_STATUSES,
    Origin,
    PresignedPost,
    UploadLinks,
    UploadPage,
    UploadRecord,
    UploadStatus,
    filename_problem,
    incoming_key,
    parse_upload_query,
    report_keys,
    upload_view,
)
from chalicelib.ports import Clock, ObjectStore, UploadStore

CSV_CONTENT_TYPE = "text/csv"
GRANT_FIELDS = ("source", "filename", "size")
ORIGIN_PROBE_KEY = "incoming/origin-probe.csv"  # signed, never granted: nothing is sent with it


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int
    expires_seconds: int
    report_link_seconds: int


@dataclass(frozen=True)
class Grant:
    upload: UploadRecord
    post: PresignedPost
    max_bytes: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "upload_id": self.upload.id,
            "source": self.upload.source,
            "filename": self.upload.filename,
            "key": self.upload.key,
            "status": self.upload.status,
            "upload": {
                "method": "POST",
                "url": self.post.url,
                "fields": self.post.fields,
                "file_field": "file",
                "content_type": CSV_CONTENT_TYPE,
                "max_bytes": self.max_bytes,
                "expires_at": self.post.expires_at.isoformat(),
            },
            "links": {"self": f"/uploads/{self.upload.id}"},
        }


def grant_upload(
    payload: object,
    *,
    sources: SourceCatalog,
    objects: ObjectStore,
    uploads: UploadStore,
    clock: Clock,
    new_id: Callable[[], str],
    limits: UploadLimits,
) -> Grant:
    source, filename = _grant_request(payload, sources, limits.max_bytes)
    upload_id = new_id()
    record = UploadRecord(
        id=upload_id,
        source=source,
        filename=filename,
        key=incoming_key(source, upload_id, filename),
        origin=Origin.PRESIGNED,
        status=UploadStatus.AWAITING_UPLOAD,
        created_at=clock.now(),
    )
    post = objects.presign_post(
        record.key,
        content_type=CSV_CONTENT_TYPE,
        max_bytes=limits.max_bytes,
        expires_seconds=limits.expires_seconds,
    )
    uploads.add(record)
    return Grant(record, post, limits.max_bytes)


def upload_origin(objects: ObjectStore) -> str:
    """Where a browser sends a granted file: the origin (``scheme://host[:port]``) of the URL a
    presigned POST carries, which the console's policy must let the page connect to.

    Read off a form signed for a probe key rather than rebuilt from settings, so it is the
    bucket's endpoint exactly as grants name it (AWS's regional or virtual-host name, moto's
    ``http://127.0.0.1:<port>``, any S3-compatible endpoint). Signing is local: no request.
    """
    post = objects.presign_post(
        ORIGIN_PROBE_KEY, content_type=CSV_CONTENT_TYPE, max_bytes=0, expires_seconds=60
    )
    parts = urlsplit(post.url)
    return f"{parts.scheme}://{parts.netloc}"


def _grant_request(payload: object, sources: SourceCatalog, max_bytes: int) -> tuple[str, str]:
    if not isinstance(payload, dict):
        raise MalformedBody(
            'send a JSON object: {"source": ..., "filename": ..., "size": ...}',
            [Detail("must be a JSON object", field="body")],
        )
    problems = [
        Detail(f"unknown field; expected {', '.join(GRANT_FIELDS)}", field=name)
        for name in payload
        if name not in GRANT_FIELDS
    ]
    source = payload.get("source")
    if not isinstance(source, str) or not source.strip():
        problems.append(Detail("is required: the source the file's rows belong to", field="source"))
    naming = filename_problem(payload.get("filename"))
    problems.extend([naming] if naming else [])
    size = payload.get("size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        problems.append(
            Detail("must be the file's size in bytes, a whole number", field="size", value=size)
        )
        size = None
    if problems:
        raise MalformedBody("invalid upload request", problems)
    assert isinstance(source, str)  # checked above; for the type checker
    name = source.strip().lower()
    if sources.get(name) is None:
        raise NotFound(
            f"no source {name!r}; declare it in rules/sources/{name}.yaml",
            [
                Detail(
                    f"unknown source; known: {', '.join(sources.names()) or 'none'}",
                    field="source",
                    value=source,
                )
            ],
        )
    if size is not None and size > max_bytes:
        raise PayloadTooLarge(
            f"the file is {size} bytes; uploads are limited to {max_bytes}",
            [Detail(f"at most {max_bytes} bytes", field="size", value=size)],
        )
    return name, str(payload["filename"])


def describe_upload(
    upload_id: str,
    *,
    uploads: UploadStore,
    objects: ObjectStore,
    limits: UploadLimits,
    caller: Principal,
) -> dict[str, Any]:
    """``GET /uploads/{id}``: status and counts, and links to the reports once they exist; an
    upload of a source the caller may not read is not there for it."""
    record = uploads.get(upload_id.strip().lower())
    if record is None or not caller.may_read(record.source):
        raise NotFound(
            f"no upload {upload_id!r}", [Detail("not found", field="upload_id", value=upload_id)]
        )
    links = UploadLinks()
    if record.status in FINAL_STATUSES:
        rejects_key, report_key = report_keys(record.source, record.id)
        sign = objects.presign_get
        seconds = limits.report_link_seconds
        links = UploadLinks(
            rejects_csv=None
            if record.status == UploadStatus.FAILED
            else sign(rejects_key, expires_seconds=seconds),
            report_json=sign(report_key, expires_seconds=seconds),
        )
    return upload_view(record, uploads.progress(record.id), links)


def list_uploads(
    params: Mapping[str, str], *, uploads: UploadStore, default_limit: int, max_limit: int
) -> UploadPage:
    query = parse_upload_query(params, default_limit=default_limit, max_limit=max_limit)
    return uploads.list_uploads(query)
