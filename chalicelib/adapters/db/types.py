"""Column types that behave the same on SQLite and MySQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, LargeBinary, Text
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

# SQLite only auto-increments an INTEGER PRIMARY KEY; MySQL keys are BIGINT so that upserts,
# which burn auto-increment values on every replay, never run out.
BigId = BigInteger().with_variant(Integer(), "sqlite")

# Up to 16 MiB on MySQL (TEXT stops at 64 KiB); plain TEXT on SQLite.
LongText = Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")

# Up to 16 MiB of bytes on MySQL (BLOB stops at 64 KiB): a CSV chunk, stored as the file had it.
LongBlob = LargeBinary().with_variant(mysql.MEDIUMBLOB(), "mysql", "mariadb")


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out; stored naive UTC with microseconds."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)
