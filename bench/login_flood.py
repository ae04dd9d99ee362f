"""Emergency intake under a failed-login flood: does a login's password hash hold up intake?

    python bench/login_flood.py [--n 200] [--flooders 4]
    python bench/login_flood.py --url http://127.0.0.1:5000 --token hl_...   # an already-running server

One client records N calls one after another (the baseline: nobody logging in), then again while
`--flooders` threads post failed logins as fast as they can (unknown usernames: each costs one
PBKDF2 hash, ~0.2 s). Printed: intake median and p95 alone and under the flood, and their ratio.
Before the login rework, the hash ran inside a write transaction and SQLite serialised intake behind it.
"""

from __future__ import annotations

import argparse
import re
import statistics
import threading
import time

import requests
from intake import start_server


def intakes(url: str, token: str, n: int, tag: str) -> list[float]:
    session, out = requests.Session(), []
    headers = {"Authorization": f"Bearer {token}"}
    for i in range(n):
        body = {"channel": "phone", "text": "孩子一个人在家，大人两天没回来了。", "external_id": f"{tag}-{i}"}
        t0 = time.perf_counter()
        assert session.post(f"{url}/api/v1/tickets", json=body, headers=headers, timeout=60).status_code == 201
        out.append(time.perf_counter() - t0)
    return out


def flood(url: str, stop: threading.Event, counter: list[int]) -> None:
    session = requests.Session()
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', session.get(f"{url}/login", timeout=30).text).group(1)
    while not stop.is_set():
        session.post(f"{url}/login", data={"csrf_token": csrf, "username": f"nobody{counter[0]}", "password": "x"},
                     timeout=60, allow_redirects=False)
        counter[0] += 1


def ms(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--flooders", type=int, default=4)
    parser.add_argument("--url")
    parser.add_argument("--token")
    args = parser.parse_args()
    proc = None
    if args.url:
        url, token = args.url.rstrip("/"), args.token
    else:
        proc, url, token = start_server(None)
    tag = f"flood-{time.time_ns()}"
    try:
        alone = intakes(url, token, args.n, f"{tag}-alone")
        stop, counter = threading.Event(), [0]
        threads = [threading.Thread(target=flood, args=(url, stop, counter)) for _ in range(args.flooders)]
        for t in threads:
            t.start()
        time.sleep(1)
        flooded = intakes(url, token, args.n, f"{tag}-flood")
        stop.set()
        for t in threads:
            t.join()
    finally:
        if proc:
            proc.terminate()
            proc.wait(10)
    print(f"n={args.n} flooders={args.flooders} failed logins during the run: {counter[0]}")
    print(f"intake alone:        median {statistics.median(alone) * 1000:7.1f} ms   p95 {ms(alone, 95):7.1f} ms")
    print(f"intake under flood:  median {statistics.median(flooded) * 1000:7.1f} ms   p95 {ms(flooded, 95):7.1f} ms")
    print(f"ratio of medians: {statistics.median(flooded) / statistics.median(alone):.1f}")


if __name__ == "__main__":
    main()
