"""The ``tripline`` command: database schema and the local runtime.

``tripline db upgrade``   apply the schema history in sql/ to DATABASE_URL (or, as on AWS, to
                          TRIPLINE_DATABASE_HOST with the login in TRIPLINE_DATABASE_SECRET_ARN,
                          and keep the application login of TRIPLINE_DATABASE_APP_SECRET_ARN)
``tripline db downgrade`` undo the last migration (or down to REVISION: -N, an id, base)
``tripline db sql``       print the MySQL DDL of that history, for a DBA to review (no server needed)
``tripline db purge``     delete the rows past their source's retention; ``--dry-run`` only counts
``tripline local``        run everything on this machine (moto + SQLite by default); ``--demo``
``tripline upload FILE``  send a CSV file through a presigned upload and wait for its report
``tripline rules check``  lint rules/ (or PATH), known-errors.yaml and cloudevents.yaml too:
                          every problem as file:line:col, exit 1 if any
``tripline keys create``  an API key (ingest, operator, admin, metrics); ``keys list``, ``keys revoke``
``tripline dlq list``     what waits on each DLQ; ``dlq show QUEUE``, ``dlq redrive QUEUE`` (back)
``tripline report create`` ask the API for a report; ``--wait`` follows it and downloads the file;
                          ``report list``, ``report show ID``
``tripline replay create`` run stored events through the rules (``--rule ID`` or ``--all``);
                          ``--wait`` follows it; ``replay list``, ``show ID``, ``cancel ID``
``tripline digest send``  the weekly digest of ``--week`` (default the week due), sent once
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from chalicelib.domain.errors import TriplineError
from tripline.dead_letter_cli import add_arguments as add_dlq_commands
from tripline.digest_cli import add_arguments as add_digest_commands
from tripline.keys_cli import add_arguments as add_keys_commands
from tripline.purge_cli import add_purge_command
from tripline.replay_cli import add_arguments as add_replay_commands
from tripline.report_cli import add_arguments as add_report_commands
from tripline.rule_dry_run_cli import add_arguments as add_dry_run_arguments
from tripline.rule_dry_run_cli import run_rules_test


def _db_upgrade(_: argparse.Namespace) -> int:
    from chalicelib import bootstrap
    from chalicelib.services.schema import upgrade_schema

    container = bootstrap.container()  # DATABASE_URL, or the secret and host as on AWS
    answer = upgrade_schema(schema=container.schema, app_login=container.app_login)
    where = container.schema_engine.url.render_as_string(hide_password=True)
    print(f"database at head ({answer['revision']}): {where}")
    if "app_user" in answer:
        print(f"application login {answer['app_user']}: data grants only, password from its secret")
    return 0


def _db_downgrade(args: argparse.Namespace) -> int:
    from chalicelib import bootstrap
    from chalicelib.services.schema import downgrade_schema

    container = bootstrap.container()  # the database `db upgrade` migrates
    answer = downgrade_schema(schema=container.schema, revision=args.revision)
    where = container.schema_engine.url.render_as_string(hide_password=True)
    if answer["revision"] == answer["from"]:
        print(f"database already at {answer['revision']}, nothing undone: {where}")
    else:
        print(f"database downgraded from {answer['from']} to {answer['revision']}: {where}")
    return 0


def _db_sql(_: argparse.Namespace) -> int:
    from chalicelib.adapters.db import migrations

    sys.stdout.write(migrations.review_sql())
    return 0


def _local(args: argparse.Namespace) -> int:
    from tripline.local.runtime import LocalOptions, run_local

    return run_local(
        LocalOptions(
            host=args.host,
            port=args.port,
            aws_port=args.aws_port,
            demo=args.demo,
            mailbox_dir=args.mailbox,
            schedule_seconds=args.schedule_every,
        )
    )


def _upload(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tripline.upload_client import UploadOptions, run_upload

    path = Path(args.file)
    if not path.is_file():
        print(f"tripline: {path}: no such file", file=sys.stderr)
        return 2
    options = UploadOptions(
        path,
        args.source,
        args.api_url.rstrip("/"),
        args.api_key,
        wait=not args.no_wait,
        timeout_seconds=args.timeout,
    )
    return run_upload(options, say=lambda line: print(line, flush=True))


def _rules_check(args: argparse.Namespace) -> int:
    from pathlib import Path

    from chalicelib.adapters.rule_files.availability import read_availability
    from chalicelib.adapters.rule_files.cloudevents import CLOUDEVENTS_FILE, read_source_routes
    from chalicelib.adapters.rule_files.known_errors import KNOWN_ERRORS_FILE, read_known_errors
    from chalicelib.adapters.rule_files.rules import read_rulebook
    from chalicelib.domain.errors import RuleFileError
    from chalicelib.settings import DEFAULT_RULES_DIR

    directory = Path(args.path or os.environ.get("TRIPLINE_RULES_DIR") or DEFAULT_RULES_DIR)
    if not directory.is_dir():
        print(f"tripline: {directory}: no such directory", file=sys.stderr)
        return 2
    book, details = read_rulebook(directory)
    details.extend(one for one in read_availability(directory)[1] if one not in details)
    known, known_problems = read_known_errors(directory, book.sources)
    details.extend(known_problems)
    routes, route_problems = read_source_routes(directory)
    details.extend(route_problems)
    for detail in details:
        print(RuleFileError.describe(detail))
    loaded = (
        f"{_count(len(book.rules), 'rule')}, {_count(len(book.sources.definitions), 'source')}"
        f", {_count(len(book.references), 'reference table')}"
    )
    if (directory / KNOWN_ERRORS_FILE).is_file():
        loaded += f", {_count(len(known.known_errors), 'known error')}"
    if (directory / CLOUDEVENTS_FILE).is_file():
        loaded += f", {_count(len(routes.prefixes), 'CloudEvents source mapping')}"
    if not details:
        print(f"{directory.name}/: {loaded}: no problems")
        return 0
    files = len({detail.file for detail in details})
    print(
        f"{directory.name}/: {_count(len(details), 'problem')} in {_count(files, 'file')} "
        f"({loaded} loaded)"
    )
    return 1


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _add_db_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``tripline db <command>``: the schema history in sql/, on the configured database."""
    db = commands.add_parser("db", help="database schema").add_subparsers(dest="db", required=True)
    db.add_parser("upgrade", help="apply sql/ migrations to the configured database").set_defaults(
        run=_db_upgrade
    )
    downgrade = db.add_parser(
        "downgrade",
        help="undo migrations: the last one, or down to REVISION",
        description="Undo migrations on the configured database, dropping what they added "
        "(rows included). Exit status: 0 done, 2 a target it cannot reach.",
    )
    downgrade.add_argument(
        "revision",
        nargs="?",
        default="-1",
        help="-N steps back (default -1), a revision id (`alembic history` "
        "lists them) or base (before the first)",
    )
    downgrade.set_defaults(run=_db_downgrade)
    db.add_parser("sql", help="print the MySQL DDL of the migrations").set_defaults(run=_db_sql)
    add_purge_command(db)


def _add_rules_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``tripline rules <command>``: the rule author's tools."""
    rules = commands.add_parser("rules", help="check and try the rules in rules/")
    group = rules.add_subparsers(dest="rules", required=True)
    check = group.add_parser(
        "check",
        help="lint the rules, sources and reference tables",
        description="Print every problem as file:line:col: field: message, then a summary. "
        "Exit status: 0 no problems, 1 problems, 2 no such directory.",
    )
    check.add_argument(
        "path",
        nargs="?",
        help="the rules folder (default $TRIPLINE_RULES_DIR, else rules/ beside the code)",
    )
    check.set_defaults(run=_rules_check)
    test = group.add_parser(
        "test",
        help="dry-run a rule over listed or stored events (nothing is stored or sent)",
        description="RULE is a rule file or the id of a loaded rule. Give --events FILE (a JSON "
        "list of events) or --since [--until] to read stored events from "
        "DATABASE_URL. Prints the matches, the alerts it would have opened and their "
        "email text. Exit status: 0 done, 2 a bad rule or request.",
    )
    add_dry_run_arguments(test)
    test.set_defaults(run=_rules_test)


def _rules_test(args: argparse.Namespace) -> int:
    return run_rules_test(args, say=lambda line: print(line, flush=True))


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0.1 <= value <= 86400:
        raise argparse.ArgumentTypeError(f"expected seconds from 0.1 to 86400, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tripline", description="Tripline event monitoring")
    commands = parser.add_subparsers(dest="command", required=True)
    _add_db_commands(commands)
    local = commands.add_parser("local", help="run the whole pipeline on this machine")
    local.add_argument("--host", default="127.0.0.1", help="address to serve the API on")
    local.add_argument("--port", type=int, default=8000, help="API port (default 8000)")
    local.add_argument("--aws-port", type=int, default=4566, help="moto server port (default 4566)")
    local.add_argument("--demo", action="store_true", help="post sample events once it is up")
    local.add_argument(
        "--mailbox",
        metavar="DIR",
        default="var/mailbox",
        help="where alert emails are written, one .eml each (default var/mailbox)",
    )
    local.add_argument(
        "--schedule-every",
        metavar="SECONDS",
        type=_seconds,
        default=None,
        help="run scheduled functions this often instead of their rate "
        "(to watch repeats and expiries without waiting minutes)",
    )
    local.set_defaults(run=_local)
    add_keys_commands(commands)
    upload = commands.add_parser(
        "upload",
        help="upload a CSV file and wait for its report",
        description="Exit status: 0 complete, 3 complete with rejected rows, 4 failed, "
        "5 still importing when --timeout ran out, 2 a request error.",
    )
    upload.add_argument("file", help="the CSV file")
    upload.add_argument("--source", required=True, help="the source its rows belong to")
    upload.add_argument(
        "--api-url",
        default=os.environ.get("TRIPLINE_API_URL", "http://127.0.0.1:8000"),
        help="the API (default $TRIPLINE_API_URL or http://127.0.0.1:8000)",
    )
    upload.add_argument(
        "--api-key",
        default=os.environ.get("TRIPLINE_API_KEY", ""),
        help="an ingest, operator or admin key (default $TRIPLINE_API_KEY)",
    )
    upload.add_argument("--no-wait", action="store_true", help="return once the file is sent")
    upload.add_argument(
        "--timeout", type=float, default=600.0, help="seconds to wait for the import (default 600)"
    )
    upload.set_defaults(run=_upload)
    _add_rules_commands(commands)
    add_dlq_commands(commands)
    add_report_commands(commands)
    add_replay_commands(commands)
    add_digest_commands(commands)
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
