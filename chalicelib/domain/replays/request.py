"""What a replay is asked to do, checked against the loaded rules before anything is queued.

Only match rules are replayed. A match is keyed by its rule and event, so writing it twice
writes it once, and a replay run again writes nothing new. A threshold rule's window is a sum
kept per stored event (each event is counted once, when it is first stored): adding replayed
events would count them again, so its crossings over history are the dry-run's to show. An
absence rule is a silence the clock notices live. ``"all"`` replays every enabled match rule
and lists the others as skipped, with why; naming one of them is an error that says so.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.domain.errors import Detail, RequestError
from chalicelib.domain.paging import time_parameter
from chalicelib.domain.replays.model import QUEUED, ReplayedRule, ReplayJob, SkippedRule
from chalicelib.domain.rules import Rule

FIELDS = ("rules", "since", "until", "sources", "notify")
MAX_RANGE = timedelta(days=366)
NOT_REPLAYED = {
    "threshold": "a threshold rule is not replayed: its window counts each event once, when it "
    "is first stored, and replayed events would count again; POST /rules/test shows its "
    "crossings over history",
    "absence": "an absence rule is not replayed: a silence is noticed by the clock, live",
}


@dataclass(frozen=True)
class ReplayRequest:
    rules: tuple[Rule, ...]
    skipped: tuple[SkippedRule, ...]
    since: datetime
    until: datetime
    sources: tuple[str, ...] | None
    notify: bool


def parse_replay_request(
    payload: object, *, rules: Sequence[Rule], known_sources: Collection[str], now: datetime
) -> ReplayRequest:
    """Every problem at once, each with its field (``rules[2]``, ``since``)."""
    if not isinstance(payload, Mapping):
        raise RequestError(
            "a replay takes a JSON object",
            [Detail('expected {"rules": [...] or "all", "since": ..., "until": ...}')],
        )
    problems = [Detail("unknown field", field=name) for name in payload if name not in FIELDS]
    chosen, skipped = _rules(payload.get("rules"), {one.id: one for one in rules}, problems)
    since, until = _range(payload, now, problems)
    sources = _sources(payload.get("sources"), known_sources, problems)
    notify = payload.get("notify", False)
    if not isinstance(notify, bool):
        problems.append(Detail("must be true or false", field="notify", value=notify))
    if problems or since is None or until is None:
        raise RequestError("the replay request has problems", problems)
    return ReplayRequest(chosen, skipped, since, until, sources, bool(notify))


def new_replay(
    replay_id: str, request: ReplayRequest, *, requested_by: str, now: datetime
) -> ReplayJob:
    return ReplayJob(
        id=replay_id,
        rules=tuple(ReplayedRule(one.id, one.version) for one in request.rules),
        skipped=request.skipped,
        since=request.since,
        until=request.until,
        sources=request.sources,
        notify=request.notify,
        status=QUEUED,
        requested_by=requested_by,
        created_at=now,
        updated_at=now,
    )


def _rules(
    given: object, loaded: Mapping[str, Rule], problems: list[Detail]
) -> tuple[tuple[Rule, ...], tuple[SkippedRule, ...]]:
    if given == "all":
        chosen = tuple(one for one in loaded.values() if one.enabled and one.kind == "match")
        skipped = tuple(
            SkippedRule(one.id, "disabled" if not one.enabled else NOT_REPLAYED[one.kind])
            for one in loaded.values()
            if not (one.enabled and one.kind == "match")
        )
        if not chosen:
            problems.append(Detail("no enabled match rule is loaded", field="rules"))
        return chosen, skipped
    if not isinstance(given, list) or not given:
        problems.append(
            Detail('must be "all" or a non-empty list of rule ids', field="rules", value=given)
        )
        return (), ()
    chosen_by_id: dict[str, Rule] = {}
    for index, rule_id in enumerate(given):
        rule = loaded.get(rule_id) if isinstance(rule_id, str) else None
        problem = _rule_problem(rule_id, rule, loaded)
        if problem is not None:
            problems.append(Detail(problem, field=f"rules[{index}]", value=rule_id))
        elif rule is not None:
            chosen_by_id[rule.id] = rule
    return tuple(chosen_by_id.values()), ()


def _rule_problem(rule_id: object, rule: Rule | None, loaded: Mapping[str, Rule]) -> str | None:
    if not isinstance(rule_id, str):
        return "must be a rule id (a string)"
    if rule is None:
        return f"no such rule is loaded (loaded: {', '.join(sorted(loaded)) or 'none'})"
    if not rule.enabled:
        return "is disabled; enable it before replaying it"
    return NOT_REPLAYED.get(rule.kind)


def _range(
    payload: Mapping[str, object], now: datetime, problems: list[Detail]
) -> tuple[datetime | None, datetime | None]:
    stamps = {
        name: stamp
        for name in ("since", "until")
        if (stamp := time_parameter(payload, name, problems)) is not None
    }
    if "since" not in payload:
        problems.append(
            Detail("is required (the start of the stored events to replay)", field="since")
        )
    since, until = stamps.get("since"), stamps.get("until", now)
    if since is None:
        return None, None
    if since >= until:
        problems.append(Detail("must be before until", field="since"))
    elif until - since > MAX_RANGE:
        problems.append(Detail(f"a replay covers at most {MAX_RANGE.days} days", field="since"))
    return since, until


def _sources(
    given: object, known: Collection[str], problems: list[Detail]
) -> tuple[str, ...] | None:
    if given is None:
        return None
    if not isinstance(given, list) or not given:
        problems.append(
            Detail("must be a non-empty list of source names", field="sources", value=given)
        )
        return None
    for index, name in enumerate(given):
        if not isinstance(name, str) or name not in known:
            shown = ", ".join(sorted(known)) or "none"
            problems.append(
                Detail(f"no such source (known: {shown})", field=f"sources[{index}]", value=name)
            )
    return tuple(dict.fromkeys(one for one in given if isinstance(one, str)))
