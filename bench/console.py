"""Console under load: 16 concurrent logged-in users on the ticket list, the ticket page and the live-triage
endpoint, against a server holding N tickets (default 100,000) on SQLite. Prints requests/s and p50/p95 per
endpoint beside /healthz (no work) measured in the same run.

    python bench/console.py                       # 100k tickets, fresh instance, SQLite
    python bench/console.py --tickets 20000 --requests 600

The tickets are bulk-inserted (fabricated texts); the server is `hotline serve` in a subprocess with the
trained model copied from ./instance/model when present (otherwise live triage runs the rules only).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Bench-Passw0rd-long"
TEXTS = [
    "来电人反映，孩子父母常年在外务工，孩子跟奶奶生活，想咨询留守儿童有哪些关爱政策。",
    "市民反映小区附近有儿童在水塘边玩耍，水很深，没有护栏，希望尽快处理。",
    "家长咨询孩子患白血病，治疗费用很高，能否申请医疗救助，去哪里办理。",
    "来电人称邻居家孩子经常被打，哭声很大，希望有关部门上门看看。",
    "孩子他爸在监狱服刑，妈妈联系不上，孩子跟着奶奶过，能申请什么补贴？",
]
CATEGORIES = ["guardianship", "basic_living", "medical", "personal_safety", "education"]


def hotline(*args: str, env: dict) -> str:
    exe = str(Path(sys.executable).with_name("hotline"))
    return subprocess.run([exe, *args], env=env, check=True, capture_output=True, text=True,
                          input=PASSWORD + "\n" if "--password-stdin" in args else None).stdout


def seed(db_url: str, n: int) -> list[str]:
    engine = create_engine(db_url)
    now = datetime.now(UTC).replace(tzinfo=None)
    numbers = []
    with engine.begin() as conn:
        unit = conn.execute(text("SELECT id FROM agency_units WHERE code = 'civil_affairs:长春市/农安县'")).scalar()
        rows = []
        for i in range(n):
            at = now - timedelta(minutes=i)
            number = f"12345-{at:%Y%m%d}-B{i:05d}"[:24]
            numbers.append(number)
            rows.append({"number": number, "channel": "phone", "status": "dispatched", "text": TEXTS[i % 5] + f"（{i}）",
                         "caller_name_masked": "测*", "caller_phone_masked": f"138****{i % 10000:04d}", "received_at": at, "created_at": at,
                         "updated_at": at, "triage_mode": "manual", "needs_review": False, "category": CATEGORIES[i % 5],
                         "kind": "help", "urgency": "normal", "prefecture": "长春市", "county": "农安县",
                         "lead_unit_id": unit, "dispatched_at": at, "resolve_due_at": at + timedelta(days=5),
                         "sign_due_at": at + timedelta(days=1), "callback_wanted": False, "supervision_count": 0,
                         "version": 1})
        cols = ", ".join(rows[0])
        stmt = text(f"INSERT INTO tickets ({cols}) VALUES ({', '.join(':' + c for c in rows[0])})")
        for start in range(0, n, 5000):
            conn.execute(stmt, rows[start:start + 5000])
    engine.dispose()
    return numbers


def login(base: str, username: str) -> requests.Session:
    s = requests.Session()
    page = s.get(f"{base}/login", timeout=30).text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    s.post(f"{base}/login", data={"csrf_token": token, "username": username, "password": PASSWORD}, timeout=30)
    page = s.get(f"{base}/console/queue", timeout=30).text
    s.csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    return s


def run(sessions, total: int, call) -> tuple[float, list[float], Counter]:  # noqa: ANN001
    lat: list[float] = []
    errors: Counter = Counter()

    def one(i: int) -> None:
        t0 = time.perf_counter()
        resp = call(sessions[i % len(sessions)], i)
        lat.append((time.perf_counter() - t0) * 1000)
        if not resp.ok:
            errors[resp.status_code] += 1

    t0 = time.perf_counter()
    with ThreadPoolExecutor(len(sessions)) as pool:
        list(pool.map(one, range(total)))
    return time.perf_counter() - t0, lat, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--requests", type=int, default=800)
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="hotline-console-bench-"))
    env = {**os.environ, "HOTLINE_INSTANCE_PATH": str(instance)}
    env.pop("HOTLINE_DATABASE_URL", None)
    if (ROOT / "instance" / "model" / "model.joblib").exists():
        shutil.copytree(ROOT / "instance" / "model", instance / "model")
    hotline("init", env=env)
    hotline("user", "create", "--username", "bench", "--role", "dispatcher", "--password-stdin", env=env)
    t0 = time.perf_counter()
    numbers = seed(f"sqlite:///{instance / 'hotline.db'}", args.tickets)
    print(f"seeded {args.tickets} tickets in {time.perf_counter() - t0:.1f} s")
    port = random.randint(20000, 40000)
    log_path = Path(tempfile.gettempdir()) / "hotline-console-bench-server.log"
    log = log_path.open("w", encoding="utf-8")
    server = subprocess.Popen([str(Path(sys.executable).with_name("hotline")), "serve", "--port", str(port),
                               "--threads", str(args.users)], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                requests.get(f"{base}/healthz", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        sessions = [login(base, "bench") for _ in range(args.users)]
        rng = random.Random(1)
        pages = max(1, args.tickets // 50)
        calls = {
            "healthz (baseline)": lambda s, i: s.get(f"{base}/healthz", timeout=60),
            "ticket list": lambda s, i: s.get(f"{base}/console/queue?page={rng.randint(1, min(pages, 50))}",
                                              timeout=60),
            "ticket page": lambda s, i: s.get(f"{base}/console/tickets/{rng.choice(numbers)}", timeout=60),
            "live triage": lambda s, i: s.post(f"{base}/console/triage", json={"text": TEXTS[i % 5]},
                                               headers={"X-CSRF-Token": s.csrf}, timeout=60),
        }
        for name, call in calls.items():
            run(sessions, args.users * 2, call)  # warm up
            took, lat, errors = run(sessions, args.requests, call)
            q = statistics.quantiles(lat, n=100)
            print(f"{name:20s} {args.requests / took:7.1f} req/s   p50 {q[49]:7.1f} ms   p95 {q[94]:7.1f} ms   "
                  f"errors {sum(errors.values())} {dict(errors) or ''}")
    finally:
        server.terminate()
        server.wait(10)
        log.close()
        print(f"server log: {log_path}")
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
