"""The start page: each role lands on its own work, and the navigation it sees."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, url_for
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.accounts.models import CASEWORK_ROLES, EVERY_ROLE, Role
from hotline.web.sessions import console_view

bp = Blueprint("home", __name__)
R = Role
#: each role's navigation; the first entry is where it lands
NAVIGATION: dict[Role, list[tuple[str, str]]] = {
    R.OPERATOR: [("desk.new_call", "新建工单"), ("tickets.callbacks", "回访"), ("tickets.queue", "工单查询"),
                 ("children.register", "儿童档案")],
    R.DISPATCHER: [("tickets.queue", "工单队列"), ("sentiment.events", "舆情"), ("desk.new_call", "新建工单"),
                   ("tickets.callbacks", "回访"), ("children.register", "儿童档案"), ("matching.queue", "比对复核"),
                   ("reports.dashboard", "统计"), ("reports.reports", "通报")],
    R.AGENCY_STAFF: [("tickets.inbox", "本单位待办"), ("children.register", "儿童档案"), ("matching.queue", "比对复核")],
    R.SUPERVISOR: [("reports.dashboard", "统计"), ("tickets.queue", "工单查询"), ("sentiment.events", "舆情"),
                   ("children.register", "儿童档案"), ("matching.queue", "比对复核"),
                   ("reports.reports", "通报"), ("kb.review", "知识复审")],
    R.ADMIN: [("tickets.queue", "工单查询"), ("desk.new_call", "新建工单"), ("sentiment.events", "舆情"),
              ("sentiment.feed_admin", "舆情源"), ("children.register", "儿童档案"), ("matching.queue", "比对复核"),
              ("matching.sources", "比对来源"), ("children.place_admin", "乡村名单"), ("reports.dashboard", "统计"), ("reports.reports", "通报"),
              ("kb.review", "知识复审"), ("notifications.webhook_admin", "推送"),
              ("scheduler.jobs", "调度")],
    # below county level: the field work first
    R.CHILD_DIRECTOR: [("field.tasks", "走访任务"), ("children.register", "儿童档案")],
    R.CHILD_SUPERVISOR: [("children.register", "儿童档案"), ("field.tasks", "走访任务")],
    R.AUDITOR: [("audit.log", "审计日志")],
}


def nav_items(role: Role) -> list[tuple[str, str]]:
    return [*NAVIGATION[role], ("kb.search", "知识库")] if role in CASEWORK_ROLES else NAVIGATION[role]


@bp.get("/")
def index() -> Any:
    return redirect(url_for("home.console"))


@bp.get("/console/")
@console_view(roles=EVERY_ROLE, readonly=True)
def console(db: Session, actor: Actor) -> Any:
    return redirect(url_for(NAVIGATION[actor.role][0][0]))
