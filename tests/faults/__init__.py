"""The fault suite: the pipeline under duplicates, reordering, outages, crashes and poison."""

import pytest

# the exact-state expectations live beside the workload: let pytest explain their failures
pytest.register_assert_rewrite("tests.faults.workload", "tests.faults.state")
