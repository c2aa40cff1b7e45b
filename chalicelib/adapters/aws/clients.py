"""boto3 clients with explicit timeouts and a configurable endpoint (moto, or any compatible service).

botocore's defaults wait 60 s to connect and 60 s to read: longer than an API Gateway request
lives. Ours fail fast and let the standard retry mode absorb throttling.
"""

from __future__ import annotations

from typing import Any

from chalicelib.settings import Settings


def make_client(service: str, settings: Settings) -> Any:
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
        style: Any = "path" if settings.aws_endpoint_url else "auto"
        config = config.merge(Config(signature_version="s3v4", s3={"addressing_style": style}))
    session: Any = boto3.session.Session()  # untyped on purpose: the service name is a variable
    return session.client(service, endpoint_url=settings.aws_endpoint_url, config=config)
