"""What an upload is: its keys and ids, file names, chunk tasks, and the upload list query."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.domain.errors import InvalidQuery
from chalicelib.domain.uploads import (
    ChunkTask,
    LandedObject,
    UploadCursor,
    UploadProgress,
    UploadQuery,
    UploadStatus,
    direct_upload_id,
    filename_problem,
    parse_incoming_key,
    parse_upload_query,
)
from chalicelib.domain.uploads.model import IncomingKey

UPLOAD_ID = "0123456789abcdef0123456789abcdef"
LANDED = datetime(2026, 11, 22, 8, 30, tzinfo=UTC)


def landed(**overrides: str | None) -> LandedObject:
    base = LandedObject(
        "tripline-uploads",
        "incoming/shop/orders.csv",
        10,
        "etag-1",
        "version-1",
        "sequencer-1",
        LANDED,
    )
    return replace(base, **overrides)


def task() -> ChunkTask:
    return ChunkTask(
        UPLOAD_ID,
        "sensors",
        "incoming/sensors/kühl raum.csv",
        "v1",
        None,
        3,
        1024,
        2048,
        41,
        17,
        ("Fühler", "Zeit"),
        LANDED,
    )


def query(**params: str) -> UploadQuery:
    return parse_upload_query(params, default_limit=50, max_limit=200)


def query_problems(**params: str) -> dict[str | None, str]:
    with pytest.raises(InvalidQuery) as raised:
        query(**params)
    return {detail.field: detail.message for detail in raised.value.details}


# --- keys under incoming/ ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "key, expected",
    [
        (f"incoming/shop/{UPLOAD_ID}/orders.csv", IncomingKey("shop", "orders.csv", UPLOAD_ID)),
        ("incoming/shop/orders.csv", IncomingKey("shop", "orders.csv", None)),
        ("incoming/shop/2026/11/orders.csv", IncomingKey("shop", "orders.csv", None)),
        (f"incoming/shop/{UPLOAD_ID}/late/orders.csv", IncomingKey("shop", "orders.csv", None)),
        (f"incoming/shop/{UPLOAD_ID.upper()}/orders.csv", IncomingKey("shop", "orders.csv", None)),
        ("incoming/shop/not-an-id/orders.csv", IncomingKey("shop", "orders.csv", None)),
    ],
    ids=[
        "granted",
        "direct",
        "direct_deeper",
        "granted_id_deeper",
        "upper_case_id",
        "other_folder",
    ],
)
def test_keys_under_incoming_name_their_source_file_and_granted_upload(
    key: str, expected: IncomingKey
) -> None:
    # GIVEN a key under incoming/<source>/
    # WHEN it is parsed
    # THEN only incoming/<source>/<32 lower-case hex>/<name> names a granted upload
    assert parse_incoming_key(key) == expected


@pytest.mark.parametrize(
    "key",
    [
        "incoming/shop/",
        f"incoming/shop/{UPLOAD_ID}/",
        "incoming/shop",
        "incoming//orders.csv",
        "reports/shop/orders.csv",
        "shop/incoming/orders.csv",
        "orders.csv",
    ],
)
def test_folders_and_keys_outside_incoming_are_not_uploads(key: str) -> None:
    # GIVEN a folder marker, or a key outside incoming/<source>/
    # WHEN it is parsed
    # THEN it is no upload
    assert parse_incoming_key(key) is None


def test_a_direct_drop_keeps_its_id_for_the_same_object_write() -> None:
    # GIVEN one object write, seen twice, and two other writes
    key = "incoming/shop/orders.csv"
    first = direct_upload_id(key, "version-1")
    # WHEN ids are derived
    # THEN the same write gives the same 32-hex id, another key or version another id
    assert first == direct_upload_id(key, "version-1")
    assert len(first) == 32 and int(first, 16) >= 0
    assert first != direct_upload_id(key, "version-2")
    assert first != direct_upload_id("incoming/shop/orders2.csv", "version-1")


def test_an_object_write_is_identified_by_version_then_sequencer_then_etag() -> None:
    # GIVEN landed objects with fewer and fewer identifiers
    # WHEN their identity is asked for
    # THEN the most specific one that is there is used
    assert landed().identity == "version-1"
    assert landed(version_id=None).identity == "sequencer-1"
    assert landed(version_id=None, sequencer=None).identity == "etag-1"
    assert landed(version_id=None, sequencer=None, etag=None).identity == ""


# --- file names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "filename",
    ["orders.csv", "Bestellungen März (2).csv", "a" * 255, "ü" * 127, ".hidden.csv", "..csv"],
)
def test_a_file_name_of_printable_characters_is_accepted(filename: str) -> None:
    # GIVEN a plain file name, up to 255 bytes
    # WHEN it is checked
    # THEN there is no problem
    assert filename_problem(filename) is None


@pytest.mark.parametrize(
    "filename, message",
    [
        ("", "is required"),
        ("   ", "is required"),
        (None, "is required"),
        (42, "is required"),
        ("a/b.csv", "must be a file name, not a path"),
        ("..\\orders.csv", "must be a file name, not a path"),
        ("..", "must be a file name, not a path"),
        (".", "must be a file name, not a path"),
        ("orders\n.csv", "must not hold control characters"),
        ("orders\x00.csv", "must not hold control characters"),
        ("evil\u202ecsv.exe", "must not hold control characters"),
        ("line\u2028break.csv", "must not hold control characters"),
        ("a" * 256, "is longer than 255 bytes"),
        ("ü" * 128, "is longer than 255 bytes"),
    ],
    ids=[
        "empty",
        "blank",
        "none",
        "number",
        "path",
        "backslash_path",
        "dot_dot",
        "dot",
        "newline",
        "nul",
        "right_to_left_override",
        "line_separator",
        "too_long",
        "too_many_bytes",
    ],
)
def test_a_bad_file_name_says_what_is_wrong(filename: object, message: str) -> None:
    # GIVEN a file name that cannot be one S3 key segment
    # WHEN it is checked
    problem = filename_problem(filename)
    # THEN the problem is on field filename and says why
    assert problem is not None
    assert problem.field == "filename"
    assert problem.message.startswith(message)


# --- chunk tasks -------------------------------------------------------------------------------


def test_a_chunk_task_survives_encoding_and_decoding() -> None:
    # GIVEN a chunk task with non-ASCII key and header
    original = task()
    # WHEN it is encoded and decoded
    text = original.encode()
    # THEN it is the same task, and the message is compact JSON of version 1
    assert ChunkTask.decode(text) == original
    assert json.loads(text)["v"] == 1 and "kühl raum" in text


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda body: "{not json", "not JSON"),
        (lambda body: json.dumps(body | {"v": 2}), "not a version 1 chunk task"),
        (lambda body: json.dumps(body | {"kind": "upload"}), "not a version 1 chunk task"),
        (lambda body: json.dumps([body]), "not a version 1 chunk task"),
        (
            lambda body: json.dumps({k: v for k, v in body.items() if k != "start"}),
            "a chunk task without a valid 'start'",
        ),
        (lambda body: json.dumps(body | {"end": "soon"}), "a chunk task without a valid 'end'"),
        (lambda body: json.dumps(body | {"rows": 1.5}), "a chunk task without a valid 'rows'"),
        (
            lambda body: json.dumps(body | {"header": "Fühler;Zeit"}),
            "a chunk task without a valid 'header'",
        ),
        (
            lambda body: json.dumps(body | {"landed_at": "2026-11-22T08:30:00"}),
            "landed_at has no time zone",
        ),
    ],
    ids=[
        "not_json",
        "wrong_version",
        "wrong_kind",
        "not_an_object",
        "missing_field",
        "text_for_a_number",
        "fraction_for_a_count",
        "text_for_the_header",
        "naive_landed_at",
    ],
)
def test_a_message_that_is_not_a_chunk_task_says_why(
    change: Callable[[dict[str, Any]], str], message: str
) -> None:
    # GIVEN a stray or damaged message
    body = json.loads(task().encode())
    text = change(body)
    # WHEN it is decoded
    with pytest.raises(ValueError) as raised:
        ChunkTask.decode(text)
    # THEN the error says what is wrong
    assert str(raised.value).startswith(message)


# --- the upload list query --------------------------------------------------------------------


def test_an_empty_query_lists_everything_with_the_default_limit() -> None:
    # GIVEN no parameters
    # WHEN they are parsed
    # THEN the query has no filter and the default limit
    assert query() == UploadQuery(limit=50)


def test_every_parameter_of_a_query_is_read() -> None:
    # GIVEN every parameter, with a cursor this API returned
    cursor = UploadCursor(LANDED, UPLOAD_ID)
    # WHEN they are parsed
    parsed = query(
        source=" Shop ",
        status="complete_with_errors",
        since="2026-11-01T00:00:00Z",
        until="2026-11-23T00:00:00+01:00",
        limit="200",
        cursor=cursor.encode(),
    )
    # THEN each is read, the source lower-cased and the times in UTC
    assert parsed == UploadQuery(
        "shop",
        "complete_with_errors",
        datetime(2026, 11, 1, tzinfo=UTC),
        datetime(2026, 11, 22, 23, tzinfo=UTC),
        200,
        cursor,
    )


@pytest.mark.parametrize("status", [one.value for one in UploadStatus])
def test_every_upload_status_can_be_filtered_on(status: str) -> None:
    # GIVEN a status an upload can have
    # WHEN it is a filter
    # THEN it is accepted
    assert query(status=status).status == status


def test_every_bad_parameter_is_reported_at_once() -> None:
    # GIVEN six bad parameters
    # WHEN they are parsed
    problems = query_problems(
        colour="red",
        source="Not a source!",
        status="done",
        since="yesterday",
        limit="0",
        cursor="bm90IGEgY3Vyc29y",
    )
    # THEN each is reported, on its own field
    assert set(problems) == {"colour", "source", "status", "since", "limit", "cursor"}
    assert problems["status"].startswith("must be one of awaiting_upload, importing, complete")
    assert problems["cursor"] == "is not a cursor this API returned"


def test_since_must_be_before_until() -> None:
    # GIVEN since equal to until
    # WHEN they are parsed
    problems = query_problems(since="2026-11-22T00:00:00Z", until="2026-11-22T01:00:00+01:00")
    # THEN since is reported
    assert problems == {"since": "must be before 'until'"}


@pytest.mark.parametrize(
    "text",
    [
        "%%%",
        "e30",
        "WyIyMDI2LTExLTIyVDA4OjMwOjAwIiwgIngiXQ",
        UploadCursor(LANDED, UPLOAD_ID).encode()[:-4],
    ],
    ids=["not_base64", "an_object", "a_naive_time", "truncated"],
)
def test_a_cursor_this_api_did_not_return_is_refused(text: str) -> None:
    # GIVEN a cursor that is not one UploadCursor.encode wrote
    # WHEN the query is parsed
    problems = query_problems(cursor=text)
    # THEN the cursor is refused
    assert problems == {"cursor": "is not a cursor this API returned"}


def test_progress_counts_accepted_rows_as_stored_and_duplicates() -> None:
    # GIVEN a progress of 10 rows: 6 stored, 2 already stored, 2 rejected
    progress = UploadProgress(
        chunks_done=2, rows_seen=10, rows_stored=6, rows_duplicate=2, rows_rejected=2
    )
    # WHEN its counts are asked for
    # THEN accepted is stored plus duplicate
    assert progress.counts() == {
        "seen": 10,
        "accepted": 8,
        "stored": 6,
        "duplicate": 2,
        "rejected": 2,
    }
