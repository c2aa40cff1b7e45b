"""The sources a reader may name: a JSON source needs no definition, so a source is known when
it is defined (a CSV definition, and for some readers a rule naming it) or has events stored.

``POST /reports`` and ``GET /kpis`` both ask; each says what counts as defined for it, and the
stored events are probed only for a name that is not.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator


class KnownSources(Collection[str]):
    """``name in known``: defined, or ``has_events(name)``. Listed (in an error that names the
    known ones), it shows the defined ones only, never probing the database."""

    def __init__(self, defined: set[str], has_events: Callable[[str], bool]) -> None:
        self._defined, self._has_events = defined, has_events

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (name in self._defined or self._has_events(name))

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._defined))

    def __len__(self) -> int:
        return len(self._defined)
