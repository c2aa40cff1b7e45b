"""``chalice package`` of the staged project, with the infra template merged in."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from scripts.lambda_package.aws_env import offline_aws_env
from scripts.lambda_package.errors import BuildError


def chalice_package(staging: Path, stage: str, merge_template: Path, out_dir: Path) -> None:
    chalice = Path(sys.executable).with_name("chalice")
    if not chalice.is_file():
        raise BuildError(f"no chalice beside {sys.executable}: build with .venv/bin/python")
    done = subprocess.run(  # noqa: S603 (our own tools, with arguments built here)
        [
            str(chalice),
            "--project-dir",
            str(staging),
            "package",
            "--stage",
            stage,
            "--merge-template",
            str(merge_template),
            str(out_dir),
        ],
        cwd=staging,
        env=offline_aws_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise BuildError(
            f"chalice package --stage {stage} failed:\n{(done.stdout + done.stderr)[-4000:]}"
        )
