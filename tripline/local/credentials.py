"""The local runtime's fake AWS credentials, in a module of their own.

Both the runtime (which puts them in the environment) and the S3 POST guard (which checks form
signatures against their secret) need them; here, neither has to import the other, and the
``local`` package's imports stay a tree.
"""

from __future__ import annotations

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
}


def local_secret(access_key_id: str) -> str | None:
    """The secret of the fake credentials, the only ones moto is used with here."""
    if access_key_id == FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"]:
        return FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"]
    return None
