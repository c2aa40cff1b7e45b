"""SecretsManagerLogin: a database login from a Secrets Manager secret.

Both secrets are JSON ``{"username": ..., "password": ...}``: RDS's managed master-user secret,
whose password RDS rotates on its own schedule, and the application login's, which CloudFormation
generates and the migrate function sets on the server. Powertools' provider keeps the value for
``max_age`` seconds, so a warm container opening connections does not call Secrets Manager for
each one; when the server refuses the cached password the engine asks again with ``refresh`` and
this goes to Secrets Manager at once. The password never appears in an error, a log or a repr.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.adapters.db.credentials import DatabaseLogin
from chalicelib.domain.errors import ConfigurationError, DependencyError, Detail

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

SECRET_MAX_AGE_SECONDS = 300  # one GetSecretValue per container per five minutes at most


class SecretsManagerLogin:
    """``variable``: the setting that named the secret, for an error about its contents."""

    def __init__(
        self,
        client: SecretsManagerClient,
        secret_arn: str,
        *,
        max_age: int = SECRET_MAX_AGE_SECONDS,
        variable: str = "TRIPLINE_DATABASE_SECRET_ARN",
    ) -> None:
        from aws_lambda_powertools.utilities.parameters import SecretsProvider

        self._provider = SecretsProvider(boto3_client=client)
        self._secret_arn = secret_arn
        self._max_age = max_age
        self._variable = variable

    def login(self, *, refresh: bool = False) -> DatabaseLogin:
        from aws_lambda_powertools.utilities.parameters.exceptions import (
            GetParameterError,
            TransformParameterError,
        )

        try:
            value = self._provider.get(
                self._secret_arn, max_age=self._max_age, transform="json", force_fetch=refresh
            )
        except GetParameterError as error:
            raise DependencyError(f"database secret unavailable: {error}") from error
        except TransformParameterError as error:
            raise self._malformed("is not JSON") from error
        if not isinstance(value, dict):
            raise self._malformed("is not a JSON object")
        username, password = value.get("username"), value.get("password")
        if not isinstance(username, str) or not username or not isinstance(password, str):
            raise self._malformed('has no "username" and "password" strings')
        return DatabaseLogin(username, password)

    def _malformed(self, problem: str) -> ConfigurationError:
        return ConfigurationError(
            "database secret unusable",
            [Detail(f"the secret {problem}", field=self._variable, value=self._secret_arn)],
        )
