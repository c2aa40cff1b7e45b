"""moto's server as the local runtime runs it, with its guards (S3 POST policies, SNS subjects)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

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
