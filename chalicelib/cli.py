"""The ``tripline`` command: database schema and the local runtime.

``tripline db upgrade``   apply the schema history in sql/ to DATABASE_URL
``tripline db sql``       print the MySQL DDL of that history, for a DBA to review (no server needed)
``tripline local``        run everything on this machine (moto + SQLite by default); ``--demo``
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from chalicelib.domain.errors import TriplineError


def _db_upgrade(_: argparse.Namespace) -> int:
    from chalicelib import bootstrap
    from chalicelib.adapters.db import migrations

    services = bootstrap.container()
    migrations.upgrade(services.engine)
    print(f"database at head: {services.engine.url.render_as_string(hide_password=True)}")
    return 0


def _db_sql(_: argparse.Namespace) -> int:
    from chalicelib.adapters.db import migrations

    sys.stdout.write(migrations.review_sql())
    return 0


def _local(args: argparse.Namespace) -> int:
    from chalicelib.local.runtime import LocalOptions, run_local

    return run_local(
        LocalOptions(host=args.host, port=args.port, aws_port=args.aws_port, demo=args.demo)
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tripline", description="Tripline event monitoring")
    commands = parser.add_subparsers(dest="command", required=True)
    db = commands.add_parser("db", help="database schema").add_subparsers(dest="db", required=True)
    db.add_parser("upgrade", help="apply sql/ migrations to DATABASE_URL").set_defaults(
        run=_db_upgrade
    )
    db.add_parser("sql", help="print the MySQL DDL of the migrations").set_defaults(run=_db_sql)
    local = commands.add_parser("local", help="run the whole pipeline on this machine")
    local.add_argument("--host", default="127.0.0.1", help="address to serve the API on")
    local.add_argument("--port", type=int, default=8000, help="API port (default 8000)")
    local.add_argument("--aws-port", type=int, default=4566, help="moto server port (default 4566)")
    local.add_argument("--demo", action="store_true", help="post sample events once it is up")
    local.set_defaults(run=_local)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except TriplineError as error:
        print(f"tripline: {error}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    raise SystemExit(main())
