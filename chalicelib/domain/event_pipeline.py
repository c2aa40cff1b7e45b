"""What happens to a valid event before it is stored: conform, enrich, judge.

JSON events of a declared source are checked against its columns (CSV rows were read through them
already); every event then gains its source's derived and looked-up fields, which are stored with
it; and the rules give their verdicts. The event path and the CSV path both go through here, so an
event means the same thing to the rules whichever way it came.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from chalicelib.domain.errors import Detail
from chalicelib.domain.event_schema import conform_data
from chalicelib.domain.events import Event
from chalicelib.domain.rule_engine import RuleEngine
from chalicelib.domain.rule_verdicts import Verdicts
from chalicelib.domain.rulebook import RuleBook


class EventPipeline:
    def __init__(self, book: RuleBook) -> None:
        self.book = book
        self.engine = RuleEngine.of(book)

    def conform(self, event: Event) -> Event | list[Detail]:
        """A JSON event checked against its source's declared fields; or every field that is off.

        CSV rows skip this: their cells were read through the same columns.
        """
        definition = self.book.sources.get(event.source)
        if definition is None:
            return event
        checked = conform_data(definition, event.data)
        return checked if isinstance(checked, list) else replace(event, data=checked)

    def enrich(self, event: Event) -> Event:
        """The event with its source's derived and looked-up fields, which are stored with it."""
        enriched = self.book.enrich(event.source, event.data)
        return event if enriched is event.data else replace(event, data=enriched)

    def judge(self, events: Iterable[Event], now: datetime) -> Verdicts:
        verdicts = Verdicts()
        for event in events:
            self.engine.evaluate(event, now, verdicts)
        return verdicts
