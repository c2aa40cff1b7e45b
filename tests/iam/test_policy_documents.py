"""The role policies as documents: one per Lambda function, given to it in every AWS stage, made of
exact actions, naming only resources CloudFormation can create before the functions' roles."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

import app
from tests.iam import policies
from tests.iam.code_scan import OPERATOR_ONLY, imported_by
from tests.iam.functions import VPC_NEEDS, XRAY_ACTIONS, handler_codes, policy_path, stages
from tests.iam.policies import POLICIES, ROOT, TEMPLATE, as_list, logical_ids, statements

FUNCTIONS = sorted(set(handler_codes(app).values()))
# The only statements allowed "*" as a resource, and their actions: Lambda's, on APIs that take no
# resource ARN, kept apart so a reader sees at once what "*" covers.
UNSCOPED = {
    "VpcNetworkLookups": {action for action, resources in VPC_NEEDS.items() if resources == ("*",)},
    "XRayTraces": set(XRAY_ACTIONS),
}


def test_every_lambda_function_has_a_policy_of_its_own_and_no_policy_is_left_over() -> None:
    # GIVEN the functions Chalice makes of app.py: the API, its authorizer, the triggers, migrate
    assert {"api_handler", "api_key", "migrate"} <= set(FUNCTIONS)
    # THEN .chalice/policies/ holds one policy per function, named after it, and nothing else
    assert sorted(policies.policy_files()) == FUNCTIONS
    assert sorted(path.name for path in (ROOT / ".chalice").glob("policy*.json")) == []


@pytest.mark.parametrize("stage", stages())
def test_every_function_of_the_stage_runs_under_its_own_policy(stage: str) -> None:
    # GIVEN the stage in config.json, read as Chalice reads it (function, then stage, then top)
    chosen = {function: policy_path(stage, function) for function in FUNCTIONS}
    # THEN each function's role gets its own hand-written policy, none a generated one
    assert {
        function: str(path)
        for function, path in chosen.items()
        if path != POLICIES / f"{function}.json"
    } == {}


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_policy_allows_exact_actions_on_resources_and_nothing_else(function: str) -> None:
    # GIVEN the function's policy
    document = policies.load(function)
    # THEN every statement, named by a Sid of its own, allows named actions (no wildcard,
    # NotAction or NotResource) on resources, with no condition or principal to take on trust
    problems = policies.shape_problems(document)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_resource_is_granted_only_for_lambdas_vpc_attachment_and_traces(
    function: str,
) -> None:
    # GIVEN the statements of the function's policy that allow "*" as a resource
    unscoped = [
        (str(one.get("Sid")), set(as_list(one["Action"])))
        for one in statements(policies.load(function))
        if "*" in as_list(one["Resource"])
    ]
    # THEN each is one of the two statements made for it, holding only their actions
    beyond = [
        f"{sid}: {sorted(actions - UNSCOPED.get(sid, set()))}"
        for sid, actions in unscoped
        if not actions <= UNSCOPED.get(sid, set())
    ]
    assert not beyond, "\n".join(["statements allowing every resource:", *beyond])


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_policy_names_only_resources_infra_declares_apart_from_the_functions(
    function: str,
) -> None:
    # GIVEN the resources infra/ declares, and those the function's policy names
    template = yaml.safe_load(TEMPLATE.read_text())
    named = logical_ids(policies.load(function))
    # THEN each is declared there, and so is everything it depends on: never a function, its log
    # group or its role (Chalice declares those, and the role comes before the function: a policy
    # naming one is a circular dependency, which CloudFormation refuses)
    unsafe = [
        f"{name} needs {sorted(undeclared)}, which infra/ does not declare"
        for name in sorted(named)
        if (undeclared := _undeclared_dependencies(template, name))
    ]
    assert not unsafe, "\n".join(unsafe)


def _undeclared_dependencies(template: dict[str, Any], name: str) -> set[str]:
    resources, parameters = template["Resources"], set(template.get("Parameters", {}))
    seen: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen or current in parameters:
            continue
        seen.add(current)
        body = resources.get(current, {})
        todo += [*logical_ids(body.get("Properties", {})), *as_list(body.get("DependsOn", []))]
    return {one for one in seen - parameters if "Type" not in resources.get(one, {})}


def test_operator_only_code_is_out_of_reach_of_the_lambda_handlers() -> None:
    # GIVEN every file app.py imports, directly or not, early or late
    reached = {str(path.relative_to(ROOT)) for path in imported_by(ROOT / "app.py")}
    # THEN none is operator-only code, which the IAM checks leave out of the Lambda code
    assert sorted(path for path in reached if path.startswith(OPERATOR_ONLY)) == [], (
        "Lambda code imports operator-only code: the IAM checks would miss its AWS calls"
    )
