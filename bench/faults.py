"""Faults survived, counted: real ``hotline serve`` processes under concurrent intake while (a) the server is
killed with SIGKILL and restarted, clients resending what was not acknowledged with the same
Idempotency-Key; (b) another process holds SQLite's write lock past the busy timeout; (c) PostgreSQL goes
away behind a loopback TCP proxy and comes back. For each: requests sent, acknowledged (2xx), tickets found
afterwards, duplicates, and every answer by status code.

    python bench/faults.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres

``--postgres`` names a server to create scratch databases on (dropped at the end). No assertions: the
tests in ``tests/reliability`` assert; this prints what happened, for the README and for operators.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import requests
from sqlalchemy import create_engine, make_url, text
from workers import HOTLINE, Server, free_port, postgres_scratch

CALL = "来电人反映邻居家孩子父母外出务工，孩子常常一个人在家。"


class CuttableProxy:
    """A loopback TCP proxy to ``target`` that can be cut (listener closed, every connection dropped) and
    restored on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._pipes: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            if self._listener is not None:
                try:  # wakes the thread blocked in accept(): a bare close() would leave the port listening
                    self._listener.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                self._listener.close()
                self._listener = None
            for sock in self._pipes:
                _close(sock)
            self._pipes.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._pipes += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


def _serve(server: Server, **extra: str) -> tuple[subprocess.Popen, str]:
    """Another ``hotline serve`` over ``server``'s instance and database (a restart), on a new port."""
    port = free_port()
    proc = subprocess.Popen([HOTLINE, "serve", "--port", str(port)], env={**server.env, **extra},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if requests.get(f"{url}/healthz", timeout=2).ok:
                break
        except requests.RequestException:
            time.sleep(0.2)
    return proc, url


def _count_tickets(database_url: str) -> int:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        found = conn.execute(text("SELECT count(*) FROM tickets")).scalar()
    engine.dispose()
    return found


def _post(url: str, token: str, key: str | None = None) -> str:
    headers = {"Authorization": f"Bearer {token}", **({"Idempotency-Key": key} if key else {})}
    try:
        return str(requests.post(f"{url}/api/v1/tickets", json={"channel": "phone", "text": CALL}, headers=headers,
                                 timeout=60).status_code)
    except requests.RequestException as exc:
        return type(exc).__name__


def _stream(url_of, token: str, seconds: float, clients: int = 4) -> Counter[str]:  # noqa: ANN001
    """``clients`` threads posting calls (no key) for ``seconds``; every answer counted."""
    statuses: Counter[str] = Counter()
    stop = time.monotonic() + seconds

    def client() -> None:
        while time.monotonic() < stop:
            statuses[_post(url_of(), token)] += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def crash(database_url: str | None, clients: int = 8, calls: int = 25) -> dict:
    server = Server(database_url, workers=1, threads=8)
    statuses: Counter[str] = Counter()
    acknowledged: set[str] = set()
    lock = threading.Lock()

    def client(n: int, url: str) -> None:
        for i in range(calls):
            key = f"c{n}-{i}"
            if key in acknowledged:
                continue
            status = _post(url, server.token, key)
            with lock:
                statuses[status] += 1
                if status in ("200", "201"):
                    acknowledged.add(key)
            if not status.isdigit():
                return  # the server is gone: resend after the restart

    threads = [threading.Thread(target=client, args=(n, server.url)) for n in range(clients)]
    for thread in threads:
        thread.start()
    while len(acknowledged) < clients * calls // 3:
        time.sleep(0.01)
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait()
    for thread in threads:
        thread.join()
    before = len(acknowledged)
    proc, url = _serve(server)
    for n in range(clients):
        client(n, url)
    proc.terminate()
    proc.wait(30)
    database = server.env.get("HOTLINE_DATABASE_URL") or f"sqlite:///{Path(server.instance) / 'hotline.db'}"
    found = _count_tickets(database)
    server.proc = proc  # already stopped; stop() only cleans the instance
    server.stop()
    return {"sent": sum(statuses.values()), "acked_before_kill": before, "acknowledged": len(acknowledged),
            "found": found, "duplicates": found - len(acknowledged), "statuses": statuses}


def sqlite_lock(hold: float = 8, seconds: float = 14) -> dict:
    server = Server(None, workers=1, threads=8)
    server.proc.terminate()
    server.proc.wait(30)
    proc, url = _serve(server, HOTLINE_SQLITE_BUSY_SECONDS="5")
    db_file = Path(server.instance) / "hotline.db"

    def holder() -> None:
        time.sleep(2)
        conn = sqlite3.connect(db_file, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")  # another process's long write
        time.sleep(hold)
        conn.execute("ROLLBACK")
        conn.close()

    threading.Thread(target=holder).start()
    statuses = _stream(lambda: url, server.token, seconds)
    proc.terminate()
    proc.wait(30)
    found = _count_tickets(f"sqlite:///{db_file}")
    server.proc = proc
    server.stop()
    return {"sent": sum(statuses.values()), "acknowledged": statuses.get("201", 0), "found": found,
            "duplicates": found - statuses.get("201", 0), "statuses": statuses}


def postgres_outage(database_url: str, down_after: float = 4, down_for: float = 5, seconds: float = 15) -> dict:
    url = make_url(database_url)
    proxy = CuttableProxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.start()
    through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    server = Server(through, workers=1, threads=8)

    def outage() -> None:
        time.sleep(down_after)
        proxy.cut()
        time.sleep(down_for)
        proxy.start()

    threading.Thread(target=outage).start()
    statuses = _stream(lambda: server.url, server.token, seconds)
    found = _count_tickets(database_url)
    server.stop()
    proxy.cut()
    return {"sent": sum(statuses.values()), "acknowledged": statuses.get("201", 0), "found": found,
            "duplicates": found - statuses.get("201", 0), "statuses": statuses}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", required=True, help="a PostgreSQL URL to create scratch databases from")
    parser.add_argument("--scratch-prefix", default="hotline_bench_faults", help="name prefix of the scratch databases")
    args = parser.parse_args()
    rows = []
    rows.append(("crash (kill -9), SQLite", crash(None)))
    url, drop = postgres_scratch(args.postgres, f"{args.scratch_prefix}_{os.getpid()}_crash")
    try:
        rows.append(("crash (kill -9), PostgreSQL", crash(url)))
    finally:
        drop()
    rows.append(("SQLite write lock held 8 s (busy 5 s)", sqlite_lock()))
    url, drop = postgres_scratch(args.postgres, f"{args.scratch_prefix}_{os.getpid()}_outage")
    try:
        rows.append(("PostgreSQL cut 5 s behind a proxy", postgres_outage(url)))
    finally:
        drop()
    print(f"{'scenario':<40} {'sent':>5} {'acked':>6} {'found':>6} {'dupes':>6}  answers by status")
    for name, r in rows:
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(r["statuses"].items()))
        print(f"{name:<40} {r['sent']:>5} {r['acknowledged']:>6} {r['found']:>6} {r['duplicates']:>6}  {answers}")


if __name__ == "__main__":
    main()
