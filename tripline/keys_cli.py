"""``tripline keys create / list / revoke``: API keys, managed where the database is.

The key is printed once, by ``create``, and never stored: only a hash of its secret is kept. Every
create and revoke is recorded in the audit log as ``cli:<user>@<host>``.
"""

from __future__ import annotations

import argparse
import getpass
import json
import socket
import sys
from collections.abc import Callable

from chalicelib.domain.access import ROLES
from chalicelib.domain.errors import TriplineError

Say = Callable[[str], None]


def add_arguments(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = commands.add_parser("keys", help="API keys: create, list, revoke (DATABASE_URL)")
    group = keys.add_subparsers(dest="keys", required=True)
    create = group.add_parser(
        "create",
        help="create a key and print it once",
        description="Roles: ingest (POST /events and POST /uploads for its --source list), "
        "operator (every route but /audit and /metrics), admin (every route), metrics "
        "(GET /metrics and /me only: a Prometheus server's). Exit status: 0 created, 2 a bad "
        "request.",
    )
    create.add_argument("--name", required=True, help="who or what holds it, e.g. shop-backend")
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument(
        "--source",
        action="append",
        default=[],
        help="a source an ingest key may write (repeat for several)",
    )
    create.add_argument("--json", action="store_true", help="print the key and its id as JSON")
    create.set_defaults(run=lambda args: run_create(args, _say))
    listing = group.add_parser("list", help="every key: id, name, role, sources, revoked")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=lambda args: run_list(args, _say))
    revoke = group.add_parser(
        "revoke",
        help="revoke a key by its id",
        description="Takes effect at once in this code, and within the authorizer's cache time "
        "(60 s) on API Gateway. Exit status: 0 revoked, 2 no such key.",
    )
    revoke.add_argument("key_id", help="the id shown by 'keys list' (tl_<id>_…)")
    revoke.set_defaults(run=lambda args: run_revoke(args, _say))


def run_create(args: argparse.Namespace, say: Say) -> int:
    from chalicelib import bootstrap
    from chalicelib.services.access import create_key

    container = bootstrap.container()
    try:
        key, text = create_key(
            args.name,
            args.role,
            args.source,
            keys=container.keys,
            audit=container.audit,
            clock=container.clock,
            known_sources=_known_sources(),
            actor=cli_actor(),
            origin=socket.gethostname(),
        )
    except TriplineError as error:
        print(f"tripline: {error}", file=sys.stderr)
        return 2
    if args.json:
        say(json.dumps(key.view() | {"key": text}))
        return 0
    say(
        f"created key {key.id} ({key.name}, {key.role}"
        f"{': ' + ', '.join(key.sources) if key.sources else ''})"
    )
    say(text)
    say("Store it now: it is shown only this once (only a hash of it is kept).")
    return 0


def run_list(args: argparse.Namespace, say: Say) -> int:
    from chalicelib import bootstrap

    keys = bootstrap.container().keys.list_keys()
    if args.json:
        say(json.dumps([key.view() for key in keys]))
        return 0
    say(f"{'id':<12}  {'role':<8}  {'name':<24}  {'sources':<20}  revoked")
    for key in keys:
        revoked = key.revoked_at.isoformat() if key.revoked_at else "-"
        say(
            f"{key.id:<12}  {key.role:<8}  {key.name:<24}  "
            f"{','.join(key.sources) or '-':<20}  {revoked}"
        )
    return 0


def run_revoke(args: argparse.Namespace, say: Say) -> int:
    from chalicelib import bootstrap
    from chalicelib.services.access import revoke_key

    container = bootstrap.container()
    try:
        key = revoke_key(
            args.key_id,
            keys=container.keys,
            audit=container.audit,
            clock=container.clock,
            actor=cli_actor(),
            origin=socket.gethostname(),
        )
    except TriplineError as error:
        print(f"tripline: {error}", file=sys.stderr)
        return 2
    say(
        f"revoked key {key.id} ({key.name}) at {key.revoked_at.isoformat() if key.revoked_at else '?'}"
    )
    return 0


def cli_actor() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"cli:{user}@{socket.gethostname()}"


def _known_sources() -> set[str]:
    """The sources of the loaded rules folder: declared ones and those a rule names."""
    from chalicelib import bootstrap

    book = bootstrap.container().rulebook
    return {*book.sources.names(), *(name for rule in book.rules for name in rule.sources)}


def _say(line: str) -> None:
    print(line, flush=True)
