"""``tripline db purge [--dry-run]``: delete (or only count) the rows past their retention.

The same purge as the hourly ``purge`` schedule, on the database of ``DATABASE_URL`` (or the
secret and host, as on AWS), without the schedule's batch budget: it runs until nothing past
retention is left, still one short transaction per batch of 5,000 rows, so it can run beside a
live pipeline and be stopped (Ctrl-C) and started again at any point.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from chalicelib.domain.retention import PURGED_TABLES


def add_purge_command(db: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    purge = db.add_parser(
        "purge",
        help="delete the rows past their source's retention (--dry-run: only count them)",
        description="Retention is each source's retention_days (rules/sources/*.yaml), else "
        "TRIPLINE_RETENTION_DAYS; without either a source is kept for ever. Prints what went "
        "(or would go) per source and table. Exit status: 0 done, 2 a bad rules folder or "
        "setting.",
    )
    purge.add_argument(
        "--dry-run", action="store_true", help="count what would be deleted, delete nothing"
    )
    purge.set_defaults(run=run_purge)


def run_purge(args: argparse.Namespace, say: Callable[[str], None] = print) -> int:
    from chalicelib.use_cases import use_cases

    answer = use_cases().purge_expired(dry_run=args.dry_run, scheduled=False)
    for line in describe(answer):
        say(line)
    return 0


def describe(answer: dict[str, Any]) -> list[str]:
    """One line per source (or rule) and table, then the totals."""
    verb = "would delete" if answer["dry_run"] else "deleted"
    scopes: dict[str, dict[str, int]] = answer["by_scope"]
    if not scopes:
        return [f"nothing past retention: {verb} no rows"]
    lines = [
        f"{scope}: {table} {count}"
        for scope, tables in scopes.items()
        for table, count in tables.items()
    ]
    totals = ", ".join(
        f"{table} {answer['totals'][table]}" for table in PURGED_TABLES if answer["totals"][table]
    )
    return [*lines, f"{verb}: {totals}"]
