"""A checked expression tree to the source of one Python function, compiled once.

``amount > 1000`` becomes::

    def _expr(_e, _now):
        return ((_t0 := _e.get('amount')) is not None and _t0 > 1000)

Nothing the operator wrote becomes a Python identifier: fields are read with ``_e.get`` and the
field name as a string constant, constants are written with ``repr``, functions are our helpers
under names of our own. Every generated name starts with ``_`` and operators' names may not,
so the two never meet. The function runs with empty ``__builtins__``; its globals hold only
the helpers, the few types the inline code tests for, and the constants prepared at compile time
(regexes, durations).

Speed comes from doing per event only what the expression needs: a field named once is read
in place; a field or a call (``hour(occurred_at)``) named more than once is computed once, where
:mod:`.plan` says; comparisons are inline with their null checks; ``x in [...]`` tests a
constant set; arithmetic, text and timestamp functions and the predicates take an inline fast
path for the usual types (:mod:`.inline`). The generator runs twice: the first run only
records where values are used, for the plan the second one follows.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, cast

from chalicelib.domain.expressions import inline as inline
from chalicelib.domain.expressions import runtime as runtime
from chalicelib.domain.expressions.compare import Code, Held, compare
from chalicelib.domain.expressions.functions import FUNCTIONS, FunctionSpec, prepare_constant
from chalicelib.domain.expressions.literals import (
    NOT_LITERAL,
    is_collection,
    literal_of,
    source_literal,
)
from chalicelib.domain.expressions.operators import ARITHMETIC, COMPARISONS
from chalicelib.domain.expressions.patterns import Pattern
from chalicelib.domain.expressions.plan import Key, Plan, Regions, plan

Evaluate = Callable[[Mapping[str, object], datetime], object]

HELPERS: dict[str, object] = {
    "_add": runtime.add,
    "_subtract": runtime.subtract,
    "_multiply": runtime.multiply,
    "_divide": runtime.divide,
    "_floor_divide": runtime.floor_divide,
    "_modulo": runtime.modulo,
    "_negate": runtime.negate,
    "_plus": runtime.plus,
    "_item": runtime.item,
    **{f"_fn_{name}": spec.helper for name, spec in FUNCTIONS.items() if spec.helper},
    **inline.NAMESPACE,
}
_NOT_SHARED = frozenset({"coalesce", "ago", "duration"})  # cheap, or evaluated in parts


def generate(tree: ast.Expression, types: Mapping[int, str]) -> tuple[str, Evaluate]:
    """The source of the function for ``tree`` and the function itself; ``types`` are the
    checker's static types of the nodes, by ``id``."""
    survey = _Generator(types, None)
    survey.code(tree.body)
    generator = _Generator(types, plan(survey.regions.places))
    body = generator.code(tree.body).text
    source = "\n    ".join(["def _expr(_e, _now):", *generator.preload, f"return {body}"])
    namespace: dict[str, object] = {"__builtins__": {}, **HELPERS, **generator.constants}
    code = compile(source, "<expression>", "exec", dont_inherit=True)
    # the code is ours, built from the checked tree; operators' text reaches it only as
    # repr() constants, and its globals hold nothing but our helpers and the types they test
    exec(code, namespace)  # noqa: S102
    return source, cast(Evaluate, namespace["_expr"])


class _Generator:
    def __init__(self, types: Mapping[int, str], plan: Plan | None) -> None:
        self.types = types
        self.surveying = plan is None  # only recording where values are used
        self.plan = plan or Plan()
        self.regions = Regions()
        self.values: dict[Key, Code] = {}  # how to read back a value already kept in a local
        self.locals: Counter[str] = Counter()
        self.preload: list[str] = []
        self.constants: dict[str, object] = {}
        self.temporaries = 0
        self._handlers: dict[type[ast.AST], Callable[[Any], Code]] = {
            ast.Name: self._name,
            ast.BoolOp: self._bool_op,
            ast.UnaryOp: self._unary,
            ast.BinOp: self._binary,
            ast.Compare: self._compare,
            ast.IfExp: self._if,
            ast.Call: self._call,
            ast.Subscript: self._subscript,
            ast.List: self._list,
            ast.Tuple: self._list,
            ast.Set: self._list,
        }

    def temporary(self) -> str:
        self.temporaries += 1
        return f"_t{self.temporaries - 1}"

    def constant(self, value: object) -> str:
        name = f"_k{len(self.constants)}"
        self.constants[name] = value
        return name

    def local(self, prefix: str) -> str:
        self.locals[prefix] += 1
        return f"{prefix}{self.locals[prefix] - 1}"

    def code(self, node: ast.expr) -> Code:
        value = literal_of(node)
        if value is not NOT_LITERAL:
            text = source_literal(value)
            return Code(
                text, text, nullable=value is None, boolean=isinstance(value, bool), literal=value
            )
        return self._handlers[type(node)](node)

    def shared(self, key: Key, prefix: str, make: Callable[[], Code]) -> Code:
        """A value that may be named more than once, kept as the plan says."""
        self.regions.record(key)
        known = self.values.get(key)
        if known is not None:
            return known
        if key in self.plan.preloaded:
            local = self.local(prefix)
            self.preload.append(f"{local} = {make().text}")
            self.values[key] = Code(local, local)
            return self.values[key]
        if key not in self.plan.bound:
            return make()
        code, local = make(), self.local(prefix)
        self.values[key] = Code(local, local, nullable=code.nullable, boolean=code.boolean)
        return Code(
            f"({local} := {code.text})", local, nullable=code.nullable, boolean=code.boolean
        )

    def _name(self, node: ast.Name) -> Code:
        return self.shared(("field", node.id), "_f", lambda: Code(f"_e.get({node.id!r})"))

    def _bool_op(self, node: ast.BoolOp) -> Code:
        first = self.code(node.values[0])
        with self.regions.branch():
            codes = [first, *(self.code(value) for value in node.values[1:])]
        joiner = " and " if isinstance(node.op, ast.And) else " or "
        text = "(" + joiner.join(code.text for code in codes) + ")"
        if not all(code.boolean for code in codes):
            text = f"(not not {text})"  # and/or answer true or false, never an operand's value
        return Code(text, nullable=False, boolean=True)

    def _unary(self, node: ast.UnaryOp) -> Code:
        operand = self.code(node.operand)
        if isinstance(node.op, ast.Not):
            return Code(f"(not {operand.text})", nullable=False, boolean=True)
        helper = "_negate" if isinstance(node.op, ast.USub) else "_plus"
        return Code(f"{helper}({operand.text})")

    def _binary(self, node: ast.BinOp) -> Code:
        left, right = self.code(node.left), self.code(node.right)
        types = self.types.get(id(node.left), "any"), self.types.get(id(node.right), "any")
        return inline.arithmetic(ARITHMETIC[type(node.op)], left, right, types, self.temporary)

    def _if(self, node: ast.IfExp) -> Code:
        test = self.code(node.test)
        with self.regions.branch():
            body = self.code(node.body)
        with self.regions.branch():
            orelse = self.code(node.orelse)
        return Code(
            f"({body.text} if {test.text} else {orelse.text})",
            nullable=body.nullable or orelse.nullable,
            boolean=body.boolean and orelse.boolean,
        )

    def _subscript(self, node: ast.Subscript) -> Code:
        container = self.code(node.value)
        return Code(f"_item({container.text}, {source_literal(literal_of(node.slice))})")

    def _list(self, node: ast.List | ast.Tuple | ast.Set) -> Code:
        items = ", ".join(source_literal(literal_of(element)) for element in node.elts)
        return Code(f"[{items}]", nullable=False)

    def _compare(self, node: ast.Compare) -> Code:
        operands = [node.left, *node.comparators]
        members = [
            index > 0
            and isinstance(node.ops[index - 1], ast.In | ast.NotIn)
            and is_collection(operand)
            for index, operand in enumerate(operands)
        ]
        first = self._operand(operands[0], members[0])
        with self.regions.branch():
            rest = [
                self._operand(operand, member)
                for operand, member in zip(operands[1:], members[1:], strict=True)
            ]
        if self.surveying:  # its operands are all it needs; the text is thrown away
            return Code("_")
        symbols = [COMPARISONS[type(op)] for op in node.ops]
        return compare([first, *rest], symbols, self.temporary)

    def _operand(self, node: ast.expr, member_of: bool) -> Code:
        if not member_of:
            return self.code(node)
        values = [literal_of(element) for element in cast(ast.List, node).elts]
        text = "{" + ", ".join(source_literal(value) for value in values) + "}" if values else "()"
        return Code(text, text, nullable=False, literal=frozenset(values))

    def _call(self, node: ast.Call) -> Code:
        name = cast(ast.Name, node.func).id
        if name in _NOT_SHARED or not all(
            isinstance(argument, ast.Name | ast.Constant) for argument in node.args
        ):
            return self._call_code(node)
        arguments = ", ".join(
            argument.id
            if isinstance(argument, ast.Name)
            else repr(cast(ast.Constant, argument).value)
            for argument in node.args
        )
        return self.shared(("call", f"{name}({arguments})"), "_c", lambda: self._call_code(node))

    def _call_code(self, node: ast.Call) -> Code:
        spec = FUNCTIONS[cast(ast.Name, node.func).id]
        if spec.constant is not None:
            return self._constant_call(spec, node)
        if spec.name == "coalesce":
            return self._coalesce(node.args)
        codes = [self.code(argument) for argument in node.args]
        fast = inline.call(spec.name, codes, self.temporary)
        if fast is not None:
            return fast
        arguments = ", ".join(code.text for code in codes)
        return Code(
            f"_fn_{spec.name}({arguments})", nullable=not spec.predicate, boolean=spec.predicate
        )

    def _constant_call(self, spec: FunctionSpec, node: ast.Call) -> Code:
        index = cast(int, spec.constant)
        prepared = prepare_constant(spec.name, literal_of(node.args[index]))
        if spec.name == "matches":
            return inline.matches(
                self.code(node.args[0]), cast(Pattern, prepared), self.constant, self.temporary
            )
        name = self.constant(prepared)
        if spec.name == "ago":
            return Code(f"(_now - {name})", nullable=False)
        return Code(name, name, nullable=False)  # duration()

    def _coalesce(self, arguments: list[ast.expr]) -> Code:
        """``(a if a is not None else b)``, innermost last, each argument evaluated at most once.

        A literal other than null ends the list: the arguments after it are never generated.
        Null literals drop out (Python warns about ``None is not None``).
        """
        values = [literal_of(argument) for argument in arguments]
        last = next(
            (
                index
                for index, value in enumerate(values)
                if value is not NOT_LITERAL and value is not None
            ),
            len(values) - 1,
        )
        first = self.code(arguments[0])
        with self.regions.branch():
            codes = [first, *(self.code(argument) for argument in arguments[1 : last + 1])]
        codes = [code for code in codes if code.literal is not None] or [codes[-1]]
        text = codes[-1].text
        for code in reversed(codes[:-1]):
            held = Held(code, 2, self.temporary)
            value = held.take()
            text = f"({held.take()} if {value} is not None else {text})"
        # a lone literal stays one, so `coalesce('', x) == null` is false, not `'' is None`
        literal = codes[0].literal if len(codes) == 1 else NOT_LITERAL
        return Code(text, nullable=codes[-1].nullable, literal=literal)
