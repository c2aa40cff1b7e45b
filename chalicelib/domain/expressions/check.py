"""The whitelist and type checker: every node of an expression tree is allowed or refused here.

Only the node kinds with a handler in :class:`_Checker` are allowed; anything else, from
attribute access to comprehensions, is refused by its kind, so a construct Python adds later is
refused too. Names resolve to fields only and calls to :data:`FUNCTIONS` only. Every node gets a
static type, and every problem is collected (not just the first) with its position, so an
operator fixes a rule in one round.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.expressions.functions import FUNCTIONS, FunctionSpec, prepare_constant
from chalicelib.domain.expressions.literals import (
    NOT_LITERAL,
    is_collection,
    literal_of,
    literal_problem,
    literal_type,
)
from chalicelib.domain.expressions.names import not_callable, shortened, unknown_field
from chalicelib.domain.expressions.operators import (
    ARITHMETIC,
    COMPARISONS,
    comparison_problem,
    membership_problem,
    refusal,
)
from chalicelib.domain.expressions.parse import MAX_ITEMS, Locator
from chalicelib.domain.expressions.types import (
    NUMERIC,
    VALUE_TYPES,
    ExpressionProblem,
    arithmetic_result,
    article,
    unary_result,
    unify,
)

_ACCEPTED_ANYWHERE = frozenset({"any", "null"})


@dataclass(frozen=True)
class Checked:
    """What the code generator needs to know about a tree that passed every check."""

    result_type: str
    uses: Counter[str]  # how often each field is named
    # each node's static type, by id(): the generator picks its fast paths by them
    types: dict[int, str]


def check(
    tree: ast.Expression, locator: Locator, field_types: dict[str, str]
) -> Checked | list[ExpressionProblem]:
    checker = _Checker(locator, field_types)
    result_type = checker.type_of(tree.body)
    return checker.problems or Checked(result_type, checker.uses, checker.types)


class _Checker:
    def __init__(self, locator: Locator, field_types: dict[str, str]) -> None:
        self.locator = locator
        self.field_types = field_types
        self.problems: list[ExpressionProblem] = []
        self.uses: Counter[str] = Counter()
        self.types: dict[int, str] = {}
        self._handlers: dict[type[ast.AST], Callable[[Any], str]] = {
            ast.Name: self._name,
            ast.BoolOp: self._bool_op,
            ast.UnaryOp: self._unary,
            ast.BinOp: self._binary,
            ast.Compare: self._compare,
            ast.IfExp: self._if,
            ast.Call: self._call,
            ast.Subscript: self._subscript,
            ast.List: self._collection,
            ast.Tuple: self._collection,
            ast.Set: self._collection,
        }

    def refuse(self, node: ast.AST, message: str) -> str:
        self.problems.append(self.locator.problem(node, message))
        return "any"  # so one mistake does not cascade into more messages

    def type_of(self, node: ast.expr) -> str:
        value = literal_of(node)
        if value is not NOT_LITERAL:
            problem = literal_problem(value)
            return self.refuse(node, problem) if problem else literal_type(value)
        handler = self._handlers.get(type(node))
        if handler is None:
            return self.refuse(node, refusal(node))
        self.types[id(node)] = kind = handler(node)
        return kind

    def _name(self, node: ast.Name) -> str:
        name = node.id
        if name.startswith("_"):
            return self.refuse(
                node, f"names starting with '_' are not allowed ('{shortened(name)}')"
            )
        written = self.locator.written(node)
        if written != name:
            return self.refuse(
                node,
                f"'{shortened(written)}' uses characters that only look "
                f"like '{shortened(name)}'; write names in plain "
                "characters",
            )
        declared = self.field_types.get(name)
        if declared is None:
            return self.refuse(node, unknown_field(name, self.field_types))
        self.uses[name] += 1
        return declared if declared in VALUE_TYPES else "any"

    def _bool_op(self, node: ast.BoolOp) -> str:
        for value in node.values:
            self.type_of(value)
        return "boolean"

    def _unary(self, node: ast.UnaryOp) -> str:
        operand = self.type_of(node.operand)
        if isinstance(node.op, ast.Not):
            return "boolean"
        if isinstance(node.op, ast.Invert):
            return self.refuse(node, "'~' (bitwise not) is not allowed")
        result = unary_result(operand)
        sign = "-" if isinstance(node.op, ast.USub) else "+"
        return result or self.refuse(node, f"cannot apply '{sign}' to {article(operand)}")

    def _binary(self, node: ast.BinOp) -> str:
        left, right = self.type_of(node.left), self.type_of(node.right)
        op = ARITHMETIC.get(type(node.op))
        if op is None:
            return self.refuse(node, refusal(node.op))
        if "null" in (left, right):
            return self.refuse(node, f"'{op}' with null is always null; test with '== null'")
        result = arithmetic_result(op, left, right)
        return result or self.refuse(node, f"cannot apply '{op}' to {left} and {right}")

    def _compare(self, node: ast.Compare) -> str:
        operands = [node.left, *node.comparators]
        types = [
            self._operand(
                operand, index > 0 and isinstance(node.ops[index - 1], ast.In | ast.NotIn)
            )
            for index, operand in enumerate(operands)
        ]
        for index, op in enumerate(node.ops):
            symbol = COMPARISONS.get(type(op))
            left, right = operands[index], operands[index + 1]
            if symbol is None:
                problem: str | None = refusal(op)
            elif symbol in ("in", "not in"):
                problem = membership_problem(
                    symbol, types[index], types[index + 1], is_collection(right)
                )
            else:
                chained = len(node.ops) > 1
                problem = comparison_problem(symbol, types[index], types[index + 1], chained)
            if problem:
                self.refuse(left, problem)
        return "boolean"

    def _operand(self, node: ast.expr, member_of: bool) -> str:
        """A comparison operand; a literal list right of ``in`` has its items' type."""
        if member_of and is_collection(node):
            return unify(self._items(node))  # type: ignore[arg-type]
        return self.type_of(node)

    def _collection(self, node: ast.List | ast.Tuple | ast.Set) -> str:
        self._items(node)
        return "list"

    def _items(self, node: ast.List | ast.Tuple | ast.Set) -> list[str]:
        if len(node.elts) > MAX_ITEMS:
            self.refuse(
                node, f"a list has at most {MAX_ITEMS:,} items; this one has {len(node.elts):,}"
            )
            return ["any"]
        types = []
        for element in node.elts:
            if literal_of(element) is NOT_LITERAL:
                types.append(
                    self.refuse(
                        element,
                        "a list may hold only literals: numbers, strings, true, false and null",
                    )
                )
            else:
                types.append(self.type_of(element))
        return types or ["any"]

    def _if(self, node: ast.IfExp) -> str:
        self.type_of(node.test)
        return unify([self.type_of(node.body), self.type_of(node.orelse)])

    def _subscript(self, node: ast.Subscript) -> str:
        container = self.type_of(node.value)
        key = literal_of(node.slice)
        if isinstance(node.slice, ast.Slice):
            return self.refuse(node.slice, "slices ('a:b') are not allowed")
        if key is NOT_LITERAL or type(key) not in (str, int):
            return self.refuse(
                node.slice,
                "a subscript must be a constant: a string key for a "
                "mapping or an integer index for a list",
            )
        problem = literal_problem(key)
        if problem:
            return self.refuse(node.slice, problem)
        wanted, key_kind = (
            ("mapping", "a string key") if type(key) is str else ("list", "an integer index")
        )
        if container not in (wanted, "any"):
            return self.refuse(node, f"cannot look up {key_kind} in {article(container)}")
        return "any"

    def _call(self, node: ast.Call) -> str:
        spec = self._function(node)
        if node.keywords:
            self.refuse(node, "keyword arguments are not allowed; pass arguments by position")
        if spec is None or node.keywords:
            for argument in [*node.args, *(keyword.value for keyword in node.keywords)]:
                self.type_of(argument)
            return "any"
        return self._arguments(node, spec)

    def _function(self, node: ast.Call) -> FunctionSpec | None:
        if isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS:
            return FUNCTIONS[node.func.id]
        self.refuse(
            node.func,
            refusal(node.func) if isinstance(node.func, ast.Attribute) else not_callable(node.func),
        )
        return None

    def _arguments(self, node: ast.Call, spec: FunctionSpec) -> str:
        count, most = len(node.args), None if spec.variadic else len(spec.params)
        if count < spec.required or (most is not None and count > most):
            expected = (
                f"at least {spec.required}"
                if most is None
                else str(spec.required)
                if most == spec.required
                else f"{spec.required} or {most}"
            )
            return self.refuse(node, f"{spec.usage} takes {expected} arguments, not {count}")
        types = [self._argument(spec, index, argument) for index, argument in enumerate(node.args)]
        if spec.result == "unify":
            return unify(types)
        if spec.result == "rounded":
            return "integer" if len(types) == 1 or types[0] == "integer" else "number"
        if spec.result == "same":
            return types[0] if types[0] in NUMERIC else "number"
        return spec.result

    def _argument(self, spec: FunctionSpec, index: int, argument: ast.expr) -> str:
        if spec.constant == index:
            value = literal_of(argument)
            if value is NOT_LITERAL:
                return self.refuse(argument, f"{spec.usage}: this argument must be a constant")
            prepared = prepare_constant(spec.name, value)
            if isinstance(prepared, str):
                return self.refuse(argument, prepared)
        kind = self.type_of(argument)
        accepted = spec.params[min(index, len(spec.params) - 1)]
        if kind in accepted or kind in _ACCEPTED_ANYWHERE:
            return kind
        wanted = " or ".join(sorted(accepted)) if len(accepted) < 4 else "a value"
        return self.refuse(
            argument, f"{spec.usage}: argument {index + 1} must be {wanted}, not {kind}"
        )
