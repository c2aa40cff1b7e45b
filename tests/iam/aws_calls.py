"""Every AWS operation the app performs, with its target, credited to the Lambda function that ran it.

botocore is instrumented, not our code: every client's ``_make_api_call`` (the calls still go to
moto) and the two presign helpers, which make no call but sign a request that S3 will authorize
against the signer's role. A call is credited to the function whose handler is on the stack; S3
transfers run in worker threads, whose caller (the handler) waits on the main thread.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType, FrameType
from typing import Any
from urllib.parse import urlsplit

import botocore.client
import botocore.signers
import pytest
from botocore.client import BaseClient

from tests.iam.policies import ACCOUNT, PARTITION, ROOT

POST_OBJECT = "PostObject"  # S3's browser upload: what a presigned POST signs
# botocore operations whose IAM action is not "<service>:<operation>"
ACTIONS = {
    ("s3", POST_OBJECT): "s3:PutObject",
    ("s3", "HeadObject"): "s3:GetObject",
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "CreateMultipartUpload"): "s3:PutObject",
    ("s3", "UploadPart"): "s3:PutObject",
    ("s3", "CompleteMultipartUpload"): "s3:PutObject",
    ("sqs", "SendMessageBatch"): "sqs:SendMessage",
    ("sqs", "DeleteMessageBatch"): "sqs:DeleteMessage",
    ("sqs", "ChangeMessageVisibilityBatch"): "sqs:ChangeMessageVisibility",
}
# ... and those whose action depends on a parameter: a read of one version of an object
VERSIONED = {
    ("s3", "GetObject"): "s3:GetObjectVersion",
    ("s3", "HeadObject"): "s3:GetObjectVersion",
}


@dataclass(frozen=True)
class AwsCall:
    function: str | None  # the Lambda function whose handler ran it; None: no handler
    service: str
    operation: str  # botocore's name, e.g. GetObject
    presigned: bool  # signed for someone else to send, not sent
    action: str  # the IAM action it needs
    resource: str  # the ARN it needs it on
    where: str  # the innermost line of Lambda code that led to it

    def describe(self) -> str:
        signed = " (presigned)" if self.presigned else ""
        return f"{self.service} {self.operation}{signed} on {self.resource} at {self.where}"


def iam_action(service: str, operation: str, params: Mapping[str, Any]) -> str:
    if params.get("VersionId") and (service, operation) in VERSIONED:
        return VERSIONED[service, operation]
    return ACTIONS.get((service, operation), f"{service}:{operation}")


def resource_of(service: str, params: Mapping[str, Any], region: str) -> str:
    """The ARN the call acts on, from its parameters, as IAM authorizes it."""
    if service == "s3":
        bucket, key = params.get("Bucket"), params.get("Key")
        if bucket is None:
            return "*"
        return f"arn:{PARTITION}:s3:::{bucket}" + ("" if key is None else f"/{key}")
    if service == "sqs":
        if "QueueUrl" in params:
            account, name = urlsplit(params["QueueUrl"]).path.strip("/").split("/")[-2:]
        else:
            account, name = params.get("QueueOwnerAWSAccountId", ACCOUNT), params["QueueName"]
        return f"arn:{PARTITION}:sqs:{region}:{account}:{name}"
    if service == "sns":
        return str(params.get("TopicArn") or params.get("TargetArn") or "*")
    if service == "secretsmanager":
        secret = str(params["SecretId"])
        return (
            secret
            if secret.startswith("arn:")
            else (f"arn:{PARTITION}:secretsmanager:{region}:{ACCOUNT}:secret:{secret}")
        )
    return f"unknown: no rule for {service} resources in tests/iam/aws_calls.py"


@dataclass
class Recorder:
    handlers: Mapping[CodeType, str]  # handler code -> Lambda function
    lambda_files: frozenset[Path]
    calls: list[AwsCall] = field(default_factory=list)

    @contextmanager
    def watching(self) -> Iterator[list[AwsCall]]:
        """Record while inside; clients built before entering are watched too, except for
        presigning (botocore binds it when it builds a client's class)."""
        with pytest.MonkeyPatch.context() as patch:
            yield self._instrument(patch)

    def _instrument(self, patch: pytest.MonkeyPatch) -> list[AwsCall]:
        send = botocore.client.BaseClient._make_api_call  # type: ignore[attr-defined]
        sign_url, sign_post = (
            botocore.signers.generate_presigned_url,
            botocore.signers.generate_presigned_post,
        )

        def make_api_call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            self._record(client, operation, params, presigned=False)
            return send(client, operation, params)

        def presigned_url(
            client: BaseClient,
            method: str,
            Params: Any = None,  # noqa: N803
            **rest: Any,
        ) -> Any:
            operation = client.meta.method_to_api_mapping[method]
            self._record(client, operation, Params or {}, presigned=True)
            return sign_url(client, method, Params, **rest)

        def presigned_post(client: BaseClient, Bucket: str, Key: str, **rest: Any) -> Any:  # noqa: N803
            self._record(client, POST_OBJECT, {"Bucket": Bucket, "Key": Key}, presigned=True)
            return sign_post(client, Bucket, Key, **rest)

        patch.setattr(botocore.client.BaseClient, "_make_api_call", make_api_call)
        patch.setattr(botocore.signers, "generate_presigned_url", presigned_url)
        patch.setattr(botocore.signers, "generate_presigned_post", presigned_post)
        return self.calls

    def _record(
        self, client: BaseClient, operation: str, params: Mapping[str, Any], presigned: bool
    ) -> None:
        function, where = self._credit(sys._getframe(2))
        if where is None:  # the test itself, or the local runtime's setup: not Lambda code
            return
        service = client.meta.service_model.service_name
        self.calls.append(
            AwsCall(
                function,
                service,
                operation,
                presigned,
                iam_action(service, operation, params),
                resource_of(service, params, client.meta.region_name),
                where,
            )
        )

    def _credit(self, frame: FrameType | None) -> tuple[str | None, str | None]:
        function, where = self._walk(frame, lambda_line=None)
        if function is None and threading.current_thread() is not threading.main_thread():
            waiting = sys._current_frames().get(threading.main_thread().ident or 0)
            function, where = self._walk(waiting, where)
        return function, where

    def _walk(
        self, frame: FrameType | None, lambda_line: str | None
    ) -> tuple[str | None, str | None]:
        while frame is not None:
            path = Path(frame.f_code.co_filename)
            if lambda_line is None and path in self.lambda_files:
                lambda_line = f"{path.relative_to(ROOT)}:{frame.f_lineno}"
            if frame.f_code in self.handlers:
                return self.handlers[frame.f_code], lambda_line
            frame = frame.f_back
        return None, lambda_line
