"""Who may call what: API keys, their roles, and the routes each role reaches.

A key is ``tl_<id>_<secret>``. The id is public (lists, the audit log, revocation); only a SHA-256
of the secret is stored, and the whole key is shown once, when it is created. The secret is 192
random bits, so a fast hash is enough: there is nothing to guess a dictionary from.

Roles nest: ``ingest`` writes events and uploads of its own sources and reads its uploads (only
its own sources': another source's upload is a 404, as if absent), and reads KPIs and reports
of its own sources and their rejected items (``/rejections``); ``operator`` also reads
everything (the weekly digests too), tries rules, and acts on alerts and silences; ``admin``
also reads the audit log and ``/metrics``. A ``metrics`` key stands apart: it reaches
``/metrics`` (and ``/me``) only, for a Prometheus server. ``/health``, ``/openapi.json``,
``/docs`` and ``/console`` need no key.

A key may also come as the user of HTTP Basic credentials, as Segment's clients send their write
key; Segment's ``/v1/*`` routes take an ingest key of exactly one source, which gets the calls.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.errors import Detail, Forbidden

ROLES = ("ingest", "operator", "admin", "metrics")
KEY_PATTERN = re.compile(r"tl_([0-9a-f]{12})_([A-Za-z0-9_-]{32})")
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._@-]{0,99}")

Route = tuple[str, tuple[str, ...]]  # a path as app.py declares it, and its methods

# Segment's tracking API: the key (the HTTP Basic user) must write exactly one source, which
# receives the calls; an operator's or admin's key reaches the routes to be told so in Segment's shape
SEGMENT_ROUTES: tuple[Route, ...] = tuple(
    (f"/v1/{call}", ("POST",))
    for call in ("batch", "track", "identify", "page", "screen", "group", "alias")
)
INGEST_ROUTES: tuple[Route, ...] = (
    ("/me", ("GET",)),  # every key may ask who it is (the console offers what it may do)
    ("/events", ("POST",)),
    *SEGMENT_ROUTES,
    ("/rejections", ("GET",)),  # rejected items kept with their errors (its own sources')
    ("/uploads", ("POST",)),
    ("/uploads/{upload_id}", ("GET",)),
    ("/kpis", ("GET",)),  # the reading routes show an ingest key its own sources only
    ("/reports", ("GET", "POST")),
    ("/reports/{report_id}", ("GET",)),
)
OPERATOR_ROUTES: tuple[Route, ...] = (
    ("/me", ("GET",)),
    ("/events", ("GET", "POST")),
    ("/events/{source}/{event_id}", ("GET",)),
    *SEGMENT_ROUTES,
    ("/rejections", ("GET",)),
    ("/uploads", ("GET", "POST")),
    ("/uploads/{upload_id}", ("GET",)),
    ("/uploads/{upload_id}/retry", ("POST",)),  # a failed upload imported again
    ("/rules", ("GET",)),
    ("/rules/test", ("POST",)),
    ("/alerts", ("GET",)),
    ("/alerts/{alert_id}", ("GET",)),
    ("/alerts/{alert_id}/ack", ("POST",)),
    ("/alerts/{alert_id}/resolve", ("POST",)),
    ("/silences", ("GET", "POST")),
    ("/silences/{silence_id}", ("GET", "DELETE")),
    ("/kpis", ("GET",)),
    ("/reports", ("GET", "POST")),
    ("/reports/{report_id}", ("GET",)),
    ("/digests", ("GET",)),
    ("/digests/latest", ("GET",)),
    ("/replays", ("GET", "POST")),  # stored events through the current rules
    ("/replays/{replay_id}", ("GET",)),
    ("/replays/{replay_id}/cancel", ("POST",)),
    ("/known-errors", ("GET",)),  # rules/known-errors.yaml with what each remedy did
)
ADMIN_ROUTES: tuple[Route, ...] = (
    *OPERATOR_ROUTES,
    ("/audit", ("GET",)),
    ("/metrics", ("GET",)),
)
# A Prometheus server's key: it scrapes /metrics and nothing else (no event, alert or source name
# beyond the figures' labels), so a scraper's leaked key reads no data.
METRICS_ROUTES: tuple[Route, ...] = (("/me", ("GET",)), ("/metrics", ("GET",)))
ROUTES_BY_ROLE: Mapping[str, tuple[Route, ...]] = {
    "ingest": INGEST_ROUTES,
    "operator": OPERATOR_ROUTES,
    "admin": ADMIN_ROUTES,
    "metrics": METRICS_ROUTES,
}


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    role: str
    sources: tuple[str, ...]
    secret_hash: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None

    def view(self) -> dict[str, object]:
        """As lists show it: never the hash."""
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role,
            "sources": list(self.sources),
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


@dataclass(frozen=True)
class Principal:
    """The caller a key stands for, as the authorizer hands it to the routes."""

    key_id: str
    name: str
    role: str
    sources: tuple[str, ...] = ()

    @property
    def actor(self) -> str:
        return f"{self.name} ({self.key_id})"

    @property
    def single_source(self) -> str | None:
        """The one source an ingest key of exactly one source writes, where a protocol's items
        name none of their own (Segment's calls, PagerDuty's events, an unmapped CloudEvent);
        None for any other key, which could write several."""
        return self.sources[0] if self.role == "ingest" and len(self.sources) == 1 else None

    def may_write(self, source: str) -> bool:
        return self.role != "ingest" or source in self.sources

    def may_read(self, source: str) -> bool:
        """An ingest key reads only what its own sources sent; another source's upload or event
        is answered as absent (404), so a key cannot learn what other sources exist."""
        return self.may_write(source)

    def check_sources(self, sources: Collection[str]) -> None:
        """``Forbidden`` naming every source this key may not write."""
        refused = sorted({one for one in sources if not self.may_write(one)})
        if refused:
            allowed = ", ".join(self.sources) or "none"
            raise Forbidden(
                f"key {self.key_id} may not write to {', '.join(refused)}",
                [
                    Detail(f"this key writes only to: {allowed}", field="source", value=one)
                    for one in refused
                ],
            )


def split_key(text: str) -> tuple[str, str] | None:
    """``(id, secret)`` of ``tl_<id>_<secret>``, also after ``Bearer ``, or as the user of
    ``Basic <base64 user:password>`` (Segment's clients send their write key so); None
    otherwise, an undecodable Basic credential included."""
    token = text.strip()
    if token[:7].lower() == "bearer ":
        token = token[7:].strip()
    elif token[:6].lower() == "basic ":
        token = _basic_user(token[6:].strip())
    found = KEY_PATTERN.fullmatch(token)
    return (found.group(1), found.group(2)) if found else None


def _basic_user(credentials: str) -> str:
    """The user of HTTP Basic credentials (RFC 7617); empty when they are not base64 of
    ``user:password`` in UTF-8."""
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ""
    user, colon, _ = decoded.partition(":")
    return user if colon else ""


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(key: ApiKey, secret: str) -> bool:
    return key.revoked_at is None and hmac.compare_digest(key.secret_hash, hash_secret(secret))


def new_key_text() -> tuple[str, str, str]:
    """A fresh key: ``(id, secret, the key as the caller sends it)``."""
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(24)
    return key_id, secret, f"tl_{key_id}_{secret}"


def key_problems(
    name: str, role: str, sources: Collection[str], known_sources: Collection[str]
) -> list[Detail]:
    problems = []
    if not NAME_PATTERN.fullmatch(name):
        problems.append(
            Detail("1 to 100 letters, digits, spaces and ._@-", field="name", value=name)
        )
    if role not in ROLES:
        problems.append(Detail(f"must be one of {', '.join(ROLES)}", field="role", value=role))
    if role == "ingest" and not sources:
        problems.append(Detail("an ingest key needs at least one source", field="sources"))
    if role != "ingest" and sources:
        problems.append(Detail("only ingest keys are limited to sources", field="sources"))
    problems.extend(
        Detail(
            f"no source {one!r}; known: {', '.join(sorted(known_sources))}",
            field="sources",
            value=one,
        )
        for one in sources
        if one not in known_sources
    )
    return problems
