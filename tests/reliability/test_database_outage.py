"""The database goes away, is locked, or aborts a transaction: the console and the API answer 503 with
Retry-After (never a 500), nothing is half-written, and the app works again without a restart.

PostgreSQL is cut through a real TCP proxy on loopback (the shared server itself is never stopped); SQLite
is locked by another connection holding its write lock past the busy timeout."""

from __future__ import annotations

import re
import socket
import sqlite3
import threading
import time

import pytest
from sqlalchemy import func, make_url, select, text
from tests_support import BACKEND, TEST_DB_URL

from hotline.db import Database, retrying


class CuttableProxy:
    """A loopback TCP proxy to ``target`` that can be cut (listener closed, every connection dropped) and
    restored on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
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
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
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
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def _console_page(client):  # noqa: ANN001, ANN202
    """A console page for a session whose user the database is asked for (one read, nothing written)."""
    now = time.time()
    with client.session_transaction() as cookie:
        cookie.update(uid=987654321, nonce="0" * 32, login_at=now, seen=now, csrf="x")
    return client.get("/console/queue")


def _assert_unavailable(resp, *, json: bool) -> None:  # noqa: ANN001
    assert resp.status_code == 503, resp.get_data(as_text=True)[:300]
    assert int(resp.headers["Retry-After"]) > 0
    if json:
        assert resp.get_json()["code"] == "database_unavailable"
    else:
        body = resp.get_data(as_text=True)
        assert "数据库暂时不可用" in body and re.search(r"请求编号 [0-9a-f]{12}", body) and "Traceback" not in body


@pytest.mark.skipif(BACKEND != "postgresql", reason="PostgreSQL outage (the SQLite lock is tested below)")
def test_postgresql_cut_and_restored_without_a_restart(app, tmp_path):
    from hotline import create_app

    url = make_url(TEST_DB_URL)
    proxy = CuttableProxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.start()
    through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    served = create_app({"instance_path": tmp_path, "database_url": through, "testing": True})
    client = served.test_client()
    bearer = {"Authorization": "Bearer hl_" + "A" * 43}  # well formed: looked up in the database
    assert client.get("/api/v1/tickets", headers=bearer).status_code == 401  # the database answers
    assert _console_page(client).status_code == 302

    proxy.cut()
    _assert_unavailable(client.get("/api/v1/tickets", headers=bearer), json=True)
    _assert_unavailable(_console_page(client), json=False)
    assert client.get("/healthz").status_code == 503

    proxy.start()  # the database is back: the same app, no restart
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/tickets", headers=bearer).status_code == 401
    assert _console_page(client).status_code == 302
    proxy.cut()
    served.extensions["hotline"].close()


@pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite's write lock")
def test_a_sqlite_lock_past_the_busy_timeout_is_a_503_and_nothing_is_written(tmp_path):
    from hotline import create_app
    from hotline.accounts.tokens import create_token
    from hotline.bootstrap import initialise
    from hotline.tickets.models import Ticket

    db_file = tmp_path / "locked.db"
    served = create_app({"instance_path": tmp_path, "database_url": f"sqlite:///{db_file}", "testing": True,
                         "sqlite_busy_seconds": 5})
    runtime = served.extensions["hotline"]
    initialise(runtime)
    with runtime.db.transaction() as session:
        _, token = create_token(session, "telephony", "operator")
    api = served.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    call = {"channel": "phone", "text": "孩子父母外出务工，孩子一个人在家没人管"}

    holder = sqlite3.connect(db_file, timeout=1, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process's long write
    try:
        _assert_unavailable(api.post("/api/v1/tickets", json=call, headers=headers), json=True)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with runtime.db.transaction(readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 0  # nothing half-written

    created = api.post("/api/v1/tickets", json=call, headers=headers)  # the lock is gone: works again
    assert created.status_code == 201
    runtime.close()


@pytest.mark.skipif(BACKEND != "postgresql", reason="PostgreSQL deadlock detection")
def test_a_deadlock_victim_runs_again_and_both_units_of_work_finish(app):
    from hotline.directory.models import AgencyUnit

    db = Database(TEST_DB_URL)
    with db.transaction(readonly=True) as session:
        first, second = session.scalars(select(AgencyUnit.id).order_by(AgencyUnit.id).limit(2)).all()
    barrier = threading.Barrier(2)
    attempts: list[str] = []
    done: list[str] = []

    def unit_of_work(name: str, a: int, b: int) -> None:
        attempts.append(name)
        with db.transaction() as session:
            session.execute(text("UPDATE agency_units SET name = name WHERE id = :id"), {"id": a})
            if attempts.count(name) == 1:
                barrier.wait(timeout=10)  # both hold their first row: the second update deadlocks
            session.execute(text("UPDATE agency_units SET name = name WHERE id = :id"), {"id": b})
        done.append(name)

    threads = [threading.Thread(target=retrying, args=(lambda n=n, a=a, b=b: unit_of_work(n, a, b),))
               for n, a, b in (("left", first, second), ("right", second, first))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    db.dispose()
    assert sorted(done) == ["left", "right"]
    assert len(attempts) == 3  # PostgreSQL aborted one of them once; it ran again from the start
