"""The AWS operations the Lambda code can call, found by reading it (``ast``), not by running it.

A call site is a method call named after an operation of a service the code makes clients for
(``make_client("s3", ...)``), a presign helper, one of boto3's S3 transfer methods, or an entry
point of a library that calls AWS on our behalf. Each site lists the operations that would show
it ran; the workload must show at least one of them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import botocore
import botocore.session

from tests.iam.policies import ROOT

# Code of chalicelib that runs only on operator machines, never in a Lambda function (the tools
# themselves live in tripline/, outside what this scan reads and outside the package).
OPERATOR_ONLY = ("chalicelib/adapters/aws/dead_letters.py",)  # `tripline dlq` is its only user
# boto3's S3 transfer methods are not botocore operations: the operations each may perform
# (small files in one request, large ones in parts)
TRANSFERS = {
    "upload_fileobj": ("PutObject", "CreateMultipartUpload"),
    "upload_file": ("PutObject", "CreateMultipartUpload"),
    "download_fileobj": ("HeadObject",),
    "download_file": ("HeadObject",),
}
# Library entry points that call AWS on our behalf, by (module, name)
PARAMETERS = "aws_lambda_powertools.utilities.parameters"
LIBRARY_CALLS = {
    (PARAMETERS, "SecretsProvider"): ("secretsmanager", "GetSecretValue"),
    (PARAMETERS, "get_secret"): ("secretsmanager", "GetSecretValue"),
    (PARAMETERS, "get_secrets_by_name"): ("secretsmanager", "BatchGetSecretValue"),
    (PARAMETERS, "SSMProvider"): ("ssm", "GetParameter"),
    (PARAMETERS, "get_parameter"): ("ssm", "GetParameter"),
}
NO_CALL = {"GetParameterError", "TransformParameterError", "clear_caches"}  # make no AWS call
AWS_LIBRARIES = (PARAMETERS,)
CLIENT_FACTORIES = {"make_client", "client"}


@dataclass(frozen=True)
class CallSite:
    where: str  # path:line
    code: str  # what the code calls
    satisfied_by: frozenset[tuple[str, str, bool]]  # (service, operation, presigned): any one


def lambda_files() -> list[Path]:
    found = [ROOT / "app.py", *sorted((ROOT / "chalicelib").rglob("*.py"))]
    return [path for path in found if not str(path.relative_to(ROOT)).startswith(OPERATOR_ONLY)]


@cache
def operations(service: str) -> dict[str, str]:
    """botocore's operations of the service, by the client method's name."""
    model = botocore.session.get_session().get_service_model(service)
    return {botocore.xform_name(name): name for name in model.operation_names}


def client_services(trees: dict[Path, ast.Module]) -> set[str]:
    """Every service the code builds a client for, from the literal first argument."""
    return {
        node.args[0].value
        for tree in trees.values()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and _name(node.func) in CLIENT_FACTORIES
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    }


def call_sites(paths: list[Path]) -> list[CallSite]:
    trees = {path: ast.parse(path.read_text(), str(path)) for path in paths}
    services = client_services(trees)
    found: list[CallSite] = []
    for path, tree in trees.items():
        relative = path.relative_to(ROOT)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                found += [
                    CallSite(f"{relative}:{node.lineno}", code, satisfied_by)
                    for code, satisfied_by in _site(node, services)
                ]
        found += _library_sites(tree, relative)
    return found


Satisfied = frozenset[tuple[str, str, bool]]


def _site(node: ast.Call, services: set[str]) -> Iterator[tuple[str, Satisfied]]:
    method = _name(node.func)
    if method == "generate_presigned_post":
        yield method, frozenset({("s3", "PostObject", True)})
    elif method == "generate_presigned_url":
        signed = _argument(node, 0, "ClientMethod") or "?"
        yield (
            f"{method}({signed!r})",
            frozenset(
                (service, operations(service)[signed], True)
                for service in services
                if signed in operations(service)
            ),
        )
    elif method in TRANSFERS and "s3" in services:
        yield method, frozenset(("s3", operation, False) for operation in TRANSFERS[method])
    elif method == "getattr" and (name := _argument(node, 1, "")):
        yield from _named(f"getattr(..., {name!r})", name, services)
    elif isinstance(node.func, ast.Attribute):
        yield from _named(method, method, services)


def _named(code: str, method: str, services: set[str]) -> Iterator[tuple[str, Satisfied]]:
    matches = frozenset(
        (service, operations(service)[method], False)
        for service in sorted(services)
        if method in operations(service)
    )
    if matches:
        yield code, matches


def _library_sites(tree: ast.Module, relative: Path) -> Iterator[CallSite]:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(AWS_LIBRARIES):
            for alias in (one for one in node.names if one.name not in NO_CALL):
                known = LIBRARY_CALLS.get((PARAMETERS, alias.name))
                yield CallSite(
                    f"{relative}:{node.lineno}",
                    f"{node.module}.{alias.name}",
                    frozenset({(*known, False)}) if known else frozenset(),
                )
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "parameters"
            and node.attr not in NO_CALL
        ):
            # `from aws_lambda_powertools.utilities import parameters`, then `parameters.<name>`
            known = LIBRARY_CALLS.get((PARAMETERS, node.attr))
            yield CallSite(
                f"{relative}:{node.lineno}",
                f"parameters.{node.attr}",
                frozenset({(*known, False)}) if known else frozenset(),
            )


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _argument(node: ast.Call, position: int, keyword: str) -> str | None:
    values = [node.args[position]] if len(node.args) > position else []
    values += [one.value for one in node.keywords if one.arg == keyword]
    constant = values[0] if values else None
    if isinstance(constant, ast.Constant) and isinstance(constant.value, str):
        return constant.value
    return None


def imported_by(entry: Path) -> set[Path]:
    """The files of this repository that ``entry`` imports, directly or through others, with
    imports inside functions counted (the code imports heavy modules late, on purpose)."""
    seen: set[Path] = set()
    todo = [entry]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            todo += [found for name in names if (found := _module_file(name)) is not None]
    return seen


def _module_file(name: str) -> Path | None:
    base = ROOT / name.replace(".", "/")
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None
