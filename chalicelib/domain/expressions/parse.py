"""Expression text to a Python ``ast`` tree, within limits, with positions in the operator's text.

The limits are checked before anything costly: the length before ``ast.parse`` (so the parser
never sees a megabyte), then the size and depth of the tree with an explicit stack (so neither
this walk nor the checker's recursion nor ``compile()`` can run out of stack). ``ast.parse``
itself can still fail on hostile text in ways other than ``SyntaxError`` (too deep for its own
stack, out of memory); every failure becomes a problem, never an exception to the caller.

The text is parsed inside parentheses so that an expression may span lines without the operator
having to add them; :func:`_unbalanced` refuses the one trick that opens (``a) or (b``).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize

from chalicelib.domain.expressions.types import ExpressionProblem

MAX_TEXT = 2_000
MAX_NODES = 400
MAX_DEPTH = 32
MAX_STRING = 1_000
MAX_ITEMS = 1_000
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

_COLLECTIONS = (ast.List, ast.Tuple, ast.Set)
_MISMATCH = re.compile(r"does not match opening parenthesis '(.)'")
_OUR_OPENING = re.compile(
    r"closing parenthesis '(.)' does not match opening parenthesis '\(' "
    r"on line 1$"
)
_LINE = re.compile(r"\bline (\d+)")  # Python's line numbers count our opening line
_NOT_CODE = frozenset(
    {
        tokenize.COMMENT,
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.ENDMARKER,
        tokenize.INDENT,
        tokenize.DEDENT,
    }
)


class Locator:
    """Positions of tree nodes as 1-based (line, column) in characters of the original text.

    ``ast`` counts columns in UTF-8 bytes and our wrapping adds one line before the text.
    """

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")

    def problem(self, node: ast.AST, message: str) -> ExpressionProblem:
        return self.at(getattr(node, "lineno", 2), getattr(node, "col_offset", 0), message)

    def at(self, wrapped_line: int, byte_column: int, message: str) -> ExpressionProblem:
        line = min(max(wrapped_line - 1, 1), len(self.lines))
        prefix = self.lines[line - 1].encode()[:byte_column].decode(errors="ignore")
        return ExpressionProblem(message, line, len(prefix) + 1)

    def written(self, node: ast.expr) -> str:
        """The text ``node`` was parsed from (identifiers are NFKC-normalized by ``ast``)."""
        end_line, end_column = node.end_lineno or node.lineno, node.end_col_offset or 0
        if end_line != node.lineno:
            return ""
        line = self.lines[node.lineno - 2].encode()
        return line[node.col_offset : end_column].decode(errors="replace")


def parse(text: str) -> tuple[ast.Expression, Locator] | list[ExpressionProblem]:
    """The tree of ``text``, or every reason it cannot be one."""
    if len(text) > MAX_TEXT:
        return [
            ExpressionProblem(
                f"the expression is {len(text):,} characters long; the limit is {MAX_TEXT:,}", 1, 1
            )
        ]
    if not text.strip():
        return [ExpressionProblem("the expression is empty", 1, 1)]
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # Python ends lines at a lone \r too
    locator = Locator(text)
    wrapped = "(\n" + text + "\n)"
    try:
        tree = ast.parse(wrapped, mode="eval")
    except SyntaxError as exc:
        return [_syntax_problem(exc, locator)]
    except (RecursionError, MemoryError, ValueError, OverflowError):
        return [ExpressionProblem("the expression is too deeply nested", 1, 1)]
    problems = _unbalanced(wrapped, locator) + _oversized(tree, locator)
    return problems or (tree, locator)


def _syntax_problem(exc: SyntaxError, locator: Locator) -> ExpressionProblem:
    wrapped_line, last = exc.lineno or 2, len(locator.lines)
    line, column = min(max(wrapped_line - 1, 1), last), exc.offset or 1
    message = exc.msg or "invalid syntax"
    if wrapped_line - 1 > last:  # at our closing parenthesis: the text ended too early
        line, column = last, len(locator.lines[-1]) + 1
        unclosed = _MISMATCH.search(message)
        if unclosed:
            message = f"'{unclosed.group(1)}' is never closed"
    ours = _OUR_OPENING.search(message)
    if ours:  # the closing bracket matches nothing the operator opened
        message = f"unmatched '{ours.group(1)}'"
    message = _LINE.sub(lambda found: f"line {min(int(found.group(1)) - 1, last)}", message)
    message = message.replace("was never closed", "is never closed")
    if "null bytes" in message:
        message = "the expression contains a null character"
    return ExpressionProblem(f"syntax error: {message}", line, max(column, 1))


def _unbalanced(wrapped: str, locator: Locator) -> list[ExpressionProblem]:
    """A closing bracket that would close our wrapping parenthesis (``a) or (b``), or nothing
    but comments inside it (which Python reads as ``()``)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(wrapped).readline))
    except (tokenize.TokenError, SyntaxError):  # ast.parse read it, so this is not expected
        return []
    depth, ops = 0, [token for token in tokens if token.type == tokenize.OP]
    for token in ops[:-1]:
        depth += (token.string in "([{") - (token.string in ")]}")
        if depth == 0:
            line, column = token.start
            byte_column = len(locator.lines[line - 2][:column].encode())
            return [locator.at(line, byte_column, f"syntax error: unmatched '{token.string}'")]
    if len([token for token in tokens if token.type not in _NOT_CODE]) <= 2:  # our ( and )
        return [ExpressionProblem("the expression is empty", 1, 1)]
    return []


def _oversized(tree: ast.Expression, locator: Locator) -> list[ExpressionProblem]:
    """Too many nodes, or nested too deep: walked with a stack, never recursion."""
    count = 0
    stack: list[tuple[ast.AST, int]] = [(tree.body, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            return [
                locator.problem(node, f"the expression is nested more than {MAX_DEPTH} levels deep")
            ]
        children = [child for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr)]
        if isinstance(node, _COLLECTIONS):
            count -= sum(isinstance(child, ast.Constant) for child in children)
        stack.extend((child, depth + 1) for child in children)
    if count > MAX_NODES:
        return [
            ExpressionProblem(f"the expression has {count} parts; the limit is {MAX_NODES}", 1, 1)
        ]
    return []
