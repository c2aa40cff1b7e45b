"""Runs ``sam_expand.py`` in the checks virtualenv, where samtranslator lives beside checkov's boto3.

checkov pins an older boto3 than the app's, so the checking tools have a virtualenv of their own
(``.venv-checks``, built by ``make test`` and ``make package``) and this step is a subprocess.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from scripts.lambda_package.aws_env import offline_aws_env
from scripts.lambda_package.errors import BuildError

SAM_EXPAND = Path(__file__).with_name("sam_expand.py")


def require_checks_python(checks_python: Path) -> None:
    if not os.access(checks_python, os.X_OK):
        raise BuildError(
            f"{checks_python} is missing: the checks virtualenv is built by "
            "`make test` (or `make package`); run `make test`"
        )


def expand_to_cloudformation(checks_python: Path, sam_path: Path, out_path: Path) -> None:
    require_checks_python(checks_python)
    done = subprocess.run(  # noqa: S603 (our own tools, with arguments built here)
        [str(checks_python), str(SAM_EXPAND), str(sam_path), str(out_path)],
        env=offline_aws_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise BuildError(
            f"expanding {sam_path.name} to CloudFormation failed:\n"
            f"{(done.stdout + done.stderr)[-4000:]}"
        )
