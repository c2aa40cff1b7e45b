"""Chalice's SAM template on disk: ``sam.json``, or ``sam.yaml`` when the merge template is YAML.

Chalice writes YAML with ``safe_dump`` and long-form intrinsics (``Fn::GetAtt``), so plain YAML
reads it back; it is written back the same way, so the file looks as Chalice left it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from scripts.lambda_package.errors import BuildError

NAMES = ("sam.json", "sam.yaml")


def find_template(out_dir: Path) -> Path:
    found = [out_dir / name for name in NAMES if (out_dir / name).is_file()]
    if len(found) != 1:
        raise BuildError(
            f"expected one of {', '.join(NAMES)} from chalice in {out_dir}, "
            f"found {[path.name for path in found]}"
        )
    return found[0]


def load_template(path: Path) -> dict[str, Any]:
    text = path.read_text()
    loaded = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    if not isinstance(loaded, dict):
        raise BuildError(f"{path} is not a template (a mapping at the top)")
    return loaded


def dump_template(template: dict[str, Any], path: Path) -> None:
    if path.suffix == ".json":
        path.write_text(json.dumps(template, indent=2) + "\n")
    else:
        path.write_text(yaml.safe_dump(template, allow_unicode=True))
