"""check_health: is every dependency the pipeline needs reachable right now?

``/health`` answers without a key, so it names the failing component and nothing else: the
driver's error, a host or a port would tell a stranger how the service is built. Those go to the
log, with the component's name, for whoever runs it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from chalicelib.domain.errors import TriplineError
from chalicelib.observability import logger

UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class HealthReport:
    checks: dict[str, str]

    @property
    def healthy(self) -> bool:
        return all(state == "ok" for state in self.checks.values())


def check_health(probes: Mapping[str, Callable[[], None]]) -> HealthReport:
    """Run each probe; one failing dependency is reported by name without hiding the others."""
    checks: dict[str, str] = {}
    for name, probe in probes.items():
        try:
            probe()
        except TriplineError as exc:
            logger().warning(
                "health check failed", extra={"component": name, "reason": exc.message}
            )
            checks[name] = UNAVAILABLE
        else:
            checks[name] = "ok"
    return HealthReport(checks)
