"""Where generated code keeps a value it needs more than once: a field, or a repeated pure call.

The generator names each such value by a key (a field, or a call such as ``hour(occurred_at)``)
and records every place it writes one, with the path of conditional regions around the place:
the operands of ``and``/``or`` after the first, each branch of ``if``, the operands of a
comparison chain after the first, the arguments of ``coalesce`` after the first. Code later in a
region runs only after the code before it in that region has run, and a region runs only if the
region around it does; so the first place runs before every other place whose path starts with
its own. Then the value is bound there with ``:=`` and read back everywhere else, and nothing is
computed on events where the expression stops early. Otherwise a field is read before the
expression (a read cannot fail), and a call is made again where it is written (made ahead, it
could fail on an event where the expression would never have called it).

The places are recorded by a first, throw-away run of the generator, so the plan cannot
disagree with the code it plans for.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import NamedTuple

Key = tuple[str, str]  # ("field", name) or ("call", "hour(occurred_at)")
Path = tuple[int, ...]


class Plan(NamedTuple):  # a tuple, not a dataclass: a tenth of the import time
    """The values bound where first computed, and the fields read before the expression."""

    bound: frozenset[Key] = frozenset()
    preloaded: frozenset[Key] = frozenset()


def plan(places: Mapping[Key, Sequence[Path]]) -> Plan:
    """How to keep each value named more than once, from the paths of its places, in order."""
    bound: set[Key] = set()
    preloaded: set[Key] = set()
    for key, paths in places.items():
        if len(paths) < 2:
            continue
        first = paths[0]
        if all(path[: len(first)] == first for path in paths[1:]):
            bound.add(key)
        elif key[0] == "field":
            preloaded.add(key)
    return Plan(frozenset(bound), frozenset(preloaded))


class Regions:
    """The conditional regions the generator is in, and the places of every value it wrote."""

    def __init__(self) -> None:
        self.path: Path = ()
        self.opened = 0
        self.places: defaultdict[Key, list[Path]] = defaultdict(list)

    @contextmanager
    def branch(self) -> Iterator[None]:
        """Code that may not run: the nodes generated inside run in order, each only if the
        ones before it did (one branch of ``if`` is a region, the other another)."""
        outer = self.path
        self.opened += 1
        self.path = (*outer, self.opened)
        try:
            yield
        finally:
            self.path = outer

    def record(self, key: Key) -> None:
        self.places[key].append(self.path)
