"""Intake throughput: POST N tickets concurrently to a running server; prints tickets/s and latency.

    python bench/intake.py                          # its own server on a fresh SQLite instance
    python bench/intake.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/h14_bench_intake
                                                    # SQLite, then PostgreSQL in a scratch database that
                                                    # the bench creates (it must not exist) and drops
    python bench/intake.py --url http://127.0.0.1:5000 --token hl_...   # an already-running server

Each server is measured twice in the same run: first the baseline, GET /api/v1/openapi.json (no
database), then the intake, so the ratio shows what the database and intake logic cost on this
machine. Intake stays durable: for SQLite the bench reads ``PRAGMA synchronous`` (and ``journal_mode``)
from the server's database file through the application's own engine set-up (``hotline.db``), and
prints it, rather than assuming it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests
from workers import serve  # bench/ is the script's own folder

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TEXTS = [
    "来电人反映，孩子父母常年在外务工，孩子跟奶奶生活，想咨询留守儿童有哪些关爱政策。",
    "市民反映小区附近有儿童在水塘边玩耍，水很深，没有护栏，希望尽快处理。",
    "家长咨询孩子患白血病，治疗费用很高，能否申请医疗救助，去哪里办理。",
    "来电人称邻居家孩子经常被打，哭声很大，希望有关部门上门看看。",
]
SYNCHRONOUS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}


def start_server(database_url: str) -> tuple[subprocess.Popen, str, str]:
    instance = tempfile.mkdtemp(prefix="hotline-bench-")
    env = {**os.environ, "HOTLINE_INSTANCE_PATH": instance, "HOTLINE_DATABASE_URL": database_url,
           # the per-token intake limit (300/60 s by default) would answer most of the bench with 429s
           "HOTLINE_RATE_LIMIT_INTAKE_TOKEN": "1000000/60"}
    hotline = str(Path(sys.executable).with_name("hotline"))
    subprocess.run([hotline, "init"], env=env, check=True, capture_output=True)
    token = subprocess.run(
        [hotline, "token", "create", "--name", f"bench-{time.time_ns()}", "--role", "operator"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    proc, url = serve(env, 1, 16)
    return proc, url, token


def measure(n: int, concurrency: int, call: Callable[[int], bool]) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    errors = 0

    def one(i: int) -> None:
        nonlocal errors
        t0 = time.perf_counter()
        ok = call(i)
        latencies.append(time.perf_counter() - t0)
        errors += 0 if ok else 1

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(n)))
    return time.perf_counter() - t0, latencies, errors


def p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else values[0] * 1000


@dataclass
class Result:
    backend: str
    n: int
    concurrency: int
    took: float
    latencies: list[float]
    errors: int
    base_took: float
    base_latencies: list[float]
    durability: str = ""
    statuses: dict[int, int] = field(default_factory=dict)

    def report(self) -> None:
        rate, base_rate = self.n / self.took, self.n / self.base_took
        print(f"[{self.backend}] n={self.n} concurrency={self.concurrency} errors={self.errors} "
              f"(HTTP statuses of the POSTs: {dict(sorted(self.statuses.items()))})")
        if self.durability:
            print(f"  {self.durability}")
        print(f"  intake:   {rate:8.1f} tickets/s   p50 {p(self.latencies, 50):7.1f} ms   "
              f"p95 {p(self.latencies, 95):7.1f} ms")
        print(f"  baseline: {base_rate:8.1f} req/s       p50 {p(self.base_latencies, 50):7.1f} ms   "
              f"p95 {p(self.base_latencies, 95):7.1f} ms   (GET openapi.json, no database, same server, same run)")
        print(f"  ratio intake/baseline: throughput {rate / base_rate:.2f}, "
              f"p95 {p(self.latencies, 95) / p(self.base_latencies, 95):.1f}x")


def run(url: str, token: str, n: int, concurrency: int, backend: str) -> Result:
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=concurrency, pool_maxsize=concurrency)
    session.mount("http://", adapter)
    headers = {"Authorization": f"Bearer {token}"}
    run_id = time.time_ns()
    base_took, base_lat, _ = measure(n, concurrency,
                                     lambda i: session.get(f"{url}/api/v1/openapi.json", timeout=30).ok)

    def post(i: int) -> bool:
        body = {
            "channel": "phone",
            "text": TEXTS[i % len(TEXTS)],
            "external_id": f"bench-{run_id}-{i}",
            "caller": {"name": "测试", "phone": "13800000000"},
        }
        status = session.post(f"{url}/api/v1/tickets", json=body, headers=headers, timeout=60).status_code
        statuses[status] += 1
        return status == 201

    statuses: Counter[int] = Counter()
    took, lat, errors = measure(n, concurrency, post)
    return Result(backend, n, concurrency, took, lat, errors, base_took, base_lat, statuses=dict(statuses))


def sqlite_durability(database_url: str) -> str:
    """``PRAGMA synchronous`` and ``journal_mode`` as the server's connections see them: read through
    ``hotline.db`` (the engine set-up the server uses) from the server's database file."""
    from hotline.db import Database

    db = Database(database_url)
    try:
        with db.engine.connect() as conn:
            sync = conn.exec_driver_sql("PRAGMA synchronous").scalar()
            journal = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
            tickets = conn.exec_driver_sql("SELECT count(*) FROM tickets").scalar()
    finally:
        db.dispose()
    return (f"durability (read from the server's database, {database_url}): PRAGMA synchronous={sync} "
            f"({SYNCHRONOUS.get(sync, '?')}), journal_mode={journal}; {tickets} tickets stored")


def bench_sqlite(n: int, concurrency: int) -> Result:
    path = Path(tempfile.mkdtemp(prefix="hotline-bench-db-")) / "hotline.db"
    database_url = f"sqlite:///{path}"
    proc, url, token = start_server(database_url)
    try:
        result = run(url, token, n, concurrency, "sqlite")
    finally:
        proc.terminate()
        proc.wait(10)
    result.durability = sqlite_durability(database_url)
    return result


def bench_postgres(database_url: str, n: int, concurrency: int) -> Result:
    """In a scratch database named by DATABASE_URL: created here (refused if it exists), dropped after."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(database_url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}).scalar():
            admin.dispose()
            raise SystemExit(f"database {target.database!r} exists already: name a scratch database to create")
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    try:
        proc, url, token = start_server(database_url)
        try:
            return run(url, token, n, concurrency, "postgresql")
        finally:
            proc.terminate()
            proc.wait(10)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--postgres", "--database-url", dest="postgres", metavar="URL",
                        help="also PostgreSQL, in this scratch database (created and dropped by the bench)")
    parser.add_argument("--url", help="an already-running server instead (no baseline database set-up)")
    parser.add_argument("--token")
    args = parser.parse_args()

    if args.url:
        run(args.url.rstrip("/"), args.token, args.n, args.concurrency, "remote").report()
        return
    results = [bench_sqlite(args.n, args.concurrency)]
    results[-1].report()
    if args.postgres:
        results.append(bench_postgres(args.postgres, args.n, args.concurrency))
        results[-1].report()


if __name__ == "__main__":
    main()
