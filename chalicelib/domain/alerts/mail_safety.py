"""What event data may do to an email: appear in it, and nothing else.

Group values, sample fields and API comments come from whoever sends them, so any character can
be in them. A subject goes to SNS, which refuses the whole message when its subject is not ASCII
text that begins with a letter, number or punctuation mark, holds a line break or a control
character, or is 100 characters or longer. The Publish reference has said "ASCII text" and later
"UTF-8 text"; SNS has replaced non-ASCII email subjects with an error text. ASCII satisfies every
version, so ``safe_subject`` writes ASCII: accents fall away (NFKD: ``Zürich`` reads ``Zurich``),
characters with no ASCII form read ``?``, and the body keeps the value whole.

A body may hold any text, but a value must not forge a line of it: a line break in a merchant's
name would otherwise start a line of its own, say a fake ``Acknowledge:`` command. ``visible``
writes line breaks, control characters and bidirectional overrides out as escapes (``\\n``,
``\\x1b``, ``\\u202e``).
"""

from __future__ import annotations

import unicodedata

MAX_SUBJECT = 99  # SNS: "less than 100 characters"
CUT = "..."
NO_SUBJECT = "Tripline alert"
_BREAKS = frozenset({"Cc", "Zl", "Zp"})  # control characters, line and paragraph separators
_INVISIBLE = frozenset({"Mn", "Mc", "Me", "Cf"})  # combining marks (NFKD's accents), formats
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def safe_subject(text: str) -> str:
    """``text`` as SNS takes it: line breaks and control characters read as one space, accents
    fall away, other characters outside ASCII read ``?``, and a subject over 99 characters is cut
    to end in ``...``; ``Tripline alert`` when nothing is left."""
    ascii_text = "".join(_ascii(char) for char in unicodedata.normalize("NFKD", text))
    flat = " ".join(ascii_text.split())
    if not flat:
        return NO_SUBJECT
    if len(flat) <= MAX_SUBJECT:
        return flat
    return flat[: MAX_SUBJECT - len(CUT)].rstrip() + CUT


def sns_takes_subject(subject: str) -> bool:
    """SNS's rule itself, which ``safe_subject`` always satisfies: printable ASCII, not empty,
    no space first, at most ``MAX_SUBJECT`` characters."""
    printable = all(" " <= char <= "~" for char in subject)
    return printable and 0 < len(subject) <= MAX_SUBJECT and subject[0] != " "


def _ascii(char: str) -> str:
    if " " <= char <= "~":
        return char
    category = unicodedata.category(char)
    if category in _BREAKS or char.isspace():
        return " "
    if category in _INVISIBLE:
        return ""
    return "?"


def visible(text: str) -> str:
    """``text`` on one line, as it is but for line breaks, control characters and bidirectional
    overrides, which are written out as Python writes them (``\\r\\n``, ``\\x1b``)."""
    if text.isprintable():
        return text
    return "".join(_escaped(char) for char in text)


def _escaped(char: str) -> str:
    if char in _BIDI or unicodedata.category(char) in _BREAKS:
        return char.encode("unicode_escape").decode("ascii")
    return char
