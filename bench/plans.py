"""The console's list and dashboard queries against an instance's database: time, rows and the database's
query plan for each (SQLite ``EXPLAIN QUERY PLAN``, PostgreSQL ``EXPLAIN``), so an index the filters need
and a plan that reads the whole table are visible.

    HOTLINE_INSTANCE_PATH=/path/to/instance python bench/plans.py
    HOTLINE_DATABASE_URL=postgresql+psycopg://… python bench/plans.py
    python bench/plans.py --seed 1000000      # first add a million fabricated tickets (bench/console.py's)

The agency queries use the unit bench/console.py seeds an inbox for (civil_affairs:长春市/农安县).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hotline.accounts.actor import SYSTEM, Actor  # noqa: E402
from hotline.accounts.models import Role  # noqa: E402
from hotline.directory.units import get_unit  # noqa: E402
from hotline.reports import dashboard  # noqa: E402
from hotline.runtime import Runtime  # noqa: E402
from hotline.tickets import queries  # noqa: E402
from hotline.tickets.lifecycle import OPEN_AT_UNIT  # noqa: E402
from hotline.timeutil import utcnow  # noqa: E402

UNIT = "civil_affairs:长春市/农安县"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0, help="add this many fabricated tickets first")
    args = parser.parse_args()
    runtime = Runtime.from_env()
    if args.seed:
        import console

        console.seed(runtime.settings.database_url, args.seed)
    dialect = runtime.db.engine.dialect.name
    seen: list[tuple[str, object]] = []
    event.listen(runtime.db.engine, "before_cursor_execute",
                 lambda conn, cursor, statement, params, context, many: seen.append((statement, params)))
    with runtime.db.transaction(readonly=True) as session:
        staff = Actor("user", "bench", Role.AGENCY_STAFF, unit_id=get_unit(session, UNIT).id)
        brief = {"brief": True}
        cases = {
            "queue, first page": lambda: queries.list_tickets(session, SYSTEM, queries.TicketFilter(**brief)),
            "queue, filtered": lambda: queries.list_tickets(session, SYSTEM, queries.TicketFilter(
                status="dispatched", prefecture="长春市", urgency="urgent", **brief)),
            "queue, status=closed": lambda: queries.list_tickets(session, SYSTEM, queries.TicketFilter(
                status="closed", **brief)),
            "agency inbox": lambda: queries.list_tickets(session, staff, queries.TicketFilter(
                statuses=tuple(OPEN_AT_UNIT), lead_only=True, order="deadline", per_page=200, **brief)),
            "callback queue": lambda: queries.list_tickets(session, SYSTEM, queries.TicketFilter(
                statuses=("resolved", "answered"), order="callback", per_page=200, **brief)),
            "agency's API list (scoped)": lambda: queries.list_tickets(session, staff, queries.TicketFilter()),
            "dashboard, overdue list": lambda: dashboard.overdue(session, SYSTEM, utcnow()),
            "dashboard figures, 30 days (the scheduler's job)": lambda: dashboard.period_figures(
                session, SYSTEM, 30, utcnow()),
        }
        for name, run in cases.items():
            run()  # warm
            seen.clear()
            t0 = time.perf_counter()
            run()
            took = (time.perf_counter() - t0) * 1000
            statements = [(s, p) for s, p in seen if s.lstrip().upper().startswith("SELECT")]
            print(f"== {name}: {took:.1f} ms, {len(statements)} statement(s)")
            for statement, params in statements:
                prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
                for row in session.connection().exec_driver_sql(prefix + statement, params).all():
                    line = row[-1] if dialect == "sqlite" else row[0]
                    if "agency_units" not in line and "regions" not in line:
                        print(f"     {line}")


if __name__ == "__main__":
    main()
