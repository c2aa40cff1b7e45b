"""What happens to a valid event before it is stored: conform, enrich, judge.

JSON events of a declared source are checked against its columns (CSV rows were read through them
already); every event then gains its source's derived and looked-up fields, which are stored with
it; and the rules give their verdicts. The event path and the CSV path both go through here, so an
event means the same thing to the rules whichever way it came.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from chalicelib.domain.errors import Detail
from chalicelib.domain.events import Event, conform_event
from chalicelib.domain.rules.book import RuleBook
from chalicelib.domain.rules.engine import RuleEngine
from chalicelib.domain.rules.verdicts import Verdicts


class EventPipeline:
    def __init__(self, book: RuleBook) -> None:
        self.book = book
        self.engine = RuleEngine.of(book)

    def prepare(self, event: Event) -> Event | list[Detail]:
        """A JSON event conformed to its source's declared fields and enriched; or every field
        that is off. CSV rows only need :meth:`enrich`: their cells were read through the same
        columns."""
        conformed = conform_event(event, self.book.sources)
        return conformed if isinstance(conformed, list) else self.enrich(conformed)

    def enrich(self, event: Event) -> Event:
        """The event with its source's derived and looked-up fields, which are stored with it."""
        enriched = self.book.enrich(event.source, event.data)
        if enriched is event.data:
            return event
        # built directly: ``dataclasses.replace`` costs as much again (once per CSV row)
        return Event(
            event.source, event.type, event.event_id, event.occurred_at, event.received_at, enriched
        )

    def judge(self, events: Iterable[Event], now: datetime) -> Verdicts:
        verdicts = Verdicts()
        for event in events:
            self.engine.evaluate(event, now, verdicts)
        return verdicts
