"""``tripline report create / list / show``: reports asked for through the API, as a user asks.

Only the public API and the report's presigned link are used (httpx, no AWS credentials, no
database), as ``tripline upload`` does, so the command works wherever the API can be reached.
``--wait`` follows ``GET /reports/{id}`` until the report is complete or failed, then downloads
the file: streamed to a temporary name beside ``--out`` and renamed once whole, so a download that
fails or is interrupted leaves nothing under the name a user would open.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from tripline.report_download import save
from tripline.upload_client import call_api
from tripline.upload_progress import progress_bar

KINDS = ("events", "alerts", "uploads", "rule-matches", "availability")
FORMATS = ("csv", "xlsx")
FINAL = ("complete", "failed")
TIMED_OUT = 5
# repeatable options, as (flag, the params key they fill): the API says which kinds take which
LISTS = (("--source", "sources"), ("--type", "types"), ("--rule", "rules"))
ALERT_LISTS = (("--severity", "severities"), ("--status", "statuses"))
Say = Callable[[str], None]


@dataclass(frozen=True)
class Waiting:
    api_url: str
    api_key: str
    timeout_seconds: float = 600.0
    poll_seconds: float = 0.5


def add_arguments(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = commands.add_parser("report", help="reports: create (and download), list, show")
    group = report.add_subparsers(dest="report", required=True)
    create = group.add_parser(
        "create",
        help="ask for a report; with --wait, follow it and download the file",
        description="Filters a kind does not take are refused by the API, each named. Exit "
        "status: 0 queued (or, with --wait, complete and downloaded), 1 failed, 2 a bad "
        "request, 5 still running when --timeout ran out.",
    )
    create.add_argument("--kind", required=True, choices=KINDS)
    create.add_argument("--format", choices=FORMATS, default="csv", help="(default csv)")
    create.add_argument("--since", metavar="ISO", help="from (default: a week before --until)")
    create.add_argument("--until", metavar="ISO", help="to, excluded (default: now)")
    for flag, key in (*LISTS, *ALERT_LISTS):
        create.add_argument(
            flag,
            dest=key,
            metavar=flag[2:].upper(),
            action="append",
            default=[],
            help=f"only these {key} (repeat the option for several)",
        )
    create.add_argument("--wait", action="store_true", help="follow it, then download the file")
    create.add_argument(
        "--out",
        metavar="FILE",
        help="where --wait saves it: a file, or a folder to save it in under its own name "
        "(default: its own name, here)",
    )
    create.add_argument(
        "--timeout", type=float, default=600.0, help="seconds --wait waits (default 600)"
    )
    _add_connection(create)
    create.set_defaults(run=lambda args: run_create(args, _say))
    listing = group.add_parser("list", help="your reports, newest first")
    listing.add_argument("--json", action="store_true", help="the API's page as JSON")
    _add_connection(listing)
    listing.set_defaults(run=lambda args: run_list(args, _say))
    show = group.add_parser("show", help="one report: its status, progress and download link")
    show.add_argument("report_id", help="the id create printed")
    show.add_argument("--json", action="store_true", help="the API's answer as JSON")
    _add_connection(show)
    show.set_defaults(run=lambda args: run_show(args, _say))


def _add_connection(parser: argparse.ArgumentParser) -> None:
    """``--api-url`` and ``--api-key`` as ``tripline upload`` takes them (``--key`` too)."""
    parser.add_argument(
        "--api-url",
        default=os.environ.get("TRIPLINE_API_URL", "http://127.0.0.1:8000"),
        help="the API (default $TRIPLINE_API_URL or http://127.0.0.1:8000)",
    )
    parser.add_argument(
        "--api-key",
        "--key",
        dest="api_key",
        default=os.environ.get("TRIPLINE_API_KEY", ""),
        help="an operator or admin key, or an ingest key for its sources (default "
        "$TRIPLINE_API_KEY)",
    )


def report_request(args: argparse.Namespace) -> dict[str, Any]:
    """The ``POST /reports`` body: only what was given, so the API's defaults apply."""
    params: dict[str, Any] = {name: getattr(args, name) for name in ("since", "until")}
    params |= {key: getattr(args, key) for _, key in (*LISTS, *ALERT_LISTS)}
    if args.kind == "availability" and len(args.sources) == 1:
        params["source"] = params.pop("sources")[0]  # a report of one source's entities
    return {
        "kind": args.kind,
        "format": args.format,
        "params": {name: value for name, value in params.items() if value},
    }


def run_create(args: argparse.Namespace, say: Say, progress: IO[str] = sys.stderr) -> int:
    """0 queued or complete and saved, 1 failed, 5 still running at the timeout (a bad request
    is a ``RequestError``: ``main`` prints its details and exits 2)."""
    out = Path(args.out) if args.out else None
    if out is not None and not out.parent.is_dir():
        print(f"tripline: {out.parent}: no such directory", file=sys.stderr)
        return 2
    api = args.api_url.rstrip("/")
    report = call_api("POST", f"{api}/reports", report_request(args), key=args.api_key)
    say(f"report {report['id']}: {report['kind']} as {report['format']}, {report['status']}")
    if not args.wait:
        say(f"follow it with: tripline report show {report['id']}")
        return 0
    final = wait_for(report["id"], Waiting(api, args.api_key, args.timeout), progress)
    if final["status"] == "failed":
        say(f"report {final['id']}: failed: {final.get('reason') or 'no reason given'}")
        return 1
    if final["status"] != "complete":
        say(f"report {final['id']}: still {final['status']} after {args.timeout:g} s")
        return TIMED_OUT
    download = final["download"]
    target = out or Path(download["file_name"])
    if target.is_dir():
        target = target / download["file_name"]
    try:
        with progress_bar(target.name, progress) as bar:
            size = save(download["url"], target, bar)
    except OSError as exc:
        print(f"tripline: cannot write {target}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    rows = _count(final.get("rows"), "row")
    say(f"report {final['id']}: complete, {rows} ({size:,} bytes) saved to {target}")
    return 0


def wait_for(report_id: str, waiting: Waiting, progress: IO[str]) -> dict[str, Any]:
    """The report once complete or failed, or as it stands when the time is up; a per-cent bar
    on a terminal meanwhile."""
    url = f"{waiting.api_url}/reports/{report_id}"
    deadline = time.monotonic() + waiting.timeout_seconds
    with progress_bar(f"report {report_id}", progress, percent=True) as bar:
        bar.start(100)
        while True:
            report = call_api("GET", url, key=waiting.api_key)
            percent = (report.get("progress") or {}).get("percent")
            if report["status"] == "complete":
                percent = 100
            if percent is not None:
                bar.reach(float(percent))
            if report["status"] in FINAL or time.monotonic() > deadline:
                return report
            time.sleep(waiting.poll_seconds)


def run_list(args: argparse.Namespace, say: Say) -> int:
    page = call_api("GET", f"{args.api_url.rstrip('/')}/reports", key=args.api_key)
    if args.json:
        say(json.dumps(page, indent=2))
        return 0
    say(f"{'id':<28}  {'kind':<12}  {'format':<6}  {'status':<8}  {'rows':>9}  created")
    for item in page["items"]:
        rows = "-" if item.get("rows") is None else f"{item['rows']:,}"
        say(
            f"{item['id']:<28}  {item['kind']:<12}  {item['format']:<6}  {item['status']:<8}  "
            f"{rows:>9}  {item['created_at']}"
        )
    if page.get("next_cursor"):
        say("(more: GET /reports?cursor=" + page["next_cursor"] + ")")
    return 0


def run_show(args: argparse.Namespace, say: Say) -> int:
    from urllib.parse import quote

    url = f"{args.api_url.rstrip('/')}/reports/{quote(args.report_id, safe='')}"
    report = call_api("GET", url, key=args.api_key)
    if args.json:
        say(json.dumps(report, indent=2))
        return 0
    say(f"report {report['id']}: {report['kind']} as {report['format']}, {report['status']}")
    say(f"  params: {json.dumps(report['params'])}")
    say(f"  requested by {report['requested_by']} at {report['created_at']}")
    if report.get("progress"):
        shown = report["progress"]
        expected = shown.get("rows_expected")
        say(f"  progress: {shown['rows_written']:,} of {expected if expected is not None else '?'}")
    if report.get("download"):
        download = report["download"]
        say(f"  {_count(report.get('rows'), 'row')}, {report.get('size_bytes') or 0:,} bytes")
        say(f"  {download['file_name']} (link valid {download['expires_in_seconds']} s):")
        say(f"  {download['url']}")
    if report.get("reason"):
        say(f"  reason: {report['reason']}")
    return 0


def _count(number: int | None, noun: str) -> str:
    if number is None:
        return f"? {noun}s"
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _say(line: str) -> None:
    print(line, flush=True)
