"""One stage's package, in order: stage the project, let Chalice package it, then finish its output.

Everything happens in a temporary folder; ``out_dir`` receives the finished files only, so a
failed build leaves the previous package, not half of a new one.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts.lambda_package.bundle import BundleSummary, finish_bundle
from scripts.lambda_package.chalice_package import chalice_package
from scripts.lambda_package.expand import expand_to_cloudformation, require_checks_python
from scripts.lambda_package.sqs_settings import apply_sqs_settings, read_sqs_settings
from scripts.lambda_package.staging import stage_project
from scripts.lambda_package.templates import (
    NAMES,
    dump_template,
    find_template,
    load_template,
)

ROOT = Path(__file__).resolve().parents[2]
MERGE_TEMPLATE = Path("infra/template.yaml")  # relative to the root
ZIP_NAME = "deployment.zip"
CLOUDFORMATION_NAME = "cloudformation.json"


@dataclass(frozen=True)
class BuildInputs:
    """Where the build reads from; the defaults are the repository's own."""

    root: Path = ROOT
    wheelhouse: Path = ROOT / "var" / "wheelhouse"
    checks_python: Path = ROOT / ".venv-checks" / "bin" / "python"


@dataclass(frozen=True)
class BuiltPackage:
    """One stage's finished files and their templates, loaded."""

    stage: str
    zip_path: Path
    sam_path: Path
    cloudformation_path: Path
    sam: dict[str, Any] = field(repr=False)
    cloudformation: dict[str, Any] = field(repr=False)
    bundle: BundleSummary


def build_package(stage: str, out_dir: Path, inputs: BuildInputs | None = None) -> BuiltPackage:
    inputs = inputs or BuildInputs()
    require_checks_python(inputs.checks_python)
    config = json.loads((inputs.root / ".chalice" / "config.json").read_text())
    settings = read_sqs_settings(config, stage)  # a bad value fails before the slow steps
    with tempfile.TemporaryDirectory(prefix="tripline-package-") as scratch:
        work = Path(scratch)
        stage_project(inputs.root, work / "project", inputs.wheelhouse)
        built = work / "out"
        chalice_package(work / "project", stage, inputs.root / MERGE_TEMPLATE, built)
        bundle = finish_bundle(built / ZIP_NAME, work)
        sam_path = find_template(built)
        sam = load_template(sam_path)
        apply_sqs_settings(sam, settings, stage)
        dump_template(sam, sam_path)
        expand_to_cloudformation(inputs.checks_python, sam_path, built / CLOUDFORMATION_NAME)
        _publish(built, out_dir, (ZIP_NAME, sam_path.name, CLOUDFORMATION_NAME))
    cloudformation_path = out_dir / CLOUDFORMATION_NAME
    return BuiltPackage(
        stage,
        out_dir / ZIP_NAME,
        out_dir / sam_path.name,
        cloudformation_path,
        sam,
        json.loads(cloudformation_path.read_text()),
        bundle,
    )


def _publish(built: Path, out_dir: Path, names: tuple[str, ...]) -> None:
    """Replace only the files a build writes: ``out_dir`` may hold anything else."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in (ZIP_NAME, *NAMES, CLOUDFORMATION_NAME):
        (out_dir / name).unlink(missing_ok=True)
    for name in names:
        shutil.move(built / name, out_dir / name)
