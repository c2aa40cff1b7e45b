"""The benches' way to the local AWS stand-in: a free port for it, and a client for it."""

from __future__ import annotations

import socket
from typing import Any


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def aws_client(service: str, endpoint: str) -> Any:
    import boto3

    make_client: Any = boto3.client  # any service by name: the stubs type literal names only
    return make_client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        aws_session_token="local",
    )
