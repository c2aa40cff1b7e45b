"""dry_run_rule: what a rule would have done over given or stored events, with nothing written.

The rule is checked against the loaded rules' sources, as the linter would; listed events go
through the same checks and enrichment as posted ones; stored events are read as they were
stored (enriched already). Nothing is stored and nobody is notified: the answer is the report.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from chalicelib.domain.dry_run import DryRunRequest, parse_dry_run_request, preview, replay
from chalicelib.domain.errors import ConfigurationError, Detail, NotFound, RequestError
from chalicelib.domain.events import Event, Limits, validate_event
from chalicelib.domain.rules import EventPipeline, Rule, RuleBook
from chalicelib.ports import Clock, RuleParser, RuleReader

MAX_STORED_EVENTS = 200_000


def dry_run_rule(
    payload: object,
    *,
    pipeline: EventPipeline,
    reader: RuleReader | None,
    clock: Clock,
    limits: Limits,
    parse_rule: RuleParser,
    rule_file: str = "<inline>",
) -> dict[str, Any]:
    """``parse_rule`` checks an inline rule's YAML against the book (the rule-file adapter);
    ``rule_file`` names it in problems (the CLI passes the file it read)."""
    now = clock.now()
    request = parse_dry_run_request(payload, now)
    rule = replace(_rule(request, pipeline.book, parse_rule, rule_file), enabled=True)
    if request.events is not None:
        events, rejected = _listed_events(request.events, pipeline, now, limits)
        outcome = replay(rule, events, pipeline.book.catalog, None)
        return preview(
            outcome,
            rejected=rejected,
            scanned=len(request.events),
            truncated=False,
            since=None,
            until=None,
        )
    assert request.since is not None and request.until is not None
    if reader is None:
        raise ConfigurationError("a dry-run over stored events needs the database")
    stored = reader.events_between(
        request.since, request.until, rule.sources, MAX_STORED_EVENTS + 1
    )
    truncated = len(stored) > MAX_STORED_EVENTS
    stored = stored[:MAX_STORED_EVENTS]
    outcome = replay(rule, stored, pipeline.book.catalog, request.until)
    return preview(
        outcome,
        rejected=[],
        scanned=len(stored),
        truncated=truncated,
        since=request.since,
        until=request.until,
    )


def _rule(request: DryRunRequest, book: RuleBook, parse_rule: RuleParser, file: str) -> Rule:
    if request.rule_id is not None:
        rule = book.rule(request.rule_id)
        if rule is None:
            known = ", ".join(one.id for one in book.rules) or "none"
            raise NotFound(f"no rule '{request.rule_id}' is loaded (loaded: {known})")
        return rule
    try:
        return parse_rule(request.rule_text or "", book, file)
    except ConfigurationError as exc:
        raise RequestError("the rule has problems", exc.details) from exc


def _listed_events(
    items: list[Any], pipeline: EventPipeline, now: datetime, limits: Limits
) -> tuple[list[Event], list[Detail]]:
    """Each listed item checked like a posted one; an item without an id gets its position."""
    events: list[Event] = []
    rejected: list[Detail] = []
    for index, item in enumerate(items):
        outcome = validate_event(
            item, received_at=now, assigned_id=f"dry-run-{index}", limits=limits
        )
        if isinstance(outcome, Event):
            outcome = pipeline.prepare(outcome)
        if isinstance(outcome, Event):
            events.append(outcome)
            continue
        rejected.extend(
            replace(
                detail,
                field=f"events[{index}].{detail.field}" if detail.field else f"events[{index}]",
            )
            for detail in outcome
        )
    return events, rejected
