"""The schedule's minute: what only a clock can notice, then the outbox.

Absence rules record the groups that fell silent (and open their alerts); the sweep resolves
alerts whose condition cleared (threshold windows that slid past, matches gone quiet, groups
heard from again), repeats what nobody acknowledged and tells what a silence withheld; finally the
notifier sends what is due, retrying what failed before. Each step is idempotent, so a late,
doubled or overlapping run changes nothing twice.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.rules import RuleBook
from chalicelib.ports import AbsenceState, AlertStore, Clock, LiveSilences
from chalicelib.services.alerts import sweep_alerts
from chalicelib.services.notifications import NotificationDelivery
from chalicelib.services.rules import check_absences


def tick(
    *,
    book: RuleBook,
    absence_state: AbsenceState,
    alerts: AlertStore,
    silences: LiveSilences,
    notifier: NotificationDelivery,
    clock: Clock,
) -> dict[str, Any]:
    absences = check_absences(book=book, state=absence_state, clock=clock)
    swept = sweep_alerts(store=alerts, book=book, silences=silences, clock=clock)
    delivered = notifier.deliver_due()
    return {"absences_recorded": absences, **swept.as_dict(), "notifications": delivered.as_dict()}
