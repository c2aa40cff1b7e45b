"""CSV files from S3 to stored events: presigned and direct uploads, reports, idempotency."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from tests.functional.uploads import (
    grant,
    only_upload_id,
    put,
    read_object,
    run_pipeline,
    upload_status,
)

SHOP_HEADER = "order_id,ordered_at,store,sku,quantity,unit_price,currency,paid\r\n"


def shop_rows(count: int, start: int = 1) -> str:
    return "".join(
        f"A-{n},2026-11-22T08:{n % 60:02d}:00Z,berlin-1,SKU-{n},2,9.99,EUR,yes\r\n"
        for n in range(start, start + count)
    )


def test_a_presigned_upload_is_imported_and_reported(client: Any, app_env: dict[str, Any]) -> None:
    # GIVEN an upload granted for the shop source
    granted = grant(client, size=1000)
    assert granted.status_code == 201, granted.body
    answer = json.loads(granted.body)
    upload_id, key = answer["upload_id"], answer["key"]
    assert key == f"incoming/shop/{upload_id}/orders.csv"
    # WHEN a file with two good rows, a bad date and a ragged row lands under its key
    body = (
        SHOP_HEADER
        + shop_rows(2)
        + "A-9,yesterday,berlin-1,,1,5.00,EUR,no\r\n"
        + "A-10,2026-11-22T08:00:00Z,berlin-1\r\n"
    )
    put(app_env, key, body.encode())
    run_pipeline(client, app_env)
    # THEN the upload is complete with errors, with its counts
    status = upload_status(client, upload_id)
    assert status["status"] == "complete_with_errors"
    assert status["rows"] == {"seen": 4, "accepted": 2, "stored": 2, "duplicate": 0, "rejected": 2}
    assert status["chunks"] == {"done": 1, "total": 1}
    # AND the good rows are events that say where they came from
    stored = json.loads(client.http.get("/events/shop/A-1").body)
    assert stored["origin"] == {"upload_id": upload_id, "line": 2}
    assert stored["data"]["quantity"] == 2 and stored["data"]["paid"] is True
    # AND rejects.csv holds each bad row as the file had it, with line, column and error
    rejects = list(
        csv.reader(
            io.StringIO(read_object(app_env, f"reports/shop/{upload_id}/rejects.csv").decode())
        )
    )
    assert rejects[0][-3:] == ["line", "column", "error"]
    assert [row[-3] for row in rejects[1:]] == ["4", "5"]
    assert rejects[1][:2] == ["A-9", "yesterday"] and rejects[1][-2] == "ordered_at"
    assert "3 cells" in rejects[2][-1]
    report = json.loads(read_object(app_env, f"reports/shop/{upload_id}/report.json"))
    assert report["rows"]["rejected"] == 2 and report["first_errors"][0]["line"] == 4


def test_a_direct_drop_is_an_upload_too(client: Any, app_env: dict[str, Any]) -> None:
    # GIVEN no grant WHEN an operator copies a file under incoming/shop/
    put(app_env, "incoming/shop/export 2026-11-22.csv", (SHOP_HEADER + shop_rows(3)).encode())
    run_pipeline(client, app_env)
    # THEN it is imported as a direct upload, named after the file
    upload_id = only_upload_id(client)
    status = upload_status(client, upload_id)
    assert (status["origin"], status["status"]) == ("direct", "complete")
    assert status["filename"] == "export 2026-11-22.csv"
    assert status["rows"]["stored"] == 3
    assert status["reports"]["rejects_csv"] and status["reports"]["report_json"]


def test_bom_crlf_and_quoted_newlines_keep_line_numbers_right(
    client: Any, app_env: dict[str, Any]
) -> None:
    # GIVEN a UTF-8 file with a BOM, CRLF line ends and a quoted cell spanning two lines
    body = (
        "\ufeff"
        + SHOP_HEADER
        + 'A-1,2026-11-22T08:00:00Z,"berlin-1\r\nback door",SKU-1,1,"9.99",EUR,no\r\n'
        + 'A-2,2026-11-22T08:01:00Z,"munich, east",SKU-2,1,oops,EUR,no\r\n'
    )
    put(app_env, "incoming/shop/quoted.csv", body.encode())
    # WHEN it is imported
    run_pipeline(client, app_env)
    # THEN the embedded newline and delimiter are data, and the bad row is on line 4
    stored = json.loads(client.http.get("/events/shop/A-1").body)
    assert stored["data"]["store"] == "berlin-1\r\nback door"
    upload_id = only_upload_id(client)
    errors = json.loads(read_object(app_env, f"reports/shop/{upload_id}/report.json"))
    assert [(e["line"], e["column"], e["value"]) for e in errors["first_errors"]] == [
        (4, "unit_price", "oops")
    ]


def test_a_declared_latin1_semicolon_file_with_decimal_commas(
    client: Any, app_env: dict[str, Any]
) -> None:
    # GIVEN the sensors source: latin-1, ';', decimal comma, local Berlin times
    body = (
        "Fühler;reading_at;Temperatur °C;battery\n"
        "kühlraum-3;22.11.2026 09:30;4,5;87\n"
        "kühlraum-3;29.03.2026 02:30;4,5;87\n"
    ).encode("latin-1")
    put(app_env, "incoming/sensors/logger.csv", body)
    # WHEN it is imported
    run_pipeline(client, app_env)
    # THEN the text is decoded as declared and the time converted from Berlin to UTC
    listed = json.loads(client.http.get("/events?source=sensors").body)["items"]
    assert len(listed) == 1
    assert listed[0]["data"]["sensor"] == "kühlraum-3" and listed[0]["data"]["celsius"] == 4.5
    assert listed[0]["occurred_at"] == "2026-11-22T08:30:00+00:00"
    # AND a time that does not exist in Berlin (the clocks went forward) is rejected by line
    status = upload_status(client, only_upload_id(client))
    assert status["rows"]["rejected"] == 1


def test_empty_and_header_only_files_complete_with_zero_rows(
    client: Any, app_env: dict[str, Any]
) -> None:
    # GIVEN an empty file and a file with only a header
    put(app_env, "incoming/shop/empty.csv", b"")
    put(app_env, "incoming/shop/header.csv", SHOP_HEADER.encode())
    # WHEN both are imported
    run_pipeline(client, app_env)
    # THEN both complete with no rows, and say why
    items = json.loads(client.http.get("/uploads").body)["items"]
    by_name = {item["filename"]: item for item in items}
    assert by_name["empty.csv"]["status"] == "complete"
    assert by_name["empty.csv"]["status_reason"] == "the file is empty"
    assert by_name["header.csv"]["status_reason"] == "the file has a header and no rows"
    assert all(item["rows"]["seen"] == 0 for item in items)


def test_missing_and_unknown_columns_fail_the_upload_naming_them(
    client: Any, app_env: dict[str, Any]
) -> None:
    # GIVEN a file without the required store column and with a misspelt one
    put(
        app_env,
        "incoming/shop/bad-header.csv",
        b"order_id,ordered_at,unit_pricce\nA-1,2026-11-22T08:00:00Z,1.0\n",
    )
    # WHEN it is imported
    run_pipeline(client, app_env)
    # THEN it fails at once, naming both, and no row is stored
    status = upload_status(client, only_upload_id(client))
    assert status["status"] == "failed"
    messages = " ".join(problem["message"] for problem in status["problems"])
    assert "unknown column 'unit_pricce'; did you mean unit_price?" in messages
    assert {p.get("field") for p in status["problems"]} >= {"store", "unit_price"}
    assert json.loads(client.http.get("/events").body)["items"] == []
    report = json.loads(read_object(app_env, f"reports/shop/{status['upload_id']}/report.json"))
    assert report["status"] == "failed" and report["problems"]


def test_a_duplicate_notification_starts_no_second_import(
    client: Any, app_env: dict[str, Any]
) -> None:
    # GIVEN a dropped file whose notification S3 delivered twice (two messages, one object)
    from chalicelib.topology import ROWS_QUEUE, UPLOADS_QUEUE
    from tests.builders import sqs_record
    from tests.functional.uploads import drain, invoke

    put(app_env, "incoming/shop/twice.csv", (SHOP_HEADER + shop_rows(2)).encode())
    notification = next(r for r in drain(app_env, UPLOADS_QUEUE) if "Records" in r["body"])
    again = sqs_record(notification["body"])
    # WHEN both are handled
    assert invoke(client, "fan_out_uploads", [notification, again]) == []
    # THEN only one fan-out ran: one chunk task on the rows queue
    chunks = drain(app_env, ROWS_QUEUE)
    assert len(chunks) == 1
    assert invoke(client, "process_rows", chunks) == []
    assert upload_status(client, only_upload_id(client))["rows"]["stored"] == 2


def test_a_redelivered_chunk_changes_nothing(client: Any, app_env: dict[str, Any]) -> None:
    # GIVEN an imported file
    put(app_env, "incoming/shop/once.csv", (SHOP_HEADER + shop_rows(3) + "A-x,bad\r\n").encode())
    seen = run_pipeline(client, app_env)
    upload_id = only_upload_id(client)
    before = upload_status(client, upload_id)
    # WHEN its chunk is delivered again
    from tests.functional.uploads import invoke

    assert invoke(client, "process_rows", seen["rows"]) == []
    # THEN counts, events and rejects are as they were
    after = upload_status(client, upload_id)
    assert after["rows"] == before["rows"] and after["status"] == before["status"]
    assert len(json.loads(client.http.get("/events").body)["items"]) == 3


def test_uploading_the_same_rows_again_stores_them_once(
    client: Any, app_env: dict[str, Any]
) -> None:
    # GIVEN a file imported once WHEN a second file repeats its rows and adds one
    put(app_env, "incoming/shop/monday.csv", (SHOP_HEADER + shop_rows(2)).encode())
    run_pipeline(client, app_env)
    put(app_env, "incoming/shop/monday-fixed.csv", (SHOP_HEADER + shop_rows(3)).encode())
    run_pipeline(client, app_env)
    # THEN the repeated rows are duplicates and only the new row is stored
    items = {i["filename"]: i for i in json.loads(client.http.get("/uploads").body)["items"]}
    assert items["monday-fixed.csv"]["rows"] == {
        "seen": 3,
        "accepted": 3,
        "stored": 1,
        "duplicate": 2,
        "rejected": 0,
    }
    assert len(json.loads(client.http.get("/events").body)["items"]) == 3


def test_cells_a_spreadsheet_would_run_are_escaped_in_rejects(
    client: Any, app_env: dict[str, Any]
) -> None:
    # GIVEN a rejected row whose cell is a formula
    put(
        app_env,
        "incoming/shop/evil.csv",
        (
            SHOP_HEADER + '=HYPERLINK("http://x"),2026-11-22T08:00:00Z,b,,1,-5,EUR,maybe\r\n'
        ).encode(),
    )
    run_pipeline(client, app_env)
    # THEN rejects.csv shows it as text, and leaves a negative number alone
    upload_id = only_upload_id(client)
    rows = list(
        csv.reader(
            io.StringIO(read_object(app_env, f"reports/shop/{upload_id}/rejects.csv").decode())
        )
    )
    assert rows[1][0] == '\'=HYPERLINK("http://x")'
    assert rows[1][5] == "-5"


def test_a_chunk_whose_object_was_deleted_fails_its_upload_with_the_reason(
    client: Any, app_env: dict[str, Any]
) -> None:
    # GIVEN a chunk task whose object was deleted after the fan-out
    from chalicelib.topology import ROWS_QUEUE, UPLOADS_QUEUE
    from tests.builders import sqs_event, sqs_record
    from tests.functional.uploads import drain

    put(app_env, "incoming/shop/gone.csv", (SHOP_HEADER + shop_rows(2)).encode())
    notifications = drain(app_env, UPLOADS_QUEUE)
    for record in notifications:
        client.lambda_.invoke("fan_out_uploads", sqs_event(record))
    chunk = drain(app_env, ROWS_QUEUE)[0]
    app_env["clients"]["s3"].delete_object(
        Bucket=app_env["resources"].bucket, Key="incoming/shop/gone.csv"
    )
    # WHEN it is processed
    answer = client.lambda_.invoke(
        "process_rows",
        sqs_event(sqs_record(chunk["body"], message_id=chunk["messageId"], receive_count=5)),
    )
    # THEN the upload failed, saying why, and the message is not retried in vain
    assert answer.payload["batchItemFailures"] == []
    status = upload_status(client, only_upload_id(client))
    assert status["status"] == "failed" and "gone" in status["status_reason"]


def test_a_header_with_more_columns_than_the_limit_fails_the_upload_at_once(
    client: Any, app_env: dict[str, Any], monkeypatch: Any
) -> None:
    # GIVEN a limit of 10 columns and a file whose header has 12
    monkeypatch.setenv("TRIPLINE_CSV_MAX_COLUMNS", "10")
    header = SHOP_HEADER.strip() + ",extra_1,extra_2,extra_3,extra_4\r\n"
    put(app_env, "incoming/shop/wide.csv", (header + shop_rows(1)).encode())
    # WHEN it is imported
    run_pipeline(client, app_env)
    # THEN it failed, saying how many columns it had, and stored nothing
    [item] = json.loads(client.http.get("/uploads").body)["items"]
    assert (item["status"], item["status_reason"]) == (
        "failed",
        "the header has 12 columns; the limit is 10",
    )
    assert item["problems"] == [
        {"message": "the header has 12 columns; the limit is 10", "line": 1}
    ]
    assert json.loads(client.http.get("/events?source=shop").body)["items"] == []


def test_a_file_past_the_rows_limit_fails_naming_the_lines_it_imported(
    client: Any, app_env: dict[str, Any], monkeypatch: Any
) -> None:
    # GIVEN at most 3 rows a file, chunks of about one row, and a file of 5 rows
    monkeypatch.setenv("TRIPLINE_CSV_MAX_ROWS", "3")
    monkeypatch.setenv("TRIPLINE_CSV_CHUNK_BYTES", "60")
    put(app_env, "incoming/shop/long.csv", (SHOP_HEADER + shop_rows(5)).encode())
    # WHEN it is imported
    run_pipeline(client, app_env)
    # THEN it failed at the first chunk that would pass the limit, saying which lines were
    # imported (whole chunks: here 2 rows, as the chunk after them holds two) and which were not
    [item] = json.loads(client.http.get("/uploads").body)["items"]
    assert item["status"] == "failed"
    assert item["status_reason"] == (
        "the file has more than 3 rows (TRIPLINE_CSV_MAX_ROWS); lines up to 3 (2 rows) were "
        "imported, the rest from line 4 was not: split the file"
    )
    stored = json.loads(client.http.get("/events?source=shop").body)["items"]
    assert sorted(one["id"] for one in stored) == ["A-1", "A-2"]


def test_an_upload_logs_its_completion_as_json_with_its_keys(
    client: Any, app_env: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a file dropped for the shop source
    put(app_env, "incoming/shop/orders.csv", (SHOP_HEADER + shop_rows(3)).encode())
    capsys.readouterr()
    # WHEN the pipeline imports it
    run_pipeline(client, app_env)
    # THEN the service's log says so at INFO, as one JSON line with the upload's keys and the
    # invocation's own, as CloudWatch would keep it
    lines = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")
    ]
    [done] = [line for line in lines if line.get("message") == "upload complete"]
    assert done["level"] == "INFO" and done["service"] == "tripline"
    assert (done["upload_id"], done["source"], done["status"]) == (
        only_upload_id(client),
        "shop",
        "complete",
    )
    assert done["function"] == "process_rows"
