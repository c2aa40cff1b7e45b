"""Least privilege both ways: each function's policy allows every AWS call the function makes (seen
in a workload through app.py on moto) and what the platform does in its name, and nothing more;
and the workload makes every call the Lambda code can make (read from the code).

Each function's policy is ``.chalice/policies/<function>.json``; a failure names the function,
the action and the resource, and for a call, the line of our code that made it.
"""

from __future__ import annotations

import pytest

import app
from tests.iam.account import Observed, allowed, area, grants_of, service
from tests.iam.code_scan import call_sites, lambda_files
from tests.iam.functions import handler_codes
from tests.iam.policies import Intrinsics

pytestmark = pytest.mark.mysql  # the deployment half logs in to MySQL with a secret, as on AWS
FUNCTIONS = sorted(set(handler_codes(app).values()))
# Operations the Lambda code holds but no handler reaches, by (file, method), and why
UNREACHABLE = {
    (
        "chalicelib/adapters/aws/sns_topic.py",
        "get_topic_attributes",
    ): "SnsTopic.ping: GET /health checks the database and the events queue, not the topic",
}


@pytest.fixture(scope="module")
def intrinsics(observed: Observed) -> Intrinsics:
    return observed.intrinsics()


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_function_may_do_everything_it_was_seen_doing_and_the_platform_does_for_it(
    observed: Observed, intrinsics: Intrinsics, function: str
) -> None:
    # GIVEN what the function's code did in the workload, and what Lambda does as the function
    needs = observed.needs(app, function)
    # WHEN its own policy is asked about each
    grants = grants_of(function, intrinsics)
    # THEN it allows every one
    missing = [
        f"{need.action} on {need.resource} ({need.why})"
        for need in needs
        if not allowed(grants, need.action, need.resource)
    ]
    assert not missing, f"{function}'s policy does not allow:\n" + "\n".join(missing)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_policy_grants_nothing_its_function_never_needs(
    observed: Observed, intrinsics: Intrinsics, function: str
) -> None:
    # GIVEN the function's policy and everything the function needs
    needs = observed.needs(app, function)
    grants = grants_of(function, intrinsics)
    # THEN every action the policy grants, on every resource pattern, serves one of them
    unused = [
        f"{grant.sid}: {grant.action} on {grant.pattern}"
        for grant in grants
        if not any(grant.allows(need.action, need.resource) for need in needs)
    ]
    assert not unused, f"{function}'s policy grants what it never needs:\n" + "\n".join(unused)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_policy_reaches_no_place_its_function_never_touches(
    observed: Observed, intrinsics: Intrinsics, function: str
) -> None:
    # GIVEN a sample resource of every place there is: each folder of the bucket, each queue and
    # dead-letter queue, the topics, the secrets, every function's log group
    needs = observed.needs(app, function)
    grants = grants_of(function, intrinsics)
    # WHEN each action the policy grants is tried on the samples of its service
    reached = {
        (grant.action, probe)
        for grant in grants
        for probe in observed.probes(FUNCTIONS)
        if service(probe) == grant.action.split(":")[0] and grant.allows(grant.action, probe)
    }
    # THEN it reaches only places where the function needs that action
    wanted = {(need.action.lower(), area(need.resource)) for need in needs}
    beyond = sorted(
        f"{action} on {probe}"
        for action, probe in reached
        if (action.lower(), area(probe)) not in wanted
    )
    assert not beyond, f"{function}'s policy reaches places it never touches:\n" + "\n".join(beyond)


def test_aws_calls_from_lambda_code_happen_inside_a_handler(observed: Observed) -> None:
    # GIVEN every AWS call the workload led our Lambda code to make
    # THEN each ran under a handler of app.py, so it is credited to a function and its policy
    outside = [call.describe() for call in observed.calls if call.function is None]
    assert not outside, "AWS calls under no handler of app.py:\n" + "\n".join(outside)


def test_the_workload_makes_every_aws_call_the_lambda_code_can_make(observed: Observed) -> None:
    # GIVEN every AWS operation the Lambda code can call, read from the code (app.py and chalicelib
    # without operator-only modules, with the library calls made on our behalf)
    sites = call_sites(lambda_files())
    seen = {(call.service, call.operation, call.presigned) for call in observed.calls}
    # THEN the workload made each one, so the policies were checked against it; or no handler
    # reaches it (UNREACHABLE, each entry still true)
    skipped = {(site.where.split(":")[0], site.code) for site in sites} & set(UNREACHABLE)
    missed = sorted(
        f"{site.where}: {site.code} is not exercised by the IAM workload "
        "(tests/iam/workload.py): add it"
        for site in sites
        if not site.satisfied_by & seen and (site.where.split(":")[0], site.code) not in UNREACHABLE
    )
    assert not missed, "\n".join(missed)
    assert set(UNREACHABLE) == skipped, "an UNREACHABLE entry names a call the code no longer has"
    assert not any(
        seen & site.satisfied_by
        for site in sites
        if (site.where.split(":")[0], site.code) in UNREACHABLE
    ), "an UNREACHABLE call was made: drop it from UNREACHABLE"
