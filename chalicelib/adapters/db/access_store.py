"""SqlKeyStore and SqlAuditLog: API keys (hashes only) and the record of who did what."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Row, and_, or_, select, update

from chalicelib.adapters.db.errors import database_errors
from chalicelib.adapters.db.tables import api_keys, audit_log
from chalicelib.domain.access import ApiKey, AuditEntry, AuditPage, AuditQuery
from chalicelib.domain.paging import encode_keyset


class SqlKeyStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, key: ApiKey) -> None:
        with database_errors("storing an API key"), self._engine.begin() as conn:
            conn.execute(
                api_keys.insert().values(
                    id=key.id,
                    name=key.name,
                    role=key.role,
                    sources=list(key.sources),
                    secret_hash=key.secret_hash,
                    created_at=key.created_at,
                    created_by=key.created_by,
                    revoked_at=key.revoked_at,
                )
            )

    def find(self, key_id: str) -> ApiKey | None:
        with database_errors("reading an API key"), self._engine.connect() as conn:
            row = conn.execute(select(api_keys).where(api_keys.c.id == key_id)).first()
        return None if row is None else _key(row)

    def list_keys(self) -> list[ApiKey]:
        with database_errors("listing API keys"), self._engine.connect() as conn:
            rows = conn.execute(
                select(api_keys).order_by(api_keys.c.created_at, api_keys.c.id)
            ).all()
        return [_key(row) for row in rows]

    def revoke(self, key_id: str, at: datetime) -> ApiKey | None:
        """Revoked once; revoking again keeps the first time."""
        with database_errors("revoking an API key"), self._engine.begin() as conn:
            conn.execute(
                update(api_keys)
                .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=at)
            )
            row = conn.execute(select(api_keys).where(api_keys.c.id == key_id)).first()
        return None if row is None else _key(row)


class SqlAuditLog:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def record(self, entry: AuditEntry) -> None:
        with database_errors("recording an audit entry"), self._engine.begin() as conn:
            conn.execute(
                audit_log.insert().values(
                    at=entry.at,
                    actor=entry.actor[:200],
                    role=entry.role,
                    action=entry.action,
                    target=entry.target[:255],
                    detail=dict(entry.detail),
                    origin=(entry.origin or "")[:255] or None,
                )
            )

    def list_entries(self, query: AuditQuery) -> AuditPage:
        conditions = [
            audit_log.c.at >= query.since if query.since else None,
            audit_log.c.at < query.until if query.until else None,
            audit_log.c.action == query.action if query.action else None,
            audit_log.c.actor.like(f"%({query.key_id})") if query.key_id else None,
        ]
        if query.after is not None:
            stamp, row_id = query.after
            conditions.append(
                or_(audit_log.c.at < stamp, and_(audit_log.c.at == stamp, audit_log.c.id < row_id))
            )
        statement = (
            select(audit_log)
            .where(*(one for one in conditions if one is not None))
            .order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
            .limit(query.limit + 1)
        )
        with database_errors("reading the audit log"), self._engine.connect() as conn:
            rows = conn.execute(statement).all()
        page = rows[: query.limit]
        cursor = encode_keyset(page[-1].at, page[-1].id) if len(rows) > query.limit else None
        return AuditPage([_entry(row) for row in page], cursor)


def _key(row: Row[Any]) -> ApiKey:
    return ApiKey(
        row.id,
        row.name,
        row.role,
        tuple(row.sources),
        row.secret_hash,
        row.created_at,
        row.created_by,
        row.revoked_at,
    )


def _entry(row: Row[Any]) -> AuditEntry:
    return AuditEntry(row.at, row.actor, row.role, row.action, row.target, row.detail, row.origin)
