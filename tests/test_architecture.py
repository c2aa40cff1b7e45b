"""The import rules of DESIGN.md §4, as an allow-list, and what importing app.py may and may not do.

The domain's packages stand in layers; a package imports only the kernel and the packages below
it, never one beside or above it::

    metrics      the pipeline's figures: stored counts, queue depths
    retention    how long each source's rows are kept; a purge's cutoffs and counts
    reports      report requests, their lifecycle, the digest's week, table cells
    pagerduty    PagerDuty Events API v2: events, routing keys, what they do to alerts
    access       keys, roles, the audit log
    known_errors failure patterns, their remedies, what a match does to one upload
    incidents    pipeline failures as operations alerts: kinds, details, open and note
    uploads      upload records, the CSV scan, rows to events, rejects reports
    replays      stored events through the current rules, as a job in chunks
    dry_run      what one rule would have done to stored events
    silences     matchers, one-off and weekly windows
    alerts       lifecycle, notification texts and emails, the alert list
    rules        model, parsing, enrichment, engine, windows, absence, the rule book
    events       an event, the intake plan, the queue envelope, conforming, the event list
    protocols    CloudEvents and Segment calls read as Tripline items
    sources      CSV source definitions, cells and their formats
    availability business hours, time zones, uptime from status observations
    expressions  the rule language's compiler
    ── kernel ── errors, durations, json_values, local_times, messages, paging, retries (standard
                 library only)

Around the domain::

    app.py ──▶ edge modules (bootstrap, web, access_edge, observability, triggers, topology, …)
    bootstrap ──▶ adapters, services, domain, ports      (the only one that names adapters)
    services ──▶ domain, ports                           (never boto3, SQLAlchemy or chalice)
    adapters ──▶ domain, ports, their libraries          (never services)
    tripline/ (the tools) ──▶ chalicelib                 (chalicelib never imports the tools)

Code outside a domain package enters it through its ``__init__``. Relative imports count too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chalicelib import domain

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = "chalicelib.domain"
KERNEL = ("errors", "durations", "json_values", "local_times", "messages", "paging", "retries")
LAYERS = (
    "expressions",
    "sources",
    "availability",
    "protocols",
    "events",
    "rules",
    "alerts",
    "silences",
    "dry_run",
    "replays",
    "uploads",
    "incidents",
    "known_errors",
    "access",
    "pagerduty",
    "reports",
    "retention",
    "metrics",
)  # lowest first, as drawn above
DOMAIN_THIRD_PARTY = ("re2",)
EDGE = (
    "access_edge",
    "apidoc",
    "blueprints",
    "bootstrap",
    "console_page",
    "docs_page",
    "observability",
    "reporting_routes",
    "static_files",
    "topology",
    "triggers",
    "use_cases",
    "web",
)
APP_MAY_IMPORT = ("__future__", "typing", "chalice", *(f"chalicelib.{name}" for name in EDGE))
HEAVY = (
    "boto3",
    "botocore",
    "sqlalchemy",
    "pymysql",
    "chalice",
    "alembic",
    "aws_lambda_powertools",
)
NAMES_ADAPTERS = ("chalicelib/bootstrap.py", "chalicelib/adapters", "tripline")
CHECKED = ("app.py", "chalicelib", "tripline")


@dataclass(frozen=True)
class Import:
    """One imported module, as an absolute dotted name, with where it was written."""

    module: str
    line: int


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, root: Path) -> Iterator[Import]:
    """Every module ``path`` imports, relative imports resolved: ``from p import m`` yields
    ``p.m`` when ``m`` is a module of the tree, else ``p``."""
    me = module_name(path, root)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (Import(alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base = parts[: len(parts) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            inner = [f"{module}.{alias.name}" for alias in node.names]
            modules = [name for name in inner if is_module(root, name)]
            if len(modules) < len(inner):  # some names are the module's own
                yield Import(module, node.lineno)
            yield from (Import(name, node.lineno) for name in modules)


def is_module(root: Path, dotted: str) -> bool:
    path = root.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def domain_package(module: str) -> str | None:
    """``chalicelib.domain.rules.parsing.kinds`` → ``rules``; kernel modules → ``kernel``."""
    if not within(module, DOMAIN) or module == DOMAIN:
        return None
    first = module.split(".")[2]
    return "kernel" if first in KERNEL else first


def is_project(name: str) -> bool:
    return within(name, "chalicelib") or within(name, "tripline") or name == "app"


def domain_problems(module: str, found: Import) -> list[str]:
    """The domain imports the standard library, re2, the kernel and lower layers only."""
    top = found.module.split(".")[0]
    if not is_project(found.module):
        ok = top in sys.stdlib_module_names or top in DOMAIN_THIRD_PARTY
        return [] if ok else [f"imports {found.module}, which the domain may not use"]
    mine, theirs = domain_package(module), domain_package(found.module)
    if theirs is None:
        return [] if found.module == DOMAIN else [f"imports {found.module}, outside the domain"]
    if theirs == "kernel" or theirs == mine:
        return []
    if mine == "kernel":
        return [f"imports {found.module}: the kernel imports only the kernel"]
    assert mine is not None
    if LAYERS.index(theirs) > LAYERS.index(mine):
        return [f"imports {found.module}: {theirs} stands above {mine}"]
    return []


def entry_problems(module: str, found: Import) -> list[str]:
    """Code outside a domain package enters it through the package's ``__init__`` only."""
    theirs = domain_package(found.module)
    if theirs in (None, "kernel") or theirs == domain_package(module):
        return []
    if len(found.module.split(".")) <= 3:
        return []
    return [f"imports {found.module}: enter {DOMAIN}.{theirs} through its __init__"]


def layer_problems(relative: str, module: str, found: Import) -> list[str]:
    name = found.module
    problems = []
    if relative.startswith("chalicelib/") and within(name, "tripline"):
        problems.append(f"imports {name}: chalicelib never imports the tools")
    if within(name, "chalicelib.adapters") and not relative.startswith(NAMES_ADAPTERS):
        problems.append(f"imports {name}: only bootstrap and the tools name adapters")
    if relative.startswith("chalicelib/services/") and (
        any(within(name, heavy) for heavy in HEAVY)
        or within(name, "chalicelib.bootstrap")
        or within(name, "chalicelib.web")
    ):
        problems.append(f"imports {name}: services use the domain and ports only")
    if relative.startswith("chalicelib/adapters/") and within(name, "chalicelib.services"):
        problems.append(f"imports {name}: adapters never import services")
    if (
        relative == "app.py"
        and name != "chalicelib"
        and not any(within(name, allowed) for allowed in APP_MAY_IMPORT)
    ):
        problems.append(f"imports {name}: app.py imports only the edge modules")
    if relative.startswith("chalicelib/domain/"):
        problems.extend(domain_problems(module, found))
    problems.extend(entry_problems(module, found))
    return problems


def violations(root: Path) -> list[str]:
    """Every broken rule under ``root``, as ``file:line: what``."""
    files = [
        path
        for place in CHECKED
        for path in (
            [root / place] if place.endswith(".py") else sorted((root / place).rglob("*.py"))
        )
        if path.exists()
    ]
    found = []
    for path in files:
        relative, module = path.relative_to(root).as_posix(), module_name(path, root)
        for one in imports_of(path, root):
            found.extend(
                f"{relative}:{one.line}: {problem}"
                for problem in layer_problems(relative, module, one)
            )
    return sorted(set(found))


def test_every_import_is_one_the_design_allows() -> None:
    broken = violations(ROOT)
    assert not broken, "imports the design does not allow:\n" + "\n".join(broken)


def test_the_layers_drawn_in_the_docstring_are_the_domain_packages() -> None:
    packages = {path.parent.name for path in Path(domain.__file__).parent.glob("*/__init__.py")}
    kernel = {path.stem for path in Path(domain.__file__).parent.glob("*.py")} - {"__init__"}
    assert packages == set(LAYERS)
    assert kernel == set(KERNEL)
    for name in (*LAYERS, *KERNEL):
        assert f"    {name} " in __doc__ or f" {name}," in __doc__ or f" {name} " in __doc__, name


def circles(root: Path) -> list[list[str]]:
    """Groups of modules that import one another, directly or round a loop (Tarjan's strongly
    connected components); an import inside a function counts, since it still ties the two."""
    files = [
        path
        for place in CHECKED
        for path in (
            [root / place] if place.endswith(".py") else sorted((root / place).rglob("*.py"))
        )
    ]
    modules = {module_name(path, root): path for path in files}
    edges = {
        name: sorted({one.module for one in imports_of(path, root)} & modules.keys() - {name})
        for name, path in modules.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(name: str) -> None:
        index[name] = low[name] = len(index)
        stack.append(name)
        for other in edges[name]:
            if other not in index:
                visit(other)
                low[name] = min(low[name], low[other])
            elif other in stack:
                low[name] = min(low[name], index[other])
        if low[name] == index[name]:
            group = []
            while (top := stack.pop()) != name:
                group.append(top)
            if group:
                found.append(sorted([*group, name]))

    for name in sorted(modules):
        if name not in index:
            visit(name)
    return found


def test_no_modules_import_one_another_round_a_circle() -> None:
    assert circles(ROOT) == []


# What an adapter may call in the domain: the parsers that turn rules/ into a rule book, and the
# kernel, and the escaping every spreadsheet cell gets (a format's rule, not a decision: the
# report writers apply the one the rejects report uses). Everything else it takes from the domain
# is a value (a class or a constant): decisions (which alert opens, which window crosses, what a
# silence covers) are the services'.
ADAPTERS_MAY_CALL = (
    "parse_availability",
    "parse_enrichment",
    "parse_hours_table",
    "parse_known_errors",
    "parse_rule",
    "parse_source_definition",
    "parse_source_routes",
    "rule_catalog",
    "spreadsheet_safe",
)


def decisions_in_adapters(root: Path) -> list[str]:
    found = []
    for path in sorted((root / "chalicelib" / "adapters").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (
                isinstance(node, ast.ImportFrom)
                and node.module
                and domain_package(node.module) not in (None, "kernel")
            ):
                continue
            found.extend(
                f"{path.relative_to(root).as_posix()}:{node.lineno}: calls {alias.name}"
                for alias in node.names
                if alias.name[0].islower() and alias.name not in ADAPTERS_MAY_CALL
            )
    return found


def test_adapters_take_values_from_the_domain_and_make_no_decision(tmp_path: Path) -> None:
    assert decisions_in_adapters(ROOT) == []
    # GIVEN an adapter that imports the alert lifecycle's decision
    adapters = tmp_path / "chalicelib" / "adapters"
    adapters.mkdir(parents=True)
    (adapters / "alert_state.py").write_text(
        "from chalicelib.domain.alerts import Alert, open_or_add\n"
    )
    # THEN the check names it
    assert decisions_in_adapters(tmp_path) == [
        "chalicelib/adapters/alert_state.py:1: calls open_or_add"
    ]


VIOLATIONS = {
    "a domain module imports boto3": (
        "chalicelib/domain/events/model.py",
        "import boto3\n",
        "imports boto3",
    ),
    "a lower layer imports a higher one": (
        "chalicelib/domain/sources/model.py",
        "from chalicelib.domain.rules import Rule\n",
        "rules stands above sources",
    ),
    "the kernel imports a package": (
        "chalicelib/domain/paging.py",
        "from chalicelib.domain.events import Event\n",
        "the kernel imports only the kernel",
    ),
    "a relative import reaches above": (
        "chalicelib/domain/events/model.py",
        "from ..alerts import Alert\n",
        "alerts stands above events",
    ),
    "a service reaches inside a package": (
        "chalicelib/services/reads.py",
        "from chalicelib.domain.events.model import Event\n",
        "through its __init__",
    ),
    "a service names an adapter": (
        "chalicelib/services/reads.py",
        "from chalicelib.adapters.db.tables import events\n",
        "only bootstrap and the tools name adapters",
    ),
    "a service uses SQLAlchemy": (
        "chalicelib/services/reads.py",
        "import sqlalchemy\n",
        "domain and ports only",
    ),
    "an adapter calls a service": (
        "chalicelib/adapters/db/tables.py",
        "from chalicelib.services import reads\n",
        "adapters never import services",
    ),
    "app.py reaches past the edge": (
        "app.py",
        "from chalicelib.services.reads import list_events\n",
        "app.py imports only the edge modules",
    ),
    "chalicelib imports a tool": (
        "chalicelib/web.py",
        "from tripline import cli\n",
        "never imports the tools",
    ),
}


@pytest.mark.parametrize("case", sorted(VIOLATIONS))
def test_a_deliberate_violation_is_caught(case: str, tmp_path: Path) -> None:
    # GIVEN a copy of the checked code with one forbidden import added
    path, line, expected = VIOLATIONS[case]
    for place in CHECKED:
        source = ROOT / place
        if source.is_file():
            (tmp_path / place).write_bytes(source.read_bytes())
        else:
            for file in source.rglob("*.py"):
                target = tmp_path / file.relative_to(ROOT)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(file.read_bytes())
    broken = tmp_path / path
    broken.write_text(broken.read_text() + "\n" + line)
    # WHEN the rules are checked
    found = violations(tmp_path)
    # THEN that import, and only it, is reported, with its file and line
    assert len(found) == 1, found
    assert found[0].startswith(f"{path}:") and expected in found[0]


def test_importing_app_builds_no_client_engine_or_connection() -> None:
    # GIVEN no AWS credentials, no database and no network settings
    probe = (
        "import sys, app\n"
        "from chalicelib import bootstrap\n"
        "assert bootstrap._container is None, 'container built at import'\n"
        "loaded = [m for m in ('boto3', 'sqlalchemy', 'pymysql', 'aws_lambda_powertools') "
        "if m in sys.modules]\n"
        "print(','.join(loaded))\n"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": "mysql+pymysql://x@192.0.2.1:1/none",
        "TRIPLINE_AWS_ENDPOINT_URL": "http://192.0.2.1:1",
    }
    # WHEN app is imported in a fresh interpreter
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # THEN it succeeds without touching any of them, and loads none of the heavy libraries
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
