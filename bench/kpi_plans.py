"""The plans of ``GET /kpis``'s queries over a 1,000,000-event table, on SQLite and MariaDB.

Builds scratch databases (a temporary SQLite file, a MariaDB database dropped afterwards) with
the migrations, fills them with ``INSERT … SELECT`` from a recursive CTE (never row by row),
then prints, for each statement ``SqlKpiReader`` runs, its EXPLAIN and how long it took. The
numbers and plans in ``docs/kpis.md`` come from this script::

    .venv/bin/python -m bench.kpi_plans [--events 1000000] [--mysql mysql+pymysql://root@127.0.0.1:3306]
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from chalicelib.adapters.db import migrations
from chalicelib.adapters.db.engine import make_engine
from chalicelib.adapters.db.kpi_queries import kpi_statements
from chalicelib.domain.reports import KpiQuery

DAYS = 90
START = datetime(2026, 9, 1, tzinfo=UTC)
SOURCES = ("checkout", "sensors", "payments", "shop", "logins")

# {seq}: the recursive CTE of n = 0 … rows - 1; {at}: START + n * spacing seconds
SEQ = "WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < {last}) "
FILLS = {
    "events": (
        "INSERT INTO events (source, event_id, type, occurred_at, received_at, processed_at, data)"
        " {seq}SELECT {source}, CONCAT('e', n), CONCAT('type-', n % 20), {at}, {at}, {at}, '{{}}'"
        " FROM seq"
    ),
    "rejected_items": (
        "INSERT INTO rejected_items (item_key, source, reason, errors, payload, received_at,"
        " rejected_at, upload_id, line) {seq}SELECT CONCAT('k', n), {source}, 'invalid', '[]',"
        " '{{}}', {at}, {at}, CONCAT('u', n % 1000), n FROM seq"
    ),
    "rule_matches": (
        "INSERT INTO rule_matches (rule_id, rule_version, kind, match_key, fingerprint,"
        " group_values, source, occurred_at, matched_at) {seq}SELECT CONCAT('rule-', n % 30),"
        " 'v1', 'event', CONCAT('m', n), 'f', '{{}}', {source}, {at}, {at} FROM seq"
    ),
    "alerts": (
        "INSERT INTO alerts (fingerprint, rule_id, rule_version, kind, severity, source,"
        " group_values, labels, status, flapping, count, first_seen_at, last_seen_at,"
        " last_matched_at, opened_at, acknowledged_at, resolved_at, repeats, reminders, owed,"
        " updated_at) {seq}SELECT CONCAT('f', n), CONCAT('rule-', n % 30), 'v1', 'event', 'high',"
        " {source}, '{{}}', '{{}}', 'resolved', 0, 1, {at}, {at}, {at}, {at}, {at}, {at}, 0, 0,"
        " 0, {at} FROM seq"
    ),
    "uploads": (
        "INSERT INTO uploads (id, source, filename, object_key, origin, status, rows_seen,"
        " rows_rejected, created_at, landed_at, completed_at) {seq}SELECT CONCAT('u', n),"
        " {source}, 'f.csv', 'k', 'direct', 'complete', 1000, 3, {at}, {at}, {at} FROM seq"
    ),
}
SHARE = {"rejected_items": 10, "rule_matches": 5, "alerts": 50, "uploads": 100}  # 1 row per


def fill(engine: Engine, events: int) -> None:
    """Every table in one statement each, spread evenly over :data:`DAYS` days."""
    sqlite = engine.dialect.name == "sqlite"
    for table, template in FILLS.items():
        rows = events // SHARE.get(table, 1)
        spacing = DAYS * 86400 / rows
        at = (
            f"strftime('%Y-%m-%d %H:%M:%f', '{START:%Y-%m-%d}', '+' || (n * {spacing}) || ' seconds')"
            if sqlite
            else f"TIMESTAMPADD(MICROSECOND, FLOOR(n * {spacing * 1e6}), '{START:%Y-%m-%d}')"
        )
        source = (
            "CASE n % 5 "
            + " ".join(f"WHEN {i} THEN '{name}'" for i, name in enumerate(SOURCES))
            + " END"
        )
        sql = template.format(seq=SEQ.format(last=rows - 1), at=at, source=source)
        if sqlite:
            sql = re.sub(r"CONCAT\(('[^']*'), ([^)]*)\)", r"(\1 || (\2))", sql)
        began = time.perf_counter()
        with engine.begin() as conn:
            if not sqlite:
                conn.exec_driver_sql("SET SESSION max_recursive_iterations = 100000000")
            conn.exec_driver_sql(sql.replace("%", "%%") if not sqlite else sql)
        print(f"  {table}: {rows:,} rows in {time.perf_counter() - began:.1f} s")
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE TABLE events" if not sqlite else "ANALYZE")


def explain(engine: Engine, query: KpiQuery) -> None:
    """Each statement's plan and time, as the adapter runs it."""
    sqlite = engine.dialect.name == "sqlite"
    for name, statement in kpi_statements(query):
        sql = str(statement.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
        with engine.connect() as conn:
            plan = conn.exec_driver_sql(
                ("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + sql.replace("%", "%%")
            ).all()
            began = time.perf_counter()
            found = len(conn.exec_driver_sql(sql.replace("%", "%%")).all())
            took = time.perf_counter() - began
        print(f"\n-- {name}: {found} rows in {took * 1000:.0f} ms\n{sql}")
        for row in plan:
            print("   ", " | ".join("" if value is None else str(value) for value in row))


def run(url: str, events: int) -> None:
    engine = make_engine(url)
    migrations.upgrade(engine)
    print(f"{engine.dialect.name}: filling")
    fill(engine, events)
    until = START + timedelta(days=DAYS)
    for query in (
        KpiQuery(until - timedelta(days=7), until),
        KpiQuery(until - timedelta(days=7), until, sources=("sensors",)),
        KpiQuery(until - timedelta(days=1), until, "hour"),
        KpiQuery(START, until),
    ):
        print(f"\n=== {query}")
        explain(engine, query)
    explain_trap(engine, until - timedelta(days=7))
    engine.dispose()


def explain_trap(engine: Engine, since: datetime) -> None:
    """What the facts views avoid: a range put on a grouped view's bucket, outside the view."""
    sql = f"SELECT source, type, day, events FROM kpi_events_by_day WHERE day >= '{since:%Y-%m-%d}'"
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        plan = conn.exec_driver_sql(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + sql).all()
        began = time.perf_counter()
        found = len(conn.exec_driver_sql(sql).all())
        took = time.perf_counter() - began
    print(f"\n-- the trap: {found} rows in {took * 1000:.0f} ms\n{sql}")
    for row in plan:
        print("   ", " | ".join("" if value is None else str(value) for value in row))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--mysql", default="mysql+pymysql://root@127.0.0.1:3306")
    parser.add_argument("--only", choices=("sqlite", "mysql"))
    args = parser.parse_args()
    if args.only != "mysql":
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{Path(folder) / 'kpis.db'}", args.events)
    if args.only != "sqlite":
        name = f"tripline_kpi_plans_{uuid.uuid4().hex[:8]}"
        server = create_engine(args.mysql, isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
        try:
            run(f"{args.mysql}/{name}", args.events)
        finally:
            with server.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            server.dispose()


if __name__ == "__main__":
    main()
