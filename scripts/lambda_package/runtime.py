"""A stand-in for Lambda's python3.11 runtime around an extracted bundle (tests and the bench).

Lambda puts ``/var/task`` (the bundle) first on ``sys.path`` and its own boto3 after it, and
``/var/task`` is read-only. Here: the extracted bundle first, then a folder of links to boto3 and
its dependencies from this virtualenv and nothing else of it, no site-packages, and no bytecode
written. An import that works there works because the bundle has it, not because ``.venv`` does.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")


def runtime_folder(into: Path) -> Path:
    """Links to the runtime's packages, as installed in this interpreter's virtualenv."""
    into.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise RuntimeError(f"{name} is not installed beside {sys.executable}")
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        link = into / source.name
        if not link.exists():
            link.symlink_to(source)
    return into


def bundle_command(code: str, *args: str) -> list[str]:
    """This interpreter without site-packages (``-S``) or the current folder on the path (``-P``)."""
    return [sys.executable, "-S", "-P", "-c", code, *args]


def bundle_env(bundle: Path, runtime: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": f"{bundle}{os.pathsep}{runtime}",
        "PYTHONDONTWRITEBYTECODE": "1",
        "LANG": "C.UTF-8",
    }


# What the first ``process_events`` of a container imports after ``app`` (``bootstrap`` builds
# everything on first use), found by diffing ``sys.modules`` around a real first batch on MariaDB:
# Powertools' Logger and Metrics (the ``observe`` middleware), the processor's services (each
# use case imports its own on first use), the engine and the MySQL dialect with its DB-API, the
# stores the processor and its notifier use, and the rules reader.
# ``bench/cold_start.py`` times these and reports any the real path imports beyond them.
COLD_PROCESSOR_IMPORTS = (
    "aws_lambda_powertools",
    "aws_lambda_powertools.metrics",
    "chalicelib.services.processing",
    "chalicelib.adapters.db.engine",
    "sqlalchemy.dialects.mysql.pymysql",
    "pymysql",
    "chalicelib.adapters.db.event_store",
    "chalicelib.adapters.db.alert_outbox",
    "chalicelib.adapters.db.silence_store",
    "chalicelib.adapters.rule_files.rules",
)
