"""The packaged template, expanded from SAM to plain CloudFormation, passes cfn-lint and checkov.

Both run from the checks virtualenv (``.venv-checks``, which ``make test`` builds), offline: a proxy
that leads nowhere makes any attempt to reach the network fail the run instead of slowing it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKS_BIN = ROOT / ".venv-checks" / "bin"
CHECKOV_CONFIG = ROOT / "infra" / "checkov.yaml"
MOST_SKIPS = 8

pytestmark = pytest.mark.slow


def run_check(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    executable = CHECKS_BIN / tool
    if not executable.exists():
        pytest.fail(f"{executable} is missing; run `make test`, which builds the checks virtualenv")
    offline = {
        **os.environ,
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "BC_SKIP_MAPPING": "TRUE",
        "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
    }
    return subprocess.run(
        [str(executable), *args],
        capture_output=True,
        text=True,
        env=offline,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_cfn_lint_finds_no_error_or_warning_in_the_expanded_template(
    packages: Any, stage: str
) -> None:
    # GIVEN the stage's package, its SAM template expanded to CloudFormation
    template = packages[stage].cloudformation_path
    # WHEN cfn-lint reads it
    result = run_check("cfn-lint", "--format", "parseable", str(template))
    # THEN it reports nothing at error or warning level (exit bits 2 and 4)
    findings = [line for line in result.stdout.splitlines() if re.search(r":[EW]\d{4}:", line)]
    assert findings == [] and result.returncode & 6 == 0, result.stdout + result.stderr


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_checkov_fails_no_check_beyond_the_justified_skips(packages: Any, stage: str) -> None:
    # GIVEN the stage's expanded template and infra/checkov.yaml's skips
    template = packages[stage].cloudformation_path
    # WHEN checkov scans it
    result = run_check(
        "checkov", "--config-file", str(CHECKOV_CONFIG), "--file", str(template), "--output", "json"
    )
    report = json.loads(result.stdout)
    summary = report["summary"]
    failed = [
        f"{check['check_id']} {check['resource']}: {check['check_name']}"
        for check in report["results"]["failed_checks"]
    ]
    # THEN it passed checks and failed none
    assert failed == []
    assert summary["passed"] > 100 and summary["parsing_errors"] == 0


def test_every_checkov_skip_is_justified_and_the_list_is_short() -> None:
    # GIVEN infra/checkov.yaml
    lines = CHECKOV_CONFIG.read_text().splitlines()
    skip_lines = [index for index, line in enumerate(lines) if re.match(r"\s+- CKV", line)]
    # THEN each skip is preceded by a comment saying why, and there are few of them
    for index in skip_lines:
        assert lines[index - 1].strip().startswith("#"), (
            f"no reason given for {lines[index].strip()}"
        )
    assert 0 < len(skip_lines) <= MOST_SKIPS
