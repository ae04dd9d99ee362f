"""Running jobs: each due job once, as of a moment, each in its own unit of work, its outcome recorded
in ``scheduler_jobs``. ``hotline sweep`` and the scheduler process both come through here.

A job's state row is locked while the job decides whether it is due and (transactional jobs) while it
runs, so a manual ``hotline sweep`` beside the scheduler never runs the same transactional job twice at
once; the others (webhooks, feeds, retraining) are safe to overlap by their own design.
"""

from __future__ import annotations

import logging
import os
import socket
from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.scheduling.jobs import JOBS, Job, JobContext
from hotline.scheduling.models import JobState
from hotline.timeutil import iso_local, utcnow

if TYPE_CHECKING:
    from hotline.runtime import Runtime

log = logging.getLogger(__name__)

#: the counts ``hotline sweep`` always prints, even when their job did not run
SUMMARY_KEYS = ("reminded", "overdue", "escalated", "callbacks_due", "visits_reminded", "visits_overdue", "visits_escalated")


def runner_label() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


def enabled_jobs(runtime: Runtime, only: tuple[str, ...] | None = None) -> list[Job]:
    """The declared jobs this deployment runs (HOTLINE_SCHEDULER_JOBS), narrowed to ``only``."""
    allowed = runtime.settings.scheduler_jobs
    return [j for j in JOBS if (allowed is None or j.id in allowed) and (not only or j.id in only)]


def _state(session: Session, job: Job) -> JobState:
    stmt = select(JobState).where(JobState.id == job.id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    state = session.scalar(stmt)
    if state is None:
        try:
            with session.begin_nested():
                session.add(JobState(id=job.id, created_at=utcnow(), runs=0, failures=0))
        except IntegrityError:  # another process created it at the same moment
            pass
        state = session.scalar(stmt)
    return state


def _record_failure(runtime: Runtime, job: Job, exc: BaseException) -> None:
    with runtime.db.transaction() as session:
        state = _state(session, job)
        state.last_status = "error"
        state.last_error = f"{type(exc).__name__}: {exc}"[:500]
        state.last_finished_at = utcnow()
        state.failures += 1


def run_job(runtime: Runtime, job: Job, now: datetime) -> tuple[str, dict[str, Any]]:
    """Run ``job`` as of ``now`` if it is due. Returns ("ok" | "not_due" | "error", its summary)."""
    fn = job.load()
    result: dict[str, Any] = {}
    try:
        with runtime.db.transaction() as session:
            state = _state(session, job)
            if not job.due(state.last_run_for, now, state.created_at):
                return "not_due", {}
            state.last_started_at, state.last_runner = utcnow(), runner_label()
            if job.transactional:
                result = fn(JobContext(runtime, now, session)) or {}
                _finish(state, now, result)
        if not job.transactional:
            # outside any transaction, and recorded as run only once it has: a process killed half-way runs it
            # again when next started (these jobs guard themselves: leases, a file lock, storing once)
            result = fn(JobContext(runtime, now)) or {}
            with runtime.db.transaction() as session:
                _finish(_state(session, job), now, result)
    except Exception as exc:  # one failing job never stops the others; it is retried when next due
        log.exception("scheduler job %s failed", job.id)
        _record_failure(runtime, job, exc)
        return "error", {}
    return "ok", result


def _finish(state: JobState, now: datetime, result: dict[str, Any]) -> None:
    state.last_run_for = now
    state.last_status, state.last_error = "ok", None
    state.last_finished_at = utcnow()
    state.last_summary = result
    state.runs += 1


def run_due(runtime: Runtime, now: datetime | None = None, *, only: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Every enabled job that is due at ``now``, once; the JSON summary ``hotline sweep`` prints."""
    now = now or utcnow()
    totals: Counter[str] = Counter({key: 0 for key in SUMMARY_KEYS})
    outcomes: dict[str, str] = {}
    for job in enabled_jobs(runtime, only):
        outcomes[job.id], result = run_job(runtime, job, now)
        totals.update({k: v for k, v in result.items() if isinstance(v, int) and not isinstance(v, bool)})
    return {**totals, "now": iso_local(now), "jobs": outcomes}


def job_states(session: Session) -> dict[str, JobState]:
    """For the admin's scheduler page: each job's last run."""
    return {s.id: s for s in session.scalars(select(JobState))}
