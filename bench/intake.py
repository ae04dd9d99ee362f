"""Intake throughput: POST N tickets concurrently to a running server; prints tickets/s and latency.

    python bench/intake.py                          # starts its own server on a fresh SQLite instance
    python bench/intake.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
    python bench/intake.py --url http://127.0.0.1:5000 --token hl_...   # an already-running server

The baseline in the same run is GET /api/v1/openapi.json (no database), so the ratio shows what the
database and intake logic cost on this machine.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

TEXTS = [
    "来电人反映，孩子父母常年在外务工，孩子跟奶奶生活，想咨询留守儿童有哪些关爱政策。",
    "市民反映小区附近有儿童在水塘边玩耍，水很深，没有护栏，希望尽快处理。",
    "家长咨询孩子患白血病，治疗费用很高，能否申请医疗救助，去哪里办理。",
    "来电人称邻居家孩子经常被打，哭声很大，希望有关部门上门看看。",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(database_url: str | None) -> tuple[subprocess.Popen, str, str]:
    instance = tempfile.mkdtemp(prefix="hotline-bench-")
    env = {**os.environ, "HOTLINE_INSTANCE_PATH": instance}
    if database_url:
        env["HOTLINE_DATABASE_URL"] = database_url
    hotline = str(Path(sys.executable).with_name("hotline"))
    subprocess.run([hotline, "init"], env=env, check=True, capture_output=True)
    token = subprocess.run(
        [hotline, "token", "create", "--name", f"bench-{time.time_ns()}", "--role", "operator"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    port = free_port()
    proc = subprocess.Popen(
        [hotline, "serve", "--port", str(port), "--threads", "16"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.get(f"{url}/api/v1/openapi.json", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    return proc, url, token


def measure(n: int, concurrency: int, call) -> tuple[float, list[float], int]:  # noqa: ANN001
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


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else values[0] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--url")
    parser.add_argument("--token")
    parser.add_argument("--database-url")
    args = parser.parse_args()

    proc = None
    if args.url:
        url, token = args.url.rstrip("/"), args.token
    else:
        proc, url, token = start_server(args.database_url)
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=args.concurrency, pool_maxsize=args.concurrency)
    session.mount("http://", adapter)
    headers = {"Authorization": f"Bearer {token}"}
    run_id = time.time_ns()
    try:
        base_time, base_lat, _ = measure(
            args.n, args.concurrency, lambda i: session.get(f"{url}/api/v1/openapi.json", timeout=30).ok
        )

        def post(i: int) -> bool:
            body = {
                "channel": "phone",
                "text": TEXTS[i % len(TEXTS)],
                "external_id": f"bench-{run_id}-{i}",
                "caller": {"name": "测试", "phone": "13800000000"},
            }
            return session.post(f"{url}/api/v1/tickets", json=body, headers=headers, timeout=60).status_code == 201

        took, lat, errors = measure(args.n, args.concurrency, post)
    finally:
        if proc:
            proc.terminate()
            proc.wait(10)
    backend = "postgresql" if (args.database_url or "").startswith("postgresql") else ("sqlite" if proc else "remote")
    print(f"backend={backend} n={args.n} concurrency={args.concurrency} errors={errors}")
    print(f"intake:   {args.n / took:8.1f} tickets/s   p50 {p(lat, 50):6.1f} ms   p95 {p(lat, 95):6.1f} ms")
    print(f"baseline: {args.n / base_time:8.1f} req/s (GET openapi.json, no database)   p95 {p(base_lat, 95):6.1f} ms")
    print(f"ratio intake/baseline throughput: {(args.n / took) / (args.n / base_time):.2f}")


if __name__ == "__main__":
    main()
