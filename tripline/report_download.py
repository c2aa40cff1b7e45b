"""A report's file, from its presigned link to the name a user opens, whole or not at all.

The body is streamed (a report can be larger than memory) into a temporary file in the target's
own folder, then renamed over the target: a rename within one file system is atomic, so the name
holds either the previous file or the complete new one, never a download that broke off.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import IO

import httpx

from chalicelib.domain.errors import DependencyError
from tripline.upload_client import SEND_TIMEOUT_SECONDS
from tripline.upload_progress import UploadBar


def save(url: str, target: Path, bar: UploadBar) -> int:
    """Stream ``url`` into ``target`` through a temporary file beside it; the bytes written."""
    # not mkstemp: its file is private (0600), and the report should get the usual permissions
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.part")
    try:
        with partial.open("xb") as sink:
            written = _stream(url, sink, bar)
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return written


def _stream(url: str, sink: IO[bytes], bar: UploadBar) -> int:
    written = 0
    try:
        with httpx.stream("GET", url, timeout=SEND_TIMEOUT_SECONDS) as response:
            if response.is_error:
                raise DependencyError(
                    f"download failed: {response.status_code} {response.reason_phrase}"
                    f" from {url.split('?', 1)[0]}"
                )
            length = response.headers.get("Content-Length")
            if length and length.isdigit():
                bar.start(int(length))
            for block in response.iter_bytes():
                sink.write(block)
                bar.advance(len(block))
                written += len(block)
    except httpx.HTTPError as exc:
        raise DependencyError(f"download failed: {exc}") from exc
    return written
