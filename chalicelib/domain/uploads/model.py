"""What an upload is: its statuses, where its object and reports live, and the chunk tasks it fans into.

An upload is one CSV object under ``incoming/<source>/``. Either the API granted it (a presigned
POST for ``incoming/<source>/<upload id>/<filename>``), or an operator dropped the object there
directly; a direct drop gets an id derived from the object's identity, so a duplicate notification
for the same object finds the same upload instead of starting a second import.
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from chalicelib.domain.errors import Detail
from chalicelib.domain.json_values import parse_timestamp
from chalicelib.domain.sources import SOURCE_PATTERN

INCOMING = "incoming"
REPORTS = "reports"
UPLOAD_ID = re.compile(r"[0-9a-f]{32}")
MAX_FILENAME_LENGTH = 255
# Direct drops: the upload id is a name-based UUID of the object, stable across notifications.
DIRECT_DROP_NAMESPACE = uuid.UUID("8d5f2a34-6f0e-4c57-9a43-0b7b3c1f9e21")
TASK_VERSION = 1


class UploadStatus(StrEnum):
    AWAITING_UPLOAD = "awaiting_upload"  # granted; the object has not landed yet
    IMPORTING = "importing"  # the object landed: fanning out, then chunks in progress
    COMPLETE = "complete"
    COMPLETE_WITH_ERRORS = "complete_with_errors"  # done; some rows were rejected
    FAILED = "failed"  # the file as a whole could not be imported: see the reason


FINAL_STATUSES = frozenset(
    {UploadStatus.COMPLETE, UploadStatus.COMPLETE_WITH_ERRORS, UploadStatus.FAILED}
)


class Origin(StrEnum):
    PRESIGNED = "presigned"
    DIRECT = "direct"


def new_upload_id() -> str:
    return uuid.uuid4().hex


def direct_upload_id(key: str, identity: str) -> str:
    return uuid.uuid5(DIRECT_DROP_NAMESPACE, f"{key}\n{identity}").hex


def incoming_key(source: str, upload_id: str, filename: str) -> str:
    return f"{INCOMING}/{source}/{upload_id}/{filename}"


def report_keys(source: str, upload_id: str) -> tuple[str, str]:
    """``rejects.csv`` and ``report.json``: beside the upload, never under ``incoming/``."""
    folder = f"{REPORTS}/{source}/{upload_id}"
    return f"{folder}/rejects.csv", f"{folder}/report.json"


def filename_problem(filename: object) -> Detail | None:
    """A file name must be one path segment of printable characters; say why when it is not."""
    if not isinstance(filename, str) or not filename.strip():
        return Detail("is required: the CSV file's name, e.g. orders.csv", field="filename")
    if len(filename.encode()) > MAX_FILENAME_LENGTH:
        return Detail(f"is longer than {MAX_FILENAME_LENGTH} bytes", field="filename")
    if "/" in filename or "\\" in filename or filename in (".", ".."):
        return Detail("must be a file name, not a path", field="filename", value=filename)
    if any(unicodedata.category(ch) in _UNPRINTABLE for ch in filename):
        return Detail(
            "must not hold control characters or line breaks", field="filename", value=filename
        )
    return None


# controls, format characters (right-to-left overrides), surrogates, private use, unassigned, and
# the Unicode line and paragraph separators, which break a name across lines where it is shown
_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


@dataclass(frozen=True)
class IncomingKey:
    """Where a key under ``incoming/`` says an object belongs."""

    source: str
    filename: str
    upload_id: str | None  # the granted upload the key names, if it has that shape


def parse_incoming_key(key: str) -> IncomingKey | None:
    """``incoming/<source>/[<upload id>/]<name>``; ``None`` for folders and keys outside it."""
    parts = key.split("/")
    if len(parts) < 3 or parts[0] != INCOMING or not parts[1] or not parts[-1]:
        return None
    granted = parts[2] if len(parts) == 4 and UPLOAD_ID.fullmatch(parts[2]) else None
    return IncomingKey(parts[1], parts[-1], granted)


def source_problem(source: str) -> str | None:
    if source != source.lower() or not SOURCE_PATTERN.fullmatch(source):
        return f"{source!r} is not a source name (lower case, {SOURCE_PATTERN.pattern})"
    return None


@dataclass(frozen=True)
class LandedObject:
    """An object S3 says was created: which version of it, and when it landed."""

    bucket: str
    key: str
    size: int
    etag: str | None
    version_id: str | None
    sequencer: str | None
    landed_at: datetime

    @property
    def identity(self) -> str:
        """What tells this write of the key from another: the version, else S3's sequencer."""
        return self.version_id or self.sequencer or self.etag or ""


@dataclass(frozen=True)
class ChunkTask:
    """One chunk of an upload for a processor: everything it needs without a database read."""

    upload_id: str
    source: str
    key: str
    version_id: str | None
    etag: str | None
    chunk: int
    start: int
    end: int
    first_line: int
    rows: int
    header: tuple[str, ...]
    landed_at: datetime
    # a re-import's reading where it differs from the source's (a known error's remedy)
    encoding: str | None = None
    delimiter: str | None = None

    def encode(self) -> str:
        body: dict[str, Any] = {
            "v": TASK_VERSION,
            "kind": "chunk",
            "upload_id": self.upload_id,
            "source": self.source,
            "key": self.key,
            "version_id": self.version_id,
            "etag": self.etag,
            "chunk": self.chunk,
            "start": self.start,
            "end": self.end,
            "first_line": self.first_line,
            "rows": self.rows,
            "header": list(self.header),
            "landed_at": self.landed_at.isoformat(),
        }
        read_as = {"encoding": self.encoding, "delimiter": self.delimiter}
        body |= {name: value for name, value in read_as.items() if value is not None}
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def decode(cls, text: str) -> ChunkTask:
        """Raise ``ValueError`` saying what is wrong: a redrive or a stray message may be anything."""
        try:
            body = json.loads(text)
        except ValueError as exc:
            raise ValueError(f"not JSON: {exc}") from exc
        if (
            not isinstance(body, dict)
            or body.get("v") != TASK_VERSION
            or body.get("kind") != "chunk"
        ):
            raise ValueError(f"not a version {TASK_VERSION} chunk task")
        landed_at = parse_timestamp(body.get("landed_at"))
        if isinstance(landed_at, str):
            raise ValueError(f"landed_at {landed_at}")
        return cls(
            _text(body, "upload_id"),
            _text(body, "source"),
            _text(body, "key"),
            _optional_text(body, "version_id"),
            _optional_text(body, "etag"),
            _whole(body, "chunk"),
            _whole(body, "start"),
            _whole(body, "end"),
            _whole(body, "first_line"),
            _whole(body, "rows"),
            _header(body),
            landed_at,
            _optional_text(body, "encoding"),
            _optional_text(body, "delimiter"),
        )


# Strict reads of a task's fields: ``int()`` and ``tuple()`` would turn 1.5 into 1 and a header
# written as one string into its characters, and send the processor to the wrong bytes.


def _invalid(name: str) -> ValueError:
    return ValueError(f"a chunk task without a valid {name!r}")


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise _invalid(name)
    return value


def _optional_text(body: dict[str, Any], name: str) -> str | None:
    return None if body.get(name) is None else _text(body, name)


def _whole(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _invalid(name)
    return value


def _header(body: dict[str, Any]) -> tuple[str, ...]:
    cells = body.get("header")
    if not isinstance(cells, list) or not all(isinstance(cell, str) for cell in cells):
        raise _invalid("header")
    return tuple(cells)
