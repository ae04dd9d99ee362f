"""Two ``hotline scheduler`` processes against one database (PostgreSQL: an advisory lock; SQLite: a file
lock): only one runs jobs, the other stands by and takes over when the first is killed (SIGKILL, no
clean-up), well within a minute. Real processes, a real database copy."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

from sqlalchemy import select, update

from hotline.scheduling.models import JobState
from hotline.timeutil import utcnow

ACTIVE = "已成为当前调度进程"


class Scheduler:
    def __init__(self, url: str, instance) -> None:  # noqa: ANN001
        env = {**os.environ, "HOTLINE_DATABASE_URL": url, "HOTLINE_INSTANCE_PATH": str(instance),
               "HOTLINE_SCHEDULER_JOBS": "deadlines", "HOTLINE_SCHEDULER_STANDBY_SECONDS": "1"}
        self.proc = subprocess.Popen([sys.executable, "-m", "hotline.cli", "scheduler"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.append(line)

    def said(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


def wait_for(condition, timeout: float = 30) -> float:  # noqa: ANN001
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError("timed out")
        time.sleep(0.1)
    return time.monotonic() - started


def last_runner(runtime) -> str | None:  # noqa: ANN001
    with runtime.db.transaction(readonly=True) as session:
        return session.scalar(select(JobState.last_runner).where(JobState.id == "deadlines"))


def test_one_scheduler_runs_jobs_and_a_standby_takes_over_when_it_is_killed(live, tmp_path):
    url = live.runtime.settings.database_url
    first = Scheduler(url, tmp_path / "a")
    second = None
    try:
        wait_for(lambda: first.said(ACTIVE))
        wait_for(lambda: (last_runner(live.runtime) or "").endswith(f":{first.proc.pid}"))
        second = Scheduler(url, tmp_path / "b")
        wait_for(lambda: second.said("待命"))
        time.sleep(3)  # three standby rounds: the lock stays with the first
        assert not second.said(ACTIVE), second.lines
        assert last_runner(live.runtime).endswith(f":{first.proc.pid}")
        # let the deadline job be due again, so that the survivor's catch-up run shows it runs jobs
        with live.runtime.db.transaction() as session:
            session.execute(update(JobState).where(JobState.id == "deadlines")
                            .values(last_run_for=utcnow() - timedelta(minutes=5)))
        first.proc.send_signal(signal.SIGKILL)
        took = wait_for(lambda: second.said(ACTIVE), timeout=60)
        assert took < 60
        wait_for(lambda: (last_runner(live.runtime) or "").endswith(f":{second.proc.pid}"))
        second.proc.send_signal(signal.SIGTERM)
        assert second.proc.wait(timeout=20) == 0
        assert second.said("调度进程已停止")
    finally:
        first.stop()
        if second is not None:
            second.stop()
