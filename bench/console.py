"""The console under load at provincial scale: 16 concurrent logged-in users on the ticket list (first page,
a page filtered by three and by four columns, the next page by its cursor), the ticket page, live triage,
the dashboard and an agency inbox, against a server holding N tickets (default 1,000,000). For each endpoint
it prints requests/s, p50/p95, **server CPU per request** (the server processes' CPU time over the run /
requests) and p95 as a ratio of the `/healthz` p95 measured in the same run; then the server's RSS per
worker. `--soak N` then sends N more mixed requests and prints RSS every tenth of them (growth means a leak;
on SQLite beside each worker's open database connections, each with a page cache of up to 2 MB);
with `--trace-heap` also the server's Python heap as tracemalloc counts it, and the lines whose share changed most
(`bench/heaptrace/`; tracing makes every request several times dearer, so its CPU figures are not comparable).

    python bench/console.py                                   # 1M tickets, SQLite, one waitress process
    python bench/console.py --tickets 100000 --threads 16     # the same with 16 server threads
    python bench/console.py --tickets 100000 --requests 400   # smaller
    python bench/console.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    python bench/console.py --postgres URL --workers 2 --only "ticket list,healthz (baseline)"
    python bench/console.py --postgres URL --servers 1x4,2x1,1x4,2x1   # two configurations alternated, one seed
    python bench/console.py --tickets 100000 --soak 100000    # memory over 100k requests
    python bench/console.py --tickets 100000 --soak 100000 --trace-heap   # ... and the Python heap in it
    python bench/console.py --client wrk --seconds 15         # the load from wrk: the server saturated
    python bench/console.py --server-cpus 0                   # the server on core 0, the client on the others

The tickets are bulk-inserted (fabricated texts spread over a year, 17 agencies' county units, every
status). ``--postgres`` names a server; a scratch database is created beside it and dropped at the end.
The trained model is copied from ./instance/model when present (otherwise live triage runs the rules
only). Client and server share this machine's cores: the CPU per request is the figure to compare across
runs, latencies are lower bounds of what a separate client would see. ``--client wrk`` sends the same requests
from wrk (16 connections, one per user, the live-triage limit lifted): it keeps every server thread busy, where the
Python client, itself busy on the same cores, leaves the server idle part of the time. Measured 2026-12-06 at 20k
tickets on SQLite, wrk made every request dearer (list 6.2, live triage 7.9, dashboard 11.4 ms of CPU): four busy
threads hand the GIL to each other at every SQLite step. ``--server-cpus`` keeps the server's processes on the cores it
names and the client (and wrk) on the others, as a client on another host would be; a PostgreSQL server is not
pinned and runs where the kernel puts it.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import create_engine, make_url, text
from workers import postgres_scratch, serve  # bench/ is the script's own folder

from hotline.config import DEFAULT_THREADS

ROOT = Path(__file__).resolve().parents[1]
HOTLINE = str(Path(sys.executable).with_name("hotline"))
PASSWORD = "Bench-Passw0rd-long"
TEXTS = [
    "来电人反映，孩子父母常年在外务工，孩子跟奶奶生活，想咨询留守儿童有哪些关爱政策。",
    "市民反映小区附近有儿童在水塘边玩耍，水很深，没有护栏，希望尽快处理。",
    "家长咨询孩子患白血病，治疗费用很高，能否申请医疗救助，去哪里办理。",
    "来电人称邻居家孩子经常被打，哭声很大，希望有关部门上门看看。",
    "孩子他爸在监狱服刑，妈妈联系不上，孩子跟着奶奶过，能申请什么补贴？",
]
CATEGORIES = ["guardianship", "basic_living", "medical", "personal_safety", "education", "family_support",
              "missing_child", "safety_hazard", "mental_health", "online_protection"]
#: mostly finished work, as in a year of a real hotline; the open ones are what the inboxes show
STATUSES = ["closed"] * 14 + ["resolved", "dispatched", "accepted", "in_progress", "answered", "returned"]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
INBOX_UNIT = "civil_affairs:长春市/农安县"
#: what intake stores from the classifier (``TriageSuggestion.as_record()``), about the size of a real one
PREDICTED = json.dumps({
    "category": "guardianship", "kind": "help", "urgency": "normal", "agency": "civil_affairs", "co_agencies": [],
    "prefecture": "长春市", "county": "农安县", "confidence": 0.83, "needs_review": False, "rules_only": False,
    "explanation": {"category": [["留守", 0.41], ["奶奶", 0.22], ["务工", 0.19], ["父母", 0.12], ["政策", 0.05]],
                    "urgency": [["咨询", 0.31], ["关爱", 0.18]], "kind": [["想", 0.2], ["咨询", 0.3]],
                    "cues": [], "place": "农安县"}}, ensure_ascii=False)


def hotline(*args: str, env: dict) -> str:
    return subprocess.run([HOTLINE, *args], env=env, check=True, capture_output=True, text=True,
                          input=PASSWORD + "\n" if "--password-stdin" in args else None).stdout


def bench_user(env: dict, db_url: str, username: str, role: str, *extra: str) -> None:
    """A console account for the bench (password ``PASSWORD``), without the forced change at first login."""
    hotline("user", "create", "--username", username, "--role", role, *extra, "--password-stdin", env=env)
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE users SET must_change_password = :f WHERE username = :u"), {"f": False, "u": username})
    engine.dispose()


def seed(db_url: str, n: int) -> list[str]:
    """N tickets over the last 365 days, newest last; returns a sample of their numbers."""
    engine = create_engine(db_url)
    now = datetime.now(UTC).replace(tzinfo=None)
    rng = random.Random(7)
    with engine.begin() as conn:
        units = conn.execute(text("SELECT id, code FROM agency_units WHERE code LIKE '%/%' ORDER BY id")).all()
        inbox = next(uid for uid, code in units if code == INBOX_UNIT)
        stmt = None
        sample: list[str] = []
        step = timedelta(seconds=365 * 86400 / max(n, 1))
        for start in range(0, n, 10_000):
            rows = []
            for i in range(start, min(n, start + 10_000)):
                at = now - (n - i) * step
                unit_id, code = (inbox, INBOX_UNIT) if i % 50 == 0 else units[rng.randrange(len(units))]
                prefecture, _, county = code.split(":", 1)[1].partition("/")
                status = STATUSES[rng.randrange(len(STATUSES))] if at > now - timedelta(days=30) else "closed"
                done = status in ("closed", "resolved")
                rows.append({
                    "number": f"B{i:09d}", "channel": "phone", "status": status, "text": TEXTS[i % 5] + f"（{i}）",
                    "caller_name_masked": "测*", "caller_phone_masked": f"138****{i % 10000:04d}", "received_at": at,
                    "created_at": at, "updated_at": at, "needs_review": i % 97 == 0,
                    "category": CATEGORIES[rng.randrange(len(CATEGORIES))], "kind": "help",
                    "urgency": "urgent" if i % 13 == 0 else "normal", "prefecture": prefecture, "county": county,
                    "lead_unit_id": unit_id, "dispatched_at": at, "sign_due_at": at + timedelta(days=1),
                    "first_feedback_due_at": at + timedelta(days=3), "resolve_due_at": at + timedelta(days=15),
                    "signed_at": at + timedelta(hours=5) if status != "dispatched" else None,
                    "resolved_at": at + timedelta(days=rng.randint(2, 20)) if done else None,
                    "satisfaction": "satisfied" if status == "closed" and i % 3 else None,
                    "callback_wanted": False, "supervision_count": 0, "version": 1, "predicted": PREDICTED,
                    "triage_mode": "auto",
                })
                if i % max(1, n // 2000) == 0:
                    sample.append(rows[-1]["number"])
            if stmt is None:
                stmt = text(f"INSERT INTO tickets ({', '.join(rows[0])}) VALUES ({', '.join(':' + c for c in rows[0])})")
            conn.execute(stmt, rows)
    with engine.connect() as conn:  # the planner's statistics, as a server running for a year would have
        conn.execute(text("ANALYZE"))
        conn.commit()
    engine.dispose()
    return sample


def login(base: str, username: str) -> requests.Session:
    s = requests.Session()
    page = s.get(f"{base}/login", timeout=30).text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    resp = s.post(f"{base}/login", data={"csrf_token": token, "username": username, "password": PASSWORD},
                  timeout=30, allow_redirects=False)
    if resp.status_code != 302 or "/login" in resp.headers.get("Location", ""):
        raise SystemExit(f"login as {username} failed: {resp.status_code}")
    page = s.get(f"{base}/console/new" if username == "desk" else f"{base}/", timeout=30).text
    s.csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[attr-defined]
    return s


def process_tree(root: int) -> list[int]:
    """ROOT and its descendants (gunicorn's workers)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / CLOCK_TICKS


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def sqlite_connections(pid: int, path: str) -> int:
    """The SQLite connections process PID holds open on the database file PATH: each keeps its own page cache (up to
    2 MB), and the pool (``hotline.db.POOL``) keeps them open once that many requests needed one at once."""
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            count += os.readlink(fd) == path
        except OSError:  # closed meanwhile
            continue
    return count


def run(sessions: list, total: int, call) -> tuple[float, list[float], Counter]:  # noqa: ANN001
    lat: list[float] = []
    errors: Counter = Counter()

    mine, handed = threading.local(), itertools.count()

    def one(i: int) -> None:
        # one session per client thread: a session shared by two threads opens extra connections, and
        # waitress stops accepting at its connection limit
        if not hasattr(mine, "session"):
            mine.session = sessions[next(handed) % len(sessions)]
        t0 = time.perf_counter()
        try:
            resp = call(mine.session, i)
        except requests.ConnectionError:  # e.g. a kept-alive connection the server closed as it was reused
            errors["connection"] += 1
            return
        lat.append((time.perf_counter() - t0) * 1000)
        if resp.status_code != 200:
            errors[resp.status_code] += 1

    t0 = time.perf_counter()
    with ThreadPoolExecutor(len(sessions)) as pool:
        list(pool.map(one, range(total)))
    return time.perf_counter() - t0, lat, errors


#: wrk's script: each request takes the next user's headers, path and body in turn; p50 / p95 printed at the end
_WRK_LUA = """local users = {%(users)s}
local paths = {%(paths)s}
local bodies = %(bodies)s
local n = 0
request = function()
  n = n + 1
  local headers = {}
  for name, value in pairs(users[(n %% #users) + 1]) do headers[name] = value end
  local body = nil
  if bodies then
    body = bodies[(n %% #bodies) + 1]
    headers["Content-Type"] = "application/json"
  end
  return wrk.format("%(method)s", paths[(n %% #paths) + 1], headers, body)
end
done = function(summary, latency, requests)
  io.write(string.format("BENCH %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), summary.errors.status + summary.errors.connect
    + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def _lua(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid Lua string literal here (no \u escapes)


def session_headers(s: requests.Session) -> dict[str, str]:
    """What a logged-in console user's browser sends: the session cookie and the page's CSRF token."""
    return {"Cookie": "; ".join(f"{c.name}={c.value}" for c in s.cookies), "X-CSRF-Token": s.csrf}  # type: ignore[attr-defined]


def run_wrk(base: str, users: list[dict[str, str]], method: str, paths: list[str], bodies: list[str] | None,
            seconds: int, *, new_connections: bool = False) -> tuple[float, int, float, float, int]:
    """The endpoint under wrk (a C client: little of the shared cores' CPU), one connection per user (the headers each
    sends): (seconds, requests, p50 ms, p95 ms, errors: failed connections and answers ≥ 400). ``new_connections``: a new connection per
    request, so that gunicorn's workers share them (a gthread worker keeps the keep-alive connections it accepts)."""
    table = ", ".join("{" + ", ".join(f"[{_lua(k)}] = {_lua(v)}" for k, v in u.items()) + "}" for u in users)
    script = _WRK_LUA % {"users": table, "paths": ", ".join(_lua(p) for p in paths), "method": method,
                         "bodies": "{" + ", ".join(_lua(b) for b in bodies) + "}" if bodies else "nil"}
    close = ["-H", "Connection: close"] if new_connections else []
    with tempfile.NamedTemporaryFile("w", suffix=".lua", encoding="utf-8") as f:
        f.write(script)
        f.flush()
        out = subprocess.run(["wrk", "-t2", f"-c{len(users)}", f"-d{seconds}s", "--timeout", "60s", *close,
                              "-s", f.name, base + paths[0]], capture_output=True, text=True, check=True).stdout
    found = re.search(r"BENCH (\d+) (\d+) (\d+) (\d+) (\d+)", out)
    if not found:
        raise SystemExit(f"wrk printed no summary:\n{out}")
    done, micros, p50, p95, errors = (int(x) for x in found.groups())  # errors.status: the answers ≥ 400
    return micros / 1e6, done, p50 / 1000, p95 / 1000, errors


def measure(args: argparse.Namespace, env: dict, server: subprocess.Popen, base: str, numbers: list[str],
            sqlite_file: str | None) -> None:
    """Every endpoint (or ``--only``'s) against one running server, then RSS per worker and the soak; on SQLite
    (``sqlite_file``, the database file) each worker's open connections beside its RSS."""
    users = {name: [login(base, name) for _ in range(args.users)] for name in ("lead", "desk", "unit")}
    rng = random.Random(1)
    first_page = users["lead"][0].get(f"{base}/console/queue", timeout=60).text
    cursor = re.search(r'href="\?([^"]*after=\d+[^"]*)"', first_page)
    next_query = cursor.group(1).replace("&amp;", "&") if cursor else "page=2"
    pages = [f"/console/tickets/{n}" for n in rng.sample(numbers, min(len(numbers), 500))]
    triage = [json.dumps({"text": t}, ensure_ascii=False) for t in TEXTS]
    # name: (who, method, paths, JSON bodies); request i takes paths[i % len] and bodies[i % len]
    endpoints: dict[str, tuple[str, str, list[str], list[str] | None]] = {
        "healthz (baseline)": ("lead", "GET", ["/healthz"], None),
        "ticket list": ("lead", "GET", ["/console/queue"], None),
        "ticket list: next page": ("lead", "GET", [f"/console/queue?{next_query}"], None),
        "ticket list: filtered": ("lead", "GET", [
            "/console/queue?status=dispatched&prefecture=%E9%95%BF%E6%98%A5%E5%B8%82&urgency=urgent"], None),
        "ticket list: four filters": ("lead", "GET", [
            "/console/queue?status=dispatched&category=guardianship&prefecture=%E9%95%BF%E6%98%A5%E5%B8%82"
            "&urgency=urgent"], None),
        "ticket page": ("lead", "GET", pages, None),
        "live triage": ("desk", "POST", ["/console/triage"], triage),
        "agency inbox": ("unit", "GET", ["/console/inbox"], None),
        "dashboard": ("lead", "GET", ["/console/dashboard"], None),
    }

    def python_call(method: str, paths: list[str], bodies: list[str] | None):  # noqa: ANN202
        def call(s: requests.Session, i: int) -> requests.Response:
            headers = {"X-CSRF-Token": s.csrf, "Content-Type": "application/json"} if bodies else None  # type: ignore[attr-defined]
            return s.request(method, base + paths[i % len(paths)], timeout=60, headers=headers,
                             data=bodies[i % len(bodies)].encode() if bodies else None)
        return call

    calls = {name: (who, python_call(method, paths, bodies)) for name, (who, method, paths, bodies) in endpoints.items()}
    only = {n.strip() for n in args.only.split(",")} if args.only else set(calls)
    pids = process_tree(server.pid)
    workers = [p for p in pids if p != server.pid] or [server.pid]
    load = f"wrk, {args.seconds} s" if args.client == "wrk" else f"{args.requests} requests"
    client = (f"client on cores {sorted(os.sched_getaffinity(0))}" if args.server_cpus
              else f"client on the same {os.cpu_count()} cores")
    print(f"{args.users} users; {load} per endpoint; {client}")
    print(f"{'endpoint':24s} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'CPU ms/req':>10} {'p95/healthz':>11}  errors")
    base_p95 = None
    for name, (who, call) in calls.items():
        if name not in only and base_p95 is not None:
            continue
        if name == "dashboard":  # what the scheduler does every 5 minutes
            t0 = time.perf_counter()
            hotline("sweep", "--job", "dashboard", env=env)
            print(f"{'  (scheduler: dashboard snapshots of 4 periods refreshed in':24s} "
                  f"{time.perf_counter() - t0:.1f} s)")
        run(users[who], args.users * 2, call)  # warm up: caches, the model, the ranking index
        cpu0 = cpu_seconds(pids)
        if args.client == "wrk":
            _, method, paths, bodies = endpoints[name]
            took, done, p50, p95, failed = run_wrk(base, [session_headers(u) for u in users[who]], method, paths,
                                                   bodies, args.seconds)
            errors = Counter({"errors": failed} if failed else {})
        else:
            took, lat, errors = run(users[who], args.requests, call)
            done, p50, p95 = args.requests, statistics.median(lat), statistics.quantiles(lat, n=100)[94]
        cpu = (cpu_seconds(pids) - cpu0) / done * 1000
        base_p95 = base_p95 or p95
        print(f"{name:24s} {done / took:7.1f} {p50:8.1f} {p95:8.1f} {cpu:10.2f} "
              f"{p95 / base_p95:11.2f}  {sum(errors.values())} {dict(errors) or ''}", flush=True)
    def rss() -> str:
        """Each worker's RSS (MB), and on SQLite its open database connections."""
        return ", ".join(f"{rss_mb(p):.0f}" + (f" ({sqlite_connections(p, sqlite_file)} database connections)"
                                               if sqlite_file else "") for p in workers)

    print(f"RSS per worker (MB): {rss()}")
    if args.soak:
        mixed = [c for n, c in calls.items() if n != "healthz (baseline)"]
        step = max(1, args.soak // 10)
        print(f"soak: {args.soak:,} mixed requests; RSS per worker (MB) every {step:,}:")
        heap = traced_heap(env, server.pid) if args.trace_heap else None
        if heap:
            print(f"  before   : Python heap {heap()}")
        for done in range(0, args.soak, step):
            for who, call in mixed:
                run(users[who], step // len(mixed), call)
            print(f"  after {done + step:>8,}: {rss()}"
                  + (f"; Python heap {heap()}" if heap else ""), flush=True)


def traced_heap(env: dict, pid: int):  # noqa: ANN201
    """A function returning the server's traced Python heap (MB) and the lines that changed most so far, read through
    ``bench/heaptrace/sitecustomize.py`` (SIGUSR1 -> one line in the log)."""
    log = Path(env["HOTLINE_BENCH_HEAP_LOG"])

    def lines() -> list[str]:
        return log.read_text(encoding="utf-8").splitlines() if log.exists() else []

    def read() -> str:
        before = len(lines())
        os.kill(pid, signal.SIGUSR1)
        for _ in range(600):  # a snapshot of a few hundred MB of traces takes seconds
            answered = lines()
            if len(answered) > before:
                size, _, moved = answered[-1].partition(" ")
                return f"{int(size) / 2**20:.1f} MB" + (f" (changed most: {moved})" if moved else "")
            time.sleep(0.1)
        return "no answer"
    return read


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--requests", type=int, default=800, help="requests per endpoint")
    parser.add_argument("--postgres", help="a PostgreSQL URL; the bench runs on a scratch database beside it")
    parser.add_argument("--workers", type=int, default=1, help="web processes (gunicorn when > 1)")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS,
                        help="server threads per process (default: what `hotline serve` uses)")
    parser.add_argument("--servers", help="several server configurations measured in turn on the one seeded "
                        "database, as WORKERSxTHREADS: '1x4,2x1,1x4,2x1' alternates two of them")
    parser.add_argument("--only", help="comma-separated endpoint names to measure (healthz is always measured)")
    parser.add_argument("--soak", type=int, default=0, help="then N mixed requests, RSS every N/10")
    parser.add_argument("--trace-heap", action="store_true",
                        help="with --soak: the server's Python heap (tracemalloc) beside RSS; one process only")
    parser.add_argument("--client", choices=("python", "wrk"), default="python",
                        help="the load: Python threads (default) or wrk (Debian package wrk), one connection per user")
    parser.add_argument("--seconds", type=int, default=15, help="seconds per endpoint with --client wrk")
    parser.add_argument("--server-cpus", help="comma-separated cores for the server's processes (e.g. '0'); the "
                        "client runs on the others")
    args = parser.parse_args()
    server_cpus = None
    if args.server_cpus:
        cores = os.sched_getaffinity(0)
        try:
            server_cpus = {int(c) for c in args.server_cpus.split(",")}
        except ValueError:
            parser.error("--server-cpus: core numbers, comma-separated, e.g. 0 or 0,1")
        if not server_cpus < cores:
            parser.error(f"--server-cpus: cores among {sorted(cores)}, leaving at least one for the client")
        os.sched_setaffinity(0, cores - server_cpus)  # this process, and what it starts from here: the client
    servers = [(args.workers, args.threads)]
    if args.servers:
        try:
            servers = [(int(w), int(t)) for w, t in (c.split("x") for c in args.servers.split(","))]
        except ValueError:
            parser.error("--servers: WORKERSxTHREADS, comma-separated, e.g. 1x4,2x1")
    if args.trace_heap and (not args.soak or any(w != 1 for w, _ in servers)):
        parser.error("--trace-heap needs --soak and one server process (gunicorn's workers take SIGUSR1 for themselves)")
    instance = Path(tempfile.mkdtemp(prefix="hotline-console-bench-"))
    env = {**os.environ, "HOTLINE_INSTANCE_PATH": str(instance)}
    if args.trace_heap:  # only `hotline serve` acts on it (bench/heaptrace/sitecustomize.py)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "bench" / "heaptrace"), env.get("PYTHONPATH")]))
        env["HOTLINE_BENCH_HEAP_LOG"] = str(instance / "heap.log")
    if args.client == "wrk":  # one user's connection sends far more than a person types; the counter is still written
        env["HOTLINE_RATE_LIMIT_TRIAGE_SESSION"] = "1000000/60"
    env.pop("HOTLINE_DATABASE_URL", None)
    drop = None
    if args.postgres:
        env["HOTLINE_DATABASE_URL"], drop = postgres_scratch(args.postgres, f"hotline_bench_console_{os.getpid()}")
    db_url = env.get("HOTLINE_DATABASE_URL") or f"sqlite:///{instance / 'hotline.db'}"
    url = make_url(db_url)
    sqlite_file = url.database if url.get_backend_name() == "sqlite" else None
    if (ROOT / "instance" / "model" / "model.joblib").exists():
        shutil.copytree(ROOT / "instance" / "model", instance / "model")
    log_path = Path(tempfile.gettempdir()) / "hotline-console-bench-server.log"
    log_path.write_text("", encoding="utf-8")
    try:
        hotline("init", env=env)
        bench_user(env, db_url, "lead", "supervisor")
        bench_user(env, db_url, "desk", "operator")
        bench_user(env, db_url, "unit", "agency_staff", "--unit", INBOX_UNIT)
        t0 = time.perf_counter()
        numbers = seed(db_url, args.tickets)
        print(f"{url.get_backend_name()}: seeded {args.tickets:,} tickets in "
              f"{time.perf_counter() - t0:.0f} s", flush=True)
        for workers, threads in servers:
            pinned = f" on cores {sorted(server_cpus)}" if server_cpus else ""
            print(f"\nserver: {workers} process(es) × {threads} threads{pinned}", flush=True)
            with log_path.open("a", encoding="utf-8") as log:
                server, base = serve(env, workers, threads, output=log, cpus=server_cpus)
            try:
                measure(args, env, server, base, numbers, sqlite_file)
            finally:
                server.terminate()
                server.wait(30)
    finally:
        print(f"server log: {log_path}")
        shutil.rmtree(instance, ignore_errors=True)
        if drop:
            drop()


if __name__ == "__main__":
    main()
