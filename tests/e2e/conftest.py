"""The local-runtime fixtures, shared by every end-to-end module (defined beside their helpers)."""

from tests.e2e.test_local_runtime import fresh_mysql_url, start_local

__all__ = ["fresh_mysql_url", "start_local"]
