"""app.py as DESIGN.md §4 draws it: routes and triggers only, each a parse, one bound use case,
an answer; and every use case ``bootstrap`` binds is one that app.py (or its edge) calls."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from chalicelib.use_cases import UseCases

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
HANDLERS = {"route", "authorizer", "on_sqs_message", "schedule", "lambda_function"}
STATIC = {"openapi", "docs", "docs_asset"}  # the API document and its page: no use case


def handlers(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    """app.py's functions that Chalice registers, by name."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and any(
            isinstance(one, ast.Call)
            and isinstance(one.func, ast.Attribute)
            and one.func.attr in HANDLERS
            for one in node.decorator_list
        ):
            found[node.name] = node
    return found


def use_case_calls(node: ast.AST) -> list[str]:
    """The use cases called as ``use_cases().<name>(...)`` under ``node``."""
    return [
        call.func.attr
        for call in ast.walk(node)
        if isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and isinstance(call.func.value, ast.Call)
        and isinstance(call.func.value.func, ast.Name)
        and call.func.value.func.id == "use_cases"
    ]


def statements(function: ast.FunctionDef) -> list[ast.stmt]:
    """The body without its docstring."""
    body = function.body
    docstring = body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
    return body[1:] if docstring else body


def test_app_is_under_200_lines() -> None:
    assert len(APP.read_text().splitlines()) < 200


def test_each_route_and_trigger_makes_one_bound_call_and_answers() -> None:
    # GIVEN every function app.py registers with Chalice but the static documentation
    found = handlers(ast.parse(APP.read_text()))
    assert len(found) > 20
    for name, function in found.items():
        if name in STATIC or name == "api_key":
            continue
        # THEN each calls one use case, and is at most a parse and an answer around it
        assert len(use_case_calls(function)) == 1, name
        assert len(statements(function)) <= 2, name


def test_every_bound_use_case_is_called_from_the_edge() -> None:
    # GIVEN the use cases bootstrap binds
    bound = {
        name
        for name, _ in inspect.getmembers(UseCases, inspect.isfunction)
        if not name.startswith("_")
    }
    # WHEN app.py's handlers and the access edge's authorizer and audit trail are read
    called = set(use_case_calls(ast.parse(APP.read_text())))
    # the blueprints app.py registers call their use cases the same way
    for blueprint in (
        "reporting_routes.py",
        "console_page.py",
        "operations_routes.py",
        "protocol_routes.py",
    ):
        called |= set(use_case_calls(ast.parse((ROOT / "chalicelib" / blueprint).read_text())))
    edge = ast.parse((ROOT / "chalicelib" / "access_edge.py").read_text())
    called |= {
        node.attr
        for node in ast.walk(edge)
        if isinstance(node, ast.Attribute) and node.attr in bound
    }
    # THEN each one is called from somewhere, and nothing calls a use case that is not bound
    assert called == bound
