"""The hand-written role policies in ``.chalice/policies/``, read as IAM reads them.

Chalice copies each document verbatim into its function's role, so the CloudFormation intrinsics in
it (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``Fn::Join``) are resolved here from a fixed table: the
names and ARNs the workload ran against on moto. Only what these policies need is evaluated:
``Allow`` statements of actions on resources; anything else (Deny, NotAction, NotResource,
Principal, Condition) is reported as a problem rather than guessed at.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / ".chalice" / "policies"
TEMPLATE = ROOT / "infra" / "template.yaml"  # merged into Chalice's template at packaging
PARTITION, REGION, ACCOUNT = "aws", "us-east-1", "123456789012"  # moto's default account
PSEUDO = {
    "AWS::Partition": PARTITION,
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "tripline-dev",
}
STATEMENT_KEYS = {"Sid", "Effect", "Action", "Resource"}
SUB_VARIABLE = re.compile(r"\$\{(!?)([^}]*)\}")


@dataclass(frozen=True)
class Grant:
    """One action on one resource pattern, as one statement of a policy allows it."""

    sid: str
    action: str
    pattern: str  # the resource, intrinsics resolved; IAM's * and ? are wildcards

    def allows(self, action: str, resource: str) -> bool:
        return self.action.lower() == action.lower() and iam_match(self.pattern, resource)


class Intrinsics:
    """CloudFormation's intrinsics against a fixed table of logical IDs."""

    def __init__(self, refs: Mapping[str, str], attributes: Mapping[str, str]) -> None:
        self._refs = {**PSEUDO, **refs}
        self._attributes = dict(attributes)  # "Logical.Attribute" -> value

    def resolve(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and len(value) == 1:
            ((name, argument),) = value.items()
            if name == "Ref":
                return self._ref(argument)
            if name == "Fn::GetAtt":
                target = argument if isinstance(argument, str) else ".".join(argument)
                return self._attribute(target)
            if name == "Fn::Sub":
                return self._sub(argument)
            if name == "Fn::Join":
                separator, parts = argument
                return str(separator).join(self.resolve(part) for part in parts)
        raise ValueError(f"cannot resolve {json.dumps(value)}: not an intrinsic this test knows")

    def _ref(self, logical_id: str) -> str:
        if logical_id not in self._refs:
            raise ValueError(f"Ref {logical_id}: no such logical ID in the test's table")
        return self._refs[logical_id]

    def _attribute(self, target: str) -> str:
        if target not in self._attributes:
            raise ValueError(f"Fn::GetAtt {target}: no such attribute in the test's table")
        return self._attributes[target]

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument

        def replace(match: re.Match[str]) -> str:
            literal, name = match.groups()
            if literal:
                return "${" + name + "}"
            if name in variables:
                return self.resolve(variables[name])
            return self._attribute(name) if "." in name else self._ref(name)

        return SUB_VARIABLE.sub(replace, text)


def iam_match(pattern: str, value: str) -> bool:
    """IAM's resource matching: ``*`` any run of characters (``/`` and ``:`` too), ``?`` one."""
    return _compiled(pattern).fullmatch(value) is not None


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    )


def policy_files() -> dict[str, Path]:
    """``.chalice/policies/<function>.json`` by function name."""
    return {path.stem: path for path in sorted(POLICIES.glob("*.json"))}


def load(function: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((POLICIES / f"{function}.json").read_text())
    return document


def statements(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    found = document.get("Statement", [])
    return [found] if isinstance(found, dict) else list(found)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def shape_problems(document: Mapping[str, Any]) -> list[str]:
    """What makes a statement more than an exact list of actions allowed on resources."""
    problems = [] if document.get("Version") == "2012-10-17" else ["Version is not 2012-10-17"]
    sids = [statement.get("Sid") for statement in statements(document)]
    problems += [
        f"Sid {sid!r} names more than one statement"
        for sid in sorted({sid for sid in sids if sid and sids.count(sid) > 1})
    ]
    for number, statement in enumerate(statements(document), 1):
        where = f"statement {statement.get('Sid') or number}"
        problems += [
            f"{where}: {key} is not allowed here (least privilege names actions and "
            "resources exactly)"
            for key in sorted(set(statement) - STATEMENT_KEYS)
        ]
        if statement.get("Effect") != "Allow":
            problems.append(f"{where}: Effect is {statement.get('Effect')!r}, not 'Allow'")
        if not statement.get("Sid"):
            problems.append(f"{where}: has no Sid saying what it is for")
        for action in as_list(statement.get("Action", [])):
            if not isinstance(action, str) or "*" in action or "?" in action:
                problems.append(f"{where}: action {action!r} is a wildcard")
        if not statement.get("Action") or not statement.get("Resource"):
            problems.append(f"{where}: needs both Action and Resource")
    return problems


def grants(document: Mapping[str, Any], intrinsics: Intrinsics) -> Iterator[Grant]:
    for statement in statements(document):
        sid = str(statement.get("Sid", ""))
        for action in as_list(statement.get("Action", [])):
            for resource in as_list(statement.get("Resource", [])):
                yield Grant(sid, action, intrinsics.resolve(resource))


def logical_ids(value: Any) -> set[str]:
    """Every logical ID a policy's intrinsics name (pseudo parameters left out)."""
    if isinstance(value, list):
        return set().union(*(logical_ids(item) for item in value))
    if not isinstance(value, dict):
        return set()
    found: set[str] = set()
    for name, argument in value.items():
        if name == "Ref" and argument not in PSEUDO:
            found.add(argument)
        elif name == "Fn::GetAtt":
            found.add(argument.split(".")[0] if isinstance(argument, str) else argument[0])
        elif name == "Fn::Sub":
            text, local = (argument, {}) if isinstance(argument, str) else argument
            found |= {
                variable.split(".")[0]
                for literal, variable in SUB_VARIABLE.findall(text)
                if not literal and variable not in PSEUDO and variable not in local
            }
        found |= logical_ids(argument)
    return found
