"""The local-runtime fixtures, shared by every end-to-end module (defined beside their helpers)."""

from tests.e2e.console_harness import console_run
from tests.e2e.test_local_runtime import fresh_mysql_url, start_local

__all__ = ["console_run", "fresh_mysql_url", "start_local"]
