"""REL-6, the web side and the job options: building the web app (as every gunicorn worker does) starts no
APScheduler; the scheduler process registers each job once under its fixed id with coalesce, one instance
at a time and an explicit misfire grace time. (The lock — one active scheduler, the other standing by and
taking over — is tested with real processes in tests/scheduling/test_scheduler_process.py and beside two
app processes in tests/deploy/test_two_processes.py.)"""

from __future__ import annotations

import threading
from dataclasses import replace

from hotline.app import create_app
from hotline.runtime import Runtime
from hotline.scheduling.jobs import JOB_IDS
from hotline.scheduling.process import _start_jobs


def _scheduler_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if "apscheduler" in t.name.lower() or "scheduler" in t.name.lower()]


def test_creating_the_web_app_starts_no_scheduler(state):  # noqa: ANN001
    before = _scheduler_threads()
    app = create_app(runtime=Runtime(state.settings, db=state.db))
    assert app.test_client().get("/healthz").status_code == 200
    assert _scheduler_threads() == before


def test_each_job_is_registered_once_with_fixed_options(state):  # noqa: ANN001
    runtime = Runtime(replace(state.settings, scheduler_jobs=None), db=state.db)
    scheduler = _start_jobs(runtime)
    try:
        jobs = scheduler.get_jobs()
        assert sorted(job.id for job in jobs) == sorted(JOB_IDS)
        for job in jobs:
            assert job.coalesce is True
            assert job.max_instances == 1
            assert job.misfire_grace_time == 3600
    finally:
        scheduler.shutdown(wait=False)
