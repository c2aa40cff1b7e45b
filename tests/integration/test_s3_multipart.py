"""The multipart sink against moto: the key holds the whole file or nothing, never a part."""

from __future__ import annotations

import io
import os
from typing import Any

import openpyxl
import pytest

from chalicelib.adapters.aws.s3_multipart import MIN_PART_BYTES, S3MultipartSink, s3_upload
from chalicelib.adapters.reports import write_table

KEY = "reports/generated/r1/events.csv"


def written_in_pieces(sink: S3MultipartSink, data: bytes, piece: int = 700_001) -> None:
    """Odd-sized writes, as a writer's buffers arrive: parts must not follow them."""
    for start in range(0, len(data), piece):
        sink.write(data[start : start + piece])


def test_a_file_of_several_parts_round_trips_byte_for_byte(s3: Any, bucket: str) -> None:
    # GIVEN 2.5 parts' worth of bytes
    data = os.urandom(MIN_PART_BYTES * 5 // 2)
    # WHEN they are written through the sink
    with s3_upload(s3, bucket, KEY, content_type="text/csv", part_bytes=MIN_PART_BYTES) as sink:
        written_in_pieces(sink, data)
    # THEN the object is exactly those bytes, assembled from three parts
    stored = s3.get_object(Bucket=bucket, Key=KEY)
    assert stored["Body"].read() == data
    assert stored["ETag"].strip('"').endswith("-3")
    assert stored["ContentType"] == "text/csv"
    assert sink.size == len(data)


def test_a_small_file_is_one_put(s3: Any, bucket: str) -> None:
    # GIVEN less than a part
    with s3_upload(s3, bucket, KEY, content_type="text/csv") as sink:
        sink.write(b"a,b\r\n1,2\r\n")
    # THEN it is stored whole, with no multipart upload behind it
    stored = s3.get_object(Bucket=bucket, Key=KEY)
    assert stored["Body"].read() == b"a,b\r\n1,2\r\n"
    assert "-" not in stored["ETag"]


def test_an_empty_file_is_an_empty_object(s3: Any, bucket: str) -> None:
    with s3_upload(s3, bucket, KEY, content_type="text/csv"):
        pass
    assert s3.get_object(Bucket=bucket, Key=KEY)["Body"].read() == b""


def test_a_failure_mid_way_leaves_no_object_and_no_pending_upload(s3: Any, bucket: str) -> None:
    # GIVEN a writer that fails after two parts went up
    # WHEN the sink's block raises
    with (
        pytest.raises(RuntimeError, match="database went away"),
        s3_upload(s3, bucket, KEY, content_type="text/csv", part_bytes=MIN_PART_BYTES) as sink,
    ):
        written_in_pieces(sink, os.urandom(MIN_PART_BYTES * 2 + 1))
        raise RuntimeError("the database went away")
    # THEN nothing is at the key and the parts were discarded
    assert s3.list_objects_v2(Bucket=bucket, Prefix="reports/").get("KeyCount") == 0
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_a_failure_leaves_an_earlier_report_at_the_key_untouched(s3: Any, bucket: str) -> None:
    # GIVEN a complete object at the key
    s3.put_object(Bucket=bucket, Key=KEY, Body=b"the earlier file")
    # WHEN a new write to the same key fails after sending a part
    with (
        pytest.raises(RuntimeError),
        s3_upload(s3, bucket, KEY, content_type="text/csv", part_bytes=MIN_PART_BYTES) as sink,
    ):
        sink.write(os.urandom(MIN_PART_BYTES + 1))
        raise RuntimeError("stopped")
    # THEN the earlier object is still whole
    assert s3.get_object(Bucket=bucket, Key=KEY)["Body"].read() == b"the earlier file"


def test_a_sink_refuses_writes_once_finished(s3: Any, bucket: str) -> None:
    with s3_upload(s3, bucket, KEY, content_type="text/csv") as sink:
        sink.write(b"x")
    with pytest.raises(ValueError, match="already complete"):
        sink.write(b"y")


def test_an_xlsx_report_streams_into_the_sink_without_a_seekable_file(
    s3: Any, bucket: str, tmp_path: Any
) -> None:
    # GIVEN rows enough for a workbook larger than one part (random text does not compress)
    rows = [(number, os.urandom(60).hex()) for number in range(100_000)]
    key = "reports/generated/r2/events.xlsx"
    # WHEN the workbook is written straight into the sink
    with s3_upload(
        s3, bucket, key, content_type="application/xlsx", part_bytes=MIN_PART_BYTES
    ) as sink:
        written = write_table(("n", "text"), rows, "xlsx", sink, tmpdir=str(tmp_path))
    # THEN the object is a workbook of several parts holding every row
    stored = s3.get_object(Bucket=bucket, Key=key)
    assert stored["ETag"].strip('"').rpartition("-")[2].isdigit()
    book = openpyxl.load_workbook(io.BytesIO(stored["Body"].read()), read_only=True)
    read = list(book.worksheets[0].iter_rows(values_only=True))
    assert written == 100_000 and read[0] == ("n", "text") and read[1:] == rows
