"""The one-off ``migrate`` function's work: the schema to head, the application's database login
and, when asked, an API key.

Never at a cold start: a migration racing the functions that use the tables, or run by each of
a burst of new containers, is how a deploy goes wrong. An operator (or the deploy pipeline) invokes
``migrate`` after a deploy that adds a migration; running it again changes nothing.

On AWS ``migrate`` alone logs in as the database's owner; it also keeps the application's login,
the one every other function uses, which may read and write rows and nothing more. Keeping it
here means one invocation after the first deploy makes it, and one after a rotation of its
secret brings the server's password up to date.

On AWS the database is reachable only from inside the VPC, so ``tripline keys create`` cannot reach
it from an operator's machine; ``{"create_key": {...}}`` makes the first admin key (and any later
one) through the same function, with the caller's right to invoke it as the control. The key is
in the answer once, as ``tripline keys create`` prints it once, and the audit log records it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from chalicelib.domain.errors import Detail, RequestError
from chalicelib.domain.rules import RuleBook
from chalicelib.ports import AppLogin, AuditLog, Clock, KeyStore, SchemaHistory
from chalicelib.services.access import create_key

MIGRATE_ACTOR = "lambda:migrate"
KEY_FIELDS = frozenset({"name", "role", "sources"})
# where a downgrade may go: steps back, a revision's id (or its start), or before the first one
DOWNGRADE_TARGET = re.compile(r"base|-[1-9][0-9]{0,3}|[0-9A-Za-z_]{1,32}")


def upgrade_schema(*, schema: SchemaHistory, app_login: AppLogin | None = None) -> dict[str, str]:
    """Schema to head, then, on AWS, the application's login (``app_login``): the tables come
    first, so the login is never usable on a database without them."""
    answer = {"revision": schema.upgrade()}
    if app_login is not None:
        answer["app_user"] = app_login.ensure()
    return answer


def downgrade_schema(*, schema: SchemaHistory, revision: str = "-1") -> dict[str, str]:
    """Undo migrations down to ``revision``: the revision before and after (``base``: none left).

    An operator's command only, never the migrate function: undoing a migration drops its tables
    and columns with their rows. So a target that is not one is refused before anything runs,
    and so is a database with nothing applied (most often the wrong DATABASE_URL).
    """
    if revision in ("head", "heads") or not DOWNGRADE_TARGET.fullmatch(revision):
        raise RequestError(
            f"cannot downgrade to {revision!r}",
            [
                Detail(
                    "give -N (steps back), a revision (see `alembic history`) or base; "
                    "`tripline db upgrade` goes forward",
                    field="revision",
                    value=revision,
                )
            ],
        )
    before = schema.current()
    if before is None:
        raise RequestError(
            "nothing to undo: the database has no migration applied",
            [Detail("no schema history in this database", field="revision", value=revision)],
        )
    after = schema.downgrade(revision)
    return {"from": before, "revision": after or "base"}


def migrate(
    request: Mapping[str, Any],
    *,
    schema: SchemaHistory,
    keys: KeyStore,
    audit: AuditLog,
    clock: Clock,
    book: RuleBook,
    app_login: AppLogin | None = None,
) -> dict[str, Any]:
    """Schema to head and the application's login, then the key ``create_key`` asks for
    (checked before anything runs)."""
    wanted = _key_request(request)
    answer: dict[str, Any] = upgrade_schema(schema=schema, app_login=app_login)
    if wanted is not None:
        known = {*book.sources.names(), *(name for rule in book.rules for name in rule.sources)}
        key, text = create_key(
            wanted["name"],
            wanted["role"],
            wanted.get("sources", []),
            keys=keys,
            audit=audit,
            clock=clock,
            known_sources=known,
            actor=MIGRATE_ACTOR,
            origin=None,
        )
        answer["key"] = key.view() | {"key": text}
    return answer


def _key_request(request: Mapping[str, Any]) -> dict[str, Any] | None:
    unknown = sorted(set(request) - {"create_key"})
    wanted = request.get("create_key")
    problems = [Detail("unknown field", field=name) for name in unknown]
    if wanted is not None:
        if not isinstance(wanted, dict):
            problems.append(
                Detail("must be an object with name, role and sources", field="create_key")
            )
        else:
            problems += [
                Detail("unknown field", field=f"create_key.{name}")
                for name in sorted(set(wanted) - KEY_FIELDS)
            ]
            problems += [
                Detail("must be a string", field=f"create_key.{name}")
                for name in ("name", "role")
                if not isinstance(wanted.get(name), str)
            ]
            sources = wanted.get("sources", [])
            if not (isinstance(sources, list) and all(isinstance(s, str) for s in sources)):
                problems.append(
                    Detail("must be a list of source names", field="create_key.sources")
                )
    if problems:
        raise RequestError("invalid migrate request", problems)
    return wanted
