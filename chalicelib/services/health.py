"""check_health: is every dependency the pipeline needs reachable right now?"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from chalicelib.domain.errors import TriplineError


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
            checks[name] = f"unavailable: {exc.message}"
        else:
            checks[name] = "ok"
    return HealthReport(checks)
