"""The silence flows behind ``/silences``: create, list, read, and end early.

Ending a silence is idempotent: a DELETE retried by a client or a gateway finds the silence
already ended and answers with it as it is, keeping the time it first ended.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from chalicelib.domain.errors import Detail, NotFound
from chalicelib.domain.incidents import INCIDENT_RULE_IDS
from chalicelib.domain.pagerduty import RULE_IDS as EXTERNAL_RULE_IDS
from chalicelib.domain.rules import RuleBook
from chalicelib.domain.silences import Silence, parse_silence, parse_silence_query
from chalicelib.ports import Clock, SilenceStore


def create_silence(
    payload: object, *, store: SilenceStore, clock: Clock, new_id: Callable[[], str], book: RuleBook
) -> Silence:
    # an alert's source is its events' source: one with a CSV definition, or one a rule names
    sources = {*book.sources.names(), *(name for rule in book.rules for name in rule.sources)}
    silence = parse_silence(
        payload,
        now=clock.now(),
        new_id=new_id(),
        # + pipeline.* and external.pagerduty, the reserved ids
        known_rules=[*(rule.id for rule in book.rules), *INCIDENT_RULE_IDS, *EXTERNAL_RULE_IDS],
        known_sources=sources,
    )
    store.add(silence)
    return silence


def list_silences(params: Mapping[str, str], *, store: SilenceStore, clock: Clock) -> list[Silence]:
    query = parse_silence_query(params)
    return store.list_silences(query.include_ended, clock.now())


def get_silence(silence_id: str, *, store: SilenceStore) -> Silence:
    silence = store.get(silence_id)
    if silence is None:
        raise _missing(silence_id)
    return silence


def expire_silence(silence_id: str, *, store: SilenceStore, clock: Clock) -> Silence:
    silence = store.expire(silence_id, clock.now())
    if silence is None:
        raise _missing(silence_id)
    return silence


def _missing(silence_id: str) -> NotFound:
    return NotFound(
        f"no silence {silence_id!r}", [Detail("not found", field="id", value=silence_id)]
    )
