"""SQLAlchemy's errors, translated once into ours at the adapter boundary."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc

from chalicelib.domain.errors import DependencyError, StorageError


@contextmanager
def database_errors(action: str) -> Iterator[None]:
    """Outages become ``DependencyError`` (retry later); refusals become ``StorageError``."""
    try:
        yield
    except (exc.OperationalError, exc.InterfaceError, exc.TimeoutError) as error:
        raise DependencyError(
            f"database unavailable while {action}: {_first_line(error)}"
        ) from error
    except exc.SQLAlchemyError as error:
        raise StorageError(f"database refused {action}: {_first_line(error)}") from error


def _first_line(error: Exception) -> str:
    text = str(getattr(error, "orig", None) or error)
    return text.splitlines()[0][:300] if text else type(error).__name__
