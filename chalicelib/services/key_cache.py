"""API keys as the authorizer checks them: from memory, so ingest outlives a database outage.

The queue in front of the processors is only a buffer if ``POST /events`` keeps answering while
the database is away, and the authorizer is the one part of that route that reads the database.
So a container keeps every key it has looked up:

- for ``fresh_for`` after the database last confirmed it, a key is answered from memory;
- after that it is looked up again, so a revocation made anywhere takes effect within
  ``fresh_for`` (at once when it is made through this container);
- when the database cannot be reached, a key it confirmed within ``stale_for`` is still answered
  from memory, and the database is not asked again for ``retry_pause``: an outage costs one
  connection attempt per pause, not one per request;
- a key it never confirmed, or not within ``stale_for``, cannot be checked: ``DependencyError``,
  which the authorizer answers with 503 and ``Retry-After``, never as the caller's fault.

Keys the database does not know are not remembered: an unknown key is looked up each time, as
before, so a key created a moment ago works at once and guessing cannot fill the memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.domain.access import ApiKey
from chalicelib.domain.errors import DependencyError
from chalicelib.observability import logger
from chalicelib.ports import Clock, KeyStore


@dataclass(frozen=True)
class KeyCachePolicy:
    fresh_for: timedelta = timedelta(seconds=60)
    stale_for: timedelta = timedelta(minutes=15)
    retry_pause: timedelta = timedelta(seconds=5)


@dataclass(frozen=True)
class _Confirmed:
    key: ApiKey
    at: datetime


class CachedKeyStore:
    """A ``KeyStore`` that answers ``find`` from memory as the module describes; writes go
    through to the store and update the memory.

    Shared by a process's threads: each update replaces one dictionary entry or one attribute,
    which Python does atomically, and two threads refreshing one key at once only ask twice."""

    def __init__(
        self, store: KeyStore, clock: Clock, policy: KeyCachePolicy = KeyCachePolicy()
    ) -> None:
        self._store, self._clock, self._policy = store, clock, policy
        self._confirmed: dict[str, _Confirmed] = {}
        self._paused_until: datetime | None = None
        self._outage = ""

    def find(self, key_id: str) -> ApiKey | None:
        now = self._clock.now()
        known = self._confirmed.get(key_id)
        if known is not None and now - known.at < self._policy.fresh_for:
            return known.key
        if self._paused_until is not None and now < self._paused_until:
            return self._from_memory(key_id, known, now)
        try:
            key = self._store.find(key_id)
        except DependencyError as exc:
            self._paused_until, self._outage = now + self._policy.retry_pause, exc.message
            return self._from_memory(key_id, known, now)
        self._paused_until = None
        self._remember(key_id, key, now)
        return key

    def add(self, key: ApiKey) -> None:
        self._store.add(key)
        self._remember(key.id, key, self._clock.now())

    def list_keys(self) -> list[ApiKey]:
        return self._store.list_keys()

    def revoke(self, key_id: str, at: datetime) -> ApiKey | None:
        key = self._store.revoke(key_id, at)
        self._remember(key_id, key, self._clock.now())
        return key

    def _remember(self, key_id: str, key: ApiKey | None, now: datetime) -> None:
        if key is None:
            self._confirmed.pop(key_id, None)
        else:
            self._confirmed[key_id] = _Confirmed(key, now)

    def _from_memory(self, key_id: str, known: _Confirmed | None, now: datetime) -> ApiKey:
        if known is None or now - known.at > self._policy.stale_for:
            raise DependencyError(f"API key {key_id} cannot be checked: {self._outage}")
        logger().warning(
            "key store unreachable; key answered from memory",
            extra={
                "key_id": key_id,
                "reason": self._outage,
                "confirmed_seconds_ago": int((now - known.at).total_seconds()),
            },
        )
        return known.key
