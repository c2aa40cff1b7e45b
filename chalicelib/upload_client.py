"""``tripline upload``: ask the API for a presigned POST, send the file to S3, wait for the result.

Only the public API and the presigned form are used (stdlib ``http.client``, no AWS credentials),
so the command works wherever an operator can reach the API. The multipart body is streamed from
the file in blocks with its length computed up front: S3 needs a Content-Length, and a 1 GiB file
must not be read into memory.
"""

from __future__ import annotations

import http.client
import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

from chalicelib.domain.errors import DependencyError, Detail, RequestError

BLOCK = 256 * 1024
FINAL = ("complete", "complete_with_errors", "failed")
EXIT_BY_STATUS = {"complete": 0, "complete_with_errors": 3, "failed": 4}
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
    post_form(grant["upload"], options.path, _ProgressBar(size, progress))
    if not options.wait:
        say(f"sent; follow it with GET {options.api_url}/uploads/{upload_id}")
        return 0
    status = _wait(options, upload_id)
    _summarise(status, say)
    return EXIT_BY_STATUS.get(status["status"], 5)


def call_api(method: str, url: str, body: object | None = None, *,
             key: str = "") -> dict[str, Any]:
    """One JSON call with the caller's key; an error answer becomes a ``RequestError``
    carrying the API's own details."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"} | (
        {"Authorization": f"Bearer {key}"} if key else {})
    request = Request(url, data=data, method=method,  # noqa: S310 (the operator's own API URL)
                      headers=headers)
    try:
        with urlopen(request, timeout=30) as response:  # noqa: S310
            answer: dict[str, Any] = json.loads(response.read())
            return answer
    except HTTPError as exc:
        raise _api_error(exc) from exc
    except URLError as exc:
        raise DependencyError(f"cannot reach the API at {url}: {exc.reason}") from exc


def _api_error(exc: HTTPError) -> RequestError:
    try:
        error = json.loads(exc.read())["error"]
        details = [Detail(**{k: v for k, v in one.items() if k in Detail.__dataclass_fields__})
                   for one in error.get("details", [])]
        return RequestError(f"{exc.code}: {error['message']}", details)
    except (ValueError, KeyError, TypeError):
        return RequestError(f"{exc.code}: {exc.reason}")


def post_form(form: dict[str, Any], path: Path, on_progress: Callable[[int], None]) -> None:
    """The browser-form POST S3 expects: every field, then the file, streamed."""
    boundary = uuid.uuid4().hex
    head = "".join(
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        for name, value in form["fields"].items()
    )
    head += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{form['file_field']}\"; "
             f"filename=\"{path.name}\"\r\nContent-Type: {form['content_type']}\r\n\r\n")
    tail = f"\r\n--{boundary}--\r\n".encode()
    size = path.stat().st_size
    url = urlsplit(form["url"])
    connection_type = (http.client.HTTPSConnection if url.scheme == "https"
                       else http.client.HTTPConnection)
    connection = connection_type(url.netloc, timeout=60)
    try:
        connection.putrequest("POST", url.path or "/")
        connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        connection.putheader("Content-Length", str(len(head.encode()) + size + len(tail)))
        connection.endheaders()
        connection.send(head.encode())
        for block in _blocks(path):
            connection.send(block)
            on_progress(len(block))
        connection.send(tail)
        response = connection.getresponse()
        answer = response.read().decode("utf-8", "replace")
    except OSError as exc:
        raise DependencyError(f"the upload to {url.netloc} broke off: {exc}") from exc
    finally:
        connection.close()
    if response.status >= 300:
        raise RequestError(f"S3 refused the file ({response.status}): {_s3_message(answer)}")


def _blocks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as stream:
        while block := stream.read(BLOCK):
            yield block


def _s3_message(xml: str) -> str:
    """``<Code>`` and ``<Message>`` of S3's error document, without an XML parser's risks."""
    found = []
    for tag in ("Code", "Message"):
        start, end = xml.find(f"<{tag}>"), xml.find(f"</{tag}>")
        if start >= 0 and end > start:
            found.append(xml[start + len(tag) + 2:end])
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
    say(f"upload {status['upload_id']}: {status['status']}"
        + (f" ({status['status_reason']})" if status.get("status_reason") else ""))
    say(f"  rows: {rows['seen']} seen, {rows['accepted']} accepted "
        f"({rows['stored']} new, {rows['duplicate']} already stored), {rows['rejected']} rejected")
    for problem in status.get("problems", []):
        where = problem.get("field") or problem.get("column") or ""
        say(f"  problem: {where}: {problem['message']}" if where else f"  problem: {problem['message']}")
    reports = status.get("reports") or {}
    for name in ("report_json", "rejects_csv"):
        if reports.get(name):
            say(f"  {name.replace('_', '.')}: {reports[name]}")


class _ProgressBar:
    """A one-line bar on a terminal; nothing on a pipe or a log file (no control characters)."""

    def __init__(self, total: int, stream: IO[str]) -> None:
        self._total = max(total, 1)
        self._sent = 0
        self._stream = stream
        self._shown = -1
        self._live = stream.isatty() and os.environ.get("TERM") != "dumb"

    def __call__(self, sent: int) -> None:
        self._sent += sent
        percent = self._sent * 100 // self._total
        if not self._live or percent == self._shown:
            return
        self._shown = percent
        filled = percent * 30 // 100
        end = "\n" if self._sent >= self._total else ""
        self._stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {percent:3d}% "
                           f"{self._sent:,} of {self._total:,} bytes{end}")
        self._stream.flush()
