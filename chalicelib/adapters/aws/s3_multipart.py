"""S3MultipartSink: a writable binary file whose bytes become one S3 object, whole or not at all.

A report of a million rows is written as it is produced, so its size is unknown until the end
and it must never sit in memory whole: the bytes are cut into parts of ``part_bytes`` (8 MiB;
S3 asks at least 5 MiB of every part but the last) and each is uploaded as it fills. The object
appears at its key only when the multipart upload is completed, after the writer returned; any
exception aborts the upload, which discards the parts, so a reader of the key sees the whole
file or nothing, and no pending upload is left to be billed. A file smaller than one part is one
``put_object``. Memory: one part's buffer, plus the copy being sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from chalicelib.adapters.aws.s3_objects import _s3_errors

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

PART_BYTES = 8 * 1024 * 1024
MIN_PART_BYTES = 5 * 1024 * 1024


class S3MultipartSink:
    """Write, then ``complete()``; or ``abort()``. ``s3_upload`` does either for a block of code.

    It is a file as far as ``csv``, ``zipfile`` and xlsxwriter ask: ``write``, ``tell``,
    ``flush``; it cannot seek, so ``zipfile`` streams into it.
    """

    def __init__(
        self,
        client: S3Client,
        bucket: str,
        key: str,
        *,
        content_type: str,
        part_bytes: int = PART_BYTES,
    ) -> None:
        if part_bytes < MIN_PART_BYTES:
            raise ValueError(f"S3 parts are at least {MIN_PART_BYTES} bytes")
        self._s3, self.bucket, self.key = client, bucket, key
        self._content_type = content_type
        self._part_bytes = part_bytes
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[CompletedPartTypeDef] = []
        self._written = 0
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self.closed:
            raise ValueError(f"s3://{self.bucket}/{self.key} is already complete or aborted")
        view = memoryview(data).cast("B")
        self._buffer += view
        self._written += len(view)
        while len(self._buffer) >= self._part_bytes:
            self._send_part(bytes(self._buffer[: self._part_bytes]))
            del self._buffer[: self._part_bytes]
        return len(view)

    def tell(self) -> int:
        return self._written

    def flush(self) -> None:
        """Parts go up as they fill; flushing a smaller one would break S3's 5 MiB minimum."""

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    @property
    def size(self) -> int:
        """Bytes written so far; the object's size once complete."""
        return self._written

    def complete(self) -> None:
        """Makes the object appear at its key, whole."""
        self._ensure_open()
        if self._upload_id is None:
            with _s3_errors(f"writing s3://{self.bucket}/{self.key}"):
                self._s3.put_object(
                    Bucket=self.bucket,
                    Key=self.key,
                    Body=bytes(self._buffer),
                    ContentType=self._content_type,
                )
        else:
            if self._buffer:
                self._send_part(bytes(self._buffer))
            with _s3_errors(f"completing s3://{self.bucket}/{self.key}"):
                self._s3.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=self.key,
                    UploadId=self._upload_id,
                    MultipartUpload={"Parts": self._parts},
                )
        self._finish()

    def abort(self) -> None:
        """Discards what was sent; the key is left as it was. Safe to call more than once."""
        if self.closed:
            return
        upload_id = self._upload_id
        self._finish()
        if upload_id is not None:
            with _s3_errors(f"aborting the upload of s3://{self.bucket}/{self.key}"):
                self._s3.abort_multipart_upload(
                    Bucket=self.bucket, Key=self.key, UploadId=upload_id
                )

    def _send_part(self, part: bytes) -> None:
        where = f"s3://{self.bucket}/{self.key}"
        if self._upload_id is None:
            with _s3_errors(f"starting the upload of {where}"):
                started = self._s3.create_multipart_upload(
                    Bucket=self.bucket, Key=self.key, ContentType=self._content_type
                )
            self._upload_id = started["UploadId"]
        number = len(self._parts) + 1
        with _s3_errors(f"uploading part {number} of {where}"):
            sent = self._s3.upload_part(
                Bucket=self.bucket,
                Key=self.key,
                UploadId=self._upload_id,
                PartNumber=number,
                Body=part,
            )
        self._parts.append({"PartNumber": number, "ETag": sent["ETag"]})

    def _ensure_open(self) -> None:
        if self.closed:
            raise ValueError(f"s3://{self.bucket}/{self.key} is already complete or aborted")

    def _finish(self) -> None:
        self.closed = True
        self._buffer = bytearray()


@contextmanager
def s3_upload(
    client: S3Client,
    bucket: str,
    key: str,
    *,
    content_type: str,
    part_bytes: int = PART_BYTES,
) -> Iterator[S3MultipartSink]:
    """A sink completed when the block ends normally and aborted when the block or the completion
    raises. The exception goes on; an abort that fails too is noted on it, never hides it (S3's
    lifecycle rule for incomplete uploads is the last resort then)."""
    sink = S3MultipartSink(client, bucket, key, content_type=content_type, part_bytes=part_bytes)
    try:
        yield sink
        sink.complete()
    except BaseException as error:
        try:
            sink.abort()
        except Exception as failed:
            error.add_note(f"aborting the multipart upload failed too: {failed}")
        raise
