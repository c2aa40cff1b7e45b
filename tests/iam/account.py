"""The account the policies are judged in: the workload's moto resources under their logical IDs,
what each function needs there, and sample resources to probe a policy's reach with."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType

from chalicelib.topology import QUEUES
from tests.iam import policies
from tests.iam.aws_calls import AwsCall
from tests.iam.functions import Need, log_stream_arn, platform_needs, queue_arn
from tests.iam.policies import ACCOUNT, PARTITION, REGION, Grant, Intrinsics


@dataclass(frozen=True)
class Observed:
    """What the workload did, and the names moto gave the resources it did it on."""

    calls: list[AwsCall]
    bucket: str
    topic_arn: str  # the alerts topic's
    digests_topic_arn: str
    owner_secret_arn: str  # RDS's managed master-user secret
    app_secret_arn: str  # the application login's

    def intrinsics(self) -> Intrinsics:
        """infra/'s logical IDs as these resources (the queues are named, not referenced)."""
        return deployed(
            self.bucket,
            self.topic_arn,
            self.digests_topic_arn,
            self.owner_secret_arn,
            self.app_secret_arn,
        )

    def needs(self, app: ModuleType, function: str) -> list[Need]:
        """Every action on every resource the function's role must allow: what its code did in
        the workload, and what the platform does as the function."""
        own = [
            Need(function, call.action, call.resource, f"observed: {call.describe()}")
            for call in self.calls
            if call.function == function
        ]
        return own + list(platform_needs(app, function))

    def probes(self, functions: Iterable[str]) -> list[str]:
        """One sample resource of each kind and place a policy could reach."""
        bucket = f"arn:{PARTITION}:s3:::{self.bucket}"
        return [
            bucket,
            f"{bucket}/incoming/shop/probe.csv",
            f"{bucket}/reports/shop/probe/report.json",
            f"{bucket}/elsewhere/probe.txt",
            *(queue_arn(name) for spec in QUEUES for name in (spec.name, spec.dead_letter_queue)),
            self.topic_arn,
            self.digests_topic_arn,
            f"arn:{PARTITION}:sns:{REGION}:{ACCOUNT}:tripline-ops",
            self.owner_secret_arn,
            self.app_secret_arn,
            f"arn:{PARTITION}:secretsmanager:{REGION}:{ACCOUNT}:secret:another-0a1B2c",
            *(log_stream_arn(function) for function in functions),
        ]


def deployed(
    bucket: str, topic_arn: str, digests_topic_arn: str, owner_secret_arn: str, app_secret_arn: str
) -> Intrinsics:
    """infra/'s logical IDs as the given resources."""
    return Intrinsics(
        refs={
            "DataBucket": bucket,
            "AlertsTopic": topic_arn,
            "DigestsTopic": digests_topic_arn,
            "AppDatabaseSecret": app_secret_arn,
        },
        attributes={
            "DataBucket.Arn": f"arn:{PARTITION}:s3:::{bucket}",
            "Database.MasterUserSecret.SecretArn": owner_secret_arn,
        },
    )


def area(resource: str) -> str:
    """The unit least privilege is judged in: an S3 object's top folder, a log group (whatever
    the stream), any other resource itself."""
    if resource.startswith(f"arn:{PARTITION}:s3:::") and "/" in resource:
        bucket, key = resource.split("/", 1)
        return f"{bucket}/{key.split('/')[0]}/"
    return resource.split(":log-stream:")[0]


def service(arn: str) -> str:
    return arn.split(":")[2] if arn.startswith("arn:") else ""


def grants_of(function: str, intrinsics: Intrinsics) -> list[Grant]:
    return list(policies.grants(policies.load(function), intrinsics))


def allowed(grants: Iterable[Grant], action: str, resource: str) -> bool:
    return any(grant.allows(action, resource) for grant in grants)
