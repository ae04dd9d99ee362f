"""``hotline scheduler``: one active scheduler across processes and hosts, the others hot standbys.

Leadership is a database lock held for as long as the process lives: on PostgreSQL a session advisory
lock on a dedicated connection (TCP keepalives make a dead host's lock go within seconds), on SQLite an
exclusive ``flock`` on a file beside the database (SQLite lives on one host; the kernel drops the lock
when the process dies). A standby tries the lock every ``scheduler_standby_seconds``; the active process
checks it still holds it as often and stops running jobs the moment it does not. Every job is idempotent
and locks its own state row, so even a brief overlap during a takeover repeats nothing.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from hotline.scheduling.runner import enabled_jobs, run_due, runner_label

if TYPE_CHECKING:
    from hotline.runtime import Runtime

log = logging.getLogger(__name__)
#: the advisory lock's key (any constant shared by every scheduler of one database)
LOCK_KEY = 0x686F746C696E65  # "hotline"


class Leadership(Protocol):
    def acquire(self) -> bool: ...
    def holds(self) -> bool: ...
    def release(self) -> None: ...


class AdvisoryLock:
    """PostgreSQL: ``pg_try_advisory_lock`` on a connection of its own, kept open while active."""

    def __init__(self, url: str) -> None:
        # keepalives: if this host dies, the server closes the connection (and frees the lock) in ~25 s
        self._engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT", hide_parameters=True,
                                     connect_args={"keepalives": 1, "keepalives_idle": 10,
                                                   "keepalives_interval": 5, "keepalives_count": 3})
        self._conn = None

    def acquire(self) -> bool:
        try:
            conn = self._engine.connect()
        except Exception:
            log.warning("scheduler: database unreachable, staying on standby", exc_info=True)
            return False
        if conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar():
            self._conn = conn
            return True
        conn.close()
        return False

    def holds(self) -> bool:
        if self._conn is None:
            return False
        try:
            held = self._conn.execute(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() "
                     "AND granted AND ((classid::bigint << 32) | objid::bigint) = :k"), {"k": LOCK_KEY}).scalar()
            return bool(held)
        except Exception:
            log.warning("scheduler: lost the lock connection", exc_info=True)
            return False

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
                self._conn.close()
            except Exception:  # the connection is gone: so is the lock
                log.debug("scheduler: lock connection already closed", exc_info=True)
            self._conn = None
        self._engine.dispose()


class FileLock:
    """SQLite: an exclusive ``flock`` on ``<database>.scheduler-lock``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, runner_label().encode())
        self._fd = fd
        return True

    def holds(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def leadership_for(runtime: Runtime) -> Leadership:
    url = runtime.settings.database_url
    if runtime.settings.is_sqlite:
        database = make_url(url).database or ""
        if not database or database == ":memory:":
            raise ValueError("调度进程需要文件型 SQLite 数据库或 PostgreSQL")
        return FileLock(Path(f"{database}.scheduler-lock"))
    return AdvisoryLock(url)


def _start_jobs(runtime: Runtime):  # noqa: ANN202 - APScheduler's BackgroundScheduler
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(
        executors={"default": ThreadPoolExecutor(4)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        timezone="Asia/Shanghai",
    )
    for job in enabled_jobs(runtime):
        scheduler.add_job(run_due, job.trigger.apscheduler(), args=(runtime,), kwargs={"only": (job.id,)},
                          id=job.id, name=job.title)
    scheduler.start()
    return scheduler


def serve(runtime: Runtime, stop: threading.Event, *, on_change=None) -> None:  # noqa: ANN001
    """Stand by until the lock is ours, then run the jobs until ``stop`` is set or the lock is lost."""
    lock = leadership_for(runtime)
    interval = runtime.settings.scheduler_standby_seconds
    say = on_change or (lambda message: log.info("%s", message))
    say(f"调度进程 {runner_label()} 待命（热备），每 {interval} 秒尝试获取调度锁")
    while not stop.is_set():
        if not lock.acquire():
            stop.wait(interval)
            continue
        say(f"调度进程 {runner_label()} 已成为当前调度进程")
        try:
            run_due(runtime)  # catch up at once: whatever fell due while no scheduler was active
            scheduler = _start_jobs(runtime)
            try:
                while not stop.wait(interval):
                    if not lock.holds():
                        say(f"调度进程 {runner_label()} 失去调度锁，停止执行任务并转为待命")
                        break
            finally:
                scheduler.shutdown(wait=True)
        finally:
            lock.release()
