"""The 儿童主任's field pages (走访): their visit tasks and recording a visit, built for a phone (375 px).

Only the roles that visit (儿童主任, 儿童督导员, civil-affairs staff) open them; the others get 403."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.children import rules, visits
from hotline.errors import HotlineError
from hotline.timeutil import utcnow
from hotline.web.errors import flash_error
from hotline.web.sessions import console_view

bp = Blueprint("field", __name__, url_prefix="/console/field")
VISITORS = tuple(visits.VISITORS)


@bp.get("/")
@console_view(roles=VISITORS, readonly=True)
def tasks(db: Session, actor: Actor) -> Any:
    found = visits.tasks_for(db, actor, utcnow())
    return render_template("field/tasks.html", groups=visits.group_tasks(found), states=visits.TASK_STATES,
                           total=len(found), limit=visits.MAX_TASKS, rules=rules, place_label=visits.place_label)


def _task_page(db: Session, actor: Actor, task_id: int, form: Any = None, status: int = 200) -> Any:
    page = visits.task_page(db, actor, task_id, utcnow())
    values = form if form is not None else {"visited_on": page.today.isoformat()}
    return render_template("field/task.html", p=page, form=values, spec=visits.VISIT_SPEC, rules=rules,
                           states=visits.TASK_STATES), status


@bp.get("/tasks/<int:task_id>")
@console_view(roles=VISITORS, readonly=True)
def task(db: Session, actor: Actor, task_id: int) -> Any:
    return _task_page(db, actor, task_id)


@bp.post("/tasks/<int:task_id>")
@console_view(roles=VISITORS)
def record(db: Session, actor: Actor, task_id: int) -> Any:
    try:
        with db.begin_nested():
            values = visits.VISIT_SPEC.parse(request.form, source="text")
            visit = visits.record_visit(db, actor, task_id, values, now=utcnow())
    except HotlineError as exc:
        if exc.status == 404:
            raise
        flash_error(exc)
        return _task_page(db, actor, task_id, request.form, exc.status)
    following = visits.next_task(db, visit)
    flash(f"已记录走访，下次走访：{following.due_date.isoformat()}" if following else "已记录走访", "ok")
    return redirect(url_for("field.tasks"))

