"""Where SQLite stops being enough: real gunicorn workers (``hotline serve --workers W``) over SQLite and over
PostgreSQL, concurrent intake at rising concurrency; throughput, p95 and errors by status, and SQLite's
figures as ratios of PostgreSQL's measured in the same run.

    python bench/workers.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    python bench/workers.py --postgres URL --workers 4 --levels 1,4,16,64 --per-client 25
    python bench/workers.py --postgres URL --scaling 1,2      # PostgreSQL: throughput of 2 workers / 1

``--postgres`` names a server and a database to connect to; the script creates a scratch database
``hotline_bench_workers_<pid>`` (``--scratch``) beside it and drops it at the end. The intake and live-triage rate
limits are lifted for the run (``HOTLINE_RATE_LIMIT_INTAKE_TOKEN``, ``HOTLINE_RATE_LIMIT_TRIAGE_SESSION``): this
measures the server, not the limiter.

``--scaling`` reads with `wrk` (Debian package ``wrk``) when it is installed, beside the Python client: on a machine
whose cores the client shares with the server, a client in Python takes the CPU a second worker would use (measured
2026-12-06: the API list ×1.04 with the Python client, ×1.54–1.69 with wrk). Beside each wrk figure: the CPU one request
cost the web processes and the whole machine, which bound what a second worker can add on these cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import requests
from sqlalchemy import create_engine, make_url, text

from hotline.config import DEFAULT_THREADS

TEXTS = [
    "来电人反映，孩子父母常年在外务工，孩子跟奶奶生活，想咨询留守儿童有哪些关爱政策。",
    "市民反映小区附近有儿童在水塘边玩耍，水很深，没有护栏，希望尽快处理。",
    "家长咨询孩子患白血病，治疗费用很高，能否申请医疗救助，去哪里办理。",
    "来电人称邻居家孩子经常被打，哭声很大，希望有关部门上门看看。",
]
HOTLINE = str(Path(sys.executable).with_name("hotline"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(env: dict, workers: int, threads: int, output=subprocess.DEVNULL,  # noqa: ANN001
          cpus: set[int] | None = None) -> tuple[subprocess.Popen, str]:
    """``hotline serve`` on a free port with ``env``, and its base URL, once ``/healthz`` answers (3 minutes at most).
    ``cpus``: the cores the server (and the workers it forks) may run on."""
    port = free_port()
    proc = subprocess.Popen([HOTLINE, "serve", "--port", str(port), "--workers", str(workers), "--threads", str(threads)],
                            env=env, stdout=output, stderr=output,
                            preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None)  # noqa: PLW1509
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/healthz", timeout=2).ok:
                return proc, url
        except requests.RequestException:
            pass
        time.sleep(0.3)  # after a refused connection or an answer that is not yet 200 alike
    proc.terminate()
    raise SystemExit("server did not start")


class Server:
    """A fresh instance (``hotline init``), a token, and ``hotline serve --workers W`` (gunicorn)."""

    def __init__(self, database_url: str | None, workers: int, threads: int) -> None:
        self.instance = tempfile.mkdtemp(prefix="hotline-bench-workers-")
        self.env = {**os.environ, "HOTLINE_INSTANCE_PATH": self.instance, "HOTLINE_RATE_LIMIT_INTAKE_TOKEN": "1000000/60",
                    "HOTLINE_RATE_LIMIT_TRIAGE_SESSION": "1000000/60"}
        if database_url:
            self.env["HOTLINE_DATABASE_URL"] = database_url
        subprocess.run([HOTLINE, "init"], env=self.env, check=True, capture_output=True)
        self.token = subprocess.run([HOTLINE, "token", "create", "--name", "bench", "--role", "operator"], env=self.env,
                                    check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        self.proc, self.url = serve(self.env, workers, threads)

    def console(self, username: str = "desk") -> dict[str, str]:
        """A logged-in operator's console session: the headers its live-triage requests carry."""
        from console import bench_user, login, session_headers  # bench/console.py

        bench_user(self.env, self.env.get("HOTLINE_DATABASE_URL") or f"sqlite:///{self.instance}/hotline.db",
                   username, "operator")
        return session_headers(login(self.url, username))

    def pids(self) -> list[int]:
        """The server's processes (gunicorn's arbiter and its workers)."""
        from console import process_tree

        return process_tree(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)
        shutil.rmtree(self.instance, ignore_errors=True)


def run_level(server: Server, clients: int, per_client: int, tag: str) -> dict:
    statuses: Counter[str] = Counter()
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {server.token}"}

    def client(c: int) -> None:
        http = requests.Session()
        for i in range(per_client):
            body = {"channel": "phone", "text": TEXTS[(c + i) % len(TEXTS)], "external_id": f"{tag}-{c}-{i}"}
            started = time.perf_counter()
            try:
                status = str(http.post(f"{server.url}/api/v1/tickets", json=body, headers=headers, timeout=60).status_code)
            except requests.RequestException as exc:
                status = type(exc).__name__
            latencies.append(time.perf_counter() - started)
            statuses[status] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    took = time.perf_counter() - started
    ok = statuses.get("201", 0)
    p95 = statistics.quantiles(latencies, n=100)[94] * 1000 if len(latencies) > 1 else latencies[0] * 1000
    return {"clients": clients, "sent": len(latencies), "ok": ok, "per_s": ok / took, "p95_ms": p95,
            "errors": {k: v for k, v in statuses.items() if k != "201"}}


def postgres_scratch(url: str, name: str) -> tuple[str, callable]:  # type: ignore[valid-type]
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(url).set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", required=True, help="a PostgreSQL URL to create the scratch database from")
    parser.add_argument("--scratch", default=f"hotline_bench_workers_{os.getpid()}", help="scratch database name")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int,
                        help="threads per worker (default 8; with --scaling, what `hotline serve` uses)")
    parser.add_argument("--levels", default="1,4,16,32,64", help="concurrent clients, comma-separated")
    parser.add_argument("--per-client", type=int, default=20, help="tickets each client posts per level")
    parser.add_argument("--scaling", help="worker counts to compare on PostgreSQL alone (e.g. 1,2), 16 clients")
    parser.add_argument("--seconds", type=int, default=15, help="seconds of each wrk run (--scaling)")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    if args.scaling:
        args.threads = args.threads or DEFAULT_THREADS
        scaling(args)
        return
    args.threads = args.threads or 8

    results: dict[str, list[dict]] = {}
    pg_url, drop = postgres_scratch(args.postgres, args.scratch)
    try:
        for backend, url in (("postgresql", pg_url), ("sqlite", None)):
            server = Server(url, args.workers, args.threads)
            try:
                run_level(server, 4, 5, f"warm-{backend}")  # every worker loads its model and caches
                results[backend] = [run_level(server, c, args.per_client, f"{backend}-{c}") for c in levels]
            finally:
                server.stop()
    finally:
        drop()

    cores = os.cpu_count()
    print(f"gunicorn {args.workers} workers × {args.threads} threads, {args.per_client} tickets per client, "
          f"client and servers on the same {cores} cores")
    print(f"{'clients':>7} | {'PostgreSQL t/s':>14} {'p95 ms':>8} {'errors':>12} | {'SQLite t/s':>10} {'p95 ms':>8} "
          f"{'errors':>12} | {'SQLite/PG t/s':>13} {'p95':>6}")
    first_worse = None
    for pg, lite in zip(results["postgresql"], results["sqlite"], strict=True):
        ratio = lite["per_s"] / pg["per_s"] if pg["per_s"] else float("nan")
        p95_ratio = lite["p95_ms"] / pg["p95_ms"] if pg["p95_ms"] else float("nan")
        print(f"{pg['clients']:>7} | {pg['per_s']:>14.1f} {pg['p95_ms']:>8.0f} {_errors(pg):>12} | {lite['per_s']:>10.1f} "
              f"{lite['p95_ms']:>8.0f} {_errors(lite):>12} | {ratio:>13.2f} {p95_ratio:>6.2f}")
        if first_worse is None and (lite["errors"] or ratio < 0.8 or p95_ratio > 1.5):
            first_worse = pg["clients"]
    if first_worse is None:
        print("SQLite kept up with PostgreSQL at every level measured (no errors, ≥ 0.8× throughput, ≤ 1.5× p95)")
    else:
        print(f"SQLite stops being enough at {first_worse} concurrent intake clients "
              "(first level with errors, < 0.8× PostgreSQL's throughput or > 1.5× its p95)")


def run_reads(server: Server, clients: int, per_client: int) -> dict:
    """GET /api/v1/tickets (50 whole tickets as JSON): the application's work, little of the database's."""
    latencies: list[float] = []
    statuses: Counter[str] = Counter()

    def client(_: int) -> None:
        http = requests.Session()
        for _ in range(per_client):
            started = time.perf_counter()
            resp = http.get(f"{server.url}/api/v1/tickets?per_page=50", timeout=60,
                            headers={"Authorization": f"Bearer {server.token}"})
            latencies.append(time.perf_counter() - started)
            statuses[str(resp.status_code)] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    took = time.perf_counter() - started
    return {"per_s": statuses.get("200", 0) / took, "p95_ms": statistics.quantiles(latencies, n=100)[94] * 1000,
            "errors": {k: v for k, v in statuses.items() if k != "200"}}


def _machine_busy_seconds() -> float:
    """CPU seconds every core of the machine has spent busy (``/proc/stat``: all but idle and iowait)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def _measured(pids: list[int], load: Callable[[], tuple[float, int, float, float, int]]) -> dict:
    """One wrk run (``run_wrk``'s answer): requests/s, p95, errors, and the CPU per request of those processes and of
    the whole machine, in ms."""
    from console import cpu_seconds

    web0, all0 = cpu_seconds(pids), _machine_busy_seconds()
    took, done, _, p95, failed = load()
    per_request = 1000 / max(done, 1)
    return {"per_s": done / took, "p95_ms": p95, "errors": {"errors": failed} if failed else {},
            "web_cpu_ms": (cpu_seconds(pids) - web0) * per_request,
            "all_cpu_ms": (_machine_busy_seconds() - all0) * per_request}


def scaling(args: argparse.Namespace) -> None:
    """Throughput on PostgreSQL with each worker count, as ratios of the first (same run): intake and the API list with
    the Python client; with wrk, when installed, the API list and live triage, and their CPU per request."""
    from console import run_wrk  # bench/console.py, which imports this module

    counts = [int(x) for x in args.scaling.split(",")]
    use_wrk = shutil.which("wrk") is not None
    results: dict[str, list[dict]] = {"intake (POST /tickets), Python client": [],
                                      "list (GET /tickets, 50 tickets), Python client": []}
    if use_wrk:
        results |= {"list (GET /tickets, 50 tickets), wrk": [], "live triage (POST /console/triage), wrk": []}
    for workers in counts:
        pg_url, drop = postgres_scratch(args.postgres, f"{args.scratch}_{workers}")
        try:
            server = Server(pg_url, workers, args.threads)
            try:
                run_level(server, 4, 5, "warm")
                for _ in range(workers * 2):  # every worker has loaded its model
                    run_level(server, 8, 2, f"warm-{_}")
                results["intake (POST /tickets), Python client"].append(run_level(server, 16, args.per_client, f"w{workers}"))
                run_reads(server, 8, 4)
                results["list (GET /tickets, 50 tickets), Python client"].append(run_reads(server, 16, args.per_client))
                if use_wrk:
                    web = [p for p in server.pids() if p != server.proc.pid] or [server.proc.pid]
                    calls = {"list (GET /tickets, 50 tickets), wrk": ({"Authorization": f"Bearer {server.token}"}, "GET",
                                                                      "/api/v1/tickets?per_page=50", None),
                             "live triage (POST /console/triage), wrk": (server.console(), "POST", "/console/triage",
                                                                         [json.dumps({"text": TEXTS[3]}, ensure_ascii=False)])}
                    for name, (headers, method, path, bodies) in calls.items():
                        load = partial(run_wrk, server.url, [headers] * 16, method, [path], bodies, new_connections=True)
                        load(seconds=3)  # warm every worker
                        results[name].append(_measured(web, partial(load, seconds=args.seconds)))
            finally:
                server.stop()
        finally:
            drop()
    print(f"PostgreSQL, 16 clients ({args.per_client} requests each with the Python client, {args.seconds} s with wrk), "
          f"{args.threads} threads per worker, client and database on the same {os.cpu_count()} cores")
    for name, runs in results.items():
        first = runs[0]["per_s"]
        for workers, r in zip(counts, runs, strict=True):
            extra = ""
            if "web_cpu_ms" in r:  # what one request cost the web processes and the whole machine
                extra = f"  CPU/request: web {r['web_cpu_ms']:.1f} ms, machine {r['all_cpu_ms']:.1f} ms"
            print(f"  {name:46s} {workers} worker(s): {r['per_s']:7.1f} req/s  p95 {r['p95_ms']:6.0f} ms  "
                  f"errors {_errors(r)}  ×{r['per_s'] / first:.2f} of {counts[0]} worker(s){extra}")


def _errors(result: dict) -> str:
    return ",".join(f"{k}:{v}" for k, v in sorted(result["errors"].items())) or "0"


if __name__ == "__main__":
    main()
