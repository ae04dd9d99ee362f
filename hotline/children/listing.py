"""The register's list: filters, paging and each child's next visit, within the viewer's scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.children import rules
from hotline.children.matching import clean_name
from hotline.children.models import Child, VisitTask
from hotline.children.scopes import visible_children
from hotline.children.visits import local_day
from hotline.inputs import Boolean, Choice, Integer, Spec, Text
from hotline.timeutil import utcnow

PER_PAGE = 50
LIST_SPEC = Spec([
    Text(name="q", label="姓名或档案号", max_length=32),
    Choice(name="category", label="儿童类别", choices=rules.CATEGORY_NAMES),
    Choice(name="assessment", label="监护状况", choices=rules.ASSESSMENT_NAMES),
    Choice(name="status", label="状态", choices={"active": "在册", "exited": "已退出"}),
    Boolean(name="visit_overdue", label="仅走访逾期"),
    Integer(name="page", label="页码", minimum=1, maximum=100_000),
], code="bad_parameter")


@dataclass(frozen=True)
class ChildPage:
    children: list[Child]
    next_visit: dict[int, date]
    total: int
    page: int
    has_next: bool


def list_children(session: Session, actor: Actor, flt: dict[str, Any], today: date | None = None) -> ChildPage:
    stmt = visible_children(session, actor)
    q = (flt.get("q") or "").strip()
    if q:
        stmt = stmt.where(Child.number == q.upper()) if q.upper().startswith("ET") else \
            stmt.where(Child.name == clean_name(q))
    for key in ("category", "assessment", "status"):
        if flt.get(key):
            stmt = stmt.where(getattr(Child, key) == flt[key])
    if flt.get("visit_overdue"):
        late = select(VisitTask.child_id).where(VisitTask.status == "open",
                                                VisitTask.due_date < (today or local_day(utcnow())))
        stmt = stmt.where(Child.id.in_(late))
    page = flt.get("page") or 1
    total = session.scalar(stmt.with_only_columns(func.count()).order_by(None)) or 0
    children = list(session.scalars(stmt.order_by(Child.id.desc()).offset((page - 1) * PER_PAGE).limit(PER_PAGE)))
    due = dict(session.execute(select(VisitTask.child_id, VisitTask.due_date).where(
        VisitTask.status == "open", VisitTask.child_id.in_([c.id for c in children]))).all())
    return ChildPage(children, due, total, page, page * PER_PAGE < total)
