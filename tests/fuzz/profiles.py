"""Hypothesis settings for the property tests: bounded, and the same examples on every CI run.

Outside CI the examples are random, so a developer's runs keep exploring, and
``TRIPLINE_FUZZ_EXAMPLES=5000`` explores deeper; a failure prints the ``@reproduce_failure``
blob that replays it. No example database is kept in the work tree.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

IN_CI = bool(os.environ.get("CI"))
EXAMPLES = 200 if IN_CI else int(os.environ.get("TRIPLINE_FUZZ_EXAMPLES", "200"))

PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,  # a shared CI machine has slow moments; timing is asserted where it matters
    derandomize=IN_CI,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
