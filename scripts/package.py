"""``make wheelhouse`` and ``make package``: the Lambda bundle and templates for one stage.

Run from the repository root with the project's interpreter (it must be CPython 3.11, as Lambda's)::

    .venv/bin/python -m scripts.package wheelhouse             # the only step that uses the network
    .venv/bin/python -m scripts.package build --stage prod     # offline: dist/prod/

``build`` writes ``deployment.zip``, ``sam.json`` (``sam.yaml`` with a YAML merge template) and
``cloudformation.json`` (the SAM template expanded offline, for the checks) into ``--out``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scripts.lambda_package.build import ROOT, BuildInputs, build_package
from scripts.lambda_package.errors import BuildError
from scripts.lambda_package.wheels import download_wheelhouse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.package",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("wheelhouse", help="download the Lambda-platform wheels")
    build = commands.add_parser("build", help="build one stage's package, offline")
    build.add_argument("--stage", default="prod")
    build.add_argument("--out", type=Path, help="default: dist/STAGE")
    args = parser.parse_args(argv)
    inputs = BuildInputs()
    try:
        if args.command == "wheelhouse":
            wheels = download_wheelhouse(ROOT / "requirements.txt", inputs.wheelhouse)
            print(f"{len(wheels)} wheels in {inputs.wheelhouse}")
            return 0
        built = build_package(args.stage, args.out or ROOT / "dist" / args.stage, inputs)
    except BuildError as error:
        print(f"package: {error}", file=sys.stderr)
        return 1
    print(
        f"stage {built.stage}: {built.zip_path}, {built.sam_path.name}, "
        f"{built.cloudformation_path.name}"
    )
    for line in built.bundle.lines():
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
