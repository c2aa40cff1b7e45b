"""SAM to plain CloudFormation, offline. Run by ``.venv-checks/bin/python`` (``samtranslator`` is there).

Usage: ``python sam_expand.py SAM_TEMPLATE OUT_JSON``. The checks (cfn-lint, checkov) read plain
CloudFormation best, and CloudFormation's own transform runs only in an account. The translator
asks IAM for the managed-policy map only when a function names managed policies; ours have
explicit roles, so it gets an empty map and never calls out. It needs a region, from
``AWS_DEFAULT_REGION``, for ARNs it builds; nothing here is sent anywhere. SAM accepts only S3
code locations, which ``aws cloudformation package`` puts in place of ``./deployment.zip`` at
deploy time; here a placeholder bucket stands in (``PLACEHOLDER_BUCKET``, key ``deployment.zip``).

This file imports only the standard library, PyYAML and samtranslator: it runs outside ``.venv``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml
from samtranslator.model.exceptions import (  # type: ignore[import-not-found]
    InvalidDocumentException,
)
from samtranslator.parser.parser import Parser  # type: ignore[import-not-found]
from samtranslator.translator.translator import Translator  # type: ignore[import-not-found]

PLACEHOLDER_BUCKET = "package-bucket-placeholder"


def with_s3_code(template: dict[str, Any]) -> dict[str, Any]:
    """Local ``CodeUri`` values pointed at the placeholder bucket, as after ``aws cloudformation
    package``."""
    for resource in template.get("Resources", {}).values():
        properties = resource.get("Properties", {})
        code = properties.get("CodeUri")
        if (
            resource.get("Type") == "AWS::Serverless::Function"
            and isinstance(code, str)
            and not code.startswith("s3://")
        ):
            properties["CodeUri"] = f"s3://{PLACEHOLDER_BUCKET}/{Path(code).name}"
    return template


def expand(template: dict[str, Any]) -> dict[str, Any]:
    translator = Translator(managed_policy_map={}, sam_parser=Parser())
    expanded: dict[str, Any] = translator.translate(
        template, parameter_values={}, get_managed_policy_map=dict
    )
    return expanded


def main(sam_path: Path, out_path: Path) -> int:
    text = sam_path.read_text()
    template = json.loads(text) if sam_path.suffix == ".json" else yaml.safe_load(text)
    try:
        expanded = expand(with_s3_code(template))
    except InvalidDocumentException as error:
        for cause in error.causes:
            print(f"{sam_path}: {cause.message}", file=sys.stderr)
        return 1
    out_path.write_text(json.dumps(expanded, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]), Path(sys.argv[2])))
