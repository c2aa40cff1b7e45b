"""Who may call what: API keys, roles and the routes each reaches (:mod:`.keys`), and the audit
log of operator actions (:mod:`.audit`). Imports the kernel only.
"""

from __future__ import annotations

from chalicelib.domain.access.audit import (
    AuditEntry,
    AuditPage,
    AuditQuery,
    parse_audit_query,
)
from chalicelib.domain.access.keys import (
    ROLES,
    ROUTES_BY_ROLE,
    ApiKey,
    Principal,
    hash_secret,
    key_problems,
    new_key_text,
    secret_matches,
    split_key,
)

__all__ = [
    "ROLES",
    "ROUTES_BY_ROLE",
    "ApiKey",
    "AuditEntry",
    "AuditPage",
    "AuditQuery",
    "Principal",
    "hash_secret",
    "key_problems",
    "new_key_text",
    "parse_audit_query",
    "secret_matches",
    "split_key",
]
