"""Who the engine logs in as, when the login lives outside the URL (a rotated secret, on AWS).

The engine asks for the login at every new DB-API connection instead of baking it into its URL:
RDS rotates the password while a warm container keeps its engine, and a URL built at cold start
would hold the old one until the container died.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class DatabaseLogin:
    username: str
    password: str = field(repr=False)  # a logged or printed login never shows it


class LoginSource(Protocol):
    def login(self, *, refresh: bool = False) -> DatabaseLogin:
        """The current login; ``refresh`` after the server refused it, to skip any cache.

        Raises ``DependencyError`` when the login cannot be had right now."""
        ...
