"""The OpenAPI document, kept as reviewable JSON beside the code and read once per container.

Which roles reach an operation is not written in the JSON: it is added here from
``ROUTES_BY_ROLE``, the table the authorizer grants from, so the document cannot say one thing
while the authorizer does another. The JSON says which operations take a key at all
(``security``); a test holds that against the routes app.py guards with the authorizer.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from chalicelib.domain.access import ROUTES_BY_ROLE

DOCUMENT = Path(__file__).with_name("openapi.json")
METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


@cache
def openapi_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:  # a path item also holds `parameters`, `summary`, ...
                _describe_access(operation, roles_reaching(path, method.upper()))
    return document


def roles_reaching(path: str, method: str) -> list[str]:
    """The roles whose keys the authorizer lets through to ``method path``, lowest first."""
    return [
        role
        for role, routes in ROUTES_BY_ROLE.items()
        if any(route == path and method in methods for route, methods in routes)
    ]


def _describe_access(operation: dict[str, Any], roles: list[str]) -> None:
    """``x-roles`` for tools, and a line of the description for people (Swagger UI shows it)."""
    if operation.get("security"):
        operation["x-roles"] = roles
        line = f"Roles: {', '.join(roles) or 'none'}."
    elif operation.get("x-key-in-body"):  # PagerDuty's events: no header, the key in the body
        line = f"No Authorization header: the API key is the body's {operation['x-key-in-body']}."
    else:
        line = "No API key needed."
    described = operation.get("description")
    operation["description"] = f"{described}\n\n{line}" if described else line
