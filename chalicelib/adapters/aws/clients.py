"""boto3 clients with explicit timeouts and a configurable endpoint (moto, or any compatible service).

botocore's defaults wait 60 s to connect and 60 s to read: longer than an API Gateway request
lives. Ours fail fast and let the standard retry mode absorb throttling.

Each client gets a session of its own (a boto3 session is not thread-safe, a client is), but all
of them share one loader of botocore's service models: parsing those JSON files is most of what
making a client costs, about 0.15 s each, and a process making fifteen clients (the local runtime)
or two (a Lambda cold start) should parse each model once.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Literal, overload

from chalicelib.settings import Settings

if TYPE_CHECKING:
    from botocore.loaders import Loader
    from botocore.session import Session as BotocoreSession
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

# The services Tripline talks to; each overload below gives its caller the service's own client
# type (boto3-stubs, a dev dependency: the types exist for mypy only, never in the Lambda zip).
ServiceName = Literal["s3", "sns", "sqs", "secretsmanager"]

_lock = threading.Lock()
_loader: Loader | None = None


@overload
def make_client(service: Literal["s3"], settings: Settings) -> S3Client: ...
@overload
def make_client(service: Literal["sns"], settings: Settings) -> SNSClient: ...
@overload
def make_client(service: Literal["sqs"], settings: Settings) -> SQSClient: ...
@overload
def make_client(service: Literal["secretsmanager"], settings: Settings) -> SecretsManagerClient: ...
def make_client(
    service: ServiceName, settings: Settings
) -> S3Client | SNSClient | SQSClient | SecretsManagerClient:
    import boto3
    from botocore.config import Config

    config = Config(
        region_name=settings.aws_region,
        connect_timeout=settings.aws_connect_timeout,
        read_timeout=settings.aws_read_timeout,
        retries={"mode": "standard", "max_attempts": 3},
    )
    if service == "s3":
        # SigV4 everywhere (SigV2 presigned POSTs are refused in newer regions); path-style URLs
        # when an endpoint is set, since moto and most S3-compatible servers have no wildcard DNS.
        style: Literal["path", "auto"] = "path" if settings.aws_endpoint_url else "auto"
        config = config.merge(Config(signature_version="s3v4", s3={"addressing_style": style}))
    session = boto3.session.Session(botocore_session=_botocore_session())
    return session.client(service, endpoint_url=settings.aws_endpoint_url, config=config)


def _botocore_session() -> BotocoreSession:
    import botocore.session
    from botocore.loaders import create_loader

    global _loader
    with _lock:
        if _loader is None:
            _loader = create_loader()
        loader = _loader
    session = botocore.session.get_session()
    session.register_component("data_loader", loader)
    return session
