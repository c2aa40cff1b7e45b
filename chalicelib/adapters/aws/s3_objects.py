"""S3Objects: the bucket, streamed and ranged, with every botocore error translated into ours.

Reads pin the version S3 notified about: its ``VersionId`` on a versioned bucket, else its ETag as
an ``If-Match`` condition. An object replaced or deleted since is therefore never half read: it is
``ObjectUnavailable``, and the new version's own notification imports it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.domain.errors import DependencyError, ObjectUnavailable
from chalicelib.domain.uploads import PresignedPost

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import GetObjectRequestTypeDef

BLOCK_BYTES = 1024 * 1024
SPOOL_BYTES = 8 * 1024 * 1024
GONE = {"NoSuchKey", "NoSuchVersion", "404", "PreconditionFailed", "412", "InvalidRange"}


class S3Objects:
    def __init__(self, client: S3Client, bucket: str, *, block_bytes: int = BLOCK_BYTES) -> None:
        self._s3 = client
        self.bucket = bucket
        self._block_bytes = block_bytes

    def blocks(self, key: str, *, version_id: str | None, etag: str | None) -> Iterator[bytes]:
        """The object in blocks; a read that breaks off mid-way is a ``DependencyError``."""
        with _s3_errors(f"reading s3://{self.bucket}/{key}"):
            answer = self._s3.get_object(**self._pinned(key, version_id, etag))
            body = answer["Body"]
            try:
                yield from body.iter_chunks(self._block_bytes)
            finally:
                body.close()

    def read_range(
        self, key: str, *, version_id: str | None, etag: str | None, start: int, end: int
    ) -> bytes:
        if end <= start:
            return b""
        with _s3_errors(f"reading bytes {start}-{end - 1} of s3://{self.bucket}/{key}"):
            request = self._pinned(key, version_id, etag)
            request["Range"] = f"bytes={start}-{end - 1}"
            answer = self._s3.get_object(**request)
            data: bytes = answer["Body"].read()
        if len(data) != end - start:
            raise DependencyError(
                f"s3://{self.bucket}/{key}: asked for {end - start} bytes, got {len(data)}"
            )
        return data

    def put_text(self, key: str, pieces: Iterable[str], content_type: str) -> None:
        """Spooled to memory, then to a temporary file past 8 MiB, then uploaded (multipart when
        large): a report of a million rejected rows never sits in memory whole."""
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            for piece in pieces:
                spool.write(piece.encode("utf-8"))
            spool.seek(0)
            with _s3_errors(f"writing s3://{self.bucket}/{key}"):
                self._s3.upload_fileobj(
                    spool, self.bucket, key, ExtraArgs={"ContentType": content_type}
                )

    def presign_post(
        self, key: str, *, content_type: str, max_bytes: int, expires_seconds: int
    ) -> PresignedPost:
        expires_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=expires_seconds)
        with _s3_errors("signing an upload"):
            post = self._s3.generate_presigned_post(
                Bucket=self.bucket,
                Key=key,
                Fields={"Content-Type": content_type},
                Conditions=[{"Content-Type": content_type}, ["content-length-range", 0, max_bytes]],
                ExpiresIn=expires_seconds,
            )
        return PresignedPost(
            str(post["url"]), {k: str(v) for k, v in post["fields"].items()}, expires_at
        )

    def presign_get(self, key: str, *, expires_seconds: int) -> str:
        with _s3_errors("signing a report link"):
            url: str = self._s3.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_seconds
            )
        return url

    def _pinned(
        self, key: str, version_id: str | None, etag: str | None
    ) -> GetObjectRequestTypeDef:
        pin: GetObjectRequestTypeDef = {"Bucket": self.bucket, "Key": key}
        if version_id:
            pin["VersionId"] = version_id
        elif etag:
            pin["IfMatch"] = etag if etag.startswith('"') else f'"{etag}"'
        return pin


@contextmanager
def _s3_errors(action: str) -> Iterator[None]:
    """``ObjectUnavailable`` for objects gone or replaced, ``DependencyError`` for the rest."""
    try:
        yield
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in GONE:
            raise ObjectUnavailable(
                f"{action}: the object is gone or was replaced ({code})"
            ) from error
        raise DependencyError(f"S3 refused {action}: {code or error}") from error
    except BotoCoreError as error:
        raise DependencyError(f"S3 unavailable while {action}: {error}") from error
