"""Generated code for comparisons, with the null rules written inline.

``a < b`` becomes ``(a is not None and b is not None and a < b)``, each operand evaluated once
(into a temporary when it is used again), in the order Python would evaluate it, and without
a check for an operand that cannot be null (a literal, a comparison). ``x == null`` becomes
``x is None``. ``x in [...]`` becomes a test against a constant set, with no null check when the
set holds no null (``None in {...}`` is already false).

Code here is assembled from templates whose only holes are filled with generated operand code,
so a brace inside a string constant is never read as a template.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from chalicelib.domain.expressions.literals import NOT_LITERAL


@dataclass(frozen=True)
class Code:
    """Python source for one node: ``text`` evaluates it (once, first); ``ref`` reads the
    value again afterwards, or is None when that needs a temporary."""

    text: str
    ref: str | None = None
    nullable: bool = True
    boolean: bool = False  # always a Python bool
    literal: object = NOT_LITERAL  # the value of a literal; a frozenset for a list right of `in`

    @property
    def pure(self) -> bool:
        """Reading it has no effect and binds nothing: a literal or an assigned local."""
        return self.ref is not None and self.text == self.ref


class Held:
    """An operand used several times: its first use evaluates it, the others read it back."""

    def __init__(self, code: Code, uses: int, temporary: Callable[[], str]) -> None:
        self.first, self.ref = code.text, code.ref
        if uses > 1 and self.ref is None:
            self.ref = temporary()
            self.first = f"({self.ref} := {code.text})"
        self.taken = False

    def take(self) -> str:
        if self.taken:
            assert self.ref is not None, "an operand used twice must have been held"
            return self.ref
        self.taken = True
        return self.first


_Term = tuple[str, tuple[int, ...]]  # a template and the operands that fill its holes


def compare(codes: list[Code], symbols: list[str], temporary: Callable[[], str]) -> Code:
    """Code for ``codes[0] symbols[0] codes[1] symbols[1] ...``: true or false, never null."""
    checked: set[int] = set()
    terms: list[_Term] = []
    for index, symbol in enumerate(symbols):
        terms.extend(_pair(codes, index, symbol, checked))
    uses = Counter(operand for _, operands in terms for operand in operands)
    held = [Held(code, uses[index], temporary) for index, code in enumerate(codes)]
    texts = [
        template.format(*(held[operand].take() for operand in operands))
        for template, operands in terms
    ]
    return Code("(" + " and ".join(texts) + ")", nullable=False, boolean=True)


def _pair(codes: list[Code], left: int, symbol: str, checked: set[int]) -> list[_Term]:
    right = left + 1
    a, b = codes[left], codes[right]
    if a.literal is None and b.literal is None:
        return [(str(symbol == "=="), ())]
    if a.literal is None or b.literal is None:
        tested = right if a.literal is None else left
        if codes[tested].literal is not NOT_LITERAL:  # a literal that is not null; Python warns
            return [(str(symbol == "!="), ())]  # about `'a' is None`, so answer here
        return [("{} is None" if symbol == "==" else "{} is not None", (tested,))]
    terms: list[_Term] = []
    if isinstance(b.literal, frozenset):
        if a.nullable and (symbol == "not in" or None in b.literal):
            terms.extend(_check(left, checked))
        return [*terms, ("{} " + symbol + " {}", (left, right))]
    if symbol == "==":  # None == value is false already, unless both can be None
        if a.nullable and b.nullable:
            terms.extend(_check(left, checked))
        return [*terms, ("{} == {}", (left, right))]
    # the left operand is evaluated first even when only the right one needs a check
    if a.nullable or (left == 0 and not a.pure and b.nullable):
        terms.extend(_check(left, checked))
    if b.nullable:
        terms.extend(_check(right, checked))
    return [*terms, ("{} " + symbol + " {}", (left, right))]


def _check(operand: int, checked: set[int]) -> list[_Term]:
    if operand in checked:
        return []
    checked.add(operand)
    return [("{} is not None", (operand,))]
