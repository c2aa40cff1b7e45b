"""moto's server as the local runtime runs it, with its guards (S3 POST policies, SNS subjects)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tripline.local.credentials import FAKE_CREDENTIALS
from tripline.local.moto_server import GuardedMotoServer, start_moto


@pytest.fixture
def moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[GuardedMotoServer]:
    """A guarded moto server on a free port, with fake credentials; stopped at the end."""
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    server = start_moto(0)
    yield server
    server.stop()


@pytest.fixture
def s3(moto: GuardedMotoServer) -> Any:
    """A path-style S3 client of that server, signing as a browser's presigned POST expects."""
    config = Config(signature_version="s3v4", s3={"addressing_style": "path"})
    return boto3.client("s3", endpoint_url=moto.url, region_name="us-east-1", config=config)


@pytest.fixture
def bucket(s3: Any) -> str:
    """A fresh bucket on that server."""
    name = f"uploads-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name
