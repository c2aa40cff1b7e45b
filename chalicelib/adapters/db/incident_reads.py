"""SqlRuleFailures: what the incidents' watch reads of ``rule_failures``: each rule's recent
failures, counted, and its latest one (the ``(rule_id, failed_at)`` index serves both)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, func, select

from chalicelib.adapters.db.errors import database_errors
from chalicelib.adapters.db.tables import rule_failures
from chalicelib.domain.incidents import RuleFailing


class SqlRuleFailures:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def failing_since(self, since: datetime) -> list[RuleFailing]:
        table = rule_failures
        counted = (
            select(table.c.rule_id, func.count())
            .where(table.c.failed_at >= since)
            .group_by(table.c.rule_id)
            .order_by(table.c.rule_id)
        )
        found = []
        with database_errors("reading rule failures"), self._engine.connect() as conn:
            for rule_id, failures in conn.execute(counted).all():
                latest = conn.execute(
                    select(table.c.reason, table.c.source, table.c.event_id)
                    .where(table.c.rule_id == rule_id, table.c.failed_at >= since)
                    .order_by(table.c.failed_at.desc(), table.c.id.desc())
                    .limit(1)
                ).one()
                found.append(
                    RuleFailing(
                        rule_id, int(failures), latest.reason, latest.source, latest.event_id
                    )
                )
        return found
