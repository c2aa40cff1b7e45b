"""``tripline upload``: ask the API for a presigned POST, send the file to S3, wait for the result.

Only the public API and the presigned form are used (httpx, no AWS credentials), so the command
works wherever an operator can reach the API. The multipart body is httpx's: it escapes the file
name in the part's header as browsers do, and streams the file in blocks behind a Content-Length
read from the open file (S3 needs the length, and a 1 GiB file must not be read into memory).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

from chalicelib.domain.errors import DependencyError, Detail, RequestError
from tripline.upload_progress import progress_bar

FINAL = ("complete", "complete_with_errors", "failed")
EXIT_BY_STATUS = {"complete": 0, "complete_with_errors": 3, "failed": 4}
API_TIMEOUT_SECONDS = 30.0
SEND_TIMEOUT_SECONDS = 60.0  # for each connect, write and read, not for the whole file
Say = Callable[[str], None]


@dataclass(frozen=True)
class UploadOptions:
    path: Path
    source: str
    api_url: str
    api_key: str = ""
    wait: bool = True
    timeout_seconds: float = 600.0
    poll_seconds: float = 0.5


def run_upload(options: UploadOptions, say: Say, progress: IO[str] = sys.stderr) -> int:
    """0 complete, 3 complete with rejected rows, 4 failed, 5 still running at the timeout."""
    size = options.path.stat().st_size
    request = {"source": options.source, "filename": options.path.name, "size": size}
    grant = call_api("POST", f"{options.api_url}/uploads", request, key=options.api_key)
    upload_id = grant["upload_id"]
    say(f"upload {upload_id}: sending {options.path.name} ({size:,} bytes) to {grant['key']}")
    with progress_bar(options.path.name, progress) as bar:
        post_form(grant["upload"], options.path, bar.advance, on_start=bar.start)
    if not options.wait:
        say(f"sent; follow it with GET {options.api_url}/uploads/{upload_id}")
        return 0
    status = _wait(options, upload_id)
    _summarise(status, say)
    return EXIT_BY_STATUS.get(status["status"], 5)


def call_api(method: str, url: str, body: object | None = None, *, key: str = "") -> dict[str, Any]:
    """One JSON call with the caller's key; an error answer becomes a ``RequestError``
    carrying the API's own details."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        response = httpx.request(
            method, url, json=body, headers=headers, timeout=API_TIMEOUT_SECONDS
        )
    except httpx.TransportError as exc:
        raise DependencyError(f"cannot reach the API at {url}: {exc}") from exc
    if response.is_error:
        raise _api_error(response)
    try:
        answer: dict[str, Any] = response.json()
    except ValueError as exc:
        raise DependencyError(
            f"the API at {url} answered {response.status_code} without a JSON document"
        ) from exc
    return answer


def _api_error(response: httpx.Response) -> RequestError:
    try:
        error = response.json()["error"]
        details = [
            Detail(**{k: v for k, v in one.items() if k in Detail.__dataclass_fields__})
            for one in error.get("details", [])
        ]
        return RequestError(f"{response.status_code}: {error['message']}", details)
    except (ValueError, KeyError, TypeError):
        return RequestError(f"{response.status_code}: {response.reason_phrase}")


def post_form(
    form: dict[str, Any],
    path: Path,
    on_progress: Callable[[int], None],
    *,
    on_start: Callable[[int], None] | None = None,
) -> None:
    """The browser-form POST S3 expects: every field, then the file, streamed from disk.

    httpx writes the part's header as the HTML standard has browsers write it (a quote in the
    file name as ``%22``, a backslash escaped, a line break as ``%0D%0A``), so no file name can
    end its quoted string early or start a header of its own. ``on_start`` hears the body's
    length, ``on_progress`` each block of it once the socket has taken it.
    """
    host = httpx.URL(form["url"]).host
    with path.open("rb") as stream, httpx.Client(timeout=SEND_TIMEOUT_SECONDS) as client:
        request = client.build_request(
            "POST",
            form["url"],
            data=form["fields"],
            files={form["file_field"]: (path.name, stream, form["content_type"])},
        )
        if on_start is not None:
            on_start(int(request.headers["Content-Length"]))
        request.stream = _CountedBody(request.stream, on_progress)
        try:
            response = client.send(request)
        except httpx.TransportError as exc:
            raise DependencyError(f"the upload to {host} broke off: {exc}") from exc
    if response.status_code >= 300:
        raise RequestError(
            f"S3 refused the file ({response.status_code}): {_s3_message(response.text)}"
        )


class _CountedBody(httpx.SyncByteStream):
    """A request body that reports each block when the transport comes back for the next one:
    by then the block is written to the socket, so the count is of bytes sent, not bytes read."""

    def __init__(
        self, body: httpx.SyncByteStream | httpx.AsyncByteStream, on_progress: Callable[[int], None]
    ) -> None:
        if not isinstance(body, httpx.SyncByteStream):
            raise TypeError("a multipart body that cannot be sent synchronously")
        self._body = body
        self._on_progress = on_progress

    def __iter__(self) -> Iterator[bytes]:
        for block in self._body:
            yield block
            self._on_progress(len(block))


def _s3_message(xml: str) -> str:
    """``<Code>`` and ``<Message>`` of S3's error document, without an XML parser's risks."""
    found = []
    for tag in ("Code", "Message"):
        start, end = xml.find(f"<{tag}>"), xml.find(f"</{tag}>")
        if start >= 0 and end > start:
            found.append(xml[start + len(tag) + 2 : end])
    return ": ".join(found) or xml[:200]


def _wait(options: UploadOptions, upload_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + options.timeout_seconds
    while True:
        status = call_api("GET", f"{options.api_url}/uploads/{upload_id}", key=options.api_key)
        if status["status"] in FINAL or time.monotonic() > deadline:
            return status
        time.sleep(options.poll_seconds)


def _summarise(status: dict[str, Any], say: Say) -> None:
    rows = status["rows"]
    say(
        f"upload {status['upload_id']}: {status['status']}"
        + (f" ({status['status_reason']})" if status.get("status_reason") else "")
    )
    say(
        f"  rows: {rows['seen']} seen, {rows['accepted']} accepted "
        f"({rows['stored']} new, {rows['duplicate']} already stored), {rows['rejected']} rejected"
    )
    for problem in status.get("problems", []):
        where = problem.get("field") or problem.get("column") or ""
        say(
            f"  problem: {where}: {problem['message']}"
            if where
            else f"  problem: {problem['message']}"
        )
    reports = status.get("reports") or {}
    for name in ("report_json", "rejects_csv"):
        if reports.get(name):
            say(f"  {name.replace('_', '.')}: {reports[name]}")
