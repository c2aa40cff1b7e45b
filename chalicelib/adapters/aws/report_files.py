"""S3ReportFiles: finished reports and digests in the bucket, written whole or not at all.

The rows are written as they are read, into a multipart upload (``s3_multipart``): a CSV goes
straight up in parts, an XLSX is zipped by xlsxwriter from sheets spooled to ``/tmp`` and streamed
up the same way. The key holds the whole file once the upload completes, or nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from chalicelib.adapters.aws.s3_multipart import s3_upload
from chalicelib.adapters.aws.s3_objects import _s3_errors
from chalicelib.adapters.reports.csv_table import write_csv
from chalicelib.adapters.reports.xlsx_workbook import XlsxWorkbook
from chalicelib.domain.reports import CONTENT_TYPES, Cell

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

Sheet = tuple[str, Sequence[str], Iterable[Sequence[Cell]]]


class S3ReportFiles:
    def __init__(self, client: S3Client, bucket: str, *, tmpdir: str | None = None) -> None:
        self._s3, self._bucket, self._tmpdir = client, bucket, tmpdir

    def write(
        self,
        key: str,
        fmt: str,
        sheets: Sequence[Sheet],
        *,
        on_progress: Callable[[int], None] | None = None,
    ) -> int:
        """A CSV holds one sheet; a workbook holds each as a sheet of its own."""
        if fmt == "csv" and len(sheets) != 1:
            raise ValueError(f"a CSV holds one table, not {len(sheets)}")
        with s3_upload(self._s3, self._bucket, key, content_type=CONTENT_TYPES[fmt]) as sink:
            if fmt == "csv":
                [(_, columns, rows)] = sheets
                write_csv(columns, rows, sink, on_progress=on_progress)
            else:
                with XlsxWorkbook(sink, tmpdir=self._tmpdir) as book:
                    for name, columns, rows in sheets:
                        book.add_table(name, columns, rows, on_progress=on_progress)
        return sink.size

    def presign_get(self, key: str, *, expires_seconds: int, file_name: str) -> str:
        """A link that downloads the file under ``file_name``, not the key's last part."""
        disposition = f'attachment; filename="{file_name}"'
        with _s3_errors("signing a report link"):
            url: str = self._s3.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self._bucket,
                    "Key": key,
                    "ResponseContentDisposition": disposition,
                },
                ExpiresIn=expires_seconds,
            )
        return url
