"""The project copy that ``chalice package`` packages: what Lambda needs, laid out as Chalice wants.

Chalice bundles ``app.py``, ``chalicelib/``, ``vendor/`` (copied to the zip's root) and what
``requirements.txt`` resolves, and resolves it with pip against an index, wanting manylinux wheels
it recognises (it fails on ``google-re2``). So the copy has an empty ``requirements.txt`` and a
``vendor/`` holding the dependencies installed from the wheelhouse, plus ``rules/`` and ``sql/``,
which the app finds beside ``app.py`` (settings' default rules folder, the migrations' folder).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from scripts.lambda_package.wheels import install_offline

BESIDE_APP = ("rules", "sql")
_NO_BYTECODE = shutil.ignore_patterns("__pycache__", "*.pyc")


def stage_project(root: Path, staging: Path, wheelhouse: Path) -> None:
    """Lay out ``staging`` from the repository at ``root``; ``staging`` must not exist yet."""
    staging.mkdir(parents=True)
    shutil.copy2(root / "app.py", staging / "app.py")
    shutil.copytree(root / "chalicelib", staging / "chalicelib", ignore=_NO_BYTECODE)
    # deployments/ is Chalice's cache of earlier packages, keyed by a hash we would not change
    shutil.copytree(
        root / ".chalice",
        staging / ".chalice",
        ignore=shutil.ignore_patterns("deployments", "venv", "__pycache__"),
    )
    (staging / "requirements.txt").write_text("")
    vendor = staging / "vendor"
    install_offline(root / "requirements.txt", wheelhouse, vendor)
    for name in BESIDE_APP:
        shutil.copytree(root / name, vendor / name, ignore=_NO_BYTECODE)
