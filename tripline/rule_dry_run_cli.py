"""``tripline rules test``: a dry-run from a rule author's terminal, the same one ``POST /rules/test``
answers, run in-process against ``rules/`` (and ``DATABASE_URL`` for a stored time range).

RULE is a rule file being written (its YAML is checked against the loaded sources, as the linter
would) or the id of a loaded rule. Events come from a JSON file (a list, or ``{"events": [...]}``,
``-`` for standard input) or from the database with ``--since``/``--until``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chalicelib.domain.errors import TriplineError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rule", help="a rule file (YAML) or the id of a loaded rule")
    parser.add_argument("--events", metavar="FILE", help="events as JSON ('-' reads stdin)")
    parser.add_argument("--since", help="dry-run over stored events from this ISO 8601 time")
    parser.add_argument("--until", help="... up to this time (default now)")
    parser.add_argument("--json", action="store_true", help="print the whole report as JSON")


def run_rules_test(args: argparse.Namespace, say: Callable[[str], None]) -> int:
    from chalicelib import bootstrap
    from chalicelib.services.dry_run import dry_run_rule

    try:
        payload = _payload(args)
    except (OSError, ValueError) as exc:
        print(f"tripline: {exc}", file=sys.stderr)
        return 2
    container = bootstrap.container()
    try:
        report = dry_run_rule(
            payload,
            pipeline=container.pipeline,
            reader=container.rule_reader if args.since else None,
            clock=container.clock,
            limits=container.settings.limits,
            parse_rule=container.parse_rule,
            rule_file=args.rule,
        )
    except TriplineError as error:
        print(f"tripline: {error}", file=sys.stderr)
        return 2
    if args.json:
        say(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        for line in describe(report):
            say(line)
    return 0


def _payload(args: argparse.Namespace) -> dict[str, Any]:
    path = Path(args.rule)
    payload: dict[str, Any] = (
        {"rule": path.read_text(encoding="utf-8")}
        if path.suffix in (".yaml", ".yml") or path.is_file()
        else {"rule_id": args.rule}
    )
    if args.events is not None:
        text = sys.stdin.read() if args.events == "-" else Path(args.events).read_text("utf-8")
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{args.events}: not JSON ({exc.msg}, line {exc.lineno})") from exc
        payload["events"] = loaded.get("events") if isinstance(loaded, dict) else loaded
    if args.since is not None:
        payload["since"] = args.since
    if args.until is not None:
        payload["until"] = args.until
    return payload


def describe(report: dict[str, Any]) -> list[str]:
    """The report for a terminal: counts, the noise per day, then each would-be email."""
    rule, scanned = report["rule"], report["events"]
    lines = [
        f"rule {rule['id']} ({rule['kind']}, version {rule['version']}): "
        f"{scanned['scanned']} events read, {scanned['evaluated']} judged, "
        f"{report['matched']} matches, {report['alerts_opened']} alerts would open"
        + (" (stopped at the event limit)" if scanned["truncated"] else "")
    ]
    lines += [f"  rejected: {_where(detail)}{detail['message']}" for detail in scanned["rejected"]]
    if report["fires_per_day"]:
        lines.append(
            "matches per day: "
            + ", ".join(f"{day} {count}" for day, count in report["fires_per_day"].items())
        )
    for number, alert in enumerate(report["alerts"], start=1):
        note = alert["notification"]
        lines += [
            "",
            f"alert {number}: {note['subject']}  ({alert['matches']} matches, "
            f"{alert['opened_at']} to {alert['last_match_at']})",
        ]
        lines += ["    " + line if line else "" for line in note["body"].splitlines()]
    if report["failed"]:
        lines += ["", f"the rule failed on {report['failed']} event(s):"]
        lines += [
            f"  {one['source']}/{one['event_id']}: {one['reason']}" for one in report["failures"]
        ]
    return lines


def _where(detail: dict[str, Any]) -> str:
    return f"{detail['field']}: " if detail.get("field") else ""
