"""Known errors: a failure pattern (kind, sources, an RE2 pattern) and the one remedy it gets.

A failed upload is described by an :class:`UploadFailure` (what kind of failure, which source, the
reason and the problems' messages); :meth:`KnownErrorBook.match` finds the first known error, in
file order, whose pattern fits it. Remedies come from a fixed set that can only re-read the same
object: nothing an operator writes in the file can run code or reach another system.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import re2  # type: ignore[import-untyped]  # google-re2 ships no type hints

from chalicelib.domain.durations import format_duration

FAILURE_KINDS = (
    "source",  # no definition for the upload's source (or no longer one)
    "header",  # the header does not fit the source, or has too many columns
    "encoding",  # the header is not valid text in the source's encoding
    "malformed",  # the file cannot be split into CSV records
    "too_many_rows",  # past TRIPLINE_CSV_MAX_ROWS
    "object",  # the object is gone or was replaced
    "dependency",  # S3, SQS or the database kept failing until the import gave up
)
REMEDIES = ("retry", "reread", "skip_lines", "none")
MAX_RETRY_DELAY = timedelta(minutes=15)  # SQS DelaySeconds' limit: the delay is a queue's
MAX_RETRY_ATTEMPTS = 10
MAX_SKIP_LINES = 100
MAX_REMEDIES_PER_UPLOAD = 5  # remedies may chain (re-read, then skip a preamble), never loop


@dataclass(frozen=True)
class ReadOptions:
    """How one import reads its file, where it differs from the source's definition."""

    encoding: str | None = None
    delimiter: str | None = None
    skip_lines: int = 0

    def merged(self, other: ReadOptions) -> ReadOptions:
        """These options with ``other``'s given values on top."""
        return ReadOptions(
            other.encoding or self.encoding,
            other.delimiter or self.delimiter,
            other.skip_lines or self.skip_lines,
        )

    def as_dict(self) -> dict[str, Any]:
        shown = {"encoding": self.encoding, "delimiter": self.delimiter}
        return {k: v for k, v in shown.items() if v is not None} | (
            {"skip_lines": self.skip_lines} if self.skip_lines else {}
        )

    @classmethod
    def from_dict(cls, stored: Mapping[str, Any] | None) -> ReadOptions:
        stored = stored or {}
        encoding, delimiter = stored.get("encoding"), stored.get("delimiter")
        skip = stored.get("skip_lines", 0)
        return cls(
            encoding if isinstance(encoding, str) else None,
            delimiter if isinstance(delimiter, str) else None,
            skip if isinstance(skip, int) and not isinstance(skip, bool) and skip > 0 else 0,
        )


@dataclass(frozen=True)
class Remedy:
    """``retry`` (after ``after``, at most ``attempts`` times), ``reread`` or ``skip_lines``
    (``options``), or ``none`` (the incident is annotated with the runbook only)."""

    kind: str
    after: timedelta = timedelta(0)
    attempts: int = 1
    options: ReadOptions = field(default_factory=ReadOptions)

    def describe(self) -> str:
        if self.kind == "retry":
            return f"retry after {format_duration(self.after)} (at most {self.attempts} times)"
        if self.kind == "skip_lines":
            count = self.options.skip_lines
            return f"skip the first {count} line{'s' if count != 1 else ''}"
        if self.kind == "reread":
            given = self.options.as_dict()
            return "re-read with " + ", ".join(f"{k} {v!r}" for k, v in given.items())
        return "none (annotate only)"

    def as_dict(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"kind": self.kind}
        if self.kind == "retry":
            shown |= {"after": format_duration(self.after), "attempts": self.attempts}
        return shown | self.options.as_dict()


@dataclass(frozen=True)
class UploadFailure:
    """Why an upload failed, as the known errors see it: ``problems`` are the messages of its
    problems (the header's missing columns, say), searched as well as ``reason``."""

    kind: str
    source: str
    reason: str
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class KnownError:
    id: str
    kind: str
    sources: tuple[str, ...]  # empty: every source
    message: str  # the RE2 pattern, searched in the reason and each problem
    remedy: Remedy
    runbook: str | None = None
    description: str = ""
    file: str = ""
    line: int = 0
    _compiled: Any = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._compiled is None:
            object.__setattr__(self, "_compiled", compile_pattern(self.message))

    def matches(self, failure: UploadFailure) -> bool:
        if failure.kind != self.kind or (self.sources and failure.source not in self.sources):
            return False
        return any(
            self._compiled.search(text) is not None for text in (failure.reason, *failure.problems)
        )

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "description": self.description,
            "kind": self.kind,
            "sources": list(self.sources),
            "message": self.message,
            "remedy": self.remedy.as_dict(),
            "runbook": self.runbook,
            "file": f"{self.file}:{self.line}",
        }


@dataclass(frozen=True)
class KnownErrorBook:
    """The known errors of ``rules/known-errors.yaml``, in file order (the first match wins)."""

    known_errors: tuple[KnownError, ...] = ()

    def match(self, failure: UploadFailure) -> KnownError | None:
        return next((one for one in self.known_errors if one.matches(failure)), None)

    def get(self, known_error_id: str) -> KnownError | None:
        return next((one for one in self.known_errors if one.id == known_error_id), None)


def compile_pattern(text: str) -> Any:
    """RE2's compiled pattern; ``ValueError`` with RE2's reason for one it refuses."""
    options = re2.Options()
    options.log_errors = False
    try:
        return re2.compile(text, options)
    except re2.error as exc:
        detail = exc.args[0] if exc.args else "invalid"
        reason = detail.decode(errors="replace") if isinstance(detail, bytes) else str(detail)
        raise ValueError(f"invalid RE2 pattern: {reason}") from None
    except UnicodeEncodeError:
        raise ValueError("invalid RE2 pattern: it is not valid Unicode text") from None
