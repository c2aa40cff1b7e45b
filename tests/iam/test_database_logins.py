"""Which function may read which database login, and which login the deployment gives it: the
owner's (RDS's managed master secret) to migrate alone, the application's to every function.

Read from the deployment's own files (the policies, the template's Globals, config.json), with the
secrets' logical IDs resolved to sample ARNs; the workload in ``test_least_privilege`` runs the
same arrangement against MySQL, where the application login's grants are real.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

import app
from tests.iam.account import allowed, deployed, grants_of
from tests.iam.environment import login_variables
from tests.iam.functions import handler_codes
from tests.iam.policies import ACCOUNT, PARTITION, REGION, TEMPLATE, as_list

FUNCTIONS = sorted(set(handler_codes(app).values()))
SECRETS = f"arn:{PARTITION}:secretsmanager:{REGION}:{ACCOUNT}:secret"
OWNER = f"{SECRETS}:rds!db-0a1b2c3d-4e5f-6789-abcd-ef0123456789-AbCdEf"
APPLICATION = f"{SECRETS}:AppDatabaseSecret-0a1B2c3D4e5F-GhIjKl"
INTRINSICS = deployed(
    f"tripline-data-{ACCOUNT}-{REGION}",
    f"arn:{PARTITION}:sns:{REGION}:{ACCOUNT}:tripline-alerts",
    f"arn:{PARTITION}:sns:{REGION}:{ACCOUNT}:tripline-digests",
    OWNER,
    APPLICATION,
)
OWNER_LOGIN = {"migrate"}  # makes tables and the application's user


def readable(function: str) -> set[str]:
    grants = grants_of(function, INTRINSICS)
    return {
        name
        for name, arn in (("owner", OWNER), ("application", APPLICATION))
        if allowed(grants, "secretsmanager:GetSecretValue", arn)
    }


@pytest.mark.parametrize("function", FUNCTIONS)
def test_only_migrate_may_read_the_owner_login_and_every_function_the_applications(
    function: str,
) -> None:
    # GIVEN the function's role policy
    # WHEN it is asked about reading each database secret
    # THEN migrate may read both (it logs in as the owner and sets the application user's
    # password from its secret), every other function only the application login
    wanted = {"owner", "application"} if function in OWNER_LOGIN else {"application"}
    assert readable(function) == wanted


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_function_is_given_only_the_login_its_policy_lets_it_read(function: str) -> None:
    # GIVEN the template's Globals and the function's own variables in config.json
    variables = login_variables(function, INTRINSICS)
    # THEN it logs in with the application login, and migrate alone with the owner's, also
    # naming the application login it keeps
    if function in OWNER_LOGIN:
        assert variables == {
            "TRIPLINE_DATABASE_SECRET_ARN": OWNER,
            "TRIPLINE_DATABASE_APP_SECRET_ARN": APPLICATION,
        }
    else:
        assert variables == {"TRIPLINE_DATABASE_SECRET_ARN": APPLICATION}
    # AND each secret it is given is one its policy lets it read
    named = {OWNER: "owner", APPLICATION: "application"}
    assert {named[arn] for arn in variables.values()} <= readable(function)


def test_the_proxy_takes_both_logins_and_may_read_their_secrets_and_no_other() -> None:
    # GIVEN RDS Proxy and its role in infra/
    resources: dict[str, Any] = yaml.safe_load(TEMPLATE.read_text())["Resources"]
    auth = resources["DatabaseProxy"]["Properties"]["Auth"]
    (policy,) = resources["ProxyRole"]["Properties"]["Policies"]
    statements = policy["PolicyDocument"]["Statement"]
    # THEN it checks clients against both secrets (it logs in to the server with the client's)
    assert sorted(INTRINSICS.resolve(one["SecretArn"]) for one in auth) == sorted(
        [OWNER, APPLICATION]
    )
    assert {one["AuthScheme"] for one in auth} == {"SECRETS"}
    # AND its role may read exactly those two
    assert sorted(
        INTRINSICS.resolve(resource) for one in statements for resource in as_list(one["Resource"])
    ) == sorted([OWNER, APPLICATION])
    assert [as_list(one["Action"]) for one in statements] == [["secretsmanager:GetSecretValue"]]
