"""The import rules of DESIGN.md §4, and what importing app.py may and may not do."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("boto3", "botocore", "sqlalchemy", "pymysql", "chalice", "alembic", "aws_lambda_powertools")
RULES: dict[str, tuple[str, ...]] = {
    # package: prefixes it must never import
    "chalicelib/domain": (*HEAVY, "chalicelib.services", "chalicelib.adapters", "chalicelib.ports",
                          "chalicelib.bootstrap", "chalicelib.web", "yaml"),
    "chalicelib/services": (*HEAVY, "chalicelib.adapters", "chalicelib.bootstrap", "chalicelib.web"),
    "chalicelib/adapters": ("chalicelib.services",),
    "app.py": ("chalicelib.adapters",),
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_each_layer_imports_only_what_the_design_allows() -> None:
    broken = []
    for place, forbidden in RULES.items():
        files = [ROOT / place] if place.endswith(".py") else sorted((ROOT / place).rglob("*.py"))
        assert files, f"no files under {place}"
        for path in files:
            for name in imported_modules(path):
                if any(name == bad or name.startswith(bad + ".") for bad in forbidden):
                    broken.append(f"{path.relative_to(ROOT)} imports {name}")
    assert broken == []


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
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": "mysql+pymysql://x@192.0.2.1:1/none",
           "TRIPLINE_AWS_ENDPOINT_URL": "http://192.0.2.1:1"}
    # WHEN app is imported in a fresh interpreter
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60, check=False)
    # THEN it succeeds without touching any of them, and loads none of the heavy libraries
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
