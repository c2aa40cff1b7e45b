"""`tripline report`'s requests and error paths, against a stand-in API on a local port.

The stand-in answers each path with a canned response, so a refused request, a failed report and
a download that breaks off are cheap to stage; the whole path through the real API and the local
runtime is tests/e2e/test_local_reports.py.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tripline.cli import build_parser, main
from tripline.report_cli import report_request

Canned = tuple[int, bytes]


class StandIn:
    """Canned answers by ``METHOD /path`` (each a list, the last repeated); the bodies posted."""

    def __init__(self) -> None:
        self.answers: dict[str, list[Canned]] = {}
        self.posted: list[Any] = []
        self.url = ""

    def on(self, route: str, *answers: tuple[int, object]) -> None:
        self.answers[route] = [
            (status, body if isinstance(body, bytes) else json.dumps(body).encode())
            for status, body in answers
        ]

    def answer(self, method: str, path: str) -> Canned:
        queued = self.answers.get(f"{method} {path.split('?', 1)[0]}")
        if not queued:
            return 404, json.dumps({"error": {"code": "not_found", "message": path}}).encode()
        return queued.pop(0) if len(queued) > 1 else queued[0]


@pytest.fixture
def api() -> Iterator[StandIn]:
    stand_in = StandIn()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._send(*stand_in.answer("GET", self.path))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            stand_in.posted.append(json.loads(self.rfile.read(length)))
            self._send(*stand_in.answer("POST", self.path))

        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stand_in.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield stand_in
    server.shutdown()
    server.server_close()


def report(status: str, **more: Any) -> dict[str, Any]:
    return {
        "id": "r-1",
        "kind": "events",
        "format": "xlsx",
        "params": {},
        "status": status,
        "requested_by": "key:admin",
        "created_at": "2026-12-07T16:00:00+00:00",
        "links": {"self": "/reports/r-1"},
    } | more


def create(api: StandIn, *options: str) -> int:
    return main(["report", "create", "--api-url", api.url, "--api-key", "k", *options])


def test_only_the_filters_given_are_sent_and_availability_names_its_one_source() -> None:
    # GIVEN the options of an events report and of an availability report
    events = build_parser().parse_args(
        [
            *("report", "create", "--kind", "events", "--since", "2026-11-22T00:00:00Z"),
            *("--source", "shop", "--source", "pos", "--type", "order.paid"),
        ]
    )
    availability = build_parser().parse_args(
        ["report", "create", "--kind", "availability", "--source", "stores", "--format", "xlsx"]
    )
    # WHEN they become requests THEN each carries what was given, and nothing else
    assert report_request(events) == {
        "kind": "events",
        "format": "csv",
        "params": {
            "since": "2026-11-22T00:00:00Z",
            "sources": ["shop", "pos"],
            "types": ["order.paid"],
        },
    }
    assert report_request(availability)["params"] == {"source": "stores"}


def test_an_unknown_kind_is_refused_before_any_request(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as refused:
        main(["report", "create", "--kind", "everything"])
    assert refused.value.code == 2
    assert "invalid choice: 'everything'" in capsys.readouterr().err


def test_a_400_prints_each_detail_as_field_and_message_and_exits_2(
    api: StandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN an API that refuses the request, naming two fields
    api.on(
        "POST /reports",
        (
            400,
            {
                "error": {
                    "code": "invalid_query",
                    "message": "invalid report request",
                    "details": [
                        {"message": "must be before 'until'", "field": "params.since"},
                        {"message": "unknown source", "field": "params.sources", "value": "x"},
                    ],
                }
            },
        ),
    )
    # WHEN a report is asked for
    code = create(api, "--kind", "events", "--source", "x", "--wait")
    # THEN each detail is printed as field: message, and the exit status is 2
    err = capsys.readouterr().err
    assert code == 2
    assert "400: invalid report request" in err
    assert "params.since: must be before 'until'" in err
    assert "params.sources: unknown source" in err


def test_a_failed_report_prints_its_reason_and_exits_1(
    api: StandIn, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a report that runs, then fails
    api.on("POST /reports", (202, report("queued")))
    running = report("running", progress={"rows_written": 5, "rows_expected": 10, "percent": 50})
    api.on("GET /reports/r-1", (200, running), (200, report("failed", reason="bucket refused")))
    # WHEN it is waited for
    code = create(api, "--kind", "events", "--wait", "--out", str(tmp_path / "r.xlsx"))
    # THEN the reason is printed, exit 1, and no file is made
    assert code == 1
    assert "report r-1: failed: bucket refused" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


def test_a_complete_report_is_saved_under_its_own_name_by_default(
    api: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a report that completes, with a link to its file
    monkeypatch.chdir(tmp_path)
    api.on("POST /reports", (202, report("queued")))
    link = {"url": f"{api.url}/files/r-1", "file_name": "events.csv", "expires_in_seconds": 60}
    api.on("GET /reports/r-1", (200, report("complete", rows=2, download=link)))
    api.on("GET /files/r-1", (200, b"source,event_id\nshop,1\nshop,2\n"))
    # WHEN it is waited for without --out
    code = create(api, "--kind", "events", "--wait")
    # THEN the file is in the current folder, under the report's name, and nothing else is
    assert code == 0
    assert [path.name for path in tmp_path.iterdir()] == ["events.csv"]
    assert (tmp_path / "events.csv").read_bytes() == b"source,event_id\nshop,1\nshop,2\n"


def test_a_download_that_fails_leaves_no_file_and_keeps_an_older_one(
    api: StandIn, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a complete report whose link the bucket refuses, and a file already at --out
    out = tmp_path / "report.csv"
    out.write_text("last week's\n")
    api.on("POST /reports", (202, report("queued")))
    link = {"url": f"{api.url}/files/gone", "file_name": "events.csv", "expires_in_seconds": 60}
    api.on("GET /reports/r-1", (200, report("complete", rows=2, download=link)))
    api.on("GET /files/gone", (403, b"<Error><Code>AccessDenied</Code></Error>"))
    # WHEN it is waited for
    code = create(api, "--kind", "events", "--wait", "--out", str(out))
    # THEN the failure is reported (exit 2), the old file is untouched, no partial file is left
    assert code == 2
    assert "download failed: 403" in capsys.readouterr().err
    assert [path.name for path in tmp_path.iterdir()] == ["report.csv"]
    assert out.read_text() == "last week's\n"


def test_an_out_file_in_a_missing_folder_is_refused_before_the_report_is_asked_for(
    api: StandIn, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = create(api, "--kind", "events", "--wait", "--out", str(tmp_path / "nope" / "r.csv"))
    assert code == 2
    assert "no such directory" in capsys.readouterr().err
    assert api.posted == []


def test_without_wait_it_says_how_to_follow_the_report(
    api: StandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    api.on("POST /reports", (202, report("queued")))
    assert create(api, "--kind", "uploads", "--since", "2026-11-22T00:00:00Z") == 0
    assert api.posted == [
        {"kind": "uploads", "format": "csv", "params": {"since": "2026-11-22T00:00:00Z"}}
    ]
    assert "tripline report show r-1" in capsys.readouterr().out


def test_list_prints_one_line_per_report(api: StandIn, capsys: pytest.CaptureFixture[str]) -> None:
    api.on("GET /reports", (200, {"items": [report("complete", rows=1234)], "next_cursor": None}))
    assert main(["report", "list", "--api-url", api.url]) == 0
    [_, line] = capsys.readouterr().out.splitlines()
    assert line.split() == [
        "r-1",
        "events",
        "xlsx",
        "complete",
        "1,234",
        "2026-12-07T16:00:00+00:00",
    ]


def test_an_out_folder_gets_the_file_under_its_own_name(api: StandIn, tmp_path: Path) -> None:
    api.on("POST /reports", (202, report("queued")))
    link = {"url": f"{api.url}/files/r-1", "file_name": "alerts.csv", "expires_in_seconds": 60}
    api.on("GET /reports/r-1", (200, report("complete", rows=0, download=link)))
    api.on("GET /files/r-1", (200, b"id\n"))
    assert create(api, "--kind", "alerts", "--wait", "--out", str(tmp_path)) == 0
    assert (tmp_path / "alerts.csv").read_bytes() == b"id\n"
