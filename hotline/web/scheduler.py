"""The scheduler's page for admins: every declared job, when it runs, and how its last run went."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.accounts.models import Role
from hotline.scheduling.jobs import JOBS
from hotline.scheduling.runner import enabled_jobs, job_states
from hotline.web import runtime
from hotline.web.sessions import console_view

bp = Blueprint("scheduler", __name__, url_prefix="/console")


@bp.get("/scheduler")
@console_view(roles=(Role.ADMIN,), readonly=True)
def jobs(db: Session, actor: Actor) -> Any:
    enabled = {j.id for j in enabled_jobs(runtime())}
    return render_template("scheduler/jobs.html", jobs=JOBS, enabled=enabled, states=job_states(db))
