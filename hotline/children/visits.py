"""Home visits (入户走访, plan item 8): the next visit task follows from the guardianship assessment —
every three months where it is 较好, every month where 一般, every two weeks for 重点关注 — counted from
the last visit (or the registration)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hotline.children import rules
from hotline.children.models import Child, Visit, VisitTask
from hotline.timeutil import SHANGHAI


def local_day(moment: datetime | date) -> date:
    return moment.astimezone(SHANGHAI).date() if isinstance(moment, datetime) else moment


def end_of_day(day: date) -> datetime:
    """A visit due on ``day`` is late from the next midnight, Beijing time."""
    return datetime.combine(day + timedelta(days=1), time(0), SHANGHAI)


def last_visit_day(session: Session, child: Child) -> date | None:
    return session.scalar(select(func.max(Visit.visited_on)).where(Visit.child_id == child.id))


def open_task(session: Session, child: Child) -> VisitTask | None:
    return session.scalar(select(VisitTask).where(VisitTask.child_id == child.id, VisitTask.status == "open"))


def schedule_next(session: Session, child: Child, *, since: datetime | date, now: datetime) -> VisitTask | None:
    """Replace the child's open task by one due at the assessment's interval after ``since``; a child who
    left the register gets none."""
    session.execute(update(VisitTask).where(VisitTask.child_id == child.id, VisitTask.status == "open")
                    .values(status="cancelled", alert_at=None))
    if child.status != "active":
        return None
    due = rules.next_visit_due(child.assessment, local_day(since))
    task = VisitTask(child_id=child.id, assessment=child.assessment, due_date=due, due_at=end_of_day(due),
                     status="open", created_at=now, alerts={}, escalation=0)
    task.alert_at = task.due_at
    session.add(task)
    session.flush()
    return task
