"""The Lambda functions Chalice makes of app.py, and what AWS does with each one's role.

A function's role is used by its own code (observed by the workload) and by the platform on its
behalf: Lambda writing its logs, attaching it to the VPC, sending its traces, and the SQS event
source mapping polling its queue. The platform's needs follow from the deployment's shape (the
app's event sources, ``.chalice/config.json``), so they are derived here, not listed.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import CodeType, ModuleType
from typing import Any

from chalice.app import SQSEventConfig
from chalice.config import Config
from chalice.utils import to_cfn_resource_name

from tests.iam.policies import ACCOUNT, PARTITION, PSEUDO, REGION, ROOT

CONFIG = ROOT / ".chalice" / "config.json"
API_HANDLER = "api_handler"  # Chalice's one function for every route
# Lambda's VPC attachment, by the resources EC2 authorizes each on ("*": it takes no ARN). AWS's
# managed policy allows all six on "*"; only the two Describe actions need it.
EC2 = f"arn:{PARTITION}:ec2:{REGION}:{ACCOUNT}"
ENI = f"{EC2}:network-interface/eni-0a1b2c3d4e5f60718"
VPC_NEEDS = {
    "ec2:CreateNetworkInterface": (
        ENI,
        f"{EC2}:subnet/subnet-0a1b2c3d",
        f"{EC2}:security-group/sg-0a1b2c3d",
    ),
    "ec2:DeleteNetworkInterface": (ENI,),
    "ec2:AssignPrivateIpAddresses": (ENI,),
    "ec2:UnassignPrivateIpAddresses": (ENI,),
    "ec2:DescribeNetworkInterfaces": ("*",),
    "ec2:DescribeSubnets": ("*",),
}
XRAY_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
EVENT_SOURCE_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")


@dataclass(frozen=True)
class Need:
    """An action on a resource that a function's role must allow, and why."""

    function: str
    action: str
    resource: str
    why: str


def handler_codes(module: ModuleType) -> dict[CodeType, str]:
    """The code of every handler in app.py, by the Lambda function that runs it."""
    app = module.app
    codes = {
        _code(entry.view_function): API_HANDLER
        for methods in app.routes.values()
        for entry in methods.values()
    }
    named = [*app.builtin_auth_handlers, *app.event_sources, *app.pure_lambda_functions]
    for one in named:
        codes[_code(getattr(module, one.handler_string.split(".", 1)[1]))] = one.name
    return codes


def _code(handler: Any) -> CodeType:
    """Through Chalice's wrappers (authorizer, event source, pure Lambda) and decorators."""
    for attribute in ("func", "_original_func"):
        handler = getattr(handler, attribute, handler)
    function: Callable[..., Any] = inspect.unwrap(handler)
    return function.__code__


LOCAL_STAGE = "local"  # the test client's and `tripline local`'s: never packaged for AWS


def stages() -> list[str]:
    """The stages config.json deploys to AWS."""
    return sorted(set(json.loads(CONFIG.read_text())["stages"]) - {LOCAL_STAGE})


def config(stage: str, function: str) -> Config:
    """The function's configuration in the stage, as Chalice looks it up (function, stage, top)."""
    return Config(
        chalice_stage=stage,
        function_name=function,
        user_provided_params={"project_dir": str(ROOT)},
        config_from_disk=json.loads(CONFIG.read_text()),
    )


def logical_id(function: str) -> str:
    """The function's resource in Chalice's template (it renames the API's to ``APIHandler``)."""
    return "APIHandler" if function == API_HANDLER else to_cfn_resource_name(function)


def physical_name(function: str) -> str:
    """The name CloudFormation gives the function: stack, logical ID, a random suffix."""
    return f"{PSEUDO['AWS::StackName']}-{logical_id(function)}-1A2B3C4D5E6F"


def log_group_arn(function: str) -> str:
    """As ``Fn::GetAtt <Function>LogGroup.Arn`` returns it: with ``:*`` at the end."""
    return (
        f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/{physical_name(function)}:*"
    )


def log_stream_arn(function: str) -> str:
    return log_group_arn(function)[:-1] + "log-stream:2026/12/04/[$LATEST]0123456789abcdef"


def queue_arn(name: str) -> str:
    return f"arn:{PARTITION}:sqs:{REGION}:{ACCOUNT}:{name}"


def platform_needs(module: ModuleType, function: str) -> Iterator[Need]:
    """What AWS does with the function's role, in any stage of config.json."""
    for action in LOG_ACTIONS:
        yield Need(
            function,
            action,
            log_stream_arn(function),
            "Lambda writes the function's logs to its own group (Chalice declares the "
            "group, so no logs:CreateLogGroup)",
        )
    for source in module.app.event_sources:
        if isinstance(source, SQSEventConfig) and source.name == function and source.queue:
            for action in EVENT_SOURCE_ACTIONS:
                yield Need(
                    function,
                    action,
                    queue_arn(source.queue),
                    f"the SQS event source mapping polls {source.queue} as the function",
                )
    configs = [config(stage, function) for stage in stages()]
    if any(one.subnet_ids for one in configs):
        for action, resources in VPC_NEEDS.items():
            for resource in resources:
                yield Need(
                    function, action, resource, "Lambda attaches the function to the VPC's subnets"
                )
    if any(one.xray_enabled for one in configs):
        for action in XRAY_ACTIONS:
            yield Need(function, action, "*", "Lambda sends the function's X-Ray traces")


def policy_path(stage: str, function: str) -> Path | None:
    """The policy file Chalice gives the function's role in the stage, if it is ours to write."""
    chosen = config(stage, function)
    if chosen.autogen_policy is not False or not chosen.iam_policy_file:
        return None
    return ROOT / ".chalice" / chosen.iam_policy_file
