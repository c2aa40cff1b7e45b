"""The grant's answer: where and how a browser form posts the file, signed by the bucket."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class PresignedPost:
    """A browser-form upload: POST ``fields`` and the file (last) to ``url`` before ``expires_at``."""

    url: str
    fields: dict[str, str]
    expires_at: datetime
