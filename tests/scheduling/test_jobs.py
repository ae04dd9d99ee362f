"""The job table's timing rules and the runner: a job runs when due, once per moment, a failing job is
recorded and retried without stopping the others; a nightly / monthly job catches up once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from hotline.scheduling.jobs import JOBS, Daily, Every
from hotline.scheduling.models import JobState
from hotline.scheduling.runner import run_due
from hotline.timeutil import SHANGHAI


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_every_is_due_once_per_interval():
    every = Every(60)
    assert every.due(None, at("2026-12-01T10:00:00"))
    assert not every.due(at("2026-12-01T10:00:00"), at("2026-12-01T10:00:59"))
    assert every.due(at("2026-12-01T10:00:00"), at("2026-12-01T10:01:00"))
    assert every.due(at("2026-12-01T10:00:00"), at("2026-11-30T10:00:00"))  # time travel back: run (idempotent)


def test_daily_monthly_and_yearly_moments_are_due_once_after_they_pass():
    nightly, monthly, yearly = Daily(2, 30), Daily(6, 0, day=1), Daily(6, 0, day=20, month=11)
    since = at("2026-11-01T00:00:00")
    assert not nightly.due(None, at("2026-11-01T02:29:00"), since=since)
    assert nightly.due(None, at("2026-11-01T02:30:00"), since=since)
    assert not nightly.due(at("2026-11-01T02:30:00"), at("2026-11-01T23:00:00"), since=since)
    assert nightly.due(at("2026-11-01T02:30:00"), at("2026-11-05T09:00:00"), since=since)  # missed nights: once
    assert monthly.due(at("2026-11-01T06:00:00"), at("2026-12-01T06:00:00"), since=since)
    assert not monthly.due(at("2026-12-01T06:00:00"), at("2026-12-31T23:59:00"), since=since)
    assert not yearly.due(None, at("2026-11-19T23:00:00"), since=since)
    assert yearly.due(None, at("2026-11-20T06:00:00"), since=since)
    # a moment before the scheduler first saw the job does not count
    assert not monthly.due(None, at("2026-11-15T00:00:00"), since=at("2026-11-02T00:00:00"))


def test_every_job_is_declared_once_with_a_loadable_function():
    assert len({j.id for j in JOBS}) == len(JOBS)
    for job in JOBS:
        assert callable(job.load()), job.id
        assert job.trigger.describe() and job.trigger.apscheduler() is not None


def test_the_runner_records_each_run_and_skips_what_is_not_due(state):
    first = run_due(state, at("2026-12-01T10:00:00"), only=("deadlines",))
    assert first["jobs"] == {"deadlines": "ok"} and set(first) >= {"reminded", "overdue", "escalated", "callbacks_due"}
    assert run_due(state, at("2026-12-01T10:00:30"), only=("deadlines",))["jobs"] == {"deadlines": "not_due"}
    with state.db.transaction(readonly=True) as session:
        job = session.scalar(select(JobState).where(JobState.id == "deadlines"))
        assert job.runs == 1 and job.last_status == "ok" and job.last_run_for == at("2026-12-01T10:00:00")
        assert job.last_runner and job.last_summary["overdue"] == 0


def test_a_failing_job_is_recorded_and_does_not_stop_the_others(state, monkeypatch):
    from hotline.scheduling import deadline_sweep

    def boom(ctx):  # noqa: ANN001
        raise RuntimeError("database went away")

    monkeypatch.setattr(deadline_sweep, "sweep_deadlines", boom)
    summary = run_due(state, at("2026-12-01T10:00:00"), only=("deadlines", "bulletin"))
    assert summary["jobs"]["deadlines"] == "error"
    assert summary["jobs"]["bulletin"] in ("ok", "not_due")
    with state.db.transaction(readonly=True) as session:
        job = session.scalar(select(JobState).where(JobState.id == "deadlines"))
        assert job.last_status == "error" and "database went away" in job.last_error and job.failures == 1
        assert job.last_run_for is None  # rolled back with the job: due again next time
    monkeypatch.undo()
    assert run_due(state, at("2026-12-01T10:00:10"), only=("deadlines",))["jobs"] == {"deadlines": "ok"}


def test_disabled_jobs_do_not_run(state, monkeypatch):
    from dataclasses import replace

    monkeypatch.setattr(state, "settings", replace(state.settings, scheduler_jobs=("deadlines",)))
    summary = run_due(state, at("2026-12-01T10:00:00") + timedelta(days=40))
    assert set(summary["jobs"]) == {"deadlines"}


def test_a_network_job_killed_half_way_is_run_again(state, monkeypatch):
    """Webhooks, feeds, retraining run outside the job's transaction: recorded as run only once they finished."""
    from hotline.sentiment import feeds

    def killed(ctx):  # noqa: ANN001
        raise RuntimeError("killed half-way")

    monkeypatch.setattr(feeds, "poll_due", killed)
    moment = at("2026-12-01T10:00:00")
    assert run_due(state, moment, only=("feeds",))["jobs"] == {"feeds": "error"}
    monkeypatch.undo()
    assert run_due(state, moment, only=("feeds",))["jobs"] == {"feeds": "ok"}  # the same moment: not lost
    assert run_due(state, moment, only=("feeds",))["jobs"] == {"feeds": "not_due"}  # and now done
