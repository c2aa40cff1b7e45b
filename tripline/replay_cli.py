"""``tripline replay create / list / show / cancel``: replays asked for through the API.

Only the public API is used (httpx, no AWS credentials, no database), as ``tripline report``
does. ``--wait`` follows ``GET /replays/{id}`` until the replay is complete, cancelled or failed,
with a per-cent bar on a terminal (events done of total).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import IO, Any
from urllib.parse import quote

from tripline.report_cli import Waiting, _add_connection
from tripline.upload_client import call_api
from tripline.upload_progress import progress_bar

FINAL = ("complete", "cancelled", "failed")
TIMED_OUT = 5
Say = Callable[[str], None]


def add_arguments(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    replay = commands.add_parser(
        "replay", help="replays of stored events through the rules: create, list, show, cancel"
    )
    group = replay.add_subparsers(dest="replay", required=True)
    create = group.add_parser(
        "create",
        help="run stored events through the current rules; with --wait, follow it",
        description="Only match rules are replayed (--all lists the others as skipped). Exit "
        "status: 0 queued (or, with --wait, complete), 1 failed or cancelled, 2 a bad "
        "request, 5 still running when --timeout ran out.",
    )
    rules = create.add_mutually_exclusive_group(required=True)
    rules.add_argument("--rule", dest="rules", action="append", default=[], help="a rule id")
    rules.add_argument("--all", action="store_true", help="every enabled match rule")
    create.add_argument("--since", metavar="ISO", required=True, help="events from")
    create.add_argument("--until", metavar="ISO", help="to, excluded (default: now)")
    create.add_argument(
        "--source", dest="sources", action="append", default=[], help="only these sources"
    )
    create.add_argument(
        "--notify", action="store_true", help="send the alerts' emails (default: suppressed)"
    )
    create.add_argument("--wait", action="store_true", help="follow it until it finishes")
    create.add_argument(
        "--timeout", type=float, default=3600.0, help="seconds --wait waits (default 3600)"
    )
    _add_connection(create)
    create.set_defaults(run=lambda args: run_create(args, _say))
    listing = group.add_parser("list", help="the replays, newest first")
    _add_connection(listing)
    listing.set_defaults(run=lambda args: run_list(args, _say))
    for name, helped in (("show", "one replay: status and progress"), ("cancel", "cancel one")):
        one = group.add_parser(name, help=helped)
        one.add_argument("replay_id", help="the id create printed")
        one.add_argument("--json", action="store_true", help="the API's answer as JSON")
        _add_connection(one)
        one.set_defaults(run=lambda args, name=name: run_one(args, name, _say))


def replay_request(args: argparse.Namespace) -> dict[str, Any]:
    """The ``POST /replays`` body: only what was given, so the API's defaults apply."""
    body: dict[str, Any] = {"rules": "all" if args.all else args.rules, "since": args.since}
    if args.until:
        body["until"] = args.until
    if args.sources:
        body["sources"] = args.sources
    body["notify"] = bool(args.notify)
    return body


def run_create(args: argparse.Namespace, say: Say, progress: IO[str] = sys.stderr) -> int:
    api = args.api_url.rstrip("/")
    replay = call_api("POST", f"{api}/replays", replay_request(args), key=args.api_key)
    say(_line(replay))
    for skipped in replay.get("skipped_rules", []):
        say(f"  skipped {skipped['id']}: {skipped['reason']}")
    if not args.wait:
        say(f"follow it with: tripline replay show {replay['id']}")
        return 0
    final = wait_for(replay["id"], Waiting(api, args.api_key, args.timeout), progress)
    say(_line(final))
    if final["status"] in ("failed", "cancelled"):
        return 1
    return 0 if final["status"] == "complete" else TIMED_OUT


def wait_for(replay_id: str, waiting: Waiting, progress: IO[str]) -> dict[str, Any]:
    url = f"{waiting.api_url}/replays/{quote(replay_id, safe='')}"
    deadline = time.monotonic() + waiting.timeout_seconds
    with progress_bar(f"replay {replay_id}", progress, percent=True) as bar:
        bar.start(100)
        while True:
            replay = call_api("GET", url, key=waiting.api_key)
            percent = (replay.get("progress") or {}).get("percent")
            if percent is not None:
                bar.reach(float(percent))
            if replay["status"] in FINAL or time.monotonic() > deadline:
                return replay
            time.sleep(waiting.poll_seconds)


def run_list(args: argparse.Namespace, say: Say) -> int:
    page = call_api("GET", f"{args.api_url.rstrip('/')}/replays", key=args.api_key)
    for item in page["items"]:
        say(_line(item))
    return 0


def run_one(args: argparse.Namespace, action: str, say: Say) -> int:
    url = f"{args.api_url.rstrip('/')}/replays/{quote(args.replay_id, safe='')}"
    if action == "cancel":
        replay = call_api("POST", f"{url}/cancel", {}, key=args.api_key)
    else:
        replay = call_api("GET", url, key=args.api_key)
    say(json.dumps(replay, indent=2) if args.json else _line(replay))
    return 0


def _line(replay: dict[str, Any]) -> str:
    """``replay <id>: running, 5,000 of 100,000 events, 12 matches written, 3 notices``."""
    progress = replay.get("progress") or {}
    total = progress.get("events_total")
    events = f"{progress.get('events_done', 0):,} of {'?' if total is None else f'{total:,}'}"
    line = (
        f"replay {replay['id']}: {replay['status']}, {events} events, "
        f"{replay.get('matches_written', 0):,} matches written, "
        f"{replay.get('notices', 0):,} notices ({'sent' if replay.get('notify') else 'suppressed'})"
    )
    return line + (f"; {replay['reason']}" if replay.get("reason") else "")


def _say(line: str) -> None:
    print(line, flush=True)
