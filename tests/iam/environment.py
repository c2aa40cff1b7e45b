"""Which database login each function is given on AWS, read from where the deployment sets it.

The SAM template's Globals (infra/) give every function its variables; a function's own
variables in ``.chalice/config.json`` are merged over them, its own winning (SAM's rule for
maps in Globals). The workload starts each function's container with what this finds, so a
function handed the wrong secret fails there, not first on AWS.
"""

from __future__ import annotations

from typing import Any

import yaml

from tests.iam.functions import config, stages
from tests.iam.policies import TEMPLATE, Intrinsics

LOGIN_VARIABLES = ("TRIPLINE_DATABASE_SECRET_ARN", "TRIPLINE_DATABASE_APP_SECRET_ARN")


def global_variables() -> dict[str, Any]:
    template = yaml.safe_load(TEMPLATE.read_text())
    variables: dict[str, Any] = template["Globals"]["Function"]["Environment"]["Variables"]
    return variables


def login_variables(function: str, intrinsics: Intrinsics) -> dict[str, str]:
    """The function's database login variables, intrinsics resolved; the same in every stage."""
    found = []
    for stage in stages():
        merged = global_variables() | config(stage, function).environment_variables
        found.append(
            {name: intrinsics.resolve(merged[name]) for name in LOGIN_VARIABLES if name in merged}
        )
    assert all(one == found[0] for one in found), f"{function}'s database login differs by stage"
    return found[0]
