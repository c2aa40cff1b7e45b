"""``matches()`` patterns, prepared once at compile time: plain text as a string test, the rest RE2.

A pattern with no regex syntax in it (``^SKU-9``, ``error``, ``\\.json$``) means a prefix, a
substring, a suffix or the whole text, and the generated code tests exactly that with ``str``
methods: for such patterns RE2 would find the very same matches (UTF-8 is self-synchronising),
and a method call costs a tenth of a trip through google-re2's wrapper. Every other pattern runs
on RE2 (linear time, no backtracking); Python's ``re`` is never used for an operator's pattern.
Every pattern is compiled by RE2 first, so plain text is also a pattern RE2 accepts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import re2  # type: ignore[import-untyped]  # google-re2 ships no type hints

_SYNTAX = frozenset("\\.+*?()|[]{}^$")
_ESCAPABLE = _SYNTAX | {"-", "/"}  # `\` before one of these is the character itself in RE2
_PROBES = ("", "a", "b", "xbx", "\n", "é")


class Pattern(NamedTuple):  # a tuple, not a dataclass: a tenth of the import time
    """A prepared pattern: ``kind`` is "prefix", "suffix", "whole" or "substring" for plain
    text (``literal``), or "regex", for which ``search`` says whether the pattern is found."""

    kind: str
    literal: str = ""
    search: Callable[[str], bool] | None = None


@functools.lru_cache(maxsize=256)  # the checker and both runs of the generator prepare it
def prepare_pattern(text: str) -> Pattern | str:
    """The prepared pattern, or why it is not one."""
    options = re2.Options()
    options.log_errors = False
    options.never_capture = True  # a bool is all we ask for: no group spans to track
    try:
        compiled = re2.compile(text, options)
    except re2.error as exc:
        detail = exc.args[0] if exc.args else "invalid"
        reason = detail.decode(errors="replace") if isinstance(detail, bytes) else detail
        return f"invalid pattern for matches(): {reason}"
    except UnicodeEncodeError:  # a lone surrogate ("\ud800"): not text RE2 can read
        return "invalid pattern for matches(): it is not valid Unicode text"
    plain = _plain(text)
    if plain is not None:
        return Pattern(*plain)
    return Pattern("regex", search=_direct_search(compiled) or _public_search(compiled))


def _plain(pattern: str) -> tuple[str, str] | None:
    """(kind, text) when ``pattern`` is plain text, optionally anchored with ``^`` and ``$``."""
    start = pattern.startswith("^")
    characters: list[str] = []
    index, end, last = int(start), False, len(pattern) - 1
    while index <= last:
        character = pattern[index]
        if character == "\\":
            if index == last or pattern[index + 1] not in _ESCAPABLE:
                return None
            index += 1
            character = pattern[index]
        elif character in _SYNTAX:
            if character != "$" or index != last:
                return None
            end = True
            break
        characters.append(character)
        index += 1
    kinds = {
        (True, True): "whole",
        (True, False): "prefix",
        (False, True): "suffix",
        (False, False): "substring",
    }
    return kinds[start, end], "".join(characters)


def _public_search(compiled: object) -> Callable[[str], bool]:
    search = compiled.search  # type: ignore[attr-defined]

    def found(text: str) -> bool:
        return search(text) is not None

    return found


def _direct_search(compiled: object) -> Callable[[str], bool] | None:
    """A search that answers a bool straight from RE2, or None when that cannot be trusted.

    google-re2's public ``search`` wraps one call of the C++ ``RE2::Match`` in a generator,
    offset decoding and a match object: about 2 µs on a miss and 5 µs on a hit, where the call
    itself is under 1 µs. No public form answers just whether there is a match (``match`` and
    ``fullmatch`` take the same path; ``re2.Set`` does answer a bool, but answers false,
    silently, when its DFA runs out of memory, where ``RE2::Match`` falls back to the NFA).
    So this calls the private ``_regexp.Match`` exactly as ``search`` does with no ``pos`` or
    ``endpos``, and only when a known pattern and this one give ``search``'s answers through it.
    """
    try:
        direct = _bool_search(compiled)
        if _private_api_works() and all(
            direct(probe) == (compiled.search(probe) is not None)  # type: ignore[attr-defined]
            for probe in _PROBES
        ):
            return direct
    except (AttributeError, TypeError, IndexError, ValueError, re2.error):
        pass
    return None


def _bool_search(compiled: object) -> Callable[[str], bool]:
    match = compiled._regexp.Match  # type: ignore[attr-defined]
    anchor = re2._Anchor.UNANCHORED

    def found(text: str) -> bool:
        encoded = text.encode()  # what search() does; a lone surrogate raises as it would there
        hit: bool = match(anchor, encoded, 0, len(encoded))[0][0] >= 0
        return hit

    return found


@functools.cache
def _private_api_works() -> bool:
    """Whether ``_regexp.Match`` still answers as it did when this was written, on a hit and a
    miss of a pattern whose answers are known."""
    try:
        found = _bool_search(re2.compile("b+"))
        return found("abbc") is True and found("ac") is False and found("") is False
    except (AttributeError, TypeError, IndexError, ValueError, re2.error):
        return False
