"""The bundle's dependencies: Lambda-platform wheels downloaded once, installed without a network.

Lambda's python3.11 runtime is Amazon Linux 2 (glibc 2.26) on x86_64, so the wheels are
manylinux2014 (glibc 2.17) ones for CPython 3.11, whatever machine builds: never an sdist compiled
here, never a wheel for this machine's newer glibc. Downloading is the only step that needs the
network. Installing reads the wheelhouse alone: no index, and no pip configuration either (a
``find-links`` in a config file would quietly fill a gap the wheelhouse has on this machine and
not on the next one).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from scripts.lambda_package.errors import BuildError

LAMBDA_PLATFORM = (
    "--platform",
    "manylinux2014_x86_64",
    "--implementation",
    "cp",
    "--python-version",
    "3.11",
    "--only-binary=:all:",
)


def download_wheelhouse(requirements: Path, wheelhouse: Path) -> list[str]:
    """Replace ``wheelhouse`` with the wheels of ``requirements`` and their dependencies.

    Downloaded beside it first, so an interrupted download leaves the old wheelhouse whole, and
    swapped in whole, so no wheel of an old requirement lingers to be picked by a later install.
    """
    partial = wheelhouse.with_name(wheelhouse.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    _pip(
        ["download", "--requirement", str(requirements), *LAMBDA_PLATFORM, "--dest", str(partial)],
        os.environ,
        "downloading the Lambda wheels failed",
    )
    shutil.rmtree(wheelhouse, ignore_errors=True)
    partial.rename(wheelhouse)
    return sorted(path.name for path in wheelhouse.glob("*.whl"))


def install_offline(requirements: Path, wheelhouse: Path, target: Path) -> None:
    """Install ``requirements`` from ``wheelhouse`` alone into ``target`` (Chalice's ``vendor/``).

    No ``.pyc`` here (the bundle step compiles everything one way) and no ``bin/`` (console
    scripts carry this machine's interpreter path, and Lambda never runs them).
    """
    if not any(wheelhouse.glob("*.whl")):
        raise BuildError(
            f"no wheels in {wheelhouse}: run `make wheelhouse` (`make test` and "
            "`make package` run it)"
        )
    _pip(
        [
            "install",
            "--no-index",
            "--find-links",
            str(wheelhouse),
            "--target",
            str(target),
            *LAMBDA_PLATFORM,
            "--no-compile",
            "--quiet",
            "--requirement",
            str(requirements),
        ],
        _offline_env(),
        f"installing from {wheelhouse} failed; if requirements.txt changed, run `make wheelhouse`",
    )
    shutil.rmtree(target / "bin", ignore_errors=True)


def _offline_env() -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("PIP_")}
    return env | {"PIP_CONFIG_FILE": os.devnull}


def _pip(arguments: list[str], env: Mapping[str, str], failure: str) -> None:
    done = subprocess.run(  # noqa: S603 (our own tools, with arguments built here)
        [sys.executable, "-m", "pip", *arguments, "--disable-pip-version-check"],
        env=dict(env),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise BuildError(f"{failure}:\n{(done.stdout + done.stderr)[-4000:]}")
