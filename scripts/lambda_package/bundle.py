"""Chalice's ``deployment.zip`` made fit for Lambda: bytecode in, forbidden packages out, reproducible.

Chalice ships no ``.pyc``, and ``/var/task`` is read-only, so every cold start would compile every
module it imports (``bench/README.md``, "Cold start (issue 7)": the processor's cold imports take
about 2.6 times as long without). The ``.pyc`` are
unchecked-hash ones (PEP 552): the loader trusts them without comparing the source's mtime, which
zip extraction does not keep reliably. The ``.py`` stay, for tracebacks. boto3 and botocore come
with the Lambda runtime; a copy in the bundle (pulled in by a new dependency, say) would be
megabytes of a second, older or newer boto3 shadowing the runtime's, so it fails the build.
Entries are sorted and stamped with one fixed time: the same input gives the same zip, byte for byte.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from scripts.lambda_package.errors import BuildError

FORBIDDEN = frozenset({"boto3", "botocore", "s3transfer", "moto"})
MIB = 1024 * 1024
ZIPPED_LIMIT = 50 * MIB  # Lambda's limit for a zip uploaded directly
UNZIPPED_LIMIT = 250 * MIB  # Lambda's limit for the function and its layers, unzipped
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class BundleSummary:
    """The figures to hold against Lambda's limits."""

    zipped_bytes: int
    unzipped_bytes: int
    files: int

    def lines(self) -> list[str]:
        return [
            f"zipped    {self.zipped_bytes / MIB:7.1f} MiB of {ZIPPED_LIMIT // MIB} MiB "
            f"(direct upload limit, {self.zipped_bytes / ZIPPED_LIMIT:.0%})",
            f"unzipped  {self.unzipped_bytes / MIB:7.1f} MiB of {UNZIPPED_LIMIT // MIB} MiB "
            f"({self.unzipped_bytes / UNZIPPED_LIMIT:.0%})",
            f"files     {self.files:7,d}",
        ]


def finish_bundle(zip_path: Path, workdir: Path) -> BundleSummary:
    """Rewrite ``zip_path`` in place with ``.pyc`` beside every ``.py``; ``workdir`` is scratch."""
    if sys.version_info[:2] != (3, 11):
        raise BuildError(
            f"the Lambda runtime is python3.11 and its .pyc are 3.11's; this is "
            f"{sys.version.split()[0]}: build with .venv/bin/python"
        )
    tree = workdir / "bundle"
    shutil.rmtree(tree, ignore_errors=True)
    executable = _extract(zip_path, tree)
    _refuse_forbidden(tree)
    _compile(tree)
    _write_reproducible_zip(tree, zip_path, executable)
    return summarize(zip_path)


def summarize(zip_path: Path) -> BundleSummary:
    with zipfile.ZipFile(zip_path) as archive:
        entries = [info for info in archive.infolist() if not info.is_dir()]
    return BundleSummary(
        zip_path.stat().st_size, sum(info.file_size for info in entries), len(entries)
    )


def _extract(zip_path: Path, tree: Path) -> set[str]:
    """Unpack, dropping any bytecode; returns the entries that carried an executable bit."""
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(tree)
        executable = {
            info.filename for info in archive.infolist() if (info.external_attr >> 16) & 0o111
        }
    for cache in list(tree.rglob("__pycache__")):
        shutil.rmtree(cache)
    for stray in tree.rglob("*.pyc"):
        stray.unlink()
    return executable


def _refuse_forbidden(tree: Path) -> None:
    found = sorted(
        entry.name for entry in tree.iterdir() if entry.name.split("-")[0].lower() in FORBIDDEN
    )
    if found:
        raise BuildError(
            f"the bundle holds {', '.join(found)}; the Lambda runtime provides "
            "boto3 and botocore, and moto is for tests: find the requirement that "
            "pulls it in (`pip install --dry-run --report`) and drop it"
        )


def _compile(tree: Path) -> None:
    """``compileall`` by this interpreter, with a fixed hash seed so set constants marshal the
    same way on every build; ``-s`` keeps the build folder out of the bytecode. No other
    ``PYTHON*`` variable reaches it: ``PYTHONOPTIMIZE`` would write ``.opt-1.pyc`` that Lambda
    never reads, ``PYTHONPYCACHEPREFIX`` would write them outside the bundle."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("PYTHON")}
    done = subprocess.run(  # noqa: S603 (our own tools, with arguments built here)
        [
            sys.executable,
            "-m",
            "compileall",
            "-q",
            "-f",
            "-j",
            "0",
            "--invalidation-mode",
            "unchecked-hash",
            "-s",
            str(tree),
            str(tree),
        ],
        env=env | {"PYTHONHASHSEED": "0"},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise BuildError(f"compiling the bundle failed:\n{(done.stdout + done.stderr)[-4000:]}")


def _write_reproducible_zip(tree: Path, zip_path: Path, executable: set[str]) -> None:
    files = sorted(path.relative_to(tree).as_posix() for path in tree.rglob("*") if path.is_file())
    with zipfile.ZipFile(zip_path, "w") as archive:
        for name in files:
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.create_system = 3  # Unix, so Lambda reads the permission bits below
            info.external_attr = (0o100755 if name in executable else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, (tree / name).read_bytes(), compresslevel=9)
