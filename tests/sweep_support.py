"""Driving the deadline sweep in tests: through the runner (as `hotline sweep` does) or the job itself."""

from __future__ import annotations

from datetime import datetime

from hotline.scheduling import deadline_sweep
from hotline.scheduling.jobs import JobContext
from hotline.scheduling.runner import run_due
from hotline.timeutil import SHANGHAI


def at(when: str | datetime) -> datetime:
    """A moment written without a zone is Beijing time."""
    return when if isinstance(when, datetime) else datetime.fromisoformat(when).replace(tzinfo=SHANGHAI)


def sweep(state, when: str | datetime) -> dict:  # noqa: ANN001
    summary = run_due(state, at(when), only=("deadlines",))
    assert summary["jobs"] == {"deadlines": "ok"}
    return summary


def sweep_directly(state, when: str | datetime) -> dict:  # noqa: ANN001
    """The job function itself, past the runner's "already ran this minute" check."""
    with state.db.transaction() as session:
        return deadline_sweep.sweep_deadlines(JobContext(state, at(when), session))
