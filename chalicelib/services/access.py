"""API keys: authenticate a caller, create, list and revoke keys, and record what operators do.

Revoking a key takes effect at once for this code, and within the authorizer's cache time
(``AUTH_CACHE_SECONDS``) on API Gateway, which keeps an authorizer's answer per key that long.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from chalicelib.domain.access import (
    ROUTES_BY_ROLE,
    ApiKey,
    AuditEntry,
    AuditPage,
    Principal,
    hash_secret,
    key_problems,
    new_key_text,
    parse_audit_query,
    secret_matches,
    split_key,
)
from chalicelib.domain.errors import Detail, NotFound, RequestError
from chalicelib.ports import AuditLog, Clock, KeyStore

AUTH_CACHE_SECONDS = 60
_PATH_PARAMETER = re.compile(r"\{[^}]+\}")


def authenticate(token: str | None, *, keys: KeyStore) -> Principal | None:
    """The caller behind ``Authorization: Bearer tl_…``; None for a missing, malformed, unknown
    or revoked key (all one answer, 401: which of them it was is nobody's business)."""
    parts = split_key(token or "")
    if parts is None:
        return None
    key = keys.find(parts[0])
    if key is None or not secret_matches(key, parts[1]):
        return None
    return Principal(key.id, key.name, key.role, key.sources)


def allowed_routes(role: str) -> list[tuple[str, list[str]]]:
    """The routes a role reaches, with path parameters as the wildcards IAM policies take."""
    return [
        (_PATH_PARAMETER.sub("*", path), list(methods))
        for path, methods in ROUTES_BY_ROLE.get(role, ())
    ]


def describe_caller(principal: Principal) -> dict[str, Any]:
    """``GET /me``: who the key is and the routes its role reaches, as ``app.py`` declares them,
    so a client (the console) offers only what the key may do."""
    routes = ROUTES_BY_ROLE.get(principal.role, ())
    return {
        "key_id": principal.key_id,
        "name": principal.name,
        "role": principal.role,
        "sources": list(principal.sources),
        "routes": [[path, list(methods)] for path, methods in routes],
    }


def principal_context(principal: Principal) -> dict[str, str]:
    """What the authorizer hands the route (API Gateway passes strings only)."""
    return {
        "key_id": principal.key_id,
        "name": principal.name,
        "role": principal.role,
        "sources": ",".join(principal.sources),
    }


def written_sources(payload: object) -> set[str]:
    """The sources a ``POST /events`` or ``POST /uploads`` body names (as intake will read
    them: trimmed, lower case), to check the caller may write them all before anything is
    queued or granted; items that name none are intake's to reject."""
    items: list[object] = [payload]
    if isinstance(payload, dict) and isinstance(payload.get("events"), list):
        items = list(payload["events"])
    return {
        item["source"].strip().lower()
        for item in items
        if isinstance(item, dict) and isinstance(item.get("source"), str)
    }


def principal_from_context(context: Mapping[str, Any] | None) -> Principal | None:
    if not context or "key_id" not in context:
        return None
    sources = tuple(one for one in str(context.get("sources", "")).split(",") if one)
    return Principal(
        str(context["key_id"]), str(context.get("name", "")), str(context.get("role", "")), sources
    )


def create_key(
    name: str,
    role: str,
    sources: Collection[str],
    *,
    keys: KeyStore,
    audit: AuditLog,
    clock: Clock,
    known_sources: Collection[str],
    actor: str,
    origin: str | None,
) -> tuple[ApiKey, str]:
    """A new key, stored as a hash; the key text is returned once and never again."""
    wanted = tuple(dict.fromkeys(one.strip().lower() for one in sources))
    problems = key_problems(name.strip(), role, wanted, known_sources)
    if problems:
        raise RequestError("invalid key", problems)
    key_id, secret, text = new_key_text()
    key = ApiKey(key_id, name.strip(), role, wanted, hash_secret(secret), clock.now(), actor)
    keys.add(key)
    audit.record(
        AuditEntry(
            clock.now(),
            actor,
            "admin",
            "key.created",
            f"key {key_id}",
            {"name": key.name, "role": role, "sources": list(wanted)},
            origin,
        )
    )
    return key, text


def revoke_key(
    key_id: str, *, keys: KeyStore, audit: AuditLog, clock: Clock, actor: str, origin: str | None
) -> ApiKey:
    key = keys.revoke(key_id, clock.now())
    if key is None:
        raise NotFound(f"no key {key_id!r}", [Detail("not found", field="id", value=key_id)])
    audit.record(
        AuditEntry(
            clock.now(), actor, "admin", "key.revoked", f"key {key_id}", {"name": key.name}, origin
        )
    )
    return key


def record_action(
    principal: Principal | None,
    action: str,
    target: str,
    detail: Mapping[str, Any],
    *,
    audit: AuditLog,
    clock: Clock,
    origin: str | None,
) -> None:
    actor = principal.actor if principal else "unknown"
    audit.record(
        AuditEntry(
            clock.now(),
            actor,
            principal.role if principal else None,
            action,
            target,
            dict(detail),
            origin,
        )
    )


def list_audit(
    params: Mapping[str, str], *, audit: AuditLog, default_limit: int, max_limit: int
) -> AuditPage:
    return audit.list_entries(
        parse_audit_query(params, default_limit=default_limit, max_limit=max_limit)
    )
