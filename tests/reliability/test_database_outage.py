"""The database goes away, is locked, or aborts a transaction: the console and the API answer 503 with
Retry-After (never a 500), nothing is half-written, and the app works again without a restart.

PostgreSQL is cut through a real TCP proxy on loopback (the shared server itself is never stopped); SQLite
is locked by another connection holding its write lock past the busy timeout, its disk (a real tmpfs) fills
up, and its file system turns read-only."""

from __future__ import annotations

import errno
import re
import sqlite3
import subprocess
import threading
import time
from contextlib import closing

import pytest
from faults import CuttableProxy  # bench/faults.py: the same proxy the fault bench cuts
from sqlalchemy import func, make_url, select, text
from tests_support import BACKEND, TEST_DB_URL

from hotline.db import Database, retrying


def _console_page(client):  # noqa: ANN001, ANN202
    """A console page for a session whose user the database is asked for (one read, nothing written)."""
    now = time.time()
    with client.session_transaction() as cookie:
        cookie.update(uid=987654321, nonce="0" * 32, login_at=now, seen=now, csrf="x")
    return client.get("/console/queue")


CALL = {"channel": "phone", "text": "孩子父母外出务工，孩子一个人在家没人管"}


def _sqlite_app(db_file, instance):  # noqa: ANN001, ANN202
    """An app over a SQLite file of its own (busy timeout 5 s), initialised, with an operator's token: (runtime,
    test client, headers)."""
    from hotline import create_app
    from hotline.accounts.tokens import create_token
    from hotline.bootstrap import initialise

    served = create_app({"instance_path": instance, "database_url": f"sqlite:///{db_file}", "testing": True,
                         "sqlite_busy_seconds": 5})
    runtime = served.extensions["hotline"]
    initialise(runtime)
    with runtime.db.transaction() as session:
        _, token = create_token(session, "telephony", "operator")
    return runtime, served.test_client(), {"Authorization": f"Bearer {token}"}


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
    from hotline.tickets.models import Ticket

    db_file = tmp_path / "locked.db"
    runtime, api, headers = _sqlite_app(db_file, tmp_path)

    holder = sqlite3.connect(db_file, timeout=1, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process's long write
    try:
        _assert_unavailable(api.post("/api/v1/tickets", json=CALL, headers=headers), json=True)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with runtime.db.transaction(readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 0  # nothing half-written

    created = api.post("/api/v1/tickets", json=CALL, headers=headers)  # the lock is gone: works again
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


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, text=True)


@pytest.fixture
def small_disk(tmp_path):  # noqa: ANN001, ANN201
    """A real 64 MB filesystem (tmpfs) seen through a bind mount that can be made read-only: (disk, view)."""
    if BACKEND != "sqlite":
        pytest.skip("a SQLite file's disk")
    disk, view = tmp_path / "disk", tmp_path / "view"
    disk.mkdir()
    view.mkdir()
    try:
        _mount("-t", "tmpfs", "-o", "size=64m,mode=0700", "tmpfs", str(disk))
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("needs permission to mount a tmpfs")
    try:
        _mount("--bind", str(disk), str(view))
        yield disk, view
    finally:  # lazily: a failed test may still hold files open, and no mount may outlive the test
        subprocess.run(["umount", "-l", str(view)], capture_output=True)
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_a_full_or_read_only_sqlite_disk_is_a_503_and_recovers_without_a_restart(small_disk, tmp_path):
    """Scenario 7 on SQLite: the disk fills up (a real ENOSPC), then the file system is read-only; each time
    the console and the API answer 503 with Retry-After, nothing is half-written, and once space is freed or
    the file system is writable again the same app works."""
    from hotline.tickets.models import Ticket

    disk, view = small_disk
    db_file = view / "hotline.db"
    runtime, api, headers = _sqlite_app(db_file, tmp_path / "instance")

    def tickets() -> int:
        with runtime.db.transaction(readonly=True) as session:
            return session.scalar(select(func.count()).select_from(Ticket))

    assert api.post("/api/v1/tickets", json=CALL, headers=headers).status_code == 201

    # the disk is full: the WAL cannot grow (it is emptied first, so that no write fits in space it already has)
    with closing(sqlite3.connect(db_file)) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    filler = disk / "filler"
    with open(filler, "wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    _assert_unavailable(api.post("/api/v1/tickets", json=CALL, headers=headers), json=True)
    assert tickets() == 1  # nothing half-written; reads still work
    filler.unlink()  # space is freed: the same app writes again
    assert api.post("/api/v1/tickets", json=CALL, headers=headers).status_code == 201

    # the file system is read-only: SQLite cannot even open the file (its WAL index must be writable)
    runtime.db.dispose()  # idle pooled connections closed (as the pool does over time), or the remount is refused
    _mount("-o", "remount,ro,bind", str(view))
    _assert_unavailable(api.post("/api/v1/tickets", json=CALL, headers=headers), json=True)
    _assert_unavailable(_console_page(api), json=False)
    assert api.get("/healthz").status_code == 503
    _mount("-o", "remount,rw,bind", str(view))
    assert api.get("/healthz").status_code == 200
    assert api.post("/api/v1/tickets", json=CALL, headers=headers).status_code == 201
    assert tickets() == 3
    with closing(sqlite3.connect(db_file)) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    runtime.close()
