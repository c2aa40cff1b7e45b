"""The environment for tools that build AWS clients without needing AWS: Chalice and samtranslator.

``chalice package`` makes an API Gateway client only to read its region, and botocore then looks
for credentials, down to the instance metadata endpoint (a network call, and a wait of seconds
where there is none). Fake credentials end that search at its first step, and no profile or
config file is read, so a packaging run neither calls AWS nor sees anyone's real credentials.
The region changes no resource in the templates; it is only required to be there.
"""

from __future__ import annotations

import os

DEFAULT_REGION = "us-east-1"


def offline_aws_env() -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    return env | {
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", DEFAULT_REGION),
        "AWS_ACCESS_KEY_ID": "packaging-needs-no-credentials",
        "AWS_SECRET_ACCESS_KEY": "packaging-needs-no-credentials",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
