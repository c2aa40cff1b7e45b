"""`tripline replay`'s requests and answers, against the stand-in API of test_report_cli.

The whole path through the real app is tests/functional/test_replays.py; here, what the command
sends, how ``--wait`` follows a replay, and its exit status.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.test_report_cli import StandIn, api  # noqa: F401 (the fixture)
from tripline.cli import build_parser, main
from tripline.replay_cli import replay_request


def replay(status: str, done: int, **more: Any) -> dict[str, Any]:
    return {
        "id": "p-1",
        "status": status,
        "notify": False,
        "progress": {"events_done": done, "events_total": 10_000, "percent": done / 100},
        "matches_written": 12,
        "notices": 3,
        "skipped_rules": [{"id": "declined-card-burst", "reason": "a threshold rule is not"}],
        "links": {"self": "/replays/p-1"},
    } | more


def test_only_what_was_given_is_sent() -> None:
    # GIVEN the options of a replay of two rules over one source, and of every rule
    two = build_parser().parse_args(
        [
            *("replay", "create", "--rule", "a", "--rule", "b", "--since", "2026-11-01T00:00:00Z"),
            *("--source", "payments"),
        ]
    )
    every = build_parser().parse_args(
        ["replay", "create", "--all", "--since", "2026-11-01T00:00:00Z", "--notify"]
    )
    # WHEN they become requests THEN each carries what was given
    assert replay_request(two) == {
        "rules": ["a", "b"],
        "since": "2026-11-01T00:00:00Z",
        "sources": ["payments"],
        "notify": False,
    }
    assert replay_request(every) == {
        "rules": "all",
        "since": "2026-11-01T00:00:00Z",
        "notify": True,
    }


def test_wait_follows_the_replay_until_it_completes(
    api: StandIn,  # noqa: F811 (the fixture imported above)
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN an API that queues the replay, then reports it running, then complete
    api.on("POST /replays", (202, replay("queued", 0)))
    api.on(
        "GET /replays/p-1",
        (200, replay("running", 5_000)),
        (200, replay("complete", 10_000)),
    )
    # WHEN it is created with --wait
    code = main(
        [
            *("replay", "create", "--api-url", api.url, "--api-key", "k"),
            *("--rule", "big-decline", "--since", "2026-11-01T00:00:00Z", "--wait"),
        ]
    )
    # THEN it exits 0, having said what was skipped and how it ended
    assert code == 0
    out = capsys.readouterr().out
    assert "skipped declined-card-burst" in out
    assert "replay p-1: complete, 10,000 of 10,000 events, 12 matches written" in out
    assert api.posted == [
        {"rules": ["big-decline"], "since": "2026-11-01T00:00:00Z", "notify": False}
    ]


def test_a_cancelled_replay_exits_1_and_cancel_posts_to_its_route(
    api: StandIn,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN an API where the replay ends cancelled
    api.on("POST /replays", (202, replay("queued", 0)))
    api.on("GET /replays/p-1", (200, replay("cancelled", 5_000, reason="cancelled by ops")))
    api.on("POST /replays/p-1/cancel", (200, replay("cancelled", 5_000)))
    # WHEN it is waited for, and cancelled again
    waited = main(
        [
            *("replay", "create", "--api-url", api.url, "--api-key", "k"),
            *("--all", "--since", "2026-11-01T00:00:00Z", "--wait"),
        ]
    )
    cancelled = main(["replay", "cancel", "p-1", "--api-url", api.url, "--api-key", "k"])
    # THEN the wait exits 1 saying who cancelled it, and cancel answers the replay
    assert (waited, cancelled) == (1, 0)
    out = capsys.readouterr().out
    assert "cancelled by ops" in out
    assert api.posted[-1] == {}
