"""Engine and session factory owned by the app; one transaction per unit of work.

SQLite runs in WAL mode with foreign keys on, and every write transaction starts with
``BEGIN IMMEDIATE`` so that concurrent writers queue on ``busy_timeout`` instead of failing
with SQLITE_BUSY half-way through (a deferred transaction that upgrades to a write lock does
not honour the timeout). Read-only units of work use a deferred ``BEGIN``. Within one process, SQLite writers also queue on
a lock: waiting threads wake as soon as the writer commits instead of polling SQLite's busy handler
(which sleeps in growing steps and made p95 latency explode under concurrent intake).
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from threading import RLock
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
T = TypeVar("T")

#: a request may hold its unit of work's connection while the knowledge-base store opens a second one,
#: so the pool must hold two per server thread (16 by default) with room to spare
POOL = {"pool_size": 16, "max_overflow": 48}
#: SQL parameters carry children's and callers' data: keep them out of error messages and logs
PRIVATE = {"hide_parameters": True}


def make_engine(url: str, *, echo: bool = False, busy_seconds: int = 30) -> Engine:
    """``busy_seconds``: how long a SQLite writer waits for another process's write lock before the request
    fails as unavailable (503 with Retry-After), never as a server error."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, echo=echo, connect_args={"timeout": busy_seconds, "check_same_thread": False}, **POOL, **PRIVATE
        )
        _configure_sqlite(engine, make_url(url).database, busy_seconds)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, **POOL, **PRIVATE)


def private_sqlite_files(path: str | None) -> None:
    """The SQLite database and its ``-wal``/``-shm`` files are readable by their owner only (0600): create the
    database file with that mode before SQLite does (SQLite gives the WAL and shared-memory files the mode
    of the database file), and narrow files an older version left group- or world-readable."""
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    if not os.path.exists(path) and os.path.isdir(os.path.dirname(os.path.abspath(path))):
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # an empty file is an empty database
        except FileExistsError:
            pass  # another connection created it first
    for name in (path, f"{path}-wal", f"{path}-shm", f"{path}-journal"):
        try:
            if os.stat(name).st_mode & 0o077:
                os.chmod(name, 0o600)
        except FileNotFoundError:
            continue


def _configure_sqlite(engine: Engine, path: str | None = None, busy_seconds: int = 30) -> None:
    @event.listens_for(engine, "do_connect")
    def _before_connect(_dialect, _record, _cargs, _cparams):  # noqa: ANN001 - DB-API objects
        private_sqlite_files(path)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # noqa: ANN001 - DB-API objects
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (pysqlite's own is broken)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_seconds) * 1000}")
        cur.execute("PRAGMA secure_delete=ON")
        cur.close()
        private_sqlite_files(path)  # the -wal and -shm files exist from here on

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


def _sqlite_synchronous(conn: Connection, *, full: bool) -> None:
    """Outside a transaction: whether this SQLite connection's commits wait for the disk (FULL) or not
    (NORMAL). A connection whose setting could not be restored is discarded, never handed out again."""
    try:
        conn.connection.dbapi_connection.execute("PRAGMA synchronous=FULL" if full else "PRAGMA synchronous=NORMAL")
    except Exception:
        conn.invalidate()
        raise


class Database:
    """The app's engine plus its session factories (read-write and read-only).

    ``pinned()`` binds every unit of work to one connection inside an outer transaction that is rolled
    back at the end (each unit of work becomes a savepoint): how the tests isolate themselves.
    """

    def __init__(self, url: str, *, echo: bool = False, busy_seconds: int = 30) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo, busy_seconds=busy_seconds)
        self.is_sqlite = url.startswith("sqlite")
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        #: for reads outside a unit of work (knowledge-base store): never takes SQLite's write lock
        self.reader = self.engine.execution_options(sqlite_begin="DEFERRED") if self.is_sqlite else self.engine
        self._readers = sessionmaker(self.reader, expire_on_commit=False)
        self._write_lock = RLock()
        self._pinned: Connection | None = None

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[Session]:
        """Yield a session; commit when the block succeeds, roll back when it raises."""
        if self._pinned is not None:
            session = Session(bind=self._pinned, join_transaction_mode="create_savepoint", expire_on_commit=False)
            queue = nullcontext()
        else:
            session = (self._readers if readonly else self._sessions)()
            queue = self._write_lock if self.is_sqlite and not readonly else nullcontext()
        with queue:
            try:
                yield session
                if not readonly:
                    session.commit()
                # read-only: close() below ends the transaction and keeps loaded objects usable
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()

    @contextmanager
    def connect(self, *, readonly: bool = False, durable: bool = True) -> Iterator[Connection]:
        """A plain connection for work outside the ORM (migrations, the knowledge-base store): committed
        at the end unless ``readonly``. ``durable=False`` is for writes a crash may lose at no cost (rate-limit
        counts): the commit does not wait for the disk (SQLite: ``synchronous=NORMAL`` for this transaction,
        FULL again before the connection goes back to the pool; PostgreSQL: ``synchronous_commit = off``
        for this transaction)."""
        if self._pinned is not None:
            if readonly:
                yield self._pinned
                return
            with self._pinned.begin_nested():
                yield self._pinned
            return
        if readonly:
            with self.reader.connect() as conn:
                yield conn
            return
        lossy_sqlite = not durable and self.is_sqlite
        with self._write_lock if self.is_sqlite else nullcontext(), self.engine.connect() as conn:
            if lossy_sqlite:
                _sqlite_synchronous(conn, full=False)
            try:
                with conn.begin():
                    if not durable and not self.is_sqlite:
                        conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
                    yield conn
            finally:
                if lossy_sqlite:
                    _sqlite_synchronous(conn, full=True)

    @contextmanager
    def pinned(self) -> Iterator[Connection]:
        """Every unit of work inside the block runs on one connection whose outer transaction is
        rolled back at the end: nothing the block does is kept (test isolation)."""
        with self.engine.connect() as conn:
            outer = conn.begin()
            self._pinned = conn
            try:
                yield conn
            finally:
                self._pinned = None
                outer.rollback()

    def dispose(self) -> None:
        self.engine.dispose()


#: PostgreSQL serialization failure and deadlock: the whole unit of work may simply run again
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
RETRY_ATTEMPTS = 3


def _sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def retrying(unit_of_work: Callable[[], T]) -> T:
    """Run ``unit_of_work`` (which opens and ends its own transaction) again, from the start, when PostgreSQL
    aborted it as a serialization failure or a deadlock victim: at most 3 more times, with jittered back-off.
    The last failure propagates (the web edge answers 503 with Retry-After): nothing was half-written."""
    for attempt in range(RETRY_ATTEMPTS + 1):
        try:
            return unit_of_work()
        except DBAPIError as exc:
            if _sqlstate(exc) not in RETRYABLE_SQLSTATES or attempt == RETRY_ATTEMPTS:
                raise
            log.info("unit of work aborted (%s), attempt %d of %d", _sqlstate(exc), attempt + 1, RETRY_ATTEMPTS)
            time.sleep(random.uniform(0.01, 0.05) * 2**attempt)  # noqa: S311 - jitter, not a secret
    raise AssertionError("unreachable")


def is_unavailable(exc: BaseException) -> bool:
    """The database could not do the work right now — unreachable, connection lost, locked past the busy
    timeout, read-only or full, or a transaction aborted by a conflict — as opposed to a programming error.
    DB-API's OperationalError is exactly that class ("not necessarily under the programmer's control")."""
    return isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated)


def serialize(session: Session, key: int) -> None:
    """Hold a transaction-scoped lock named KEY until the transaction ends (PostgreSQL advisory lock);
    SQLite needs none: its writers already run one at a time (BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
