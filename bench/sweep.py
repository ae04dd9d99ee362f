"""The deadline sweep over a million open tickets: time per sweep, and the plan of its query.

    .venv/bin/python bench/sweep.py                       # SQLite (a temporary file), 1,000,000 tickets
    .venv/bin/python bench/sweep.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_sweep
    .venv/bin/python bench/sweep.py --tickets 200000      # smaller

A fresh database (migrated, regions and units loaded) gets BASE dispatched tickets (10,000) — the baseline
— and later the rest up to N. Each ticket's next alert moment lies ahead, spread over 30 days, as on a
system whose sweep has been running: about N / 43,200 first alerts fall due each minute. With BASE and
again with N tickets in the table, on the same database in the same run:

* ``idle`` — a sweep with nothing due (median of 20): what the size of the table costs the sweep;
* ``burst`` — 5,000 tickets whose sign deadline ran out ten minutes ago, swept at once (the cap per run:
  a scheduler back after an outage): time per ticket (each writes an overdue event, three notifications);
* and with N: ``steady`` — the sweep once a minute for 20 minutes of simulated time (median and worst);
* ``plan`` — EXPLAIN of the sweep's query: an index range scan on ``alert_at``, not a table scan.

Nothing is asserted; the figures are printed, N beside the baseline.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, insert, select, update  # noqa: E402

from hotline.directory.models import AgencyUnit  # noqa: E402
from hotline.directory.units import seed_reference_data  # noqa: E402
from hotline.migrate import upgrade  # noqa: E402
from hotline.runtime import Runtime  # noqa: E402
from hotline.scheduling.deadline_sweep import BATCH, sweep_deadlines  # noqa: E402
from hotline.scheduling.jobs import JobContext  # noqa: E402
from hotline.tickets.models import Ticket  # noqa: E402

BASE = 10_000
CHUNK = 20_000
NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 in Beijing, a Tuesday
SPREAD = timedelta(days=30)


def rows(start: int, count: int, units: list[int], rng: random.Random, spread: timedelta) -> list[dict]:
    out = []
    for i in range(start, start + count):
        alert = NOW + timedelta(seconds=rng.uniform(0, spread.total_seconds()))
        dispatched = alert - timedelta(hours=rng.uniform(8, 48))
        signed = rng.random() < 0.7
        out.append({
            "number": f"B-{i:09d}", "channel": "phone", "status": "accepted" if signed else "dispatched",
            "text": "（压测工单）", "received_at": dispatched, "created_at": dispatched, "updated_at": dispatched,
            "triage_mode": "manual", "needs_review": False, "category": "guardianship", "kind": "help",
            "urgency": "normal", "lead_unit_id": rng.choice(units), "dispatched_at": dispatched,
            "sign_due_at": alert + timedelta(hours=rng.uniform(1, 30)),
            "resolve_due_at": alert + timedelta(days=rng.uniform(1, 6)),
            "signed_at": dispatched + timedelta(hours=1) if signed else None,
            "supervision_count": 0, "callback_wanted": False, "version": 1, "alert_at": alert,
        })
    return out


def load(runtime: Runtime, start: int, count: int, units: list[int], rng: random.Random, spread: timedelta) -> None:
    for offset in range(0, count, CHUNK):
        batch = rows(start + offset, min(CHUNK, count - offset), units, rng, spread)
        with runtime.db.connect() as conn:
            conn.execute(insert(Ticket.__table__), batch)
    with runtime.db.connect() as conn:
        if runtime.db.is_sqlite:
            conn.exec_driver_sql("ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE tickets")


def sweep_at(runtime: Runtime, now: datetime) -> tuple[float, dict]:
    """The job itself in its one transaction (without the runner's bookkeeping, constant either way)."""
    started = time.perf_counter()
    with runtime.db.transaction() as session:
        summary = sweep_deadlines(JobContext(runtime, now, session))
    return time.perf_counter() - started, summary


def idle(runtime: Runtime) -> float:
    return statistics.median(sweep_at(runtime, NOW - timedelta(minutes=1))[0] for _ in range(20))


def burst(runtime: Runtime, at: datetime) -> tuple[float, dict]:
    with runtime.db.connect() as conn:
        ids = conn.execute(select(Ticket.id).where(Ticket.alert_at > NOW).order_by(Ticket.id.desc())
                           .limit(BATCH)).scalars().all()
        # their sign deadline ran out ten minutes ago: each fires overdue, an event and three notifications
        conn.execute(update(Ticket).where(Ticket.id.in_(ids)).values(
            alert_at=at - timedelta(minutes=10), status="dispatched", signed_at=None, alerts=None,
            sign_due_at=at - timedelta(minutes=10)))
    took, summary = sweep_at(runtime, at)
    return took / summary["tickets_swept"], summary


def steady(runtime: Runtime, start: datetime, minutes: int = 20) -> tuple[float, float, float]:
    """Median and worst seconds per sweep, and tickets swept per sweep, over ``minutes`` of simulated time."""
    times, swept = [], []
    for m in range(minutes):
        took, summary = sweep_at(runtime, start + timedelta(minutes=m + 1))
        times.append(took)
        swept.append(summary["tickets_swept"])
    return statistics.median(times), max(times), statistics.mean(swept)


def plan(runtime: Runtime) -> str:
    stmt = select(Ticket.id).where(Ticket.alert_at <= NOW).order_by(Ticket.alert_at).limit(BATCH)
    with runtime.db.connect(readonly=True) as conn:
        compiled = stmt.compile(conn, compile_kwargs={"literal_binds": False})
        params = {k: (v.replace(tzinfo=None) if isinstance(v, datetime) else v) for k, v in compiled.params.items()}
        if runtime.db.is_sqlite:
            found = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", tuple(params.values())).all()
            return "; ".join(str(r[-1]) for r in found)
        found = conn.exec_driver_sql(f"EXPLAIN {compiled}", params).all()
        return " / ".join(r[0].strip() for r in found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None, help="PostgreSQL database to (re)create; default SQLite")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    url = args.database_url or f"sqlite:///{workdir / 'sweep.db'}"
    if url.startswith("postgresql"):
        admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
        name = url.rsplit("/", 1)[1]
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
    runtime = Runtime.from_env({"instance_path": workdir / "instance", "database_url": url})
    upgrade(runtime.db.engine)
    with runtime.db.transaction() as session:
        seed_reference_data(session, runtime.taxonomy)
        units = list(session.scalars(select(AgencyUnit.id).where(AgencyUnit.level == "county")))
    rng = random.Random(7)
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"deadline sweep on {backend}: {BASE:,} tickets (baseline), then {args.tickets:,}")

    load(runtime, 0, BASE, units, rng, SPREAD)
    base_idle = idle(runtime)
    base_burst, _ = burst(runtime, NOW - timedelta(minutes=1))
    print(f"  {BASE:,} open: idle sweep {base_idle * 1000:.1f} ms; burst {base_burst * 1000:.2f} ms per ticket")

    started = time.perf_counter()
    load(runtime, BASE, args.tickets - BASE, units, rng, SPREAD)
    print(f"  loaded {args.tickets - BASE:,} more in {time.perf_counter() - started:.0f} s")
    full_idle = idle(runtime)
    full_burst, summary = burst(runtime, NOW - timedelta(seconds=30))
    print(f"  {args.tickets:,} open: idle sweep {full_idle * 1000:.1f} ms (x{full_idle / base_idle:.2f} the baseline); "
          f"burst {full_burst * 1000:.2f} ms per ticket (x{full_burst / base_burst:.2f}), "
          f"{summary['tickets_swept']:,} swept in {full_burst * summary['tickets_swept']:.1f} s")
    median, worst, per_minute = steady(runtime, NOW)
    print(f"  {args.tickets:,} open, once a minute for 20 minutes: median {median * 1000:.1f} ms, worst "
          f"{worst * 1000:.1f} ms per sweep ({per_minute:.1f} tickets due per minute)")
    print(f"  plan: {plan(runtime)}")
    with runtime.db.connect(readonly=True) as conn:
        total = conn.execute(select(func.count()).select_from(Ticket)).scalar()
    print(f"  tickets in the table: {total:,}")
    runtime.close()


if __name__ == "__main__":
    main()
