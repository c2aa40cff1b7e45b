"""The packaged app, built once per session for every stage as ``make package`` builds it, offline.

Tests here read ``packages[stage]``: the zip, the SAM template Chalice wrote (with the stage's
SQS settings applied), and that template expanded to plain CloudFormation. The build runs with
no index and an unreachable proxy, so it proves the wheelhouse is enough. It needs the wheelhouse
and the checks virtualenv that ``make test`` makes; without them these tests fail, never skip.
"""

from __future__ import annotations

import pytest

from scripts.lambda_package.build import BuiltPackage, build_package
from scripts.lambda_package.errors import BuildError

STAGES = ("dev", "prod")
UNREACHABLE_PROXY = "http://127.0.0.1:9"
OFFLINE = {"PIP_NO_INDEX": "1"} | {
    name: UNREACHABLE_PROXY
    for base in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY")
    for name in (base, base.lower())
}


@pytest.fixture(scope="session")
def packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, BuiltPackage]:
    """Stage name to its built package (``zip_path``, ``sam_path``, ``cloudformation_path``,
    ``sam`` and ``cloudformation`` loaded, ``bundle`` sizes)."""
    out = tmp_path_factory.mktemp("packages")
    built: dict[str, BuiltPackage] = {}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in OFFLINE.items():
            patch.setenv(name, value)
        for name in ("NO_PROXY", "no_proxy"):
            patch.delenv(name, raising=False)
        for stage in STAGES:
            try:
                built[stage] = build_package(stage, out / stage)
            except BuildError as error:
                pytest.fail(
                    f"building stage {stage} failed (run `make test`, which prepares the "
                    f"wheelhouse and .venv-checks):\n{error}",
                    pytrace=False,
                )
    return built
