"""AUD-4: no scheduled job deletes audit rows — not the 179-day-old one, not the 181-day-old one (网络安全法
Art. 21(3): network logs are kept at least six months; this project keeps them all). Every job of
``hotline/scheduling/jobs.py`` is run, so a purge job added later is covered too."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

import hotline.accounts.audit as audit
from hotline.accounts.audit import record_event, verify_chain
from hotline.accounts.models import AuditEntry
from hotline.scheduling.jobs import JOBS, JobContext
from hotline.timeutil import utcnow

#: training a model takes minutes and reads no audit table
SKIPPED = {"retrain"}


def aged_rows(state, monkeypatch, *ages_in_days: int) -> list[int]:
    now = utcnow()
    ids = []
    for days in ages_in_days:
        monkeypatch.setattr(audit, "utcnow", lambda d=days: now - timedelta(days=d))
        with state.db.transaction() as s:
            ids.append(record_event(s, "retention-probe", "admin", "reveal", object_ref=f"ticket:age-{days}",
                                    detail="caller", source_ip="127.0.0.1").id)
    monkeypatch.setattr(audit, "utcnow", utcnow)
    return ids


def run_every_job(state, now) -> list[str]:  # noqa: ANN001
    ran = []
    for job in JOBS:
        if job.id in SKIPPED:
            continue
        fn = job.load()
        if job.transactional:
            with state.db.transaction() as session:
                fn(JobContext(state, now, session))
        else:
            fn(JobContext(state, now))
        ran.append(job.id)
    return ran


@pytest.mark.parametrize("years_later", [0, 3])
def test_no_job_deletes_audit_rows_of_any_age(state, monkeypatch, years_later):
    ids = aged_rows(state, monkeypatch, 179, 181)
    ran = run_every_job(state, utcnow() + timedelta(days=365 * years_later))
    assert "purge_lists" in ran
    with state.db.transaction(readonly=True) as s:
        kept = s.scalars(select(AuditEntry.object_ref).where(AuditEntry.id.in_(ids)).order_by(AuditEntry.id)).all()
        assert kept == ["ticket:age-179", "ticket:age-181"]
        assert verify_chain(s).ok
