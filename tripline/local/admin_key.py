"""The local runtime's admin key: every route but /health needs one, here as on AWS.

``TRIPLINE_LOCAL_ADMIN_KEY`` names it (the end-to-end tests do; a team can pin one), otherwise one
is made and written to ``var/local-admin.key`` (readable by its owner only) and shown on the
banner. Either way it is an ordinary key in the database, so ``tripline keys revoke`` works on it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from chalicelib.domain.access import ApiKey, hash_secret, new_key_text, split_key
from chalicelib.domain.errors import ConfigurationError, Detail
from chalicelib.ports import KeyStore

KEY_FILE = Path("var/local-admin.key")
NAME = "local-admin"


def local_admin_key(keys: KeyStore, env: Mapping[str, str], key_file: Path = KEY_FILE) -> str:
    """The key to show and to call with: the pinned one (stored unless it is already), the one
    written last time if it still works, or a new one."""
    pinned = env.get("TRIPLINE_LOCAL_ADMIN_KEY", "").strip()
    if pinned:
        return _stored(keys, pinned, "TRIPLINE_LOCAL_ADMIN_KEY")
    if key_file.is_file():
        kept = key_file.read_text(encoding="utf-8").strip()
        parts = split_key(kept)
        found = keys.find(parts[0]) if parts else None
        if found is not None and found.revoked_at is None:
            return kept
    key_id, secret, text = new_key_text()
    keys.add(ApiKey(key_id, NAME, "admin", (), hash_secret(secret), datetime.now(UTC), "local"))
    key_file.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(text + "\n")
    return text


def _stored(keys: KeyStore, text: str, variable: str) -> str:
    parts = split_key(text)
    if parts is None:
        raise ConfigurationError(
            f"{variable} is not a key",
            [
                Detail(
                    "expected tl_<12 hex digits>_<32 characters>, as `tripline keys create` prints",
                    field=variable,
                )
            ],
        )
    if keys.find(parts[0]) is None:
        keys.add(
            ApiKey(parts[0], NAME, "admin", (), hash_secret(parts[1]), datetime.now(UTC), "local")
        )
    return text
