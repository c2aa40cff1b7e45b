"""CSV uploads: the upload record and its status, the byte-range scan a fan-out splits a file
with (:mod:`.csv_scan`), rows read into events or rejections (:mod:`.rows`), S3 notifications of
landed files (:mod:`.notifications`), the rejects report written next to a file
(:mod:`.reports`), and the presigned POST a grant answers with (:mod:`.presigned`).

Imports the kernel, ``sources`` and ``events``.
"""

from __future__ import annotations

from chalicelib.domain.uploads.csv_scan import (
    ChunkSpan,
    CsvFormat,
    CsvScanner,
    Header,
    MalformedFile,
    read_records,
)
from chalicelib.domain.uploads.model import (
    FINAL_STATUSES,
    ChunkTask,
    LandedObject,
    Origin,
    UploadStatus,
    direct_upload_id,
    filename_problem,
    incoming_key,
    parse_incoming_key,
    report_keys,
    source_problem,
)
from chalicelib.domain.uploads.notifications import (
    NotANotification,
    landed_objects,
)
from chalicelib.domain.uploads.presigned import (
    PresignedPost,
)
from chalicelib.domain.uploads.records import (
    ChunkRecord,
    UploadCursor,
    UploadLinks,
    UploadPage,
    UploadProgress,
    UploadQuery,
    UploadRecord,
    parse_upload_query,
    upload_view,
)
from chalicelib.domain.uploads.reports import (
    RejectedRow,
    UploadReport,
    first_errors,
    rejects_csv,
    spreadsheet_safe,
)
from chalicelib.domain.uploads.rows import (
    RowReader,
    RowRejection,
)

__all__ = [
    "FINAL_STATUSES",
    "ChunkRecord",
    "ChunkSpan",
    "ChunkTask",
    "CsvFormat",
    "CsvScanner",
    "Header",
    "LandedObject",
    "MalformedFile",
    "NotANotification",
    "Origin",
    "PresignedPost",
    "RejectedRow",
    "RowReader",
    "RowRejection",
    "UploadCursor",
    "UploadLinks",
    "UploadPage",
    "UploadProgress",
    "UploadQuery",
    "UploadRecord",
    "UploadReport",
    "UploadStatus",
    "direct_upload_id",
    "filename_problem",
    "first_errors",
    "incoming_key",
    "landed_objects",
    "parse_incoming_key",
    "parse_upload_query",
    "read_records",
    "rejects_csv",
    "report_keys",
    "source_problem",
    "spreadsheet_safe",
    "upload_view",
]
